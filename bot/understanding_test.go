package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// The reason for lateness is understood, kept with the conversation,
// audited, and handed to the agent in the escalation packet; a hardship
// reason goes to a person.
func TestLateReasonRecordedAndHandedOver(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt := r.runtime(t)
	c, _ := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	s, _ := rt.Open(ctx, c.ID)
	s.Start(ctx)
	say(t, s, "07/21/1988")
	out := say(t, s, "I can't pay right now")
	if !strings.Contains(joined(out), "made it hard to pay") {
		t.Fatalf("the reason was not asked:\n%s", joined(out))
	}
	out = say(t, s, "I lost my job last week")
	if out.Status.Mode != store.ModeWaitingAgent {
		t.Fatalf("mode %q after a job loss, want waiting_agent", out.Status.Mode)
	}
	conv, _ := r.st.GetConversation(ctx, c.ID)
	var st dialog.State
	if err := json.Unmarshal(conv.State, &st); err != nil || st.LateReason != dialog.LateJobLoss {
		t.Fatalf("state late reason %q (%v)", st.LateReason, err)
	}
	evs, _ := r.st.ListAudit(ctx, c.ID)
	audited := false
	for _, e := range evs {
		if e.Kind == "late_reason" && strings.Contains(string(e.Data), dialog.LateJobLoss) {
			audited = true
		}
	}
	if !audited {
		t.Error("no late_reason audit event")
	}
	es, _ := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: c.ID})
	if len(es) != 1 || es[0].Reason != dialog.ReasonHardship {
		t.Fatalf("escalations %+v", es)
	}
	var pk map[string]any
	if err := json.Unmarshal(es[0].Packet, &pk); err != nil || pk["late_reason"] != dialog.LateJobLoss {
		t.Errorf("packet %s", es[0].Packet)
	}
}

// A borrower in crisis is handed to a person at once, with the highest
// priority, and given the lender's crisis resources for their locale; the
// configured text passes the guard.
func TestCrisisResources(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: policy("us"),
		Policies:      map[string]dialog.Policy{"us": policy("us"), "cn": policy("cn")},
		CrisisResources: map[string]string{
			"en-US": "You can call or text 988 (Suicide & Crisis Lifeline) at any time.",
			"zh-CN": "您可以随时拨打心理援助热线12356。",
		},
	}, bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ account, line, want string }{
		{"a-1", "i dont want to be here anymore", "988"},
		{"a-2", "我不想活了", "12356"},
	} {
		c, _ := rt.Begin(ctx, tt.account, bot.ChannelChat, bot.ByBorrower)
		s, _ := rt.Open(ctx, c.ID)
		s.Start(ctx)
		out := say(t, s, tt.line)
		if !strings.Contains(joined(out), tt.want) {
			t.Errorf("%s: no crisis resources:\n%s", tt.account, joined(out))
		}
		es, _ := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: c.ID})
		if len(es) != 1 || es[0].Reason != dialog.ReasonDistress || es[0].Priority != 1 {
			t.Errorf("%s: escalations %+v", tt.account, es)
		}
		evs, _ := r.st.ListAudit(ctx, c.ID)
		for _, e := range evs {
			if e.Kind == "guard.blocked" {
				t.Errorf("%s: guard blocked %s", tt.account, e.Data)
			}
		}
	}
}
