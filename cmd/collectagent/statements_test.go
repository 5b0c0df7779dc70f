package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
)

// A borrower who states their rights in the chat (an attorney, a
// bankruptcy, a dispute) is never called back: when nobody claims the
// case within the SLA, the offer is a reply in the chat, the callback task
// carries no time and names the rule, and the statement is on the
// account, with the turn that stated it.
func TestSLAExpiryNeverCallsAFlaggedAccount(t *testing.T) {
	be := handofftest.Backends(t)[0]
	for _, tc := range []struct {
		says, kind, reason string
	}{
		{"I have a lawyer now, talk to my attorney Jane Roe 312-555-0199", store.StatementAttorney, "attorney"},
		{"I filed for chapter 7 bankruptcy last week", store.StatementBankruptcy, "bankruptcy"},
		{"this is not my debt, I never borrowed from Demo Finance", store.StatementDispute, "dispute"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ctx := context.Background()
			r := newHRig(t, be.Conn(t), handoff.FixedSLA(2*time.Minute))
			c, s := r.chat("f-" + tc.kind)
			c.say("07/21/1988")
			if st := c.say(tc.says); st.Mode != store.ModeWaitingAgent {
				t.Fatalf("not escalated: %+v", c.frames)
			}
			onQueue(t, r.h.queue, s.ConversationID)

			r.clock.Advance(3 * time.Minute)
			offer := c.until(func(f cframe) bool {
				return f.Type == "message" && f.From == "bot" && strings.Contains(f.Text, "reply to you here")
			})
			if strings.Contains(offer.Text, "call you back") {
				t.Fatalf("a call was offered: %q", offer.Text)
			}
			var cb bot.Callback
			handofftest.WaitFor(t, 10*time.Second, func() error {
				es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.ConversationID})
				if err != nil || len(es) != 1 || es[0].Status != "expired" {
					return handofftest.Errorf("escalations %+v %v", es, err)
				}
				var p struct {
					Callback *bot.Callback `json:"callback"`
				}
				if err := json.Unmarshal(es[0].Packet, &p); err != nil || p.Callback == nil {
					return handofftest.Errorf("packet %s", es[0].Packet)
				}
				cb = *p.Callback
				return nil
			})
			if !cb.At.IsZero() || cb.Reason != tc.reason || cb.Source == "" {
				t.Fatalf("callback %+v, want no time, reason %s, a source", cb, tc.reason)
			}
			sts, err := r.st.ListStatements(ctx, "f-"+tc.kind)
			if err != nil || len(sts) != 1 || sts[0].Kind != tc.kind || sts[0].ConversationID != s.ConversationID || sts[0].TurnSeq == 0 {
				t.Fatalf("statements %+v %v", sts, err)
			}
			// No outbound contact of any kind is allowed, on any channel.
			for _, ch := range []bot.Channel{"voice", "sms", "chat"} {
				d, err := r.rt.MayContact(ctx, "f-"+tc.kind, ch, "")
				if err != nil || d.Allowed || d.Reason != tc.reason {
					t.Errorf("MayContact %s: %+v %v", ch, d, err)
				}
			}
		})
	}
}
