package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// runAudit is `collectagent audit verify`: it recomputes every audit chain
// (one per conversation, plus "system") and reports the first broken link
// of each. Exit 0 when every chain holds, 1 when one is broken.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	fs.String("data", "", "data directory of the SQLite file (default ./data; COLLECT_DATA)")
	fs.String("database-url", "", "PostgreSQL URL (COLLECT_DATABASE_URL)")
	chain := fs.String("chain", "", "verify only this chain (a conversation id); default all")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: collectagent audit verify [--data DIR | --database-url URL] [--chain ID]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "verify" {
		fs.Usage()
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := loadConfig(*cfgPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 2
	}
	setFlags(fs, map[string]func(string){
		"data":         func(v string) { cfg.Data = v },
		"database-url": func(v string) { cfg.DatabaseURL = v },
	})
	if err := cfg.validateStore(); err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 2
	}
	st, _, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 1
	}
	defer st.Close()
	evs, err := st.ListAudit(ctx, *chain)
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 1
	}
	chains, events, broken := verifyChains(evs, stderr)
	fmt.Fprintf(stdout, "audit: %d chains, %d events, %d broken\n", chains, events, broken)
	if broken > 0 {
		return 1
	}
	return 0
}

// verifyChains checks events ordered by chain then seq, chain by chain,
// and writes one line per broken chain.
func verifyChains(evs []store.AuditEvent, w io.Writer) (chains, events, broken int) {
	for i := 0; i < len(evs); {
		j := i
		recs := make([]compliance.AuditRecord, 0, 8)
		for ; j < len(evs) && evs[j].Chain == evs[i].Chain; j++ {
			e := evs[j]
			recs = append(recs, compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash})
		}
		chains++
		events += len(recs)
		if err := compliance.VerifyChain(recs); err != nil {
			broken++
			fmt.Fprintf(w, "audit: %v\n", err)
		}
		i = j
	}
	return chains, events, broken
}
