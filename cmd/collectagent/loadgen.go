package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/collectagent/collectagent/loadgen"
)

// runLoadgen is `collectagent loadgen`: many concurrent simulated borrowers
// against a running server on loopback (and/or an in-process echo server),
// reporting throughput, turn latency, errors and the server's memory.
//
// Exit status: 0 when every conversation reached its promise, 1 when the
// run could not be made, 2 for bad flags, 3 when some conversations failed
// (the report is printed either way).
func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.Config
	cfg.RegisterFlags(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log progress and error examples to stderr")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: collectagent loadgen [flags]

Runs -conversations concurrent borrowers, each through full promise-to-pay
conversations over the public API of the server at -url (loopback only),
and/or the same client load against an in-process WebSocket echo server
(-echo). Examples:

  collectagent loadgen -echo -conversations 2000 -rounds 3
  collectagent loadgen -url http://127.0.0.1:8080 -api-key KEY -pid PID -echo -conversations 2000 -duration 60s
  collectagent loadgen -url http://127.0.0.1:8080 -api-key KEY -pid PID -echo -floor -no-think -duration 20s

-floor runs the same borrowers against a storage floor (a bare WebSocket
server committing one transaction of -floor-inserts rows per turn on
-floor-store) and prints the server's turns/s and CPU per conversation as
a ratio of it.

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loadgen: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	if cfg.APIKey == "" {
		// The server takes a comma-separated list; any one of them will do.
		first, _, _ := strings.Cut(os.Getenv("COLLECT_API_KEY"), ",")
		cfg.APIKey = strings.TrimSpace(first)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
		if cfg.Progress == 0 {
			cfg.Progress = 5 * time.Second
		}
	}
	if cfg.Floor {
		// The floor runs as a process of its own, so that its CPU is
		// measured like the server's.
		if exe, err := os.Executable(); err == nil {
			cfg.FloorCommand = []string{exe, "floor"}
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	res, err := loadgen.Run(ctx, cfg)
	if err != nil && len(res.Runs) == 0 {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		if errors.Is(err, loadgen.ErrConfig) {
			return 2
		}
		return 1
	}
	runErr := err
	if *asJSON {
		err = loadgen.WriteJSON(stdout, res)
	} else {
		err = loadgen.WriteTable(stdout, res)
	}
	if err = errors.Join(runErr, err); err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
	for _, r := range res.Runs {
		if r.Failed > 0 {
			return 3
		}
	}
	return 0
}
