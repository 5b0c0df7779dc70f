package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
)

func TestPragmas(t *testing.T) {
	tests := []struct {
		sync Synchronous
		want int // PRAGMA synchronous reports 1 NORMAL, 2 FULL, 3 EXTRA
	}{
		{SyncNormal, 1},
		{SyncFull, 2},
		{SyncExtra, 3},
	}
	for _, tc := range tests {
		t.Run(string(tc.sync), func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), WithSynchronous(tc.sync))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var mode string
			var syncLevel, fk int
			err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if err := tx.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncLevel); err != nil {
					return err
				}
				return tx.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
			})
			if err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || syncLevel != tc.want || fk != 1 {
				t.Fatalf("writer: journal_mode %q synchronous %d foreign_keys %d; want wal %d 1", mode, syncLevel, tc.want, fk)
			}
			var queryOnly int
			if err := s.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
				t.Fatal(err)
			}
			if queryOnly != 1 {
				t.Fatalf("reader query_only = %d, want 1", queryOnly)
			}
			if _, err := s.r.ExecContext(ctx, "DELETE FROM accounts"); err == nil {
				t.Fatal("a reader connection could write")
			}
		})
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts []Option
	}{
		{"memory", ":memory:", nil},
		{"empty path", "", nil},
		{"synchronous OFF", filepath.Join(dir, "a.db"), []Option{WithSynchronous("OFF")}},
		{"negative readers", filepath.Join(dir, "b.db"), []Option{WithReaders(-1)}},
		{"negative batch", filepath.Join(dir, "c.db"), []Option{WithMaxBatch(-2)}},
		{"negative busy timeout", filepath.Join(dir, "d.db"), []Option{WithBusyTimeout(-1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.path, tc.opts...)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

// TestBatchIsolatesFailures hands the writer one batch in which some writes
// fail: the others commit, the failing ones leave nothing.
func TestBatchIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	insert := func(id string, fail bool) *writeReq {
		return &writeReq{ctx: ctx, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at, updated_at)
				VALUES (?, 'n', '', '')`, id); err != nil {
				return err
			}
			if fail {
				// The second statement of this write fails after the first
				// succeeded: the first must be undone too.
				_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at, updated_at)
					VALUES (?, 'n', '', '')`, id)
				return mapErr(err)
			}
			return nil
		}}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	late := insert("late", false)
	late.ctx = cancelled
	batch := []*writeReq{insert("a", false), insert("b", true), insert("c", false), insert("d", true), late}
	before := s.Stats()
	s.commit(batch)
	want := map[string]bool{"a": true, "b": false, "c": true, "d": false, "late": false}
	for i, r := range batch {
		err := <-r.done
		id := []string{"a", "b", "c", "d", "late"}[i]
		if (err == nil) != want[id] {
			t.Errorf("write %s: err %v", id, err)
		}
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE id = ?", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != want[id] {
			t.Errorf("account %s: %d rows, want present=%v", id, n, want[id])
		}
	}
	after := s.Stats()
	if after.Commits-before.Commits != 1 || after.Writes-before.Writes != 4 {
		t.Errorf("stats moved by %d commits, %d writes; want 1, 4",
			after.Commits-before.Commits, after.Writes-before.Writes)
	}
}

// waitFor polls cond every 5 ms until it holds or total passes.
func waitFor(t *testing.T, total time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(total)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", total)
		}
		<-tick.C
	}
}

func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, WithCheckpointEvery(10), WithMaxBatch(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if err := s.UpsertAccounts(ctx, []store.Account{{ID: fmt.Sprint(i), Name: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, func() bool { return s.Stats().Checkpoints >= 1 })
	var autockpt int
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autockpt)
	}); err != nil {
		t.Fatal(err)
	}
	if autockpt != 10000 {
		t.Fatalf("writer wal_autocheckpoint = %d, want the 10000 backstop", autockpt)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Without the background checkpointer, SQLite's default stays.
	s, err = Open(ctx, path, WithCheckpointEvery(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autockpt)
	}); err != nil {
		t.Fatal(err)
	}
	if autockpt != 1000 || s.ckpt != nil {
		t.Fatalf("wal_autocheckpoint = %d, checkpointer %v; want 1000 and none", autockpt, s.ckpt != nil)
	}
}

// TestListAccountsLargePage lists more accounts in one page than SQLite
// accepts bound variables (32,766). The rows are generated in SQL to keep
// the test fast under the race detector.
func TestListAccountsLargePage(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under -race; it tests a query, not concurrency")
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "big.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 33000
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
			INSERT INTO accounts (id, name, created_at, updated_at)
			SELECT printf('a-%05d', i), 'x', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z' FROM n`, n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO debts (id, account_id, position, amount_minor)
			SELECT id || '-d', id, 0, CAST(substr(id, 3) AS INTEGER) FROM accounts`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAccounts(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("listed %d accounts, want %d", len(got), n)
	}
	for i, a := range got {
		if len(a.Debts) != 1 || a.Debts[0].AmountMinor != int64(i) {
			t.Fatalf("account %s has debts %+v", a.ID, a.Debts)
		}
	}
}

func TestFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "p.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group or other access", filepath.Base(p), perm)
		}
	}
}

// TestCloseDrainsWrites closes the store while writers are busy: every
// write either reports success and is in the database after reopening, or
// fails with store.ErrClosed.
func TestCloseDrainsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "close.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var acked sync.Map
	var wg sync.WaitGroup
	started := make(chan struct{}, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				err := s.UpsertAccounts(ctx, []store.Account{{ID: id, Name: "x"}})
				if i == 0 {
					started <- struct{}{}
				}
				switch {
				case err == nil:
					acked.Store(id, true)
				case errors.Is(err, store.ErrClosed):
					return
				default:
					t.Errorf("%s: %v", id, err)
					return
				}
			}
		}()
	}
	for range writers {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	acked.Range(func(k, _ any) bool {
		n++
		if _, err := s.GetAccount(ctx, k.(string)); err != nil {
			t.Errorf("acknowledged %s: %v", k, err)
		}
		return true
	})
	if n < writers {
		t.Fatalf("only %d writes acknowledged", n)
	}
}

func TestCancelledBeforeQueued(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cancel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cancel()
	err = s.UpsertAccounts(ctx, []store.Account{{ID: "a", Name: "x"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := s.GetAccount(context.Background(), "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancelled write was stored: %v", err)
	}
}

// TestLookupsUseIndexes: an account's conversations in a mode and a
// conversation's escalations in a status read their own index, not every
// row of the mode or the status (issue 9.14).
func TestLookupsUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for q, want := range map[string]string{
		`SELECT ` + convCols + ` FROM conversations WHERE account_id = ? AND mode = ? ORDER BY created_at DESC, id DESC LIMIT ?`: "conversations_account_mode",
		`SELECT id FROM escalations WHERE conversation_id = ? AND status = ? ORDER BY created_at, id LIMIT ?`:                    "escalations_conversation_status",
	} {
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, "a", "b", 10)
		if err != nil {
			t.Fatal(err)
		}
		var plan string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if !strings.Contains(plan, want) {
			t.Errorf("%s\nplan %q, want index %s", q, plan, want)
		}
	}
}

// TestMigrationLandedOutOfOrder: a database migrated past a number that
// lands later (00003 here, removed as if it had not existed yet) gets it
// applied when it opens again, instead of refusing to start.
func TestMigrationLandedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM goose_db_version WHERE version_id = 3`,
		`DROP INDEX conversations_account_mode`, `DROP INDEX escalations_conversation_status`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("open with a migration landed out of order: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'conversations_account_mode'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("00003 not applied: %d, %v", n, err)
	}
}
