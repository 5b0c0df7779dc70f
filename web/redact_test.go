package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestVerificationAnswersWithheld: the borrower's date of birth and ID
// digits reach neither an agent looking at a waiting case, nor a
// supervisor, nor the API, nor the handoff summary, nor the agent's live
// view; the store keeps them for the audit (issue 9.6).
func TestVerificationAnswersWithheld(t *testing.T) {
	e := newConsoleEnv(t)
	a := maria("acct-redact")
	a.Name = "Maria Lopez"
	e.addAccounts(a)
	s := e.mint(a.ID)
	c := e.mustDial(s.Token)
	untilStatus(t, c)
	say(t, c, "I was born 07/21/1988 and my ID ends in 4417")
	untilMode(t, c, "waiting_agent", func() {
		send(t, c, ClientFrame{Type: FrameMessage, Text: "my birthday is 21.07.1988, I want to talk to a person"})
	})
	var caseID string
	waitFor(t, 10*time.Second, func() bool {
		for _, k := range e.q.Waiting() {
			if k.Packet.ConversationID == s.ConversationID {
				caseID = k.ID
				return true
			}
		}
		return false
	})
	secrets := []string{"1988", "4417", "07/21", "21.07"}
	check := func(what string, b []byte) {
		t.Helper()
		for _, sec := range secrets {
			if strings.Contains(string(b), sec) {
				t.Errorf("%s shows %q: %s", what, sec, b)
			}
		}
	}
	ann, sue := e.signIn("ann"), e.signIn("sue")
	_, b := e.call("GET", "/v1/agent/cases/"+caseID, ann, nil)
	check("an agent's view of a waiting case", b)
	if !strings.Contains(string(b), "withheld") {
		t.Errorf("the verification answer is not marked as withheld: %s", b)
	}
	_, b = e.call("GET", "/v1/agent/queue", ann, nil)
	check("the queue", b)
	_, b = e.call("GET", "/v1/agent/conversations/"+s.ConversationID, sue, nil)
	check("a supervisor's view", b)
	_, b = e.do("GET", "/v1/conversations/"+s.ConversationID, nil, testKey)
	check("the API's transcript", b)

	// Claimed, the agent's live view withholds what the borrower types.
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)
	cw, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann+"&case="+caseID), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	send(t, c, ClientFrame{Type: FrameMessage, Text: "again: 1988-07-21, last four 4417"})
	for {
		f := readConsole(t, cw)
		if f.Type == "message" && f.Message != nil && f.Message.From == "borrower" {
			check("the live view", []byte(f.Message.Text))
			break
		}
	}

	// The store keeps the words for the audit.
	ts, err := e.st.ListTurns(t.Context(), s.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, tr := range ts {
		kept = kept || strings.Contains(tr.Text, "07/21/1988")
	}
	if !kept {
		t.Error("the store lost the borrower's words")
	}
}
