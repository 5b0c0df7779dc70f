package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

// waitingConv returns a session of account id, verified with verify and
// waiting for a person.
func waitingConv(t *testing.T, r *rig, id, verify, ask string) *bot.Session {
	t.Helper()
	ctx := context.Background()
	rt := r.runtime(t)
	c, err := rt.Begin(ctx, id, bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if verify != "" {
		say(t, s, verify)
	}
	if out := say(t, s, ask); out.Status.Mode != "waiting_agent" {
		t.Fatalf("not escalated: %+v", out)
	}
	return s
}

func TestOfferCallback(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		account  store.Account // extra account, when set
		id       string
		verify   string
		ask      string
		at       time.Time // the clock when the SLA expires
		attempts int       // voice calls placed on each of the last days
		want     string    // in the offer
		wantAt   time.Time // zero: no call
		reason   string
	}{
		{
			name: "en-US in hours: today", id: "a-1", verify: "07/21/1988", ask: "I want to talk to a real person",
			at: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), want: "call you back on November 22, 2026",
			wantAt: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), reason: "ok",
		},
		{
			name: "en-US after 21:00 Chicago: next morning", id: "a-1", verify: "07/21/1988", ask: "I want to talk to a real person",
			at: time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC), want: "call you back on November 23, 2026",
			wantAt: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), reason: "outside_hours",
		},
		{
			name: "en-US seven calls this week: after the cap", id: "a-1", verify: "07/21/1988", ask: "I want to talk to a real person",
			at: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), attempts: 7, want: "call you back on November 23, 2026",
			// The first of 7 daily calls (Nov 16) leaves the window on Nov 23.
			wantAt: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), reason: "attempt_cap",
		},
		{
			name: "en-US unverified: no day", id: "a-1", ask: "I want to talk to a real person",
			at: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), want: "call you back within our permitted contact hours",
			wantAt: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), reason: "ok",
		},
		{
			name: "zh-CN at 23:00 Shanghai: next morning",
			account: store.Account{
				ID: "a-4", Name: "李雷", DateOfBirth: "1985-02-03", IDLast4: "5566", Locale: "zh-CN", Timezone: "Asia/Shanghai", Portfolio: "cn",
				Consent: store.Consent{Chat: true, Voice: true},
				Debts:   []store.Debt{{ID: "a-4-d1", AccountID: "a-4", Creditor: "示范金融", AmountMinor: 86000, Currency: "CNY", DueDate: "2026-11-10", DaysPastDue: 12}},
			},
			id: "a-4", verify: "1985年2月3日", ask: "我要人工客服",
			at: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), want: "将在2026年11月23日的允许联系时间内给您回电",
			wantAt: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), reason: "outside_hours",
		},
		{
			name: "zh-CN without voice consent: a person replies in the chat", id: "a-2", verify: "1990年3月8日", ask: "我要人工客服",
			at: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), want: "工作人员有空后会在这里回复您", reason: "no_consent",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if tc.account.ID != "" {
				if err := r.st.UpsertAccounts(ctx, []store.Account{tc.account}); err != nil {
					t.Fatal(err)
				}
			}
			s := waitingConv(t, r, tc.id, tc.verify, tc.ask)
			for d := 1; d <= tc.attempts; d++ {
				if err := r.st.RecordContactAttempt(ctx, store.ContactAttempt{
					AccountID: tc.id, DebtID: tc.id + "-d1", Channel: "voice", Result: "no_answer",
					At: time.Date(2026, 11, 22-tc.attempts+d, 14, 0, 0, 0, time.UTC),
				}); err != nil {
					t.Fatal(err)
				}
			}
			r.clock.mu.Lock()
			r.clock.t = tc.at
			r.clock.mu.Unlock()

			out, err := s.OfferCallback(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Replies) != 1 || !strings.Contains(out.Replies[0].Text, tc.want) {
				t.Fatalf("offer %+v, want %q", out.Replies, tc.want)
			}
			if out.Status.Mode != "waiting_agent" {
				t.Fatalf("mode %s, want waiting_agent", out.Status.Mode)
			}
			es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.ID()})
			if err != nil || len(es) != 1 || es[0].Status != "expired" {
				t.Fatalf("escalation: %+v %v", es, err)
			}
			var p struct {
				Callback bot.Callback `json:"callback"`
				Reason   string       `json:"reason"`
			}
			if err := json.Unmarshal(es[0].Packet, &p); err != nil {
				t.Fatal(err)
			}
			if !p.Callback.At.Equal(tc.wantAt) || p.Callback.Reason != tc.reason || p.Callback.Channel != "voice" || p.Reason == "" {
				t.Fatalf("callback %+v (packet reason %q), want at %v reason %s", p.Callback, p.Reason, tc.wantAt, tc.reason)
			}
			audit, err := r.st.ListAudit(ctx, s.ID())
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, a := range audit {
				if a.Kind == "handoff.callback" {
					found++
				}
			}
			if found != 1 {
				t.Fatalf("%d handoff.callback audit events, want 1", found)
			}

			// A redelivered expiry offers nothing twice, on any node.
			other, err := r.runtime(t).Open(ctx, s.ID())
			if err != nil {
				t.Fatal(err)
			}
			again, err := other.OfferCallback(ctx)
			if err != nil || len(again.Replies) != 0 {
				t.Fatalf("second offer: %+v %v", again, err)
			}
		})
	}
}

func TestOfferCallbackNeedsWaitingConversation(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt := r.runtime(t)
	c, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := rt.Open(ctx, c.ID)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OfferCallback(ctx); !errors.Is(err, bot.ErrWrongMode) {
		t.Fatalf("offer in bot mode: %v", err)
	}
}
