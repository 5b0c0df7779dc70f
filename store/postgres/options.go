package postgres

import (
	"log/slog"
	"time"
)

// Config is the PostgreSQL store's configuration; zero fields keep the
// pool's defaults.
type Config struct {
	// URL is a libpq-style connection string or URL.
	URL string `yaml:"url" validate:"required"`
	// Schema, when set, is created if missing and becomes the connections'
	// search_path, so that several deployments (or test runs) can share
	// one database.
	Schema string `yaml:"schema"`
	// MaxConns caps the pool (default 16, or pool_max_conns in the URL).
	MaxConns int32 `yaml:"max_conns" validate:"omitempty,min=1"`
}

type options struct {
	schema   string
	maxConns int32
	logger   *slog.Logger
	now      func() time.Time
}

// Option configures Open.
type Option func(*options)

// WithSchema puts the store's tables in schema (created if missing) by
// setting search_path on every connection.
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// WithMaxConns caps the connection pool.
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the clock used for timestamps a caller left zero
// (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Options returns the options c describes, for Open(ctx, c.URL, ...).
func (c Config) Options() []Option {
	var opts []Option
	if c.Schema != "" {
		opts = append(opts, WithSchema(c.Schema))
	}
	if c.MaxConns > 0 {
		opts = append(opts, WithMaxConns(c.MaxConns))
	}
	return opts
}
