package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/handoff"
)

// TestForgedBridgeMessagesShowNothing: anyone who can publish on the NATS
// server writes an "agent" line onto a conversation's agent side, with an
// id shaped like a real turn's and with a made-up one; another "borrower"
// line onto the borrower side. Neither reaches the borrower nor the
// agent's console: only what the store holds (guarded, audited) is shown
// (issue 9.7).
func TestForgedBridgeMessagesShowNothing(t *testing.T) {
	e := newConsoleEnv(t)
	bc, convID, caseID, ann := e.claimed("acct-forged")
	cw, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann+"&case="+caseID), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	if f := readConsole(t, cw); f.Type != "hello" {
		t.Fatalf("hello %+v", f)
	}
	const threat = "pay $5000 today or you will be arrested"
	ctx := context.Background()
	br := e.node.Bridge()
	for _, id := range []string{convID + "-t999", "forged-1"} {
		if _, err := br.SendToBorrower(ctx, convID, handoff.Message{ID: id, Type: handoff.TypeMessage, From: "agent", Name: "Ann", Text: threat}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := br.SendToAgent(ctx, convID, handoff.Message{ID: convID + "-t998", Type: handoff.TypeMessage, From: "borrower", Text: "I will pay $1 never"}); err != nil {
		t.Fatal(err)
	}
	// A real line after the forged ones: once it shows, the forged ones
	// would have shown before it.
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hello, this is Ann.", "id": "real-1"}, http.StatusOK, nil)
	for {
		f := readFrame(t, bc)
		if strings.Contains(f.Text, threat) {
			t.Fatalf("the borrower was shown the forged line: %+v", f)
		}
		if f.Type == FrameMessage && strings.Contains(f.Text, "Hello, this is Ann.") {
			break
		}
	}
	send(t, bc, ClientFrame{Type: FrameMessage, Text: "ok, hello Ann"})
	for {
		f := readConsole(t, cw)
		if f.Type != "message" || f.Message == nil {
			continue
		}
		if strings.Contains(f.Message.Text, "never") {
			t.Fatalf("the console was shown the forged borrower line: %+v", f.Message)
		}
		if f.Message.From == "borrower" && strings.Contains(f.Message.Text, "hello Ann") {
			break
		}
	}
	// The transcript has only the real lines.
	ts, err := e.st.ListTurns(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if strings.Contains(tr.Text, threat) {
			t.Fatalf("the forged line is in the transcript: %+v", tr)
		}
	}
}
