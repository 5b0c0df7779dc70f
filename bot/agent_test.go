package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

var ana = bot.Agent{ID: "agent-7", Name: "Ana"}

// escalated returns a conversation of account a-1 waiting for a person,
// verified, opened on a second "node" (its own runtime) for the agent.
func escalated(t *testing.T, r *rig) (borrower, agent *bot.Session) {
	t.Helper()
	ctx := context.Background()
	rt := r.runtime(t)
	c, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	borrower, _ = rt.Open(ctx, c.ID)
	borrower.Start(ctx)
	say(t, borrower, "07/21/1988")
	if out := say(t, borrower, "I want to talk to a real person"); out.Status.Mode != "waiting_agent" {
		t.Fatalf("not escalated: %+v", out.Status)
	}
	agent, err = r.runtime(t).Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return borrower, agent
}

func TestAgentTakesOverRecordsAndCloses(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	borrower, agent := escalated(t, r)

	out, err := agent.Join(ctx, ana)
	if err != nil || out.Status.Mode != "agent" || len(out.Replies) != 1 || out.Replies[0].From != "system" {
		t.Fatalf("join: %+v %v", out, err)
	}
	if _, err := agent.Join(ctx, bot.Agent{ID: "agent-8", Name: "Bo"}); !errors.Is(err, bot.ErrWrongMode) {
		t.Fatalf("second join: %v", err)
	}
	es, _ := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: agent.ID()})
	if len(es) != 1 || es[0].Status != "accepted" || es[0].AgentID != "agent-7" {
		t.Fatalf("escalation after join: %+v", es)
	}

	// The borrower's node holds a stale session: its message is still
	// recorded (after a reload), and the bot stays quiet.
	if o := say(t, borrower, "hello, are you a person?"); len(o.Replies) != 0 || o.Status.Mode != "agent" {
		t.Fatalf("borrower while agent holds: %+v", o)
	}

	// A threat never reaches the borrower; the attempt is audited.
	if _, err := agent.AgentSay(ctx, ana, "Pay today or we will have you arrested.", "am-1"); !errors.Is(err, bot.ErrBlocked) {
		t.Fatalf("threat: %v", err)
	}
	var be *bot.BlockedError
	_, err = agent.AgentSay(ctx, ana, "Pay today or we will have you arrested.", "am-2")
	if !errors.As(err, &be) || len(be.Decision.Violations) == 0 {
		t.Fatalf("blocked error carries no violations: %v", err)
	}
	if d := agent.CheckAgentText("I can see a balance of $240.00."); !d.Allowed {
		t.Fatalf("the account's own balance was blocked: %+v", d)
	}
	if d := agent.CheckAgentText("I can let you pay $99.00 and we forget the rest."); d.Allowed {
		t.Fatal("an invented settlement passed the check")
	}
	out, err = agent.AgentSay(ctx, ana, "Hi, I'm Ana. How can I help?", "am-3")
	if err != nil || len(out.Replies) != 1 || out.Replies[0].From != "agent" || out.Replies[0].Name != "Ana" {
		t.Fatalf("agent message: %+v %v", out, err)
	}
	if again, err := agent.AgentSay(ctx, ana, "Hi, I'm Ana. How can I help?", "am-3"); err != nil || len(again.Replies) != 0 {
		t.Fatalf("a redelivered agent message was recorded twice: %+v %v", again, err)
	}

	today := compliance.Date{Year: 2026, Month: 11, Day: 22}
	usd := func(m int64) compliance.Money { return compliance.Money{Minor: m, Currency: "USD"} }
	if _, err := agent.AgentRecord(ctx, ana, dialog.Proposal{Kind: dialog.ProposalPTP, Amount: usd(24000), Date: today.AddDays(30)}); !errors.Is(err, dialog.ErrOffPolicy) {
		t.Fatalf("off-policy promise: %v", err)
	}
	ps, _ := r.st.ListPromises(ctx, "a-1")
	if len(ps) != 0 {
		t.Fatalf("an off-policy promise was recorded: %+v", ps)
	}
	out, err = agent.AgentRecord(ctx, ana, dialog.Proposal{Kind: dialog.ProposalPTP, Amount: usd(24000), Date: today.AddDays(3)})
	if err != nil || len(out.Replies) != 1 || !strings.Contains(out.Replies[0].Text, "$240.00") {
		t.Fatalf("record: %+v %v", out, err)
	}
	ps, _ = r.st.ListPromises(ctx, "a-1")
	if len(ps) != 1 || ps[0].CreatedBy != "agent-7" || ps[0].DueDate != "2026-11-25" {
		t.Fatalf("promise: %+v", ps)
	}
	out, err = agent.AgentClose(ctx, ana, dialog.OutcomeNone, "")
	if err != nil || out.Status.Mode != "ended" || out.Status.Outcome != "ptp" {
		t.Fatalf("close: %+v %v", out, err)
	}
	es, _ = r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: agent.ID()})
	if es[0].Status != "completed" {
		t.Fatalf("escalation after close: %+v", es[0])
	}
	if _, err := borrower.Handle(ctx, bot.Message{Text: "thanks"}); !errors.Is(err, bot.ErrEnded) {
		t.Fatalf("borrower after close: %v", err)
	}
	hist, _ := agent.History(ctx)
	var agentTurns int
	for _, h := range hist {
		if h.From == "agent" {
			agentTurns++
			if h.Name != "Ana" {
				t.Errorf("agent turn without name: %+v", h)
			}
		}
	}
	if agentTurns != 2 {
		t.Fatalf("%d agent turns in history, want 2", agentTurns)
	}

	// The chain seals every turn (the agent's included, by the hash of its
	// text) and the agent's promise: what is stored checks clean, and an
	// edited agent line would not.
	evs, _ := r.st.ListAudit(ctx, agent.ID())
	turns, _ := r.st.ListTurns(ctx, agent.ID())
	stored := audit.Stored{Turns: turns, Promises: ps}
	if fs := audit.CheckRecords(agent.ID(), evs, stored); len(fs) > 0 {
		t.Fatalf("stored records do not match the chain: %v", fs)
	}
	for i := range turns {
		if turns[i].From == "agent" {
			turns[i].Text = "Pay today or else."
			break
		}
	}
	ps[0].AmountMinor = 100
	if fs := audit.CheckRecords(agent.ID(), evs, audit.Stored{Turns: turns, Promises: ps}); len(fs) != 2 {
		t.Fatalf("an edited agent line and promise: findings %v, want 2", fs)
	}
}

func TestHandBackBotResumes(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	borrower, agent := escalated(t, r)
	if _, err := agent.Join(ctx, ana); err != nil {
		t.Fatal(err)
	}
	out, err := agent.HandBack(ctx, ana)
	if err != nil || out.Status.Mode != "bot" {
		t.Fatalf("hand back: %+v %v", out, err)
	}
	if len(out.Replies) < 2 || out.Replies[len(out.Replies)-1].From != "bot" {
		t.Fatalf("the bot did not pick up: %+v", out.Replies)
	}
	// The borrower's node goes on with the bot, no repeated verification.
	o := say(t, borrower, "I can pay on Friday")
	if strings.Contains(strings.ToLower(joined(o)), "date of birth") {
		t.Fatalf("verification asked again: %q", joined(o))
	}
	if o = say(t, borrower, "yes"); o.Status.Outcome != "ptp" {
		t.Fatalf("after hand back: %+v\n%s", o.Status, joined(o))
	}
}

func TestHandBackAfterPromiseBotCloses(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	borrower, agent := escalated(t, r)
	if _, err := agent.Join(ctx, ana); err != nil {
		t.Fatal(err)
	}
	p := dialog.Proposal{Kind: dialog.ProposalPTP, Amount: compliance.Money{Minor: 24000, Currency: "USD"}, Date: compliance.Date{Year: 2026, Month: 11, Day: 25}}
	if _, err := agent.AgentRecord(ctx, ana, p); err != nil {
		t.Fatal(err)
	}
	out, err := agent.HandBack(ctx, ana)
	if err != nil || out.Status.Mode != "ended" || out.Status.Outcome != "ptp" {
		t.Fatalf("hand back after a promise: %+v %v", out, err)
	}
	if last := out.Replies[len(out.Replies)-1]; last.From != "bot" {
		t.Fatalf("the bot did not close: %+v", out.Replies)
	}
	if _, err := borrower.Handle(ctx, bot.Message{Text: "ok"}); !errors.Is(err, bot.ErrEnded) {
		t.Fatalf("after the bot closed: %v", err)
	}
	es, _ := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: agent.ID()})
	if es[0].Status != "completed" {
		t.Fatalf("escalation %+v", es[0])
	}
}

func TestRequeueAfterTheAgentLeft(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_, agent := escalated(t, r)
	if _, err := agent.Join(ctx, ana); err != nil {
		t.Fatal(err)
	}
	out, err := agent.Requeue(ctx, "Ana")
	if err != nil || out.Status.Mode != "waiting_agent" || len(out.Replies) != 1 {
		t.Fatalf("requeue: %+v %v", out, err)
	}
	es, _ := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: agent.ID()})
	if es[0].Status != "queued" || es[0].AgentID != "" {
		t.Fatalf("escalation %+v", es[0])
	}
	// The next agent joins normally.
	if out, err := agent.Join(ctx, bot.Agent{ID: "agent-9", Name: "Bo"}); err != nil || out.Status.Mode != "agent" {
		t.Fatalf("next join: %+v %v", out, err)
	}
	// Requeue on a conversation no agent holds changes nothing.
	if _, err := agent.HandBack(ctx, bot.Agent{ID: "agent-9", Name: "Bo"}); err != nil {
		t.Fatal(err)
	}
	if out, err := agent.Requeue(ctx, ""); err != nil || len(out.Replies) != 0 || out.Status.Mode != "bot" {
		t.Fatalf("requeue of a bot conversation: %+v %v", out, err)
	}
}
