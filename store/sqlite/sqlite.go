// Package sqlite is the embedded store: store.Store on a single SQLite file
// through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with foreign keys on. SQLite allows one
// writer at a time, so all writes go through one goroutine that owns the
// only read-write connection; readers use a separate pool of read-only
// connections and never wait for the writer. The writer commits queued
// writes in groups (group commit): each write runs inside its own savepoint
// of a shared transaction, so one write's failure does not affect the others,
// and every caller gets its own result only after the shared COMMIT.
//
// Durability is set by Config.Synchronous; see Synchronous. The default,
// NORMAL, loses no acknowledged write when the process is killed (the kill
// test in this package checks it); choose FULL where a power cut must not
// lose the last second of turns. With FULL, group commit pays for itself:
// a batch of writes shares one fsync.
//
// WAL checkpoints (copying the log back into the database file) run on a
// connection of their own, so the writer does not stall behind one; once the
// log is long and wholly copied back, the checkpointer waits for readers to
// leave it so that it starts over instead of growing under constant load.
// Every connection reads the database file through a memory map. Hot
// statements are prepared once; a turn's rows of one table go in one
// multi-row INSERT. Callers are woken by a goroutine of their own, not by
// the writer between two transactions.
//
// Timestamps are stored as fixed-width UTC text, JSON documents as text
// checked with json_valid.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/collectagent/collectagent/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite store. It implements store.Store.
type Store struct {
	w   *sql.DB // the single read-write connection, used only by the writer goroutine
	r   *sql.DB // read-only pool
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu     sync.RWMutex // guards closed and sends on writes
	closed bool
	writes chan *writeReq
	done   chan struct{} // closed when the writer goroutine has exited

	stmts map[string]*sql.Stmt   // writer statements prepared once
	multi map[multiKey]*sql.Stmt // multi-row inserts by row count; writer goroutine only
	// rstmts holds reader queries prepared on first use (database/sql
	// keeps each prepared on every reader connection it has run on), so
	// hot reads skip SQLite's parser: query text -> *sql.Stmt.
	rstmts sync.Map

	ckpt        *sql.DB       // checkpoint connection (nil when SQLite checkpoints in the writer)
	ckptKick    chan struct{} // the writer's nudge to the checkpointer
	ckptDone    chan struct{} // closed when the checkpointer has exited
	sinceCkpt   int           // writes since the last nudge; writer goroutine only
	commits     atomic.Uint64 // transactions committed by the writer
	written     atomic.Uint64 // writes those transactions carried
	checkpoints atomic.Uint64 // background checkpoints run
	restarts    atomic.Uint64 // checkpoints that restarted the log

	wakes     chan []wake   // committed results for the waker goroutine
	wakerDone chan struct{} // closed when the waker has delivered the last results
}

// wake is one committed write's result on its way to its caller.
type wake struct {
	done chan error
	err  error
}

// waker hands results to callers, off the writer's path: each send makes a
// waiting turn goroutine runnable, and a batch of 64 of them would
// otherwise be the writer's work before it can start the next transaction.
func (s *Store) waker() {
	defer close(s.wakerDone)
	for ws := range s.wakes {
		for _, w := range ws {
			w.done <- w.err
		}
	}
}

// Stats counts the writer's work since Open.
type Stats struct {
	Commits uint64 // transactions committed
	Writes  uint64 // writes committed (Writes/Commits is the mean group size)
	// Checkpoints counts background WAL checkpoints.
	Checkpoints uint64
	// Restarts counts checkpoints after which the log started over.
	Restarts uint64
}

// Stats returns the writer's counters.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Writes: s.written.Load(), Checkpoints: s.checkpoints.Load(), Restarts: s.restarts.Load()}
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, applies the
// embedded migrations and starts the writer. The path must name a file:
// the reader pool needs a database that several connections share.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{cfg: DefaultConfig()}
	for _, opt := range opts {
		opt(&o)
	}
	cfg := o.cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("path %q: a database file is required: %w", path, ErrConfig)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.now == nil {
		o.now = time.Now
	}

	if err := createFile(path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, cfg, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, cfg, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	r.SetMaxOpenConns(cfg.Readers)
	r.SetMaxIdleConns(cfg.Readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	s := &Store{
		w: w, r: r, cfg: cfg, log: o.logger, now: o.now,
		writes: make(chan *writeReq, 4*cfg.MaxBatch),
		done:   make(chan struct{}),
		stmts:  make(map[string]*sql.Stmt),
		multi:  make(map[multiKey]*sql.Stmt),

		wakes:     make(chan []wake, 16),
		wakerDone: make(chan struct{}),
	}
	if err := s.prepare(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	if cfg.CheckpointEvery > 0 {
		s.ckpt, err = sql.Open("sqlite", dsn(path, cfg, false))
		if err != nil {
			r.Close()
			w.Close()
			return nil, fmt.Errorf("sqlite: open checkpointer: %w", err)
		}
		s.ckpt.SetMaxOpenConns(1)
		s.ckptKick = make(chan struct{}, 1)
		s.ckptDone = make(chan struct{})
		go s.checkpointer()
	}
	go s.waker()
	go s.writer()
	s.log.Info("sqlite store open", "synchronous", string(cfg.Synchronous), "readers", cfg.Readers, "max_batch", cfg.MaxBatch)
	return s, nil
}

// createFile creates the database file, and its directory, readable by the
// owner only when it does not exist yet: it holds borrowers' personal data.
// SQLite gives the -wal and -shm files the database file's permissions.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create database file: %w", err)
	}
	return f.Close()
}

// dsn builds a modernc.org/sqlite data source name. Every connection gets
// the pragmas; the writer starts its transactions with BEGIN IMMEDIATE so
// that it takes the write lock up front instead of failing on upgrade.
func dsn(path string, cfg Config, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// Pages of the database file are read through a shared memory map
	// instead of a pread into each connection's page cache, which every
	// commit invalidates under WAL.
	q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmapSize))
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+string(cfg.Synchronous)+")")
		if cfg.CheckpointEvery > 0 {
			// Checkpoints run on their own connection; the writer's automatic
			// checkpoint stays only as a backstop for a WAL that grows
			// past about 40 MiB because the checkpointer cannot keep up.
			q.Add("_pragma", "wal_autocheckpoint(10000)")
		}
		// When the log restarts, its file is cut back to this size.
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

const (
	mmapSize     = 256 << 20
	walSizeLimit = 16 << 20
	// walRestartFrames is the log length (pages) past which a checkpoint
	// that has copied every frame back also restarts the log: under
	// constant load readers always hold a snapshot, so a passive
	// checkpoint alone never lets the log start over and it grows without
	// bound (41 MB for a 2.5 MB database after 200 conversations), with
	// every read of a recent page a pread from it.
	walRestartFrames = 2048
)

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, mustSub(migrations, "migrations"),
		goose.WithDisableGlobalRegistry(true),
		// Numbers are reserved ahead by changes made side by side, so a
		// lower one can land after a higher one; migrations only add and
		// do not depend on each other's order, so it is applied then.
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Ping checks both connection pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		return tx.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	})
}

// Close stops accepting writes, lets the writer finish what is queued and
// closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	close(s.writes)
	s.mu.Unlock()
	<-s.done
	var ckptErr error
	if s.ckpt != nil {
		close(s.ckptKick) // the writer, its only sender, has exited
		<-s.ckptDone
		ckptErr = s.ckpt.Close()
	}
	for _, st := range s.stmts {
		st.Close()
	}
	for _, st := range s.multi {
		st.Close()
	}
	s.rstmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	return errors.Join(ckptErr, s.r.Close(), s.w.Close())
}

// writeReq is one write waiting for the writer goroutine.
type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error // buffered; receives exactly one result
}

// write runs fn in the writer's transaction and waits for its durable
// result. Once queued, a write is not abandoned: the caller gets the real
// outcome, so an error means nothing was written. A context that ends while
// the write is still queued cancels it.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	select {
	case s.writes <- req:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	return <-req.done
}

// writer owns the read-write connection. It takes whatever writes are queued
// (up to MaxBatch) and commits them in one transaction.
func (s *Store) writer() {
	defer func() {
		close(s.wakes)
		<-s.wakerDone
		close(s.done)
	}()
	batch := make([]*writeReq, 0, s.cfg.MaxBatch)
	for {
		req, ok := <-s.writes
		if !ok {
			return
		}
		batch = append(batch[:0], req)
	fill:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case req, ok := <-s.writes:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// commit runs a batch in one transaction. Writes rarely fail, so the batch
// first runs without savepoints; if a write fails, the transaction is
// rolled back and the batch runs again with a savepoint around each write,
// so that only the failing writes are undone.
func (s *Store) commit(batch []*writeReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	results, err := s.runBatch(live, len(live) == 1)
	if errors.Is(err, errRetryIsolated) {
		results, err = s.runBatch(live, true)
	}
	if err != nil {
		s.log.Error("sqlite: batch failed", "writes", len(live), "err", err)
		for _, r := range live {
			r.done <- err
		}
		return
	}
	s.commits.Add(1)
	s.written.Add(uint64(len(live)))
	ws := make([]wake, len(live))
	for i, r := range live {
		ws[i] = wake{done: r.done, err: results[i]}
	}
	s.wakes <- ws
	if s.ckpt != nil {
		s.sinceCkpt += len(live)
		if s.sinceCkpt >= s.cfg.CheckpointEvery {
			s.sinceCkpt = 0
			select {
			case s.ckptKick <- struct{}{}:
			default: // one is running or pending already
			}
		}
	}
}

// checkpointer copies the WAL back into the database file when the writer
// nudges it. A PASSIVE checkpoint never blocks the writer or readers; the
// writer keeps appending to the WAL meanwhile. Under synchronous NORMAL
// this is where the database file is fsynced.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	for range s.ckptKick {
		var busy, logFrames, done int
		err := s.ckpt.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
		if err != nil {
			s.log.Warn("sqlite: checkpoint failed", "err", err)
			continue
		}
		s.checkpoints.Add(1)
		if logFrames >= walRestartFrames && done == logFrames {
			// Everything is copied back: wait for the readers still on the
			// log (short reads) so that the next commit writes the log from
			// its start. This holds the write lock only for the frames
			// committed since the passive checkpoint.
			if err := s.ckpt.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logFrames, &done); err != nil {
				s.log.Warn("sqlite: restart checkpoint failed", "err", err)
				continue
			}
			if busy == 0 {
				s.restarts.Add(1)
			}
		}
	}
}

// errRetryIsolated asks commit to rerun a batch with savepoints.
var errRetryIsolated = errors.New("sqlite: retry batch with savepoints")

// runBatch runs the writes in one transaction and commits. With isolated
// set, each write runs in a savepoint and a failing write is rolled back
// alone (results holds its error); without, the first failure rolls back
// everything and returns errRetryIsolated. A single write needs no
// savepoint: its failure rolls back the transaction.
//
// The batch runs detached from callers' contexts: one caller giving up must
// not abort the others' writes mid-transaction.
func (s *Store) runBatch(live []*writeReq, isolated bool) ([]error, error) {
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin: %w", mapErr(err))
	}
	results := make([]error, len(live))
	single := len(live) == 1
	exec := func(q string) error {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("sqlite: %s: %w", q, err)
		}
		return nil
	}
	for i, r := range live {
		if isolated && !single {
			if err := exec("SAVEPOINT w"); err != nil {
				return nil, err
			}
		}
		results[i] = r.fn(ctx, tx)
		if results[i] != nil {
			if single {
				_ = tx.Rollback()
				return results, nil
			}
			if !isolated {
				_ = tx.Rollback()
				return nil, errRetryIsolated
			}
			if err := exec("ROLLBACK TO w"); err != nil {
				return nil, err
			}
		}
		if isolated && !single {
			if err := exec("RELEASE w"); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	return results, nil
}

// read runs fn in a read transaction on the reader pool, so that multi-query
// reads see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.isClosed() {
		return store.ErrClosed
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	return fn(tx)
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// mapErr turns constraint violations into store sentinels: a duplicate key
// is store.ErrConflict, any other constraint (foreign key, check, not null)
// store.ErrInvalid. The driver's message stays in the chain.
func mapErr(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	if se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}

// readStmt returns q prepared on the reader pool, preparing it on first use.
func (s *Store) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.rstmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.rstmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// query runs a read through its prepared statement.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a one-row read through its prepared statement.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return s.r.QueryRowContext(ctx, q, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}
