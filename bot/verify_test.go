package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

func open(t *testing.T, rt *bot.Runtime, account string) *bot.Session {
	t.Helper()
	ctx := context.Background()
	c, err := rt.Begin(ctx, account, bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// A portfolio that asks for two identity factors says nothing about the
// debt until both match.
func TestTwoFactorPortfolio(t *testing.T) {
	r := newRig(t)
	strict := policy("us")
	strict.VerifyFactors = 2
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: policy("us"), Policies: map[string]dialog.Policy{"us": strict, "cn": policy("cn")}},
		bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, rt, "a-1")
	out := say(t, s, "07/21/1988")
	if strings.Contains(joined(out), "240") || !strings.Contains(joined(out), "last 4 digits") {
		t.Fatalf("after one factor: %q", joined(out))
	}
	if out := say(t, s, "4417"); !strings.Contains(joined(out), "$240.00") {
		t.Fatalf("after both factors: %q", joined(out))
	}
	// A wrong second factor starts over.
	s2 := open(t, rt, "a-1")
	say(t, s2, "07/21/1988")
	if out := say(t, s2, "9999"); strings.Contains(joined(out), "240") || out.Status.Stage != "verify" {
		t.Fatalf("wrong second factor: %+v %q", out.Status, joined(out))
	}
}

// Failed identity answers add up over the account's sessions: once the
// flow's account limit is reached, no later session checks an answer,
// even the right one.
func TestVerificationFailuresAcrossSessions(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	s1 := open(t, rt, "a-1")
	say(t, s1, "01/01/1970")
	say(t, s1, "02/02/1971")
	if out := say(t, s1, "1234"); out.Status.Mode != "ended" {
		t.Fatalf("three failures: %+v", out.Status)
	}
	s2 := open(t, rt, "a-1")
	say(t, s2, "03/03/1972")
	out := say(t, s2, "0000")
	if out.Status.Mode != "ended" || !strings.Contains(joined(out), "several unsuccessful attempts") {
		t.Fatalf("fifth failure over two sessions: %+v %q", out.Status, joined(out))
	}
	s3 := open(t, rt, "a-1")
	out = say(t, s3, "07/21/1988")
	if strings.Contains(joined(out), "240") || out.Status.Mode != "ended" {
		t.Fatalf("the right answer after the lock: %+v %q", out.Status, joined(out))
	}
	// Another account is not affected.
	if out := say(t, open(t, rt, "a-2"), "1990年3月8日"); !strings.Contains(joined(out), "860.00") {
		t.Fatalf("other account: %q", joined(out))
	}
}

// Failures spread one by one over more sessions than the first read of
// prior conversations covers still add up to the lock.
func TestVerificationFailuresOverManySessions(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	for i := range 4 {
		out := say(t, open(t, rt, "a-1"), fmt.Sprintf("0%d/0%d/197%d", i+1, i+1, i))
		if out.Status.Mode == "ended" {
			t.Fatalf("session %d ended after one failure: %q", i+1, joined(out))
		}
	}
	out := say(t, open(t, rt, "a-1"), "05/05/1975")
	if out.Status.Mode != "ended" || !strings.Contains(joined(out), "several unsuccessful attempts") {
		t.Fatalf("fifth failure over five sessions: %+v %q", out.Status, joined(out))
	}
}

// lockAccount fails identity five times over two sessions of a-1.
func lockAccount(t *testing.T, rt *bot.Runtime) bot.Output {
	t.Helper()
	s1 := open(t, rt, "a-1")
	say(t, s1, "01/01/1970")
	say(t, s1, "02/02/1971")
	say(t, s1, "1234")
	s2 := open(t, rt, "a-1")
	say(t, s2, "03/03/1972")
	return say(t, s2, "0000")
}

// A supervisor's unlock, with a reason, lets the account verify again;
// it is sealed onto the account's audit chain, and the borrower told of
// the lock learns how to reach a person.
func TestVerificationUnlock(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy:  policy("us"),
		Policies:       map[string]dialog.Policy{"us": policy("us"), "cn": policy("cn")},
		SupportContact: map[string]string{"en-US": "call 1-800-555-0142, Monday to Friday 8am to 8pm Central."},
	}, bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.UnlockVerification(ctx, "a-1", "agent:sue", "checked by phone"); !errors.Is(err, bot.ErrDone) {
		t.Fatalf("unlock with nothing to forgive: %v, want ErrDone", err)
	}
	out := lockAccount(t, rt)
	if !strings.Contains(joined(out), "1-800-555-0142") || out.Status.Mode != "ended" {
		t.Fatalf("the lock does not say how to reach a person: %+v %q", out.Status, joined(out))
	}
	for _, c := range mustConvs(t, r, "a-1") {
		evs, _ := r.st.ListAudit(ctx, c.ID)
		for _, e := range evs {
			if e.Kind == "guard.blocked" || e.Kind == "guard.replaced" {
				t.Errorf("guard stopped the lock message: %s", e.Data)
			}
		}
	}
	st, err := rt.VerificationStatus(ctx, "a-1")
	if err != nil || !st.Locked || st.Failures != 5 || st.Limit != 5 {
		t.Fatalf("status %+v, %v; want locked after 5", st, err)
	}
	if _, err := rt.UnlockVerification(ctx, "a-1", "agent:sue", "  "); !errors.Is(err, bot.ErrInvalid) {
		t.Fatalf("unlock without a reason: %v, want ErrInvalid", err)
	}
	if _, err := rt.UnlockVerification(ctx, "nobody", "agent:sue", "x"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("unlock of an unknown account: %v, want ErrNotFound", err)
	}
	r.advance(time.Minute)
	if _, err := rt.UnlockVerification(ctx, "a-1", "agent:sue", "identity checked on a recorded call"); err != nil {
		t.Fatal(err)
	}
	st, _ = rt.VerificationStatus(ctx, "a-1")
	if st.Locked || st.Failures != 0 || st.UnlockedBy != "agent:sue" || st.UnlockReason != "identity checked on a recorded call" {
		t.Fatalf("after unlock: %+v", st)
	}
	evs, err := r.st.ListAudit(ctx, bot.AccountChain("a-1"))
	if err != nil || len(evs) != 1 || evs[0].Kind != bot.AuditVerificationUnlocked {
		t.Fatalf("account chain %+v, %v", evs, err)
	}
	if err := compliance.VerifyChain(auditRecords(evs)); err != nil {
		t.Fatalf("account chain: %v", err)
	}
	if out := say(t, open(t, rt, "a-1"), "07/21/1988"); !strings.Contains(joined(out), "$240.00") {
		t.Fatalf("the right answer after the unlock: %+v %q", out.Status, joined(out))
	}
	// A new run of failures locks it again.
	r.advance(time.Minute)
	lockAccount(t, rt)
	if st, _ := rt.VerificationStatus(ctx, "a-1"); !st.Locked {
		t.Fatalf("failures after the unlock do not lock: %+v", st)
	}
}

func auditRecords(evs []store.AuditEvent) []compliance.AuditRecord {
	out := make([]compliance.AuditRecord, len(evs))
	for i, e := range evs {
		out[i] = compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
	}
	return out
}

func mustConvs(t *testing.T, r *rig, account string) []store.Conversation {
	t.Helper()
	cs, err := r.st.ListConversations(context.Background(), store.ConversationFilter{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (r *rig) advance(d time.Duration) {
	r.clock.Advance(d)
}
