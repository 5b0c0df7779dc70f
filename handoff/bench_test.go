package handoff_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
)

// percentiles reports p50 and p99 of ds in microseconds.
func percentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := min(int(float64(len(ds))*p), len(ds)-1)
		return float64(ds[i].Microseconds())
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkEscalationVisible: from PublishEscalation on the bot's node
// to the case on another node's board (what an agent console lists).
func BenchmarkEscalationVisible(b *testing.B) {
	for _, be := range handofftest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			r := newRig(b, be, handoff.Config{})
			bot, _ := r.node()
			_, agents := r.node()
			ch, stop := agents.Changes()
			defer stop()
			ctx := context.Background()
			ds := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				e := escalation(fmt.Sprintf("e-%08d", i), 1+i%5, t0)
				start := time.Now()
				if err := bot.Publisher().PublishEscalation(ctx, e); err != nil {
					b.Fatal(err)
				}
				for {
					if _, ok := agents.Case(e.ID); ok {
						break
					}
					select {
					case <-ch:
					case <-time.After(10 * time.Second):
						b.Fatalf("%s never visible", e.ID)
					}
				}
				ds = append(ds, time.Since(start))
			}
			b.StopTimer()
			percentiles(b, ds)
		})
	}
}

// BenchmarkBridgeLatency: an agent's message from the console's node to
// the borrower's node, one at a time.
func BenchmarkBridgeLatency(b *testing.B) {
	for _, be := range handofftest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			cfg := handoff.Config{Prefix: handofftest.UniquePrefix()}
			borrower := handofftest.Open(b, be.Conn(b), cfg, handoff.Deps{}, be.Shared)
			agent := handofftest.Open(b, be.Conn(b), cfg, handoff.Deps{}, false)
			got := make(chan handoff.Message, 1)
			sub, err := borrower.Bridge().Subscribe(context.Background(), "c-bench", handoff.SideAgent, handoff.FromNow(), func(m handoff.Message) { got <- m })
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Stop()
			ctx := context.Background()
			ds := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, err := agent.Bridge().SendToBorrower(ctx, "c-bench", handoff.Message{Name: "Lee", Text: "I can set up a plan for you"}); err != nil {
					b.Fatal(err)
				}
				select {
				case <-got:
				case <-time.After(10 * time.Second):
					b.Fatal("message lost")
				}
				ds = append(ds, time.Since(start))
			}
			b.StopTimer()
			percentiles(b, ds)
		})
	}
}

// BenchmarkBridgeThroughput: 16 live conversations, agents sending
// concurrently, every message delivered to its borrower's node; reports
// messages per second end to end.
func BenchmarkBridgeThroughput(b *testing.B) {
	for _, be := range handofftest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			const convs = 16
			cfg := handoff.Config{Prefix: handofftest.UniquePrefix()}
			borrower := handofftest.Open(b, be.Conn(b), cfg, handoff.Deps{}, be.Shared)
			agent := handofftest.Open(b, be.Conn(b), cfg, handoff.Deps{}, false)
			var wg sync.WaitGroup
			per := max(b.N/convs, 1)
			total := per * convs
			wg.Add(total)
			for c := range convs {
				sub, err := borrower.Bridge().Subscribe(context.Background(), fmt.Sprintf("c-%d", c), handoff.SideAgent, handoff.FromNow(), func(handoff.Message) { wg.Done() })
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Stop()
			}
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			var send sync.WaitGroup
			for c := range convs {
				send.Add(1)
				go func() {
					defer send.Done()
					for range per {
						if _, err := agent.Bridge().SendToBorrower(ctx, fmt.Sprintf("c-%d", c), handoff.Message{Text: "ok"}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			send.Wait()
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(total)/el.Seconds(), "msgs/s")
		})
	}
}

// BenchmarkDrain1000: 1,000 escalations published concurrently, claimed
// and completed by 20 agents on 2 nodes; nothing lost or done twice.
func BenchmarkDrain1000(b *testing.B) {
	for _, be := range handofftest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			var took time.Duration
			for range b.N {
				b.StopTimer()
				r := newRig(b, be, handoff.Config{})
				r.node()
				r.node()
				b.StartTimer()
				took += drain(b, r, 1000, 20)
			}
			b.ReportMetric(float64(1000*b.N)/took.Seconds(), "cases/s")
		})
	}
}
