package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/accounts"
)

// claimedAccount escalates a borrower of the test's own making and has ann
// claim the case.
func (e *consoleEnv) claimedAccount(a accounts.Account) (*websocket.Conn, string, string) {
	e.t.Helper()
	bc, _, caseID := e.escalateAccount(a)
	ann := e.signIn("ann")
	untilMode(e.t, bc, "agent", func() {
		e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)
	})
	return bc, caseID, ann
}

// TestConsoleRecordPolicy: an agent's deal passes the same policy as the
// bot's: the debt's minimum payment, no one-cent promises below it, no
// plan gaps wider than the policy's interval, and a confirmation whose
// payment link is filled in.
func TestConsoleRecordPolicy(t *testing.T) {
	e := newConsoleEnv(t)
	ctx := context.Background()
	a := maria("acct-minpay")
	a.Debts[0].MinPayment = 50
	bc, caseID, ann := e.claimedAccount(a)
	path := "/v1/agent/cases/" + caseID + "/record"
	// testNow is 2026-11-22 in Chicago; the policy's interval is 14 days.
	bad := []struct {
		name string
		body map[string]any
		rule string
	}{
		{"5 against a 50 minimum", map[string]any{"kind": "ptp", "amount": "5", "date": "2026-11-27"}, "amount"},
		{"one cent", map[string]any{"kind": "ptp", "amount": "0.01", "date": "2026-11-27"}, "amount"},
		{"every 92 days", map[string]any{"kind": "plan", "count": 3, "first_date": "2026-11-25", "every_days": 92}, "previous payment"},
		{"every 15 days", map[string]any{"kind": "plan", "count": 3, "first_date": "2026-11-25", "every_days": 15}, "previous payment"},
		{"payments below the minimum payment", map[string]any{"kind": "plan", "count": 6, "first_date": "2026-11-25"}, "installments"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, b := e.call("POST", path, ann, tt.body)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("= %d %s, want 422", code, b)
			}
			ce := decodeConsoleErr(t, b)
			if ce.Error.Code != CodeOffPolicy || !strings.Contains(ce.Error.Message, tt.rule) {
				t.Fatalf("error %s, want %s naming %q", b, CodeOffPolicy, tt.rule)
			}
		})
	}
	if ps, _ := e.st.ListPromises(ctx, a.ID); len(ps) != 0 {
		t.Fatalf("off-policy promises recorded: %+v", ps)
	}
	if ps, _ := e.st.ListPlans(ctx, a.ID); len(ps) != 0 {
		t.Fatalf("off-policy plans recorded: %+v", ps)
	}

	e.mustCall("POST", path, ann, map[string]any{"kind": "ptp", "amount": "50", "date": "2026-11-27"}, http.StatusOK, nil)
	f := untilText(t, bc, "agent", "$50.00")
	if !strings.Contains(f.Text, "https://pay.example.com/acct-minpay") || strings.Contains(f.Text, "{") {
		t.Fatalf("confirmation %q: want the filled-in payment link", f.Text)
	}
	ps, _ := e.st.ListPromises(ctx, a.ID)
	if len(ps) != 1 || ps[0].AmountMinor != 5000 || ps[0].CreatedBy != "ann" {
		t.Fatalf("promises: %+v", ps)
	}
}

// TestConsoleRecordSmallestUnit: a 0.05 balance cannot be split into six
// payments (they would be 0.00); five payments of 0.01 are recorded.
func TestConsoleRecordSmallestUnit(t *testing.T) {
	e := newConsoleEnv(t)
	ctx := context.Background()
	a := maria("acct-nickel")
	a.Debts[0].AmountDue = 0.05
	bc, caseID, ann := e.claimedAccount(a)
	path := "/v1/agent/cases/" + caseID + "/record"
	code, b := e.call("POST", path, ann, map[string]any{"kind": "plan", "count": 6, "first_date": "2026-11-25"})
	if code != http.StatusUnprocessableEntity || decodeConsoleErr(t, b).Error.Code != CodeOffPolicy {
		t.Fatalf("six payments of 0.05: %d %s, want 422 %s", code, b, CodeOffPolicy)
	}
	e.mustCall("POST", path, ann, map[string]any{"kind": "plan", "count": 5, "first_date": "2026-11-25"}, http.StatusOK, nil)
	plans, _ := e.st.ListPlans(ctx, a.ID)
	if len(plans) != 1 || len(plans[0].Installments) != 5 {
		t.Fatalf("plans: %+v", plans)
	}
	for _, in := range plans[0].Installments {
		if in.AmountMinor != 1 {
			t.Fatalf("installments %+v, want five of 0.01", plans[0].Installments)
		}
	}
	f := untilText(t, bc, "agent", "$0.01")
	if strings.Contains(f.Text, "{") {
		t.Fatalf("confirmation %q holds a placeholder", f.Text)
	}
}
