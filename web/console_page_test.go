package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
)

// eventLog collects lifecycle events seen by the test's own NATS
// connection.
type eventLog struct {
	mu    sync.Mutex
	kinds []string
	conv  map[string][]string // conversation id -> handoff event kinds
}

func watchEvents(t *testing.T, nc *nats.Conn, prefix string) *eventLog {
	t.Helper()
	l := &eventLog{conv: map[string][]string{}}
	sub, err := nc.Subscribe(prefix+".events.>", func(m *nats.Msg) {
		ev, err := handoff.ParseEvent(m.Data)
		if err != nil {
			return
		}
		var ce struct {
			ConversationID string `json:"conversation_id"`
		}
		_ = json.Unmarshal(ev.Data, &ce)
		l.mu.Lock()
		l.kinds = append(l.kinds, ev.Kind)
		if ce.ConversationID != "" {
			l.conv[ce.ConversationID] = append(l.conv[ce.ConversationID], ev.Kind)
		}
		l.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("subscribe to events: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return l
}

// waitFor waits until a conversation saw the handoff events in order.
func (l *eventLog) waitFor(t *testing.T, convID string, kinds ...string) {
	t.Helper()
	handofftest.WaitFor(t, 15*time.Second, func() error {
		l.mu.Lock()
		got := append([]string(nil), l.conv[convID]...)
		l.mu.Unlock()
		i := 0
		for _, k := range got {
			if i < len(kinds) && k == kinds[i] {
				i++
			}
		}
		if i < len(kinds) {
			return fmt.Errorf("events of %s: %v, want in order %v", convID, got, kinds)
		}
		return nil
	})
}

// transcriptHas polls the console's transcript for a line.
func transcriptHas(class, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`[...document.querySelectorAll("#transcript li.%s")].some((li) => li.textContent.includes(%q))`, class, text),
		chromedp.WithPollingTimeout(15*time.Second))
}

// clearText empties the composer (a textarea, which SetValue does not
// handle).
func clearText() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(document.getElementById("text").value = "", true)`)(ctx, t)
		return err
	})
}

// TestConsolePage drives the agent console in headless Chromium against a
// real borrower WebSocket client: the borrower asks for a person, the
// agent signs in and claims the case in the browser, they talk both ways
// (the guard warns as the agent types and stops a threat), the agent
// records a promise and hands back, and the bot closes; on a second case the agent hands back and
// the bot closes the conversation. The test's own NATS connection sees
// the lifecycle events.
func TestConsolePage(t *testing.T) {
	bctx := newBrowser(t)
	e := newConsoleEnv(t)
	events := watchEvents(t, e.nc, e.node.Config().Prefix)
	ctx, cancel := context.WithTimeout(bctx, 120*time.Second)
	defer cancel()

	bc, convID, caseID := e.escalate("acct-page-1")
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
	facts, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#acct-facts")))
	if !strings.Contains(facts, "M. L.") || strings.Contains(facts, "Maria") || !strings.Contains(facts, "240.00") {
		t.Errorf("account facts on the page: %q", facts)
	}
	untilMode(t, bc, "agent", func() {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#claim")), chromedp.WaitVisible(chromedp.CSS("#text"))); err != nil {
			t.Fatalf("claim: %v", err)
		}
	})
	events.waitFor(t, convID, handoff.EventQueued, handoff.EventAccepted)

	// The guard warns while typing, and stops the threat on send.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#text"), "Pay today or we will sue you"),
		chromedp.WaitVisible(chromedp.CSS("#warnings")),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS("#action-error")),
	); err != nil {
		t.Fatalf("guard warning: %v", err)
	}
	if msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#action-error"))); !strings.Contains(msg, "banned_phrase") {
		t.Errorf("blocked message shows %q", msg)
	}

	// Agent to borrower, borrower to agent.
	if err := chromedp.Do(ctx,
		clearText(),
		chromedp.SendKeys(chromedp.CSS("#text"), "Hello Maria, this is Ann. How can I help?"),
		chromedp.Click(chromedp.CSS("#send")),
		transcriptHas("agent", "this is Ann"),
	); err != nil {
		t.Fatalf("send: %v", err)
	}
	untilText(t, bc, "agent", "this is Ann")
	send(t, bc, ClientFrame{Type: FrameMessage, Text: "I get paid on Friday, can I pay then?"})
	if err := chromedp.Do(ctx, transcriptHas("borrower", "I get paid on Friday")); err != nil {
		t.Fatalf("borrower's line on the console: %v", err)
	}

	// An off-policy promise shows the reason; an in-policy one is recorded
	// and confirmed to the borrower.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#amount"), "240.00"),
		chromedp.SetValue(chromedp.CSS("#date"), "2027-03-01"),
		chromedp.Click(chromedp.CSS("#record-btn")),
		chromedp.WaitVisible(chromedp.CSS("#action-error")),
	); err != nil {
		t.Fatalf("off-policy promise: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#date"), "2026-11-27"),
		chromedp.Click(chromedp.CSS("#record-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#record[data-recorded="true"]`)),
	); err != nil {
		t.Fatalf("promise: %v", err)
	}
	untilText(t, bc, "agent", "240.00")
	if ps, _ := e.st.ListPromises(context.Background(), "acct-page-1"); len(ps) != 1 || ps[0].CreatedBy != "ann" || ps[0].DueDate != "2026-11-27" {
		t.Errorf("promises: %+v", ps)
	}
	// With the promise recorded, the agent hands back and the bot closes.
	untilMode(t, bc, "ended", func() {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#handback")), chromedp.WaitVisible(chromedp.CSS(`#case-mode[data-mode="ended"]`))); err != nil {
			t.Fatalf("hand back after the promise: %v", err)
		}
	})
	if ts, _ := e.st.ListTurns(context.Background(), convID); len(ts) == 0 || ts[len(ts)-1].From != "bot" {
		t.Errorf("the bot did not close after the hand-back: %+v", ts[len(ts)-1])
	}
	events.waitFor(t, convID, handoff.EventQueued, handoff.EventAccepted, handoff.EventHandedBack)

	// Second case: the agent hands back and the bot closes.
	bc2, conv2, case2 := e.escalate("acct-page-2")
	item2 := chromedp.CSS(`#queue li[data-case="` + case2 + `"]`)
	untilMode(t, bc2, "agent", func() {
		if err := chromedp.Do(ctx, chromedp.WaitVisible(item2), chromedp.Click(item2), chromedp.WaitVisible(chromedp.CSS("#claim")),
			chromedp.Click(chromedp.CSS("#claim")), chromedp.WaitVisible(chromedp.CSS("#text"))); err != nil {
			t.Fatalf("claim the second case: %v", err)
		}
	})
	send(t, bc2, ClientFrame{Type: FrameMessage, Text: "Sorry, I was confused about the amount"})
	if err := chromedp.Do(ctx,
		transcriptHas("borrower", "confused about the amount"),
		chromedp.SendKeys(chromedp.CSS("#text"), "No problem. The assistant will help you set a date."),
		chromedp.Click(chromedp.CSS("#send")),
		transcriptHas("agent", "assistant will help"),
	); err != nil {
		t.Fatalf("second chat: %v", err)
	}
	untilText(t, bc2, "agent", "assistant will help")
	untilMode(t, bc2, "bot", func() {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#handback")), chromedp.WaitVisible(chromedp.CSS(`#case-mode[data-mode="bot"]`))); err != nil {
			t.Fatalf("hand back: %v", err)
		}
	})
	events.waitFor(t, conv2, handoff.EventQueued, handoff.EventAccepted, handoff.EventHandedBack)
	// The bot picks up where it should (verified, at the resolution) and
	// closes on the borrower's promise.
	say(t, bc2, "I can pay the full amount on Friday")
	_, st := say(t, bc2, "yes")
	for st.Mode != "ended" {
		f := readFrame(t, bc2)
		if f.Type == FrameStatus {
			st = f
		}
	}
	if st.Outcome != "ptp" {
		t.Errorf("bot closed with %+v", st)
	}

	// A supervisor, in another tab, sees the live conversations and the
	// queue, and opens a waiting one read-only.
	_, conv3, case3 := e.escalate("acct-page-3")
	// Another case nobody claimed in time: a callback task on the list.
	bc4, conv4, _ := e.escalate("acct-page-4")
	e.expire(conv4)
	cbs, err := e.st.ListEscalations(context.Background(), store.EscalationFilter{ConversationID: conv4})
	if err != nil || len(cbs) != 1 {
		t.Fatalf("escalations of %s: %+v %v", conv4, cbs, err)
	}
	cbItem := `#callbacks li[data-callback="` + cbs[0].ID + `"]`
	sctx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	sctx, cancelS := context.WithTimeout(sctx, 60*time.Second)
	defer cancelS()
	conv := chromedp.CSS(`#convs li[data-conversation="` + conv3 + `"]`)
	if err := chromedp.Do(sctx,
		chromedp.Navigate(e.ts.URL+"/agent?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "sue"),
		chromedp.SendKeys(chromedp.CSS("#password"), "sue-secret-333"),
		chromedp.Click(chromedp.CSS("#signin-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#board li[data-case="`+case3+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#queue li[data-case="`+case3+`"]`)),
		chromedp.WaitVisible(conv),
		chromedp.Click(conv),
		chromedp.WaitVisible(chromedp.CSS("#case-ro")),
		transcriptHas("borrower", "talk to a person"),
	); err != nil {
		t.Fatalf("supervisor view: %v", err)
	}
	if work, _ := chromedp.Run(sctx, chromedp.Evaluate[bool](`document.getElementById("work").hidden`)); !work {
		t.Error("the supervisor's read-only view shows the composer")
	}
	if h, _ := chromedp.Run(sctx, chromedp.Text(chromedp.CSS("h1"))); h != "坐席工作台" {
		t.Errorf("zh heading %q", h)
	}

	// The callback task, in Chinese, done from the list.
	if err := chromedp.Do(sctx,
		chromedp.WaitVisible(chromedp.CSS(cbItem)),
	); err != nil {
		t.Fatalf("callback task: %v", err)
	}
	if txt, _ := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(cbItem))); !strings.Contains(txt, "回电") || !strings.Contains(txt, "M. L.") || strings.Contains(txt, "Maria") {
		t.Errorf("callback task reads %q", txt)
	}
	if err := chromedp.Do(sctx,
		chromedp.Click(chromedp.CSS(cbItem+" .cb-done")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q) === null`, cbItem), chromedp.WithPollingTimeout(15*time.Second)),
	); err != nil {
		t.Fatalf("callback done: %v", err)
	}
	if es, err := e.st.ListEscalations(context.Background(), store.EscalationFilter{ConversationID: conv4}); err != nil || es[0].Status != "completed" || es[0].AgentID != "sue" {
		t.Errorf("callback task after done: %+v %v", es, err)
	}
	closeQuietly(bc4)
	closeQuietly(bc)
	closeQuietly(bc2)
}

func closeQuietly(c *websocket.Conn) {
	_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	_ = c.Close()
}
