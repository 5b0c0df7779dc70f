package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
)

// A borrower locked out of chat verification by five failed answers over
// two chats is told how to reach a person; an agent may not unlock the
// account, a supervisor may with a reason, which the account's audit
// chain keeps; the borrower then verifies in a new chat.
func TestConsoleVerificationUnlock(t *testing.T) {
	e := newConsoleEnv(t)
	e.addAccounts(maria("m-lock"))
	chat := func(lines ...string) ([]frame, frame) {
		c := e.mustDial(e.mint("m-lock").Token)
		untilStatus(t, c) // the greeting
		var msgs []frame
		var st frame
		for _, l := range lines {
			msgs, st = say(t, c, l)
		}
		return msgs, st
	}
	chat("01/01/1970", "02/02/1971", "1234")
	e.clock.Advance(time.Minute)
	msgs, st := chat("03/03/1972", "0000")
	if st.Mode != "ended" || !strings.Contains(texts(msgs), "contact our team by phone") {
		t.Fatalf("fifth failure: %+v\n%s", st, texts(msgs))
	}
	e.clock.Advance(time.Minute)
	if msgs, st := chat("07/21/1988"); st.Mode != "ended" || strings.Contains(texts(msgs), "240") {
		t.Fatalf("the right answer while locked: %+v\n%s", st, texts(msgs))
	}

	sue, ann := e.signIn("sue"), e.signIn("ann")
	var view struct{ Verification bot.VerificationStatus }
	e.mustCall("GET", "/v1/agent/accounts/m-lock/verification", sue, nil, http.StatusOK, &view)
	if !view.Verification.Locked || view.Verification.Failures != 5 {
		t.Fatalf("status %+v, want locked after 5", view.Verification)
	}
	path := "/v1/agent/accounts/m-lock/verification/unlock"
	if code, b := e.call("POST", path, ann, map[string]string{"reason": "she called"}); code != http.StatusForbidden {
		t.Fatalf("an agent unlocks: %d %s, want 403", code, b)
	}
	if code, b := e.call("GET", "/v1/agent/accounts/m-lock/verification", ann, nil); code != http.StatusForbidden {
		t.Fatalf("an agent reads: %d %s, want 403", code, b)
	}
	if code, b := e.call("POST", path, "", map[string]string{"reason": "x"}); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s, want 401", code, b)
	}
	if code, b := e.call("POST", path, sue, map[string]string{"reason": " "}); code != http.StatusUnprocessableEntity {
		t.Fatalf("no reason: %d %s, want 422", code, b)
	}
	if code, b := e.call("POST", "/v1/agent/accounts/nobody/verification/unlock", sue, map[string]string{"reason": "x"}); code != http.StatusNotFound {
		t.Fatalf("unknown account: %d %s, want 404", code, b)
	}
	e.clock.Advance(time.Minute)
	e.mustCall("POST", path, sue, map[string]string{"reason": "identity confirmed on a recorded call"}, http.StatusOK, &view)
	if view.Verification.Locked || view.Verification.UnlockedBy != "agent:sue" {
		t.Fatalf("after unlock: %+v", view.Verification)
	}
	if code, b := e.call("POST", path, sue, map[string]string{"reason": "again"}); code != http.StatusConflict {
		t.Fatalf("unlock of an unlocked account: %d %s, want 409", code, b)
	}
	evs, err := e.st.ListAudit(context.Background(), bot.AccountChain("m-lock"))
	if err != nil || len(evs) != 1 || evs[0].Kind != bot.AuditVerificationUnlocked ||
		!strings.Contains(string(evs[0].Data), "identity confirmed on a recorded call") || !strings.Contains(string(evs[0].Data), "agent:sue") {
		t.Fatalf("account chain: %+v, %v", evs, err)
	}
	e.clock.Advance(time.Minute)
	if msgs, _ := chat("07/21/1988"); !strings.Contains(texts(msgs), "$240.00") {
		t.Fatalf("the right answer after the unlock:\n%s", texts(msgs))
	}
}
