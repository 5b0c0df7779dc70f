package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// TestAuditVerify seals two chains into a real SQLite file, verifies them
// with the command, then tampers with one stored event and expects the
// command to name the broken chain and seq.
func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "collectagent.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	for _, chain := range []string{"c-one", "c-two"} {
		var prev *compliance.AuditRecord
		var evs []store.AuditEvent
		for i := range 3 {
			r := compliance.Seal(prev, compliance.AuditRecord{Chain: chain, Kind: "guard.passed", Data: []byte(`{"n":` + string(rune('0'+i)) + `}`), At: at.Add(time.Duration(i) * time.Second)})
			prev = &r
			evs = append(evs, store.AuditEvent{Chain: r.Chain, Seq: r.Seq, Kind: r.Kind, Data: r.Data, At: r.At, PrevHash: r.PrevHash, Hash: r.Hash})
		}
		if err := st.AppendAudit(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	var out, errb bytes.Buffer
	if code := runAudit(ctx, []string{"verify", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("intact chains: exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "2 chains, 6 events, 0 broken") {
		t.Fatalf("report: %q", out.String())
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "collectagent.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_events SET data = '{"n":9}' WHERE chain = 'c-two' AND seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out.Reset()
	errb.Reset()
	if code := runAudit(ctx, []string{"verify", "--data", dir}, &out, &errb); code != 1 {
		t.Fatalf("tampered chain: exit %d, want 1: %s", code, out.String())
	}
	if !strings.Contains(errb.String(), "c-two") || !strings.Contains(out.String(), "1 broken") {
		t.Fatalf("report does not name the broken chain: %q %q", out.String(), errb.String())
	}
	if code := runAudit(ctx, []string{"nonsense"}, &out, &errb); code != 2 {
		t.Fatalf("bad usage: exit %d, want 2", code)
	}
}
