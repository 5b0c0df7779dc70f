package retention_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/store/sqlite"
)

// BenchmarkPurgeSQLite purges the transcripts, audit chains and contact
// attempts of 200 inactive accounts (one sealed conversation each) per
// iteration, on a SQLite file; it reports accounts purged per second.
func BenchmarkPurgeSQLite(b *testing.B) {
	const accounts = 200
	ctx := context.Background()
	cfg := retention.DefaultConfig()
	cfg.Transcripts, cfg.Audit, cfg.ContactAttempts = retention.RegFRecordsPeriod, retention.RegFRecordsPeriod, retention.RegFRecordsPeriod
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clock := &fakeClock{t: t0}
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "c.db"), sqlite.WithClock(clock.Now))
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, accounts)
		for j := range ids {
			ids[j] = fmt.Sprintf("a-%04d", j)
		}
		seedAccounts(b, st, ids...)
		for _, id := range ids {
			converse(b, st, id, id+"-c1", t0)
		}
		svc, err := retention.New(cfg, retention.Deps{Store: st, Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		clock.Set(t0.Add(retention.RegFRecordsPeriod + 24*time.Hour))
		b.StartTimer()
		start := time.Now()
		rep, err := svc.PurgeOnce(ctx)
		total += time.Since(start)
		b.StopTimer()
		if err != nil || rep.Accounts != accounts {
			b.Fatalf("purge: %+v, %v", rep, err)
		}
		st.Close()
	}
	b.ReportMetric(float64(accounts*b.N)/total.Seconds(), "accounts/s")
}
