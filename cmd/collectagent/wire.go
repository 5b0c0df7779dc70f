package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/postgres"
	"github.com/collectagent/collectagent/store/sqlite"
)

// openStore opens PostgreSQL when cfg.DatabaseURL is set, otherwise the
// SQLite file under cfg.Data.
func openStore(ctx context.Context, cfg *Config, log *slog.Logger) (store.Store, string, error) {
	if cfg.DatabaseURL != "" {
		st, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.WithLogger(log))
		if err != nil {
			return nil, "", fmt.Errorf("open postgres: %w", err)
		}
		return st, "postgres", nil
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
	rules, err := understand.Compile()
	if err != nil {
		return nil, err
	}
	rt, err := bot.NewRuntime(cfg.Bot, bot.Deps{
		Store:        st,
		Understander: rules,
		Logger:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	return rt, nil
}
