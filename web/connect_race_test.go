package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSimultaneousConnectsGreetOnce: two connections open a new
// conversation at the same moment. The bot greets once: the transcript
// has no "welcome back" line, and both connections show the greeting
// (issue 9.9).
func TestSimultaneousConnectsGreetOnce(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 8 {
		id := fmt.Sprintf("race-%d", i)
		e.addAccounts(maria(id))
		s := e.mint(id)
		var wg sync.WaitGroup
		shown := make([]string, 2)
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, _, err := e.dial(s.Token, nil)
				if err != nil {
					t.Error(err)
					return
				}
				msgs, _ := untilStatus(t, c)
				shown[k] = texts(msgs)
				c.Close()
			}()
		}
		wg.Wait()
		ts, err := e.st.ListTurns(context.Background(), s.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if strings.Contains(strings.ToLower(tr.Text), "welcome back") {
				t.Fatalf("round %d: a spurious line in the transcript: %q", i, tr.Text)
			}
		}
		for k, sh := range shown {
			if !strings.Contains(sh, ts[0].Text) {
				t.Errorf("round %d: connection %d did not show the greeting:\n%s", i, k, sh)
			}
		}
	}
}
