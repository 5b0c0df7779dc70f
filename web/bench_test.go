package web

import (
	"fmt"
	"testing"

	"github.com/collectagent/collectagent/accounts"
)

// BenchmarkChatConversation runs whole promise-to-pay conversations over a
// real WebSocket against a real SQLite store: session, connect, greeting,
// three borrower turns. ns/op is one conversation; µs/turn-amortized
// divides it by the borrower turns, session and connect included.
func BenchmarkChatConversation(b *testing.B) {
	for _, locale := range []string{"en-US", "zh-CN"} {
		b.Run(locale, func(b *testing.B) {
			e := newEnv(b, nil)
			var batch []accounts.Account
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("b-%d", i)
				acct := maria(id)
				if locale == "zh-CN" {
					acct = wangFang(id)
				}
				if batch = append(batch, acct); len(batch) == 1000 || i == b.N-1 {
					e.addAccounts(batch...)
					batch = batch[:0]
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := e.mint(fmt.Sprintf("b-%d", i))
				c := e.mustDial(s.Token)
				untilStatus(b, c)
				var st frame
				for _, line := range promiseScripts[locale] {
					_, st = say(b, c, line)
				}
				if st.Outcome != "ptp" {
					b.Fatalf("conversation %d ended with %+v", i, st)
				}
				c.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(promiseScripts[locale])), "µs/turn-amortized")
		})
	}
}
