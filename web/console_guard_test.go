package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff/handofftest"
)

// An agent's message that breaks a rule in disguise (homoglyphs,
// leetspeak, mathematical letters, paraphrase, traditional characters,
// pinyin, financial numerals, a figure of the wrong kind) is refused by
// the console API and never reaches the borrower or the transcript.
func TestConsoleGuardReadsMeaning(t *testing.T) {
	e := newConsoleEnv(t)
	bc, convID, caseID, ann := e.claimed("acct-meaning")
	ctx := context.Background()
	before, err := e.st.ListTurns(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		"You will be аrrеstеd if this stays unpaid.", // Cyrillic а and е
		"y0u w1ll b3 arr3st3d",
		"𝐘𝐨𝐮 𝐰𝐢𝐥𝐥 𝐠𝐨 𝐭𝐨 𝐣𝐚𝐢𝐥",
		"The cops will pick you up tomorrow.",
		"We will inform your employer about this.",
		"我们会通知你們單位",
		"bu huan jiu zuo lao",
		"去借点网贷还上",
		"Your balance is 9$.", // 9 is the days past due, not an amount
		"您只需还款伍仟元即可结清",        // 5000 in financial numerals
	}
	for i, text := range hostile {
		code, b := e.call("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": text, "id": fmt.Sprintf("h-%d", i)})
		if code != http.StatusUnprocessableEntity {
			t.Errorf("%q: %d %s, want 422", text, code, b)
			continue
		}
		if ce := decodeConsoleErr(t, b); ce.Error.Code != CodeBlocked || len(ce.Error.Violations) == 0 {
			t.Errorf("%q: body %s", text, b)
		}
	}
	after, _ := e.st.ListTurns(ctx, convID)
	if len(after) != len(before) {
		t.Fatalf("blocked messages were recorded: %d turns, was %d", len(after), len(before))
	}
	// A kind line with the account's own figures goes through, and it is
	// the first agent line the borrower sees.
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hi Maria, your balance is $240.00 and we won't contact your employer.", "id": "ok-1"}, http.StatusOK, nil)
	for {
		f := readFrame(t, bc)
		if f.Type != FrameMessage || f.From != "agent" {
			continue
		}
		if !strings.Contains(f.Text, "Hi Maria") || !strings.Contains(f.Text, "$240.00") {
			t.Fatalf("the borrower saw %q before the allowed line", f.Text)
		}
		break
	}
}

// Before verification an agent may not name the creditor or an amount.
func TestConsoleGuardBeforeVerification(t *testing.T) {
	e := newConsoleEnv(t)
	a := maria("acct-unverified")
	e.addAccounts(a)
	s := e.mint(a.ID)
	bc := e.mustDial(s.Token)
	untilStatus(t, bc)
	untilMode(t, bc, "waiting_agent", func() { send(t, bc, ClientFrame{Type: FrameMessage, Text: "I want to talk to a person"}) })
	var caseID string
	handofftest.WaitFor(t, 10*time.Second, func() error {
		for _, k := range e.q.Waiting() {
			if k.Packet.ConversationID == s.ConversationID {
				caseID = k.ID
				return nil
			}
		}
		return fmt.Errorf("case of %s not waiting", s.ConversationID)
	})
	ann := e.signIn("ann")
	untilMode(t, bc, "agent", func() {
		e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)
	})
	for i, text := range []string{"Please pay Demo Finance soon.", "Please pay D3mo Fіnance soon.", "You need to pay $240.00."} {
		code, b := e.call("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": text, "id": fmt.Sprintf("u-%d", i)})
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "pre_verification") {
			t.Errorf("%q before verification: %d %s, want 422 pre_verification", text, code, b)
		}
	}
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hi, I'm Ann. Could you confirm your date of birth first?", "id": "u-ok"}, http.StatusOK, nil)
	untilText(t, bc, "agent", "I'm Ann")
}
