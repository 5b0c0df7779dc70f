package bot_test

import (
	"context"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
	"github.com/collectagent/collectagent/store"
)

// BenchmarkTurn measures one borrower turn in process without storage or
// transport: rule-based understanding, the engine's step, rendering every
// act and the guard on every rendered text. Each iteration is one message
// of a promise-to-pay conversation (reported per turn).
func BenchmarkTurn(b *testing.B) {
	flow, err := dialog.ParseFlow(prompts.FlowJSON())
	if err != nil {
		b.Fatal(err)
	}
	rend, err := respond.New()
	if err != nil {
		b.Fatal(err)
	}
	rules := understand.NewRules()
	today := compliance.Date{Year: 2026, Month: 11, Day: 22}
	cases := []struct {
		name  string
		acct  dialog.Account
		lines []string
	}{
		{"en-US", dialog.Account{
			ID: "a-1", Name: "Maria Lopez", DOB: compliance.Date{Year: 1988, Month: 7, Day: 21}, IDLast4: "4417", Locale: "en-US",
			Debt:   dialog.Debt{ID: "d", Creditor: "Demo Finance", AmountDue: compliance.Money{Minor: 24000, Currency: "USD"}, DueDate: compliance.Date{Year: 2026, Month: 11, Day: 13}, DaysPastDue: 9},
			Policy: policy("us"),
		}, []string{"07/21/1988", "I can pay the full amount on Friday", "yes"}},
		{"zh-CN", dialog.Account{
			ID: "a-2", Name: "王芳", DOB: compliance.Date{Year: 1990, Month: 3, Day: 8}, IDLast4: "123X", Locale: "zh-CN",
			Debt:   dialog.Debt{ID: "d", Creditor: "示范金融", AmountDue: compliance.Money{Minor: 86000, Currency: "CNY"}, DueDate: compliance.Date{Year: 2026, Month: 11, Day: 10}, DaysPastDue: 12},
			Policy: policy("cn"),
		}, []string{"1990年3月8日", "我这周五还全款", "是的"}},
	}
	for _, c := range cases {
		guard := compliance.NewGuard(compliance.MustLoadPack(c.acct.Policy.Pack))
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			start, _ := dialog.Step(flow, c.acct, dialog.NewState(), dialog.Input{Kind: dialog.EventStart, Today: today})
			st := start
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(c.lines)
				if k == 0 {
					st = start
				}
				p, err := rules.Understand(ctx, understand.Request{Text: c.lines[k], Locale: c.acct.Locale, Today: today, Currency: c.acct.Debt.AmountDue.Currency, Stage: st.Stage})
				if err != nil {
					b.Fatal(err)
				}
				var res dialog.Result
				st, res = dialog.Step(flow, c.acct, st, dialog.Input{Kind: dialog.EventMessage, Parse: p, Today: today})
				for _, act := range res.Acts {
					text, err := rend.Render(act, c.acct.Locale, compliance.ChannelChat, c.acct)
					if err != nil {
						b.Fatal(err)
					}
					if d := guard.Check(compliance.Utterance{Text: text, Locale: c.acct.Locale, Stage: string(st.Stage), Source: compliance.SourceTemplate, Facts: act.Facts}); !d.Allowed {
						b.Fatalf("blocked %s: %+v", act.Kind, d.Violations)
					}
				}
			}
			if st.Outcome == nil && b.N%len(c.lines) == 0 {
				b.Fatalf("the script did not reach an outcome: %+v", st)
			}
		})
	}
}

// uncommitted is a store whose CommitTurn keeps nothing, so that
// BenchmarkSessionTurn counts the session's own work.
type uncommitted struct{ store.Store }

func (uncommitted) CommitTurn(context.Context, store.TurnCommit) error { return nil }

// BenchmarkSessionTurn measures one borrower turn through Session.Handle,
// as a transport calls it: understanding, the step, rendering, the guard,
// the turn's meta and audit events sealed on the chain and the commit
// built (the store's CommitTurn itself does nothing here; see the store
// benchmarks for it). Each iteration is one message of a promise-to-pay
// conversation; a new conversation is opened, off the clock, every three.
func BenchmarkSessionTurn(b *testing.B) {
	for _, c := range []struct {
		name, account string
		lines         []string
	}{
		{"en-US", "a-1", []string{"07/21/1988", "I can pay the full amount on Friday", "yes"}},
		{"zh-CN", "a-2", []string{"1990年3月8日", "我这周五还全款", "是的"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := newRig(b)
			rt, err := bot.NewRuntime(bot.Config{
				DefaultPolicy: policy("us"),
				Policies:      map[string]dialog.Policy{"us": policy("us"), "cn": policy("cn")},
			}, bot.Deps{Store: uncommitted{r.st}, Understander: understand.NewRules(), Clock: r.clock})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var s *bot.Session
			open := func() {
				conv, err := rt.Begin(ctx, c.account, bot.ChannelChat, bot.ByBorrower)
				if err != nil {
					b.Fatal(err)
				}
				if s, err = rt.Open(ctx, conv.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Start(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(c.lines)
				if k == 0 {
					b.StopTimer()
					open()
					b.StartTimer()
				}
				out, err := s.Handle(ctx, bot.Message{Text: c.lines[k]})
				if err != nil {
					b.Fatal(err)
				}
				if k == len(c.lines)-1 && out.Status.Outcome != "ptp" {
					b.Fatalf("no promise: %+v", out.Status)
				}
			}
		})
	}
}
