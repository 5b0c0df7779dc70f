package audit

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// BenchmarkRecordsEvent is what sealing a turn's records adds to a commit:
// a borrower turn and two bot replies hashed, a promise, the event data
// and its link in the chain.
func BenchmarkRecordsEvent(b *testing.B) {
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	c := store.TurnCommit{
		Turns: []store.Turn{
			{Seq: 7, From: "borrower", Text: "I can pay the full amount on Friday"},
			{Seq: 8, From: "bot", Text: "Just to confirm: you will pay $240.00 by Friday, November 27, 2026. Is that right? Please answer yes or no."},
			{Seq: 9, From: "bot", Text: strings.Repeat("Thank you! I've recorded your promise. ", 4)},
		},
		Promises: []store.Promise{{ID: "p-0123456789abcdef01234567", DebtID: "a-1-d1", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-27", CreatedBy: "bot"}},
	}
	prev := compliance.Seal(nil, compliance.AuditRecord{Chain: "c-0123456789abcdef01234567", Kind: "guard.passed", Data: []byte(`{}`), At: at})
	b.ReportAllocs()
	for b.Loop() {
		data, _ := AppendRecords(make([]byte, 0, 160+110*len(c.Turns)), &c)
		_ = compliance.Seal(&prev, compliance.AuditRecord{Kind: KindRecords, Data: data, At: at})
	}
}

// BenchmarkObserve is the checkpointer's share of a commit: noting the
// commit's audit events (four) for the next checkpoint, from many
// goroutines at once.
func BenchmarkObserve(b *testing.B) {
	cp, err := Open(Config{Path: filepath.Join(b.TempDir(), FileName), Interval: 50 * time.Millisecond, MaxEvents: 1000}, testKey(b), Deps{})
	if err != nil {
		b.Fatal(err)
	}
	defer cp.Close()
	evs := chain("c-0123456789abcdef01234567", 4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			cp.Observe(evs)
		}
	})
}
