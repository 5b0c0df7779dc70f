package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
)

// benchState is a dialog state of a realistic size (about 1 KiB).
var benchState = json.RawMessage(`{"stage":"negotiate","verified":true,"tries":0,"notes":"` + strings.Repeat("x", 900) + `"}`)

// BenchCommitTurn measures CommitTurn with a typical step (two turns and two
// audit events), from goroutines each driving its own conversation.
// parallelism multiplies GOMAXPROCS as in testing.B.SetParallelism; 0 runs
// one conversation at a time. It reports turns/s (commits per second).
func BenchCommitTurn(b *testing.B, s store.Store, parallelism int) {
	ctx := context.Background()
	if err := s.UpsertAccounts(ctx, []store.Account{{ID: "bench", Name: "Bench", Debts: []store.Debt{{ID: "bench-d1", AmountMinor: 24000}}}}); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	newConv := func() store.Conversation {
		c := store.Conversation{
			ID: fmt.Sprintf("bench-%d", next.Add(1)), AccountID: "bench", DebtID: "bench-d1", Channel: "chat",
			Locale: "en-US", Mode: store.ModeBot, Stage: "greeting", State: benchState, Version: 1,
			CreatedAt: base, UpdatedAt: base,
		}
		if err := s.CreateConversation(ctx, c); err != nil {
			b.Fatal(err)
		}
		return c
	}
	var mu sync.Mutex
	var lat []time.Duration
	run := func(c store.Conversation, n int64, mine *[]time.Duration) {
		cm := step(c, n)
		cm.Conversation.State = benchState
		t0 := time.Now()
		if err := s.CommitTurn(ctx, cm); err != nil {
			b.Fatal(err)
		}
		*mine = append(*mine, time.Since(t0))
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if parallelism <= 0 {
		c := newConv()
		for n := int64(1); n <= int64(b.N); n++ {
			run(c, n, &lat)
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			c := newConv()
			var mine []time.Duration
			for n := int64(1); pb.Next(); n++ {
				run(c, n, &mine)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
	reportLatency(b, lat)
}

// BenchGetConversation measures GetConversation over 1,000 conversations
// from parallel readers.
func BenchGetConversation(b *testing.B, s store.Store) {
	ctx := context.Background()
	if err := s.UpsertAccounts(ctx, []store.Account{{ID: "bench", Name: "Bench"}}); err != nil {
		b.Fatal(err)
	}
	const convs = 1000
	for i := range convs {
		c := store.Conversation{ID: fmt.Sprintf("get-%d", i), AccountID: "bench", Mode: store.ModeBot,
			State: benchState, Version: 1, CreatedAt: base, UpdatedAt: base}
		if err := s.CreateConversation(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("get-%d", next.Add(1)%convs)
			if _, err := s.GetConversation(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
}

// reportLatency reports the median and 99th percentile of lat in µs.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchCommitTurnPaced offers typical steps (as BenchCommitTurn) at a fixed
// total rate spread over convs conversations, as chat traffic arrives, and
// reports the latency of each commit from the moment it was due (so a
// stalled writer shows up as queueing, not as a slower offer). b.N is the
// number of commits; use -benchtime=Nx.
func BenchCommitTurnPaced(b *testing.B, s store.Store, convs int, perSecond float64) {
	ctx := context.Background()
	if err := s.UpsertAccounts(ctx, []store.Account{{ID: "bench", Name: "Bench"}}); err != nil {
		b.Fatal(err)
	}
	type job struct{ due time.Time }
	jobs := make(chan job, b.N)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Value
	for i := range convs {
		c := store.Conversation{ID: fmt.Sprintf("paced-%d", i), AccountID: "bench", Mode: store.ModeBot,
			State: benchState, Version: 1, CreatedAt: base, UpdatedAt: base}
		if err := s.CreateConversation(ctx, c); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for n := int64(1); ; n++ {
				j, ok := <-jobs
				if !ok {
					break
				}
				cm := step(c, n)
				cm.Conversation.State = benchState
				if err := s.CommitTurn(ctx, cm); err != nil {
					failed.Store(err)
				}
				mine = append(mine, time.Since(j.due))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / perSecond)
	for i := 0; i < b.N; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d) // pacing the offered load; this is a load generator
		}
		jobs <- job{due: due}
	}
	close(jobs)
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
	reportLatency(b, lat)
}
