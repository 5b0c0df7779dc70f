package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/collectagent/collectagent/handoff/handofftest"
)

// The borrower's reason for lateness is stored in its own column and
// shown in the console's case view, through the API and on the page.
func TestConsoleLateReason(t *testing.T) {
	e := newConsoleEnv(t)
	e.addAccounts(maria("m-late"))
	s := e.mint("m-late")
	c := e.mustDial(s.Token)
	untilStatus(t, c)
	say(t, c, "07/21/1988")
	untilMode(t, c, "waiting_agent", func() {
		send(t, c, ClientFrame{Type: FrameMessage, Text: "I lost my job two weeks ago and I can't pay anything right now"})
	})
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
	cv, err := e.st.GetConversation(context.Background(), s.ConversationID)
	if err != nil || cv.LateReason != "job_loss" {
		t.Fatalf("stored late reason %q, %v; want job_loss", cv.LateReason, err)
	}
	ann := e.signIn("ann")
	var d struct {
		Conversation convView `json:"conversation"`
	}
	e.mustCall("GET", "/v1/agent/cases/"+caseID, ann, nil, http.StatusOK, &d)
	if d.Conversation.LateReason != "job_loss" {
		t.Fatalf("case view late reason %q, want job_loss", d.Conversation.LateReason)
	}

	bctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	item := chromedp.CSS(`#queue li[data-case="` + caseID + `"]`)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/agent"),
		chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "ann"),
		chromedp.SendKeys(chromedp.CSS("#password"), "ann-secret-1"),
		chromedp.Click(chromedp.CSS("#signin-btn")),
		chromedp.WaitVisible(item),
		chromedp.Click(item),
		chromedp.WaitVisible(chromedp.CSS("#claim")),
	); err != nil {
		t.Fatalf("sign in and open the case: %v", err)
	}
	facts, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#case-facts")))
	if err != nil || !strings.Contains(facts, "Why late") || !strings.Contains(facts, "Lost their job") {
		t.Fatalf("case facts on the page: %q, %v", facts, err)
	}
}
