package retention_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/postgres"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/telephony/record"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// stores opens each real store the test runs on: SQLite always,
// PostgreSQL with COLLECT_TEST_POSTGRES_URL (required under
// COLLECT_TEST_REQUIRE_ALL=1).
func stores(t *testing.T, clock *fakeClock) map[string]store.Store {
	t.Helper()
	out := map[string]store.Store{}
	sq, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), sqlite.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	out["sqlite"] = sq
	url := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if url == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("COLLECT_TEST_POSTGRES_URL is not set and COLLECT_TEST_REQUIRE_ALL=1")
		}
		t.Log("PostgreSQL skipped: COLLECT_TEST_POSTGRES_URL is not set")
		return out
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "retention_" + hex.EncodeToString(b[:])
	pg, err := postgres.Open(context.Background(), url, postgres.WithSchema(schema), postgres.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pg.Close()
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	out["postgres"] = pg
	return out
}

// converse stores a conversation of account id at when, sealed as the
// runtime seals one: guard events holding the bot's words, a records event
// vouching for the turns and a promise.
func converse(t testing.TB, st store.Store, id, conv string, when time.Time) {
	t.Helper()
	ctx := context.Background()
	c := store.Conversation{ID: conv, AccountID: id, DebtID: id + "-d", Channel: "chat", Locale: "en-US", Mode: store.ModeBot,
		Stage: "greeting", Version: 1, CreatedAt: when, UpdatedAt: when}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Version, c.State, c.Outcome, c.OutcomeType = 2, json.RawMessage(`{"name":"Maria Lopez"}`), json.RawMessage(`{"reason":"lost my job"}`), "ptp"
	tc := store.TurnCommit{Conversation: c,
		Turns: []store.Turn{
			{ConversationID: conv, Seq: 1, From: "bot", Text: "Hello Maria Lopez, this is an automated assistant.", At: when},
			{ConversationID: conv, Seq: 2, From: "borrower", Text: "I lost my job, I can pay 120 on Friday", At: when},
		},
		Promises: []store.Promise{{ID: conv + "-p", AccountID: id, DebtID: id + "-d", ConversationID: conv, AmountMinor: 12000,
			Currency: "USD", DueDate: "2026-03-06", Status: "open", CreatedBy: "bot", CreatedAt: when}},
		Escalations: []store.Escalation{{ID: conv + "-e", ConversationID: conv, AccountID: id, Reason: "hardship", Status: "queued",
			Packet: json.RawMessage(`{"summary":"Maria lost her job"}`), CreatedAt: when, UpdatedAt: when}},
	}
	var prev *compliance.AuditRecord
	add := func(kind string, data []byte) {
		r := compliance.Seal(prev, compliance.AuditRecord{Chain: conv, Kind: kind, Data: data, At: when})
		prev = &r
		tc.Audit = append(tc.Audit, store.AuditEvent{Chain: r.Chain, Seq: r.Seq, Kind: r.Kind, Data: r.Data, At: r.At, PrevHash: r.PrevHash, Hash: r.Hash})
	}
	add("guard.passed", []byte(`{"text":"Hello Maria Lopez, this is an automated assistant."}`))
	recs, _ := audit.RecordsOf(&tc)
	b, err := recs.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	add(audit.KindRecords, b)
	if err := st.CommitTurn(ctx, tc); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordContactAttempt(ctx, store.ContactAttempt{AccountID: id, Channel: "chat", Result: "conversation", At: when}); err != nil {
		t.Fatal(err)
	}
}

func seedAccounts(t testing.TB, st store.Store, ids ...string) {
	t.Helper()
	var accts []store.Account
	for _, id := range ids {
		accts = append(accts, store.Account{ID: id, Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
			Timezone: "America/Chicago", Phone: "+13125550100", Email: "maria@example.com",
			Debts: []store.Debt{{ID: id + "-d", Creditor: "Acme", AmountMinor: 24000, Currency: "USD", DueDate: "2026-02-20"}}})
	}
	if err := st.UpsertAccounts(context.Background(), accts); err != nil {
		t.Fatal(err)
	}
}

func verifyChains(t *testing.T, st store.Store) {
	t.Helper()
	evs, err := st.ListAudit(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	byChain := map[string][]compliance.AuditRecord{}
	for _, e := range evs {
		byChain[e.Chain] = append(byChain[e.Chain], compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	for c, recs := range byChain {
		if err := compliance.VerifyChain(recs); err != nil {
			t.Errorf("chain %s: %v", c, err)
		}
	}
}

func TestPurge(t *testing.T) {
	clock := &fakeClock{t: t0}
	for name, st := range stores(t, clock) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			blob := record.Dir{Root: t.TempDir()}
			seedAccounts(t, st, "old", "held", "recent")
			for _, id := range []string{"old", "held", "recent"} {
				converse(t, st, id, id+"-c1", t0)
				if err := blob.Put(ctx, "2026/03/02/"+id+"-c1/mix.wav", bytes.NewReader([]byte("RIFF"))); err != nil {
					t.Fatal(err)
				}
			}
			converse(t, st, "recent", "recent-c2", t0.Add(2*365*day))
			// The blobs' age is their modification time.
			for _, k := range []string{"old-c1", "held-c1", "recent-c1"} {
				p := filepath.Join(blob.Root, "2026", "03", "02", k, "mix.wav")
				if err := os.Chtimes(p, t0, t0); err != nil {
					t.Fatal(err)
				}
			}
			cfg := retention.DefaultConfig()
			cfg.Transcripts, cfg.Audit, cfg.ContactAttempts = retention.RegFRecordsPeriod, retention.RegFRecordsPeriod+365*day, retention.RegFRecordsPeriod
			cfg.Recordings = 365 * day
			cfg.Batch = 1 // pages through the accounts
			a, err := retention.New(cfg, retention.Deps{Store: st, Clock: clock, Recordings: retention.BlobRecordings{Blob: blob}, Node: "node-a"})
			if err != nil {
				t.Fatal(err)
			}
			var observed []retention.Report
			b, err := retention.New(cfg, retention.Deps{Store: st, Clock: clock, Recordings: retention.BlobRecordings{Blob: blob}, Node: "node-b",
				Observe: func(r retention.Report) { observed = append(observed, r) }})
			if err != nil {
				t.Fatal(err)
			}
			clock.Set(t0.Add(30 * day))
			if _, err := a.PlaceHold(ctx, "held", "api:legal", "litigation 26-113"); err != nil {
				t.Fatal(err)
			}

			// Within every period: nothing goes but the lease is taken.
			rep, err := a.PurgeOnce(ctx)
			if err != nil || !rep.Ran || rep.Accounts != 0 || rep.Recordings != 0 {
				t.Fatalf("first purge: %+v, %v", rep, err)
			}
			if rep, err := b.PurgeOnce(ctx); err != nil || rep.Ran || len(observed) != 0 {
				t.Fatalf("node b purged while node a holds the lease: %+v, %v (observed %d)", rep, err, len(observed))
			}

			// Past the recordings period: the old and recent accounts'
			// recordings go, the held one's stays.
			clock.Set(t0.Add(400 * day))
			rep, err = b.PurgeOnce(ctx) // a's lease has lapsed: b takes over
			if err != nil || !rep.Ran || rep.Recordings != 2 || rep.Accounts != 0 {
				t.Fatalf("recordings purge: %+v, %v", rep, err)
			}
			left, _ := blob.List(ctx, "")
			if len(left) != 1 || left[0].Key != "2026/03/02/held-c1/mix.wav" {
				t.Fatalf("recordings left: %+v", left)
			}
			if len(observed) != 1 || observed[0] != rep {
				t.Fatalf("observed %+v, want the round's report %+v", observed, rep)
			}

			// Three years after the last activity: old's transcripts and
			// contact attempts go; recent (active a year ago) and held stay.
			clock.Set(t0.Add(retention.RegFRecordsPeriod + day))
			rep, err = b.PurgeOnce(ctx)
			if err != nil || rep.Accounts != 1 || rep.Turns != 2 || rep.ContactAttempts != 1 || rep.AuditEvents != 0 {
				t.Fatalf("records purge: %+v, %v", rep, err)
			}
			for id, want := range map[string]int{"old-c1": 0, "held-c1": 2, "recent-c1": 2} {
				turns, err := st.ListTurns(ctx, id)
				if err != nil || len(turns) != want {
					t.Fatalf("%s: %d turns (%v), want %d", id, len(turns), err, want)
				}
			}
			// Promises stay; the chain of old-c1 too, until its own period.
			if ps, _ := st.ListPromises(ctx, "old"); len(ps) != 1 {
				t.Fatalf("purge removed a promise: %+v", ps)
			}
			if evs, _ := st.ListAudit(ctx, "old-c1"); len(evs) != 2 {
				t.Fatalf("old-c1's chain: %d events", len(evs))
			}
			rep, err = b.PurgeOnce(ctx)
			if err != nil || rep.Accounts != 0 {
				t.Fatalf("a second purge found more: %+v, %v", rep, err)
			}

			clock.Set(t0.Add(retention.RegFRecordsPeriod + 366*day))
			rep, err = b.PurgeOnce(ctx)
			if err != nil || rep.Accounts != 1 || rep.AuditEvents != 2 {
				t.Fatalf("audit purge: %+v, %v", rep, err)
			}
			// Each purge is sealed on the account's chain.
			evs, err := st.ListAudit(ctx, bot.AccountChain("old"))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range evs {
				var r retention.PurgeRecord
				if err := json.Unmarshal(e.Data, &r); err != nil || e.Kind != retention.KindPurged {
					t.Fatalf("account chain event %s: %s", e.Kind, e.Data)
				}
				kinds = append(kinds, r.Kind)
			}
			if fmt.Sprint(kinds) != "[transcripts contact_attempts audit]" {
				t.Fatalf("purge records: %v", kinds)
			}
			sys, _ := st.ListAudit(ctx, retention.SystemChain)
			if len(sys) != 1 || sys[0].Kind != retention.KindRecordingsPurged {
				t.Fatalf("system chain: %+v", sys)
			}
			verifyChains(t, st)

			// Released, the held account is purged on the next round.
			hs, _ := a.Holds(ctx, "held")
			if _, err := a.ReleaseHold(ctx, "held", hs[0].ID, "api:legal", "case closed"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.ReleaseHold(ctx, "held", hs[0].ID, "api:legal", "again"); !errors.Is(err, retention.ErrDone) {
				t.Fatalf("release twice: %v", err)
			}
			rep, err = b.PurgeOnce(ctx)
			if err != nil || rep.Accounts != 1 || rep.Recordings != 1 {
				t.Fatalf("purge after the release: %+v, %v", rep, err)
			}
		})
	}
}

func TestErase(t *testing.T) {
	clock := &fakeClock{t: t0}
	for name, st := range stores(t, clock) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			blob := record.Dir{Root: t.TempDir()}
			seedAccounts(t, st, "maria", "other")
			converse(t, st, "maria", "maria-c1", t0)
			converse(t, st, "maria", "maria-c2", t0.Add(day))
			converse(t, st, "other", "other-c1", t0)
			for _, k := range []string{"2026/03/02/maria-c1/mix.wav", "2026/03/02/maria-c1/caller.wav", "2026/03/02/other-c1/mix.wav"} {
				if err := blob.Put(ctx, k, bytes.NewReader([]byte("RIFF"))); err != nil {
					t.Fatal(err)
				}
			}
			svc, err := retention.New(retention.DefaultConfig(), retention.Deps{Store: st, Clock: clock, Recordings: retention.BlobRecordings{Blob: blob}})
			if err != nil {
				t.Fatal(err)
			}
			clock.Set(t0.Add(10 * day))
			h, err := svc.PlaceHold(ctx, "maria", "api:legal", "subpoena")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Erase(ctx, "maria", "api:ops", "borrower asked"); !errors.Is(err, retention.ErrHeld) {
				t.Fatalf("erasure under hold: %v", err)
			}
			if _, err := svc.ReleaseHold(ctx, "maria", h.ID, "api:legal", "lifted"); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Erase(ctx, "nobody", "api:ops", ""); !errors.Is(err, retention.ErrNotFound) {
				t.Fatalf("erasure of an unknown account: %v", err)
			}
			er, err := svc.Erase(ctx, "maria", "api:ops", "borrower asked")
			if err != nil {
				t.Fatal(err)
			}
			want := store.ErasureResult{Conversations: 2, Turns: 4, AuditEvents: 2, Escalations: 2}
			if er.Erased != want || er.Recordings != 2 || len(er.Kept) == 0 {
				t.Fatalf("erasure: %+v", er)
			}
			// Nothing personal is left of maria, anywhere.
			var dump bytes.Buffer
			a, _ := st.GetAccount(ctx, "maria")
			json.NewEncoder(&dump).Encode(a)
			for _, c := range []string{"maria-c1", "maria-c2"} {
				cv, _ := st.GetConversation(ctx, c)
				turns, _ := st.ListTurns(ctx, c)
				evs, _ := st.ListAudit(ctx, c)
				escs, _ := st.ListEscalations(ctx, store.EscalationFilter{ConversationID: c})
				json.NewEncoder(&dump).Encode([]any{cv, turns, evs, escs})
			}
			for _, pii := range []string{"Maria", "1988-07-21", "4417", "+1312", "maria@", "lost", "Friday"} {
				if bytes.Contains(dump.Bytes(), []byte(pii)) {
					t.Errorf("%q survives the erasure", pii)
				}
			}
			// What the lender keeps is there.
			if ps, _ := st.ListPromises(ctx, "maria"); len(ps) != 2 {
				t.Errorf("promises after erasure: %d", len(ps))
			}
			if a.Debts[0].AmountMinor != 24000 || !a.DoNotContact.Chat {
				t.Errorf("account after erasure: %+v", a)
			}
			// The other borrower is untouched, recordings included.
			if turns, _ := st.ListTurns(ctx, "other-c1"); turns[0].Text == "" {
				t.Error("the erasure reached another borrower")
			}
			left, _ := blob.List(ctx, "")
			if len(left) != 1 || left[0].Key != "2026/03/02/other-c1/mix.wav" {
				t.Errorf("recordings left: %+v", left)
			}
			// Every chain still verifies link by link, and the records
			// events still vouch for turns (by author) and promises.
			verifyChains(t, st)
			evs, _ := st.ListAudit(ctx, bot.AccountChain("maria"))
			last := evs[len(evs)-1]
			var rec retention.ErasureRecord
			if err := json.Unmarshal(last.Data, &rec); err != nil || last.Kind != retention.KindErasure || len(rec.Conversations) != 2 || rec.By != "api:ops" {
				t.Fatalf("erasure record %s: %s", last.Kind, last.Data)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := retention.DefaultConfig()
	ok.Transcripts, ok.Audit = retention.RegFRecordsPeriod, retention.RegFRecordsPeriod
	tests := []struct {
		name string
		edit func(c *retention.Config)
		bad  bool
	}{
		{"defaults", func(c *retention.Config) {}, false},
		{"three years", func(c *retention.Config) { *c = ok }, false},
		{"transcripts under the records period", func(c *retention.Config) { c.Transcripts = 365 * day }, true},
		{"audit without transcripts", func(c *retention.Config) { c.Audit = retention.RegFRecordsPeriod }, true},
		{"audit before transcripts", func(c *retention.Config) {
			*c = ok
			c.Transcripts = 5 * 365 * day
		}, true},
		{"records period lowered by the lender's counsel", func(c *retention.Config) {
			c.RecordsPeriod, c.Transcripts = 365*day, 365*day
		}, false},
		{"recordings may be shorter", func(c *retention.Config) { c.Recordings = 90 * day }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := retention.DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if (err != nil) != tc.bad {
				t.Fatalf("Validate: %v, want bad=%v", err, tc.bad)
			}
			if err != nil && !errors.Is(err, retention.ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
}
