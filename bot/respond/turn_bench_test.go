package respond

import (
	"testing"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// BenchmarkTurn measures the engine's part of one turn as the runtime runs
// it: step, render every act, guard every text (understanding excluded).
func BenchmarkTurn(b *testing.B) {
	f := flow(b)
	r := renderer(b)
	for _, name := range []string{"en-US.us", "zh-CN.cn"} {
		a := accounts()[name]
		pack, err := compliance.LoadPack(a.Policy.Pack)
		if err != nil {
			b.Fatal(err)
		}
		g := compliance.NewGuard(pack)
		st := dialog.NewState()
		st, _ = dialog.Step(f, a, st, dialog.Input{Kind: dialog.EventStart, Today: today})
		st, _ = dialog.Step(f, a, st, dialog.Input{Kind: dialog.EventMessage, Today: today,
			Parse: dialog.Parse{Intent: dialog.IntentIdentify, DOB: a.DOB}})
		in := dialog.Input{Kind: dialog.EventMessage, Today: today,
			Parse: dialog.Parse{Intent: dialog.IntentPromise, Date: today.AddDays(5)}}
		b.Run(a.Locale, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				next, res := dialog.Step(f, a, st, in)
				for _, act := range res.Acts {
					text, err := r.Render(act, a.Locale, compliance.ChannelChat, a)
					if err != nil {
						b.Fatal(err)
					}
					d := g.Check(compliance.Utterance{Text: text, Locale: a.Locale, Stage: string(next.Stage),
						Source: compliance.SourceTemplate, Facts: act.Facts})
					if !d.Allowed {
						b.Fatalf("blocked: %+v", d.Violations)
					}
				}
			}
		})
	}
}
