package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/audit"
)

// runImport is `collectagent import accounts.csv`: the same all-or-nothing
// upsert as POST /v1/accounts, from a CSV file with one row per debt (the
// account's columns repeated on each of its debts' rows).
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	fs.String("data", "", "data directory of the SQLite file (default ./data; COLLECT_DATA)")
	fs.String("database-url", "", "PostgreSQL URL (COLLECT_DATABASE_URL)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: collectagent import [--data DIR | --database-url URL] accounts.csv\n\nColumns (header row required, any order): %s\nRequired: %s\n\nFlags:\n",
			strings.Join(accounts.CSVColumns, ", "), strings.Join(accounts.CSVRequired, ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	cfg, err := loadConfig(*cfgPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 2
	}
	setFlags(fs, map[string]func(string){
		"data":         func(v string) { cfg.Data = v },
		"database-url": func(v string) { cfg.DatabaseURL = v },
	})
	if err := cfg.validateStore(); err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 2
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 1
	}
	defer f.Close()
	accts, err := accounts.ParseCSV(f)
	if err != nil {
		fmt.Fprintf(stderr, "import: %s: %v\nnothing imported\n", name, err)
		return 1
	}
	log := cfg.newLogger(stderr)
	st, _, err := openStore(ctx, &cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 1
	}
	defer st.Close()
	// The import's seal is checkpointed in a file of its own.
	cp, err := openCheckpointsAt(&cfg, cfg.importCheckpointPath(), log)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\nnothing imported\n", err)
		return 1
	}
	if cp != nil {
		defer func() {
			if err := cp.Close(); err != nil {
				fmt.Fprintf(stderr, "import: audit checkpoint: %v\n", err)
			}
		}()
		st = audit.WrapStore(st, cp)
	}
	if err := st.UpsertAccounts(ctx, accts); err != nil {
		fmt.Fprintf(stderr, "import: %v\nnothing imported\n", err)
		return 1
	}
	if err := audit.SealImport(ctx, st, accts, "csv", filepath.Base(name), time.Now()); err != nil {
		fmt.Fprintf(stderr, "import: accounts stored but not sealed in the audit trail (import again to seal them): %v\n", err)
		return 1
	}
	debts := 0
	for _, a := range accts {
		debts += len(a.Debts)
	}
	fmt.Fprintf(stdout, "imported %d accounts (%d debts) from %s\n", len(accts), debts, name)
	return 0
}
