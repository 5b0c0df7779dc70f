package sqlite

import (
	"fmt"
	"log/slog"
	"time"
)

// Synchronous is SQLite's synchronous setting for the writer connection.
//
// Under WAL, NORMAL syncs the log only at checkpoints: a committed
// transaction survives the process being killed (the operating system
// still holds the written pages) but the last transactions before a power
// loss or kernel crash may be lost. FULL syncs the log at every commit and
// survives power loss, at the cost of one fsync per commit (group commit
// shares that fsync between the commits of a batch).
type Synchronous string

// Synchronous settings.
const (
	SyncNormal Synchronous = "NORMAL"
	SyncFull   Synchronous = "FULL"
	SyncExtra  Synchronous = "EXTRA"
)

// Config is the SQLite store's configuration; the zero value of a field
// means its default (see DefaultConfig).
type Config struct {
	// Synchronous is NORMAL (default: durable across a process kill) or
	// FULL/EXTRA (durable across power loss).
	Synchronous Synchronous `yaml:"synchronous" validate:"omitempty,oneof=NORMAL FULL EXTRA"`
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing with SQLITE_BUSY.
	BusyTimeout time.Duration `yaml:"busy_timeout" validate:"omitempty,min=0"`
	// Readers is the size of the read-only connection pool.
	Readers int `yaml:"readers" validate:"omitempty,min=1"`
	// MaxBatch is how many queued writes the writer may commit in one
	// transaction (group commit). 1 commits every write on its own.
	MaxBatch int `yaml:"max_batch" validate:"omitempty,min=1"`
	// CheckpointEvery is how many committed writes pass between WAL
	// checkpoints, which run on their own connection so that the writer
	// never stalls on one. -1 leaves checkpoints to SQLite's automatic
	// checkpoint in the writer (every 1000 pages).
	CheckpointEvery int `yaml:"checkpoint_every" validate:"omitempty,min=-1"`
}

// DefaultConfig returns the defaults: NORMAL, 5 s busy timeout, 4 readers,
// batches of up to 64 writes, a background checkpoint every 256 writes.
func DefaultConfig() Config {
	return Config{Synchronous: SyncNormal, BusyTimeout: 5 * time.Second, Readers: 4, MaxBatch: 64, CheckpointEvery: 256}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Synchronous == "" {
		c.Synchronous = d.Synchronous
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = d.BusyTimeout
	}
	if c.Readers == 0 {
		c.Readers = d.Readers
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = d.CheckpointEvery
	}
	return c
}

func (c Config) validate() error {
	switch c.Synchronous {
	case SyncNormal, SyncFull, SyncExtra:
	default:
		return fmt.Errorf("synchronous %q is not NORMAL, FULL or EXTRA: %w", c.Synchronous, ErrConfig)
	}
	if c.BusyTimeout < 0 {
		return fmt.Errorf("busy_timeout %v is negative: %w", c.BusyTimeout, ErrConfig)
	}
	if c.Readers < 1 {
		return fmt.Errorf("readers %d < 1: %w", c.Readers, ErrConfig)
	}
	if c.MaxBatch < 1 {
		return fmt.Errorf("max_batch %d < 1: %w", c.MaxBatch, ErrConfig)
	}
	if c.CheckpointEvery < -1 {
		return fmt.Errorf("checkpoint_every %d < -1: %w", c.CheckpointEvery, ErrConfig)
	}
	return nil
}

type options struct {
	cfg    Config
	logger *slog.Logger
	now    func() time.Time
}

// Option configures Open.
type Option func(*options)

// WithConfig sets the whole configuration; zero fields keep their defaults.
func WithConfig(c Config) Option { return func(o *options) { o.cfg = c } }

// WithSynchronous sets the writer's synchronous mode.
func WithSynchronous(s Synchronous) Option { return func(o *options) { o.cfg.Synchronous = s } }

// WithBusyTimeout sets how long to wait for a lock held by another process.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.cfg.BusyTimeout = d } }

// WithReaders sets the number of read-only connections.
func WithReaders(n int) Option { return func(o *options) { o.cfg.Readers = n } }

// WithMaxBatch sets the group-commit batch size; 1 disables group commit.
func WithMaxBatch(n int) Option { return func(o *options) { o.cfg.MaxBatch = n } }

// WithCheckpointEvery sets how many writes pass between background WAL
// checkpoints; -1 leaves them to SQLite's automatic checkpoint.
func WithCheckpointEvery(n int) Option { return func(o *options) { o.cfg.CheckpointEvery = n } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the clock used for timestamps a caller left zero
// (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
