package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	run := func(c store.Conversation, n int64) {
		cm := step(c, n)
		cm.Conversation.State = benchState
		if err := s.CommitTurn(ctx, cm); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if parallelism <= 0 {
		c := newConv()
		for n := int64(1); n <= int64(b.N); n++ {
			run(c, n)
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			c := newConv()
			for n := int64(1); pb.Next(); n++ {
				run(c, n)
			}
		})
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
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
