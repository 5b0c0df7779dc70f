package llm

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// runtimeWith starts the real conversation runtime on SQLite with c as its
// Understander, and opens a chat with Maria (240.00 USD, 14-day promises).
func runtimeWith(t *testing.T, c *Client, clock *fakeClock) (*bot.Session, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.UpsertAccounts(ctx, []store.Account{{
		ID: "a-1", Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
		Timezone: "America/Chicago", Consent: store.Consent{Chat: true, Recording: true},
		Debts: []store.Debt{{ID: "a-1-d1", AccountID: "a-1", Creditor: "Demo Finance", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pol := dialog.Policy{MaxDaysToPromise: 14, MaxInstallments: 6, FirstInstallmentWithin: 7, InstallmentEveryDays: 14, Pack: "us", PaymentURL: "https://pay.example.com/{account}"}
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: pol}, bot.Deps{Store: st, Understander: c, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s, st
}

// Through the real runtime: the model's reading of a rambling message
// becomes the promise (after the engine's read-back and an explicit yes),
// and with the endpoint dead the same conversation completes on rules, at
// no cost once the breaker is open.
func TestRuntimeWithModel(t *testing.T) {
	lines := []string{
		"hi, it's 07/21/1988",
		"my pay comes on the 5th but my sister can lend me the 240 on the 1st",
		"yes",
	}
	tests := []struct {
		name     string
		script   []reply
		wantDate string // the promise's due date
		requests int
		dead     bool
	}{
		{"model answers", []reply{
			toolCall(parseArgs(map[string]any{"intent": "identify"})),
			toolCall(parseArgs(map[string]any{"intent": "promise", "date": "2026-12-01", "date_text": "the 1st", "amount": 240, "amount_text": "240", "sentiment": "neutral"})),
			toolCall(parseArgs(map[string]any{"intent": "affirm"})),
		}, "2026-12-01", 3, false},
		// The rules read the first date, the 5th.
		{"endpoint dead", []reply{status(503)}, "2026-12-05", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.script...)
			cfg := testConfig(f, ModeLLM)
			cfg.Retry.MaxAttempts = 1
			cfg.Breaker.Failures = 2
			clock := newClock()
			c := newTestClient(t, cfg, clock)
			s, st := runtimeWith(t, c, clock)
			var said strings.Builder
			for _, l := range lines {
				out, err := s.Handle(context.Background(), bot.Message{Text: l})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range out.Replies {
					said.WriteString(r.Text + "\n")
				}
			}
			if s.Conversation().OutcomeType != string(dialog.OutcomePTP) {
				t.Fatalf("outcome %q; the bot said:\n%s", s.Conversation().OutcomeType, said.String())
			}
			promises, err := st.ListPromises(context.Background(), "a-1")
			if err != nil || len(promises) != 1 || promises[0].DueDate != tt.wantDate || promises[0].AmountMinor != 24000 {
				t.Fatalf("promises = %+v, %v; the bot said:\n%s", promises, err, said.String())
			}
			if f.count() != tt.requests {
				t.Errorf("%d requests, want %d", f.count(), tt.requests)
			}
			if tt.dead {
				// Two failed calls opened the breaker; the third message cost nothing.
				if fb := c.Stats().Fallbacks; fb[FallbackServer] != 2 || fb[FallbackBreakerOpen] != 1 {
					t.Errorf("fallbacks = %v", fb)
				}
			}
			for _, sent := range f.sent() {
				if strings.Contains(string(sent.Raw), "1988") {
					t.Error("the date of birth was sent")
				}
			}
		})
	}
}
