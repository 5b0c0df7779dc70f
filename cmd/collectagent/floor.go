package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/collectagent/collectagent/loadgen"
)

// runFloor is `collectagent floor`: the storage floor server that
// `loadgen -floor` measures the real server against, as a process of its
// own so that its CPU is counted apart from the load generator's. It
// prints its base URL as the first line of output and serves until
// interrupted.
func runFloor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.FloorConfig
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "listen address (loopback)")
	fs.StringVar(&cfg.Store, "store", loadgen.FloorSQLite, "sqlite or postgres")
	fs.StringVar(&cfg.DSN, "dsn", "", "SQLite file (default: a temporary one, removed at exit) or PostgreSQL URL")
	fs.IntVar(&cfg.Inserts, "inserts", 5, "rows each turn inserts in its one transaction")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := loadgen.StartFloor(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "floor: %v\n", err)
		if errors.Is(err, loadgen.ErrConfig) {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stdout, f.URL().String())
	<-ctx.Done()
	if err := f.Close(); err != nil {
		fmt.Fprintf(stderr, "floor: close: %v\n", err)
		return 1
	}
	return 0
}
