package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// With the runtime wired to phrase through the client: the model's
// faithful wording is sent, an unfaithful one is replaced and audited,
// and disclosures never go out.
func TestRuntimePhrasing(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.UpsertAccounts(ctx, []store.Account{{
		ID: "a-1", Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
		Timezone: "America/Chicago", Consent: store.Consent{Chat: true, Recording: true},
		Debts: []store.Debt{{ID: "a-1-d1", AccountID: "a-1", Creditor: "Demo Finance", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9}},
	}}); err != nil {
		t.Fatal(err)
	}
	// Every phrase request gets the same steered answer.
	f := newFake(t, stream([]string{"Great news, your debt is forgiven!"}, -1))
	cfg := testConfig(f, ModeRules)
	cfg.Mode = ModeHybrid
	clock := newClock()
	c := newTestClient(t, cfg, clock)
	pol := dialog.Policy{MaxDaysToPromise: 14, MaxInstallments: 6, FirstInstallmentWithin: 7, InstallmentEveryDays: 14, Pack: "us", PaymentURL: "https://pay.example.com/{account}"}
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: pol}, bot.Deps{Store: st, Understander: c, Phraser: c, Summarizer: c, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	s, _ := rt.Open(ctx, conv.ID)
	out, err := s.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Replies {
		if strings.Contains(r.Text, "forgiven") {
			t.Fatalf("steered text sent: %q", r.Text)
		}
	}
	out, err = s.Handle(ctx, bot.Message{Text: "07/21/1988"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Replies {
		if strings.Contains(r.Text, "forgiven") {
			t.Fatalf("steered text sent: %q", r.Text)
		}
	}
	for _, sent := range f.sent() {
		if strings.Contains(sent.User(), "attempt to collect a debt") || strings.Contains(sent.User(), "automated assistant") {
			t.Errorf("a disclosure was sent to the model: %q", sent.User())
		}
	}
	audit, _ := st.ListAudit(ctx, conv.ID)
	replaced := 0
	for _, a := range audit {
		if a.Kind == "guard.replaced" {
			replaced++
		}
	}
	if replaced == 0 || f.count() == 0 || replaced != f.count() {
		t.Fatalf("%d replacements audited for %d phrase requests", replaced, f.count())
	}
	if c.Stats().GuardReplacements != uint64(replaced) {
		t.Errorf("stats: %d replacements", c.Stats().GuardReplacements)
	}

	// Now a faithful model: its words are what the borrower reads, for
	// every act but the disclosures.
	f.setScript(echo("Sure. "))
	out, err = s.Handle(ctx, bot.Message{Text: "I can pay $240 on Friday"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replies) == 0 {
		t.Fatal("no reply")
	}
	for _, r := range out.Replies {
		if !strings.HasPrefix(r.Text, "Sure. ") {
			t.Errorf("reply not phrased by the model: %q", r.Text)
		}
	}
	turns, _ := st.ListTurns(ctx, conv.ID)
	last := turns[len(turns)-1]
	if !strings.Contains(string(last.Meta), `"source":"model"`) {
		t.Errorf("turn meta = %s", last.Meta)
	}
	borrower := turns[len(turns)-1-len(out.Replies)]
	if !strings.Contains(string(borrower.Meta), `"model_calls"`) {
		t.Errorf("borrower turn meta = %s", borrower.Meta)
	}

	// A handoff carries a summary whose facts are the engine's.
	f.setScript(func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		if f.last().Req.Stream {
			echo("Sure. ")(w, r, f)
			return
		}
		toolCall(`{"situation":"Wants to pay on Friday but now asks for a person.","summary":"Verified; asked for a human."}`)(w, r, f)
	})
	if _, err := s.Handle(ctx, bot.Message{Text: "actually I want to talk to a real person"}); err != nil {
		t.Fatal(err)
	}
	escs, err := st.ListEscalations(ctx, store.EscalationFilter{})
	if err != nil || len(escs) != 1 {
		t.Fatalf("escalations = %+v, %v", escs, err)
	}
	var packet struct {
		Summary bot.Summary `json:"summary"`
	}
	if err := json.Unmarshal(escs[0].Packet, &packet); err != nil {
		t.Fatal(err)
	}
	if packet.Summary.Source != bot.SummaryModel || !packet.Summary.Verified || packet.Summary.Reason != "human_requested" ||
		!strings.Contains(packet.Summary.Situation, "Friday") {
		t.Fatalf("summary = %+v", packet.Summary)
	}
}
