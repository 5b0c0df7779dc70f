package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// errNoPostgres is returned while this build has no PostgreSQL store.
var errNoPostgres = errors.New("postgres store not available in this build")

// openStore opens PostgreSQL when cfg.DatabaseURL is set, otherwise the
// SQLite file under cfg.Data.
func openStore(ctx context.Context, cfg *Config, log *slog.Logger) (store.Store, string, error) {
	if cfg.DatabaseURL != "" {
		return nil, "", fmt.Errorf("open %s: %w", "postgres", errNoPostgres)
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, "", fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(cfg.Data, "collectagent.db")
	st, err := sqlite.Open(ctx, path, sqlite.WithConfig(cfg.SQLite), sqlite.WithLogger(log))
	if err != nil {
		return nil, "", fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return st, "sqlite " + path, nil
}

// newRuntime wires the conversation runtime.
func newRuntime(cfg *Config, st store.Store, log *slog.Logger) (*bot.Runtime, error) {
	rt, err := bot.NewRuntime(cfg.Bot, bot.Deps{
		Store:  st,
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	return rt, nil
}
