package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/store/storetest"
)

func openBench(b *testing.B, opts ...sqlite.Option) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		st := s.Stats()
		if st.Commits > 0 {
			b.ReportMetric(float64(st.Writes)/float64(st.Commits), "writes/commit")
		}
		s.Close()
	})
	return s
}

// BenchmarkCommitTurn: one conversation at a time ("serial") and 64
// conversations per CPU committing at once ("parallel64"), with group
// commit (batch 64) and without (batch 1), under synchronous NORMAL and FULL.
func BenchmarkCommitTurn(b *testing.B) {
	for _, sync := range []sqlite.Synchronous{sqlite.SyncNormal, sqlite.SyncFull} {
		for _, batch := range []int{1, 64} {
			for _, par := range []struct {
				name string
				p    int
			}{{"serial", 0}, {"parallel64", 64}} {
				name := string(sync) + "/batch" + itoa(batch) + "/" + par.name
				b.Run(name, func(b *testing.B) {
					s := openBench(b, sqlite.WithSynchronous(sync), sqlite.WithMaxBatch(batch))
					storetest.BenchCommitTurn(b, s, par.p)
				})
			}
		}
	}
}

// BenchmarkCommitTurnPaced offers 2,000 turns/s over 2,000 conversations
// (run with -benchtime=10000x) and reports commit latency percentiles, with
// and without group commit, with checkpoints in the writer ("ckptwriter")
// or on their own connection ("ckptbg").
func BenchmarkCommitTurnPaced(b *testing.B) {
	for _, sync := range []sqlite.Synchronous{sqlite.SyncNormal, sqlite.SyncFull} {
		for _, batch := range []int{1, 64} {
			for _, ckpt := range []struct {
				name  string
				every int
			}{{"ckptwriter", -1}, {"ckptbg", 256}} {
				b.Run(string(sync)+"/batch"+itoa(batch)+"/"+ckpt.name, func(b *testing.B) {
					s := openBench(b, sqlite.WithSynchronous(sync), sqlite.WithMaxBatch(batch),
						sqlite.WithCheckpointEvery(ckpt.every))
					storetest.BenchCommitTurnPaced(b, s, 2000, 2000)
				})
			}
		}
	}
}

func BenchmarkGetConversation(b *testing.B) {
	storetest.BenchGetConversation(b, openBench(b))
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// BenchmarkGetAccount reads one of 3,000 accounts with its debt, as a
// session and a chat connection each do.
func BenchmarkGetAccount(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	accts := make([]store.Account, 0, 3000)
	for i := range 3000 {
		id := "acct-" + itoa(i)
		accts = append(accts, store.Account{ID: id, Name: "Bench", DateOfBirth: "1988-07-21", Locale: "en-US",
			Debts: []store.Debt{{ID: id + "-d", AccountID: id, Creditor: "Demo", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13"}}})
	}
	if err := s.UpsertAccounts(ctx, accts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := s.GetAccount(ctx, accts[i%len(accts)].ID)
		if err != nil || len(a.Debts) != 1 {
			b.Fatal(a, err)
		}
	}
}
