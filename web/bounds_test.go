package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
)

// TestConversationsPerAccountBounded: an account begins at most
// MaxConversationsPerDay conversations in 24 hours; the next is a clear
// 429 with Retry-After (issue 9.14).
func TestConversationsPerAccountBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConversationsPerDay = 3 })
	e.addAccounts(maria("bound-1"))
	for range 3 {
		e.mint("bound-1")
	}
	code, b := e.do("POST", "/v1/sessions", SessionRequest{AccountID: "bound-1", Channel: "chat"}, testKey)
	if code != http.StatusTooManyRequests || decodeError(t, b).Error.Code != CodeLimit {
		t.Fatalf("fourth conversation: %d %s, want 429 %s", code, b, CodeLimit)
	}
	e.clock.Advance(25 * time.Hour)
	e.mint("bound-1")
}

// TestTurnsPerConversationBounded: a conversation at store.MaxTurns turns
// takes no more; the borrower gets a clear error frame, the same on every
// store (issue 9.14).
func TestTurnsPerConversationBounded(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("bound-2"))
	s := e.mint("bound-2")
	c := e.mustDial(s.Token)
	untilStatus(t, c)
	ctx := context.Background()
	conv, err := e.st.GetConversation(ctx, s.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	conv.Version++
	if err := e.st.CommitTurn(ctx, store.TurnCommit{Conversation: conv, Turns: []store.Turn{{Seq: store.MaxTurns, From: "bot", Text: "…"}}}); err != nil {
		t.Fatal(err)
	}
	send(t, c, ClientFrame{Type: FrameMessage, Text: "07/21/1988"})
	for {
		f := readFrame(t, c)
		if f.Type == FrameError {
			if f.Code != CodeLimit {
				t.Fatalf("error frame %+v, want %s", f, CodeLimit)
			}
			return
		}
		if f.Type == FrameStatus {
			t.Fatalf("the turn past the bound was taken: %+v", f)
		}
	}
}
