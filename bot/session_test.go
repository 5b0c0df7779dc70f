package bot_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

func policy(pack string) dialog.Policy {
	return dialog.Policy{
		MaxDaysToPromise: 14, MaxInstallments: 6, FirstInstallmentWithin: 7,
		InstallmentEveryDays: 14, AllowExtension: true, ExtensionDays: 7, Pack: pack,
		PaymentURL: "https://pay.example.com/{account}",
	}
}

type rig struct {
	st    store.Store
	clock *clock.Fake
	path  string
}

func newRig(t testing.TB) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Sunday 2026-11-22 15:00 UTC: 09:00 in Chicago, 23:00 in Shanghai.
	r := &rig{st: st, clock: clock.NewFake(time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)), path: path}
	err = st.UpsertAccounts(context.Background(), []store.Account{
		{
			ID: "a-1", Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
			Timezone: "America/Chicago", Portfolio: "us", Consent: store.Consent{Chat: true, Voice: true, Recording: true},
			Debts: []store.Debt{{ID: "a-1-d1", AccountID: "a-1", Creditor: "Demo Finance", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9}},
		},
		{
			ID: "a-2", Name: "王芳", DateOfBirth: "1990-03-08", IDLast4: "123X", Locale: "zh-CN",
			Timezone: "Asia/Shanghai", Portfolio: "cn", Consent: store.Consent{Chat: true, Recording: true},
			Debts: []store.Debt{{ID: "a-2-d1", AccountID: "a-2", Creditor: "示范金融", AmountMinor: 86000, Currency: "CNY", DueDate: "2026-11-10", DaysPastDue: 12}},
		},
		{
			ID: "a-3", Name: "No Chat", DateOfBirth: "1970-01-01", IDLast4: "0000", Locale: "en-US", Timezone: "America/Chicago",
			Consent: store.Consent{Chat: false},
			Debts:   []store.Debt{{ID: "a-3-d1", AccountID: "a-3", Creditor: "Demo Finance", AmountMinor: 1000, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) runtime(t *testing.T) *bot.Runtime {
	t.Helper()
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: policy("us"),
		Policies:      map[string]dialog.Policy{"us": policy("us"), "cn": policy("cn")},
	}, bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// openChat begins a chat the borrower started on account a-1 and opens
// its session.
func openChat(t *testing.T, rt *bot.Runtime) (store.Conversation, *bot.Session) {
	t.Helper()
	ctx := context.Background()
	c, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func say(t *testing.T, s *bot.Session, text string) bot.Output {
	t.Helper()
	out, err := s.Handle(context.Background(), bot.Message{Text: text})
	if err != nil {
		t.Fatalf("Handle(%q): %v", text, err)
	}
	return out
}

func joined(out bot.Output) string {
	var b strings.Builder
	for _, r := range out.Replies {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func TestPromiseToPayEndToEnd(t *testing.T) {
	tests := []struct {
		name, account string
		lines         []string
		wantAmount    int64
		wantDate      string
		mustSay       []string
	}{
		{"en", "a-1", []string{"07/21/1988", "I can pay the full amount on Friday", "yes"}, 24000, "2026-11-27", []string{"$240.00", "November 27, 2026", "attempt to collect a debt"}},
		{"zh", "a-2", []string{"1990年3月8日", "我这周五还全款", "是的"}, 86000, "2026-11-27", []string{"860.00元", "2026年11月27日"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			rt := r.runtime(t)
			ctx := context.Background()
			c, err := rt.Begin(ctx, tt.account, bot.ChannelChat, bot.ByBorrower)
			if err != nil {
				t.Fatal(err)
			}
			s, err := rt.Open(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Replies) == 0 {
				t.Fatal("the bot did not speak first")
			}
			all := joined(first)
			for _, money := range []string{"240", "860"} {
				if strings.Contains(all, money) {
					t.Fatalf("debt amount before verification: %q", all)
				}
			}
			var out bot.Output
			for _, l := range tt.lines {
				out = say(t, s, l)
				all += joined(out)
			}
			if out.Status.Outcome != "ptp" || out.Status.Mode != "ended" {
				t.Fatalf("status %+v; transcript:\n%s", out.Status, all)
			}
			for _, m := range tt.mustSay {
				if !strings.Contains(all, m) {
					t.Errorf("transcript lacks %q:\n%s", m, all)
				}
			}
			ps, err := r.st.ListPromises(ctx, tt.account)
			if err != nil || len(ps) != 1 {
				t.Fatalf("promises %v %v", ps, err)
			}
			if ps[0].AmountMinor != tt.wantAmount || ps[0].DueDate != tt.wantDate || ps[0].ConversationID != c.ID {
				t.Errorf("promise %+v", ps[0])
			}
			// Every guard decision and the outcome are on a valid chain.
			evs, err := r.st.ListAudit(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			recs := make([]compliance.AuditRecord, len(evs))
			kinds := map[string]int{}
			for i, e := range evs {
				recs[i] = compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
				kinds[e.Kind]++
			}
			if err := compliance.VerifyChain(recs); err != nil {
				t.Fatal(err)
			}
			if kinds["outcome"] != 1 || kinds["guard.passed"] == 0 || kinds["guard.blocked"] != 0 {
				t.Errorf("audit kinds %v", kinds)
			}
			if _, err := s.Handle(ctx, bot.Message{Text: "hello?"}); err == nil {
				t.Error("a message after the end was accepted")
			}
		})
	}
}

func TestResumeOnAnotherRuntime(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt1 := r.runtime(t)
	c, err := rt1.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := rt1.Open(ctx, c.ID)
	if _, err := s1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	say(t, s1, "1988-07-21")
	say(t, s1, "I can pay on Friday")

	// A second node picks the conversation up where the first left it.
	rt2 := r.runtime(t)
	s2, err := rt2.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := s2.History(ctx)
	h1, _ := s1.History(ctx)
	if len(h) != len(h1) || len(h) < 5 {
		t.Fatalf("history %d turns on node 2, %d on node 1", len(h), len(h1))
	}
	if again, _ := s2.Start(ctx); len(again.Replies) != 0 {
		t.Fatalf("Start on a resumed conversation spoke again: %v", again.Replies)
	}
	out := say(t, s2, "yes")
	if out.Status.Outcome != "ptp" {
		t.Fatalf("status %+v", out.Status)
	}
	// Node 1's stale session detects the conflict, reloads, and sees the end.
	if _, err := s1.Handle(ctx, bot.Message{Text: "yes"}); err == nil {
		t.Fatal("stale session went on after the conversation ended elsewhere")
	}
	ps, _ := r.st.ListPromises(ctx, "a-1")
	if len(ps) != 1 {
		t.Fatalf("%d promises, want exactly 1", len(ps))
	}
}

func TestIdempotentMessageID(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt := r.runtime(t)
	c, _ := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	s, _ := rt.Open(ctx, c.ID)
	s.Start(ctx)
	m := bot.Message{Text: "07/21/1988", MessageID: "m-1"}
	o1, err := s.Handle(ctx, m)
	if err != nil || len(o1.Replies) == 0 {
		t.Fatal(o1, err)
	}
	o2, err := s.Handle(ctx, m)
	if err != nil || len(o2.Replies) != 0 {
		t.Fatalf("retry produced %v, %v", o2, err)
	}
	// Also across nodes.
	s2, _ := r.runtime(t).Open(ctx, c.ID)
	o3, err := s2.Handle(ctx, m)
	if err != nil || len(o3.Replies) != 0 {
		t.Fatalf("retry on node 2 produced %v, %v", o3, err)
	}
	turns, _ := r.st.ListTurns(ctx, c.ID)
	n := 0
	for _, tr := range turns {
		if tr.MessageID == "m-1" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("message stored %d times", n)
	}
}

func TestEscalationRecorded(t *testing.T) {
	tests := []struct {
		name, account string
		lines         []string
		reason        string
		outcome       string
	}{
		{"human en", "a-1", []string{"07/21/1988", "I want to talk to a real person"}, "human_requested", "escalated"},
		{"dispute en", "a-1", []string{"07/21/1988", "this is not my debt, I never borrowed this"}, "dispute", "dispute"},
		{"hardship zh", "a-2", []string{"1990年3月8日", "我失业了，现在没钱"}, "hardship", "escalated"},
		{"distress before verification", "a-1", []string{"i want to die"}, "distress", "escalated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			ctx := context.Background()
			rt := r.runtime(t)
			c, _ := rt.Begin(ctx, tt.account, bot.ChannelChat, bot.ByBorrower)
			s, _ := rt.Open(ctx, c.ID)
			s.Start(ctx)
			var out bot.Output
			for _, l := range tt.lines {
				out = say(t, s, l)
			}
			if out.Status.Mode != "waiting_agent" {
				t.Fatalf("mode %q, want waiting_agent", out.Status.Mode)
			}
			es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: c.ID})
			if err != nil || len(es) != 1 {
				t.Fatalf("escalations %v %v", es, err)
			}
			if es[0].Reason != tt.reason || es[0].Status != "queued" {
				t.Errorf("escalation %+v", es[0])
			}
			var pk map[string]any
			if err := json.Unmarshal(es[0].Packet, &pk); err != nil || pk["reason"] != tt.reason {
				t.Errorf("packet %s", es[0].Packet)
			}
			got, _ := r.st.GetConversation(ctx, c.ID)
			if got.OutcomeType != tt.outcome {
				t.Errorf("outcome %q, want %q", got.OutcomeType, tt.outcome)
			}
			// The borrower may still write; it is recorded, not answered by the bot.
			o := say(t, s, "hello?")
			if len(o.Replies) != 0 || o.Status.Mode != "waiting_agent" {
				t.Errorf("while waiting: %+v", o)
			}
		})
	}
}

func TestBeginRefusals(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	if _, err := rt.Begin(ctx, "nope", bot.ChannelChat, bot.ByBorrower); !errorsIs(err, bot.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if _, err := rt.Begin(ctx, "a-3", bot.ChannelChat, bot.ByBorrower); !errorsIs(err, bot.ErrNotAllowed) {
		t.Errorf("no chat consent: %v", err)
	}
	if _, err := rt.Open(ctx, "c-missing"); !errorsIs(err, bot.ErrNotFound) {
		t.Errorf("unknown conversation: %v", err)
	}
}

func TestBadMessages(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	c, _ := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	s, _ := rt.Open(ctx, c.ID)
	s.Start(ctx)
	if _, err := s.Handle(ctx, bot.Message{Text: "   "}); !errorsIs(err, bot.ErrEmptyMessage) {
		t.Errorf("empty: %v", err)
	}
	if _, err := s.Handle(ctx, bot.Message{Text: strings.Repeat("a", bot.MaxMessageRunes+1)}); !errorsIs(err, bot.ErrMessageTooLong) {
		t.Errorf("long: %v", err)
	}
	// The conversation goes on.
	if out := say(t, s, "07/21/1988"); !strings.Contains(joined(out), "$240.00") {
		t.Errorf("after bad input: %q", joined(out))
	}
}

// A verified borrower's cease is saved on the account, for every channel,
// with the turn that stated it; a later session on the account says only
// that it will not continue, and ends.
func TestCeaseIsAccountState(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	rt := r.runtime(t)
	c, _ := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	s, _ := rt.Open(ctx, c.ID)
	s.Start(ctx)
	say(t, s, "07/21/1988")
	out := say(t, s, "stop contacting me")
	if out.Status.Outcome != "cease" || out.Status.Mode != "ended" {
		t.Fatalf("status %+v", out.Status)
	}
	sts, err := r.st.ListStatements(ctx, "a-1")
	if err != nil || len(sts) != 1 || sts[0].Kind != store.StatementCease || len(sts[0].Channels) != 0 ||
		sts[0].ConversationID != c.ID || sts[0].Channel != "chat" || sts[0].TurnSeq == 0 {
		t.Fatalf("statements %+v, %v", sts, err)
	}
	turns, _ := r.st.ListTurns(ctx, c.ID)
	if got := turns[sts[0].TurnSeq-1]; got.From != bot.FromBorrower || got.Text != "stop contacting me" {
		t.Errorf("statement turn %+v", got)
	}
	c2, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := rt.Open(ctx, c2.ID)
	s2.Start(ctx)
	out = say(t, s2, "07/21/1988")
	if out.Status.Mode != "ended" || strings.Contains(joined(out), "240") || !strings.Contains(joined(out), "stop contacting you") {
		t.Fatalf("a new session after cease: %+v %q", out.Status, joined(out))
	}
	// Before verification, a request to stop is not the account's: the
	// bot asks who it is speaking with.
	c3, _ := rt.Begin(ctx, "a-2", bot.ChannelChat, bot.ByBorrower)
	s3, _ := rt.Open(ctx, c3.ID)
	s3.Start(ctx)
	if out := say(t, s3, "别再联系我"); out.Status.Outcome != "" || out.Status.Mode != "bot" || strings.Contains(joined(out), "860") {
		t.Fatalf("unverified cease: %+v %q", out.Status, joined(out))
	}
	if sts, _ := r.st.ListStatements(ctx, "a-2"); len(sts) != 0 {
		t.Errorf("an unverified cease was saved: %+v", sts)
	}
}
