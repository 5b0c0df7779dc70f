package handoff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
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

// memOutbox is an outbox in memory, for the relay's benchmark.
type memOutbox struct {
	mu      sync.Mutex
	deleted int
}

func (*memOutbox) PendingEvents(context.Context, time.Time, int) ([]store.Event, error) {
	return nil, nil
}

func (o *memOutbox) DeleteEvents(_ context.Context, ids []string) error {
	o.mu.Lock()
	o.deleted += len(ids)
	o.mu.Unlock()
	return nil
}

// BenchmarkFinalTurnEvents: what a promise's final turn spends on its two
// events (ptp.created, conv.ended) before it can reply. "publish" is the
// old path, two synchronous JetStream publishes; "outbox" hands them to
// the relay, which publishes them asynchronously after the reply (the
// benchmark waits for every one to be acknowledged, so ns/op is the
// whole cost and reply-µs what the reply waited).
func BenchmarkFinalTurnEvents(b *testing.B) {
	srv := handofftest.Embedded(b)
	n := handofftest.Open(b, srv.Conn(b), handoff.Config{}, handoff.Deps{}, false)
	data := json.RawMessage(`{"id":"p-1","account_id":"a-1","amount_minor":24000,"currency":"USD","due_date":"2026-11-27"}`)
	ended := json.RawMessage(`{"conversation_id":"c-1","outcome":"ptp"}`)
	b.Run("publish", func(b *testing.B) {
		pub := n.Publisher()
		ctx := context.Background()
		ds := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if err := pub.PublishEvent(ctx, "ptp.created", data); err != nil {
				b.Fatal(err)
			}
			if err := pub.PublishEvent(ctx, "conv.ended", ended); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(start))
		}
		percentiles(b, ds)
	})
	b.Run("outbox", func(b *testing.B) {
		ob := &memOutbox{}
		r := n.StartRelay(ob, handoff.RelayOptions{Sweep: time.Hour})
		ds := make([]time.Duration, 0, b.N)
		i := 0
		for b.Loop() {
			i++
			evs := []store.Event{
				{ID: fmt.Sprintf("b-%d-p", i), Kind: "ptp.created", At: t0, Data: data},
				{ID: fmt.Sprintf("b-%d-e", i), Kind: "conv.ended", At: t0, Data: ended},
			}
			start := time.Now()
			r.Committed(evs)
			ds = append(ds, time.Since(start))
		}
		b.StartTimer()
		_ = r.Close() // waits for the last acknowledgements
		b.StopTimer()
		if ob.deleted != 2*i {
			b.Fatalf("%d events acknowledged, want %d", ob.deleted, 2*i)
		}
		percentiles(b, ds)
	})
}
