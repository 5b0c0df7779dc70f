package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

// A borrower promises in the chat, then asks to be forgotten. The lender
// holds the account (the erasure waits: 409 legal_hold), releases it, and
// erases it over the API: the account, the transcript and the audit
// events hold nothing personal any more, the promise and the statement
// stay, and every audit chain still verifies.
func TestHoldsAndErasureAPI(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"), maria("a-2"))
	s := e.mint("a-1")
	c := e.mustDial(s.Token)
	untilStatus(t, c)
	say(t, c, "07/21/1988")
	say(t, c, "I can pay the full amount on Friday")
	if _, st := say(t, c, "yes"); st.Outcome != "ptp" {
		t.Fatalf("no promise: %+v", st)
	}
	c.Close()

	var holds struct {
		Holds []HoldOut `json:"holds"`
	}
	e.mustDo("GET", "/v1/accounts/a-1/holds", nil, http.StatusOK, &holds)
	if len(holds.Holds) != 0 {
		t.Fatalf("holds before any: %+v", holds)
	}
	var placed struct {
		Hold HoldOut `json:"hold"`
	}
	e.mustDo("POST", "/v1/accounts/a-1/holds", ReasonRequest{Reason: "complaint CFPB-26-0113 under review"}, http.StatusCreated, &placed)
	if !placed.Hold.Active || !strings.HasPrefix(placed.Hold.PlacedBy, "api:") || placed.Hold.ID == "" {
		t.Fatalf("placed %+v", placed.Hold)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
		code         string
	}{
		{"POST", "/v1/accounts/a-1/holds", ReasonRequest{Reason: " "}, http.StatusUnprocessableEntity, CodeInvalid},
		{"POST", "/v1/accounts/nobody/holds", ReasonRequest{Reason: "x"}, http.StatusNotFound, CodeNotFound},
		{"GET", "/v1/accounts/nobody/holds", nil, http.StatusNotFound, CodeNotFound},
		{"POST", "/v1/accounts/a-1/erasure", ReasonRequest{}, http.StatusConflict, CodeLegalHold},
		{"POST", "/v1/accounts/a-2/holds/" + placed.Hold.ID + "/release", ReasonRequest{Reason: "x"}, http.StatusNotFound, CodeNotFound},
		{"POST", "/v1/accounts/a-1/holds/" + placed.Hold.ID + "/release", ReasonRequest{}, http.StatusUnprocessableEntity, CodeInvalid},
		{"POST", "/v1/accounts/nobody/erasure", ReasonRequest{}, http.StatusNotFound, CodeNotFound},
		{"POST", "/v1/accounts/a-1/erasure", "{", http.StatusBadRequest, CodeBadJSON},
	} {
		code, b := e.do(tc.method, tc.path, tc.body, testKey)
		if code != tc.want || decodeError(t, b).Error.Code != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, code, b, tc.want, tc.code)
		}
	}
	if code, _ := e.do("POST", "/v1/accounts/a-1/erasure", ReasonRequest{}, ""); code != http.StatusUnauthorized {
		t.Errorf("erasure without the API key: %d", code)
	}
	var released struct {
		Hold HoldOut `json:"hold"`
	}
	e.mustDo("POST", "/v1/accounts/a-1/holds/"+placed.Hold.ID+"/release", ReasonRequest{Reason: "complaint closed"}, http.StatusOK, &released)
	if released.Hold.Active || released.Hold.ReleaseReason != "complaint closed" || released.Hold.ReleasedAt == nil {
		t.Fatalf("released %+v", released.Hold)
	}
	if code, b := e.do("POST", "/v1/accounts/a-1/holds/"+placed.Hold.ID+"/release", ReasonRequest{Reason: "again"}, testKey); code != http.StatusConflict {
		t.Errorf("release twice: %d %s", code, b)
	}

	var er struct {
		Erasure struct {
			Erased struct {
				Conversations, Turns, AuditEvents int
			} `json:"erased"`
			Kept []string `json:"kept"`
		} `json:"erasure"`
	}
	e.mustDo("POST", "/v1/accounts/a-1/erasure", ReasonRequest{Reason: "borrower's request by email"}, http.StatusOK, &er)
	if er.Erasure.Erased.Conversations != 1 || er.Erasure.Erased.Turns == 0 || len(er.Erasure.Kept) == 0 {
		t.Fatalf("erasure %+v", er.Erasure)
	}
	var acct struct {
		Name, Phone, Email string
		DateOfBirth        string              `json:"date_of_birth"`
		DoNotContact       struct{ Chat bool } `json:"do_not_contact"`
	}
	e.mustDo("GET", "/v1/accounts/a-1", nil, http.StatusOK, &acct)
	if acct.Name != "" || acct.DateOfBirth != "" || acct.Phone != "" || acct.Email != "" || !acct.DoNotContact.Chat {
		t.Fatalf("account after erasure: %+v", acct)
	}
	var promises struct {
		Promises []struct{ ID string } `json:"promises"`
	}
	e.mustDo("GET", "/v1/accounts/a-1/promises", nil, http.StatusOK, &promises)
	if len(promises.Promises) != 1 {
		t.Fatalf("the promise went with the erasure: %+v", promises)
	}
	ctx := context.Background()
	turns, err := e.st.ListTurns(ctx, s.ConversationID)
	if err != nil || len(turns) == 0 {
		t.Fatal(turns, err)
	}
	for _, tu := range turns {
		if tu.Text != "" {
			t.Fatalf("turn %d keeps %q", tu.Seq, tu.Text)
		}
	}
	all, err := e.st.ListAudit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string][]compliance.AuditRecord{}
	for _, ev := range all {
		if ev.Chain == s.ConversationID && strings.Contains(string(ev.Data), "Maria") {
			t.Errorf("audit event %d keeps the name: %s", ev.Seq, ev.Data)
		}
		chains[ev.Chain] = append(chains[ev.Chain], compliance.AuditRecord{Chain: ev.Chain, Seq: ev.Seq, Kind: ev.Kind, Data: ev.Data, At: ev.At, PrevHash: ev.PrevHash, Hash: ev.Hash})
	}
	for c, recs := range chains {
		if err := compliance.VerifyChain(recs); err != nil {
			t.Errorf("chain %s after erasure: %v", c, err)
		}
	}
	kinds := []string{}
	for _, r := range chains["account:a-1"] {
		kinds = append(kinds, r.Kind)
	}
	if strings.Join(kinds, ",") != "hold.placed,hold.released,erasure" {
		t.Errorf("account chain: %v", kinds)
	}
	// An erased borrower cannot start a chat any more.
	if code, _ := e.do("POST", "/v1/sessions", map[string]string{"account_id": "a-1", "channel": "chat"}, testKey); code == http.StatusCreated || code == http.StatusOK {
		t.Errorf("a session for an erased account: %d", code)
	}
}
