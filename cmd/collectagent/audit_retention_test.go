package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/retention"
)

// TestAuditVerifyAfterRetention: purges and erasures, recorded on the
// account chains, leave `audit verify` clean (checkpoints included), and
// data erased without such a record is reported.
func TestAuditVerifyAfterRetention(t *testing.T) {
	backends := []struct {
		name string
		db   func(t *testing.T, dir string) auditDB
	}{{"sqlite", sqliteAuditDB}, {"postgres", postgresAuditDB}}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db := be.db(t, dir)
			cpPath := filepath.Join(dir, audit.FileName)
			st := db.open(t)
			auditedConversations(t, st, cpPath)

			clock := &tamperClock{t: time.Date(2030, 1, 6, 12, 0, 0, 0, time.UTC)}
			key, err := audit.NewKey([]byte(testAuditKey))
			if err != nil {
				t.Fatal(err)
			}
			cp, err := audit.Open(audit.Config{Path: cpPath, Interval: time.Hour}, key, audit.Deps{Clock: clock.Now, Node: "test"})
			if err != nil {
				t.Fatal(err)
			}
			cfg := retention.DefaultConfig()
			cfg.Transcripts, cfg.Audit = retention.RegFRecordsPeriod, retention.RegFRecordsPeriod
			svc, err := retention.New(cfg, retention.Deps{Store: audit.WrapStore(st, cp), Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			// a-1 is held through the purge, then erased; a-2 is purged.
			h, err := svc.PlaceHold(ctx, "a-1", "api:legal", "complaint under review")
			if err != nil {
				t.Fatal(err)
			}
			rep, err := svc.PurgeOnce(ctx)
			if err != nil || rep.Accounts != 1 || rep.Turns == 0 || rep.AuditEvents == 0 {
				t.Fatalf("purge: %+v, %v", rep, err)
			}
			if _, err := svc.ReleaseHold(ctx, "a-1", h.ID, "api:legal", "closed"); err != nil {
				t.Fatal(err)
			}
			er, err := svc.Erase(ctx, "a-1", "api:ops", "borrower's request")
			if err != nil || er.Erased.Turns == 0 || er.Erased.AuditEvents == 0 {
				t.Fatalf("erase: %+v, %v", er, err)
			}
			if err := cp.Close(); err != nil {
				t.Fatal(err)
			}
			st.Close()
			code, out, errs := verifyCmd(t, db.args)
			if code != 0 || !strings.Contains(out, "0 problems") {
				t.Fatalf("after purge and erasure: exit %d\n%s%s", code, out, errs)
			}

			// Erased data is accepted only where an erasure names the
			// conversation: replacing an event's data by its digest
			// elsewhere keeps the hash, and is still reported.
			evs := events(t, db, bot.AccountChain("a-2"))
			if len(evs) == 0 {
				t.Fatal("a-2's account chain is empty")
			}
			ev := evs[0]
			db.exec(t, `UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = $3`, string(compliance.EraseData(ev.Data)), ev.Chain, ev.Seq)
			code, out, errs = verifyCmd(t, db.args)
			if code != 1 || !strings.Contains(errs, "no erasure record names") {
				t.Fatalf("data erased without a record: exit %d\n%s%s", code, out, errs)
			}
		})
	}
}
