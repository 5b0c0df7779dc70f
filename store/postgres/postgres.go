// Package postgres is store.Store on PostgreSQL through pgx (pgxpool), for
// deployments that outgrow one machine: several bot nodes share one
// database, and optimistic versioning of conversations keeps them from
// overwriting each other.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/collectagent/collectagent/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// defaultMaxConns is the pool size unless the URL (pool_max_conns) or
// WithMaxConns sets one.
const defaultMaxConns = 16

// Store is the PostgreSQL store. It implements store.Store.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time

	closeOnce sync.Once
	mu        sync.RWMutex
	closed    bool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url, applies the embedded migrations
// (under an advisory lock, so that nodes starting together migrate once)
// and returns the store.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.now == nil {
		o.now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may echo the URL and its password: keep it out.
		return nil, fmt.Errorf("postgres: connection string does not parse: %w", ErrConfig)
	}
	switch {
	case o.maxConns > 0:
		cfg.MaxConns = o.maxConns
	case !strings.Contains(url, "pool_max_conns"):
		// pgxpool's default, max(4, CPUs), caps concurrent commits too low:
		// PostgreSQL flushes the WAL for concurrent commits together, and
		// 16 connections gave 1.7x the commits of 4 on two cores.
		cfg.MaxConns = max(cfg.MaxConns, defaultMaxConns)
	}
	if o.schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig.Copy(), o.schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = o.schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: pool: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, log: o.logger, now: o.now}
	s.log.Info("postgres store open", "schema", o.schema, "max_conns", cfg.MaxConns)
	return s, nil
}

func createSchema(ctx context.Context, cc *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker),
		// Numbers are reserved ahead by changes made side by side, so a
		// lower one can land after a higher one; migrations only add and
		// do not depend on each other's order, so it is applied then.
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Pool returns the connection pool (for health checks and tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if s.isClosed() {
		return store.ErrClosed
	}
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use. It is safe to
// call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.pool.Close()
	})
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// tx runs fn in a transaction and commits it.
func (s *Store) tx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	if s.isClosed() {
		return store.ErrClosed
	}
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// mapErr turns constraint violations into store sentinels: a duplicate key
// is store.ErrConflict; a foreign key, check, not-null violation or bad
// JSON text is store.ErrInvalid.
func mapErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case "23503", "23514", "23502", "22P02": // foreign_key, check, not_null, invalid_text_representation
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}
