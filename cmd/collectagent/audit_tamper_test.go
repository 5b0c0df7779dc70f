package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/postgres"
	"github.com/collectagent/collectagent/store/sqlite"
)

const testAuditKey = "an audit checkpoint key of at least 32 bytes"

// auditDB is one store under test, reopened as the command would open it.
type auditDB struct {
	open func(t *testing.T) store.Store
	// exec runs SQL on the database behind the store (as someone with
	// write access to it would), $1-style placeholders.
	exec func(t *testing.T, q string, args ...any)
	// args select the database for `audit verify`.
	args []string
}

var placeholder = regexp.MustCompile(`\$\d+`)

func sqliteAuditDB(t *testing.T, dir string) auditDB {
	path := filepath.Join(dir, "collectagent.db")
	return auditDB{
		open: func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		exec: func(t *testing.T, q string, args ...any) {
			t.Helper()
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(placeholder.ReplaceAllString(q, "?"), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
		args: []string{"--data", dir},
	}
}

func postgresAuditDB(t *testing.T, dir string) auditDB {
	url := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if url == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("COLLECT_TEST_POSTGRES_URL is not set and COLLECT_TEST_REQUIRE_ALL=1")
		}
		t.Skip("COLLECT_TEST_POSTGRES_URL is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "audittest_" + hex.EncodeToString(b[:])
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	inSchema := url + sep + "search_path=" + schema
	ctx := context.Background()
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return auditDB{
		open: func(t *testing.T) store.Store {
			st, err := postgres.Open(ctx, url, postgres.WithSchema(schema))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		exec: func(t *testing.T, q string, args ...any) {
			t.Helper()
			conn, err := pgx.Connect(ctx, inSchema)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
		args: []string{"--data", dir, "--database-url", inSchema},
	}
}

// auditedConversations plays two promise-to-pay conversations through a
// runtime on st wrapped by a checkpointer, checkpointing after every turn
// (as a server does when turns are further apart than its interval), and
// closes the checkpointer. It returns the conversation ids.
func auditedConversations(t *testing.T, st store.Store, cpPath string, mirror ...audit.Mirror) []string {
	t.Helper()
	clk := clock.NewFake(time.Time{})
	ctx := context.Background()
	key, err := audit.NewKey([]byte(testAuditKey))
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) // a weekday morning for the borrowers (UTC)
	cp, err := audit.Open(audit.Config{Path: cpPath, Interval: time.Hour}, key, audit.Deps{Clock: clk.Now, Node: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mirror {
		cp.SetMirror(m)
	}
	wst := audit.WrapStore(st, cp)
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: defaultPolicy("us"), Policies: map[string]dialog.Policy{"us": defaultPolicy("us")}},
		bot.Deps{Store: wst, Understander: understand.NewRules(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	var accts []store.Account
	for _, id := range []string{"a-1", "a-2"} {
		accts = append(accts, store.Account{
			ID: id, Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
			Timezone: "America/Chicago", Portfolio: "us", Consent: store.Consent{Chat: true, Recording: true},
			Debts: []store.Debt{{ID: id + "-d1", AccountID: id, Creditor: "Demo Finance", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 10}},
		})
	}
	accts[1].DoNotContact.Email = true
	if err := wst.UpsertAccounts(ctx, accts); err != nil {
		t.Fatal(err)
	}
	if err := audit.SealImport(ctx, wst, accts, "csv", "accounts.csv", clk.Now()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range accts {
		conv, err := rt.Begin(ctx, a.ID, bot.ChannelChat, bot.ByBorrower)
		if err != nil {
			t.Fatal(err)
		}
		s, err := rt.Open(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"07/21/1988", "I can pay the full amount tomorrow", "yes"} {
			clk.Advance(20 * time.Second)
			if err := cp.Flush(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Handle(ctx, bot.Message{Text: line}); err != nil {
				t.Fatal(err)
			}
		}
		if s.Status().Outcome != "ptp" {
			t.Fatalf("conversation %s ended %+v", conv.ID, s.Status())
		}
		ids = append(ids, conv.ID)
	}
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// verifyCmd runs `collectagent audit verify` with the test key in a key
// file and returns its exit code, stdout and stderr.
func verifyCmd(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(keyFile, []byte(testAuditKey), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := runAudit(context.Background(), append([]string{"verify", "--key-file", keyFile}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// events reads a chain back, for a tamperer who recomputes hashes.
func events(t *testing.T, db auditDB, chain string) []store.AuditEvent {
	t.Helper()
	st := db.open(t)
	defer st.Close()
	evs, err := st.ListAudit(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// reseal recomputes every hash of the chain from seq from on, the way
// someone who edited an event would, and writes them back.
func reseal(t *testing.T, db auditDB, chain string, from int64) {
	t.Helper()
	evs := events(t, db, chain)
	var prev *compliance.AuditRecord
	for _, e := range evs {
		r := compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
		if e.Seq >= from {
			r = compliance.Seal(prev, r)
			db.exec(t, `UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE chain = $3 AND seq = $4`, r.PrevHash, r.Hash, chain, r.Seq)
		}
		prev = &r
	}
}

// TestAuditVerifyTampering plays real conversations into SQLite and
// PostgreSQL with checkpoints on, then tampers with the database (or the
// checkpoint file) one way per case and runs `audit verify`, which must
// fail and name what is missing or altered.
func TestAuditVerifyTampering(t *testing.T) {
	type tamper struct {
		name string
		do   func(t *testing.T, db auditDB, cpPath string, convs []string)
		want []string // every one must appear in the report
	}
	cases := []tamper{
		{"last event deleted", func(t *testing.T, db auditDB, _ string, c []string) {
			evs := events(t, db, c[0])
			db.exec(t, `DELETE FROM audit_events WHERE chain = $1 AND seq = $2`, c[0], evs[len(evs)-1].Seq)
		}, []string{"removed from the end"}},
		{"whole chain deleted", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `DELETE FROM audit_events WHERE chain = $1`, c[1])
		}, []string{"whole chain: missing: deleted", "turn 1: stored but not sealed"}},
		{"conversation deleted with its chain", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `DELETE FROM audit_events WHERE chain = $1`, c[1])
			db.exec(t, `DELETE FROM promises WHERE conversation_id = $1`, c[1])
			db.exec(t, `DELETE FROM conversations WHERE id = $1`, c[1])
		}, []string{"whole chain: missing: deleted"}},
		{"event edited and re-sealed", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = 2`, `{"act":"greeting","source":"template","text":"edited"}`, c[0])
			reseal(t, db, c[0], 2)
		}, []string{"altered: seq", "re-sealed"}},
		{"forged event appended", func(t *testing.T, db auditDB, _ string, c []string) {
			evs := events(t, db, c[0])
			last := evs[len(evs)-1]
			prev := compliance.AuditRecord{Chain: last.Chain, Seq: last.Seq, Kind: last.Kind, Data: last.Data, At: last.At, PrevHash: last.PrevHash, Hash: last.Hash}
			r := compliance.Seal(&prev, compliance.AuditRecord{Kind: "handoff.completed", Data: []byte(`{"agent_id":"mallory"}`), At: last.At.Add(time.Minute)})
			st := db.open(t)
			defer st.Close()
			if err := st.AppendAudit(context.Background(), []store.AuditEvent{{Chain: r.Chain, Seq: r.Seq, Kind: r.Kind, Data: r.Data, At: r.At, PrevHash: r.PrevHash, Hash: r.Hash}}); err != nil {
				t.Fatal(err)
			}
		}, []string{"not checkpointed", "appended by someone without the key"}},
		{"turn text edited", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `UPDATE turns SET text = $1 WHERE conversation_id = $2 AND seq = 4`, "I never said that", c[0])
		}, []string{"turn 4: altered: the text differs"}},
		{"turn deleted", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `DELETE FROM turns WHERE conversation_id = $1 AND seq = 2`, c[0])
		}, []string{"turn 2: missing"}},
		{"promise amount edited", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `UPDATE promises SET amount_minor = 100 WHERE conversation_id = $1`, c[1])
		}, []string{"promise", "altered: amount"}},
		{"turn edited, its seal edited and the chain re-sealed", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `UPDATE turns SET text = $1 WHERE conversation_id = $2 AND seq = 4`, "I never said that", c[0])
			for _, e := range events(t, db, c[0]) {
				if e.Kind != audit.KindRecords {
					continue
				}
				var r audit.Records
				if err := json.Unmarshal(e.Data, &r); err != nil {
					t.Fatal(err)
				}
				for i := range r.Turns {
					if r.Turns[i].Seq == 4 {
						r.Turns[i].SHA256 = audit.TextHash("I never said that")
						b, _ := json.Marshal(r)
						db.exec(t, `UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = $3`, string(b), c[0], e.Seq)
						reseal(t, db, c[0], e.Seq)
						return
					}
				}
			}
			t.Fatal("turn 4 is not sealed")
		}, []string{"altered: seq"}},
		{"imported debt edited", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `UPDATE debts SET amount_minor = 100 WHERE account_id = $1`, "a-1")
		}, []string{"account a-1: altered: differs from the import sealed at"}},
		{"imported do-not-contact lifted", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `UPDATE accounts SET dnc_email = $1 WHERE id = $2`, false, "a-2")
		}, []string{"account a-2: altered: do-not-contact on email lifted"}},
		{"account added without an import", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `INSERT INTO accounts (id, name, date_of_birth, id_last4, locale, timezone, phone, email, portfolio, created_at, updated_at)
				SELECT 'a-9', name, date_of_birth, id_last4, locale, timezone, phone, email, portfolio, created_at, updated_at FROM accounts WHERE id = 'a-1'`)
		}, []string{"account a-9: stored but not sealed by any import"}},
		{"import record deleted", func(t *testing.T, db auditDB, _ string, c []string) {
			db.exec(t, `DELETE FROM audit_events WHERE chain = $1`, audit.ImportChain)
		}, []string{`chain "imports": whole chain: missing: deleted`, "account a-1: stored but not sealed by any import"}},
		{"import record edited and re-sealed", func(t *testing.T, db auditDB, _ string, c []string) {
			evs := events(t, db, audit.ImportChain)
			data := strings.Replace(string(evs[0].Data), `"dnc":["email"]`, `"dnc":[]`, 1)
			if data == string(evs[0].Data) {
				t.Fatalf("no do-not-contact sealed: %s", data)
			}
			db.exec(t, `UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = 1`, data, audit.ImportChain)
			reseal(t, db, audit.ImportChain, 1)
		}, []string{`chain "imports": event 1: altered: seq 1's hash differs`}},
		{"checkpoint line forged", func(t *testing.T, _ auditDB, cpPath string, c []string) {
			f, err := os.OpenFile(cpPath, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			body := `{"n":99,"at":"2026-11-23T16:00:00Z","prev":"","heads":[{"chain":"x","seq":1,"hash":"00"}]}`
			if _, err := f.WriteString(`{"body":` + body + `,"mac":"` + strings.Repeat("ab", 32) + `"}` + "\n"); err != nil {
				t.Fatal(err)
			}
		}, []string{"signature does not verify"}},
		{"checkpoint line removed", func(t *testing.T, _ auditDB, cpPath string, c []string) {
			b, err := os.ReadFile(cpPath)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfter(string(b), "\n")
			if len(lines) < 4 {
				t.Fatalf("only %d checkpoint lines", len(lines))
			}
			lines = append(lines[:2], lines[3:]...)
			if err := os.WriteFile(cpPath, []byte(strings.Join(lines, "")), 0o640); err != nil {
				t.Fatal(err)
			}
		}, []string{"does not follow checkpoint"}},
		{"checkpoint file deleted", func(t *testing.T, _ auditDB, cpPath string, c []string) {
			if err := os.Remove(cpPath); err != nil {
				t.Fatal(err)
			}
		}, []string{"checkpoint file", "missing", "not checkpointed"}},
	}
	backends := []struct {
		name string
		db   func(t *testing.T, dir string) auditDB
	}{{"sqlite", sqliteAuditDB}, {"postgres", postgresAuditDB}}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					db := be.db(t, dir)
					cpPath := filepath.Join(dir, audit.FileName)
					st := db.open(t)
					convs := auditedConversations(t, st, cpPath)
					st.Close()
					code, out, errs := verifyCmd(t, db.args)
					if code != 0 || !strings.Contains(out, "0 problems") {
						t.Fatalf("before tampering: exit %d\n%s%s", code, out, errs)
					}
					tc.do(t, db, cpPath, convs)
					code, out, errs = verifyCmd(t, db.args)
					if code != 1 {
						t.Fatalf("after tampering: exit %d, want 1\n%s%s", code, out, errs)
					}
					for _, w := range tc.want {
						if !strings.Contains(errs, w) {
							t.Errorf("report does not say %q:\n%s%s", w, out, errs)
						}
					}
				})
			}
		})
	}
}

// TestOpenCheckpoints: serve checkpoints into the data directory with a
// key from COLLECT_AUDIT_KEY or audit.key_file, refuses a short key, runs
// without checkpoints (and says so) when there is none, and never logs the
// key.
func TestOpenCheckpoints(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	load := func(env map[string]string) Config {
		cfg, err := loadConfig("", func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		cfg.Data = dir
		return cfg
	}
	cfg := load(nil)
	if cp, err := openCheckpoints(&cfg, log); cp != nil || err != nil {
		t.Fatalf("no key: %v %v", cp, err)
	}
	if !strings.Contains(logs.String(), "audit checkpoints off") {
		t.Errorf("no warning without a key: %s", logs.String())
	}
	cfg = load(map[string]string{"COLLECT_AUDIT_KEY": "too short"})
	if _, err := openCheckpoints(&cfg, log); err == nil || !errors.Is(err, errConfig) || strings.Contains(err.Error(), "too short") {
		t.Fatalf("short key: %v", err)
	}
	keyFile := filepath.Join(dir, "audit.key")
	if err := os.WriteFile(keyFile, []byte(testAuditKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []map[string]string{{"COLLECT_AUDIT_KEY": testAuditKey}, {"COLLECT_AUDIT_KEY_FILE": keyFile}} {
		cfg = load(env)
		cp, err := openCheckpoints(&cfg, log)
		if err != nil || cp == nil {
			t.Fatalf("%v: %v", env, err)
		}
		cp.Observe([]store.AuditEvent{{Chain: "c", Seq: 1, Hash: "h"}})
		if err := cp.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, audit.FileName))
	if err != nil || bytes.Count(b, []byte("\n")) != 2 {
		t.Fatalf("checkpoint file: %q %v", b, err)
	}
	if strings.Contains(logs.String(), testAuditKey) || bytes.Contains(b, []byte(testAuditKey)) {
		t.Fatal("the key was written out")
	}
}

// TestAuditVerifyCheckpointCopy: the checkpoint lines are copied to a
// JetStream stream as they are written; `audit verify --nats` compares the
// files with the copy, so a file deleted, or cut short together with the
// events its last lines signed, is named, and the chains are still
// checked against the copy.
func TestAuditVerifyCheckpointCopy(t *testing.T) {
	type tamper struct {
		name string
		do   func(t *testing.T, db auditDB, cpPath string, convs []string)
		want []string
		not  []string // must not appear
	}
	cases := []tamper{
		{"checkpoint file deleted", func(t *testing.T, _ auditDB, cpPath string, _ []string) {
			if err := os.Remove(cpPath); err != nil {
				t.Fatal(err)
			}
		}, []string{"checkpoint file", "missing from the checkpoint files, held by the JetStream copy"}, []string{"not checkpointed"}},
		{"last lines and the events they signed removed", func(t *testing.T, db auditDB, cpPath string, c []string) {
			b, err := os.ReadFile(cpPath)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
			if err := os.WriteFile(cpPath, []byte(strings.Join(lines[:len(lines)-2], "")), 0o640); err != nil {
				t.Fatal(err)
			}
			// The events of the second conversation's last two turns.
			evs := events(t, db, c[1])
			db.exec(t, `DELETE FROM audit_events WHERE chain = $1 AND seq > $2`, c[1], evs[len(evs)-1].Seq-6)
		}, []string{"missing from the checkpoint files, held by the JetStream copy", "removed from the end"}, nil},
		{"checkpoint line rewritten", func(t *testing.T, _ auditDB, cpPath string, _ []string) {
			b, err := os.ReadFile(cpPath)
			if err != nil {
				t.Fatal(err)
			}
			// The key holder's rewrite is out of reach; a line swapped for
			// a differently signed one (another key) shows as both.
			lines := strings.SplitAfter(string(b), "\n")
			lines[0] = strings.Replace(lines[0], `"mac":"`, `"mac":"00`, 1)
			if err := os.WriteFile(cpPath, []byte(strings.Join(lines, "")), 0o640); err != nil {
				t.Fatal(err)
			}
		}, []string{"signature does not verify", "line 1 of node test: missing from the checkpoint files"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := handofftest.Embedded(t)
			js, err := jetstream.New(ns.Conn(t))
			if err != nil {
				t.Fatal(err)
			}
			prefix := handofftest.UniquePrefix()
			ms, err := openCheckpointStream(context.Background(), js, prefix, 1)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			db := sqliteAuditDB(t, dir)
			cpPath := filepath.Join(dir, audit.FileName)
			st := db.open(t)
			convs := auditedConversations(t, st, cpPath, ms)
			st.Close()
			cfgPath := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(cfgPath, []byte("nats:\n  url: "+ns.NATS().ClientURL()+"\n  prefix: "+prefix+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--config", cfgPath, "--nats"}, db.args...)
			code, out, errs := verifyCmd(t, args)
			if code != 0 || !strings.Contains(out, "0 problems") || strings.Contains(out, "(0 in the JetStream copy)") {
				t.Fatalf("before tampering: exit %d\n%s%s", code, out, errs)
			}
			tc.do(t, db, cpPath, convs)
			code, out, errs = verifyCmd(t, args)
			if code != 1 {
				t.Fatalf("after tampering: exit %d, want 1\n%s%s", code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("report does not say %q:\n%s%s", w, out, errs)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(errs, w) {
					t.Errorf("report says %q:\n%s%s", w, out, errs)
				}
			}
		})
	}
}
