package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/store"
)

// runAudit is `collectagent audit verify`. It checks, and names what is
// wrong with:
//
//   - every audit chain (one per conversation, plus "system"), link by
//     link: an event edited or deleted in the middle without re-sealing;
//   - what each conversation's chain sealed against what the store holds:
//     turns (text by hash), promises, plans and borrower statements that
//     are missing, altered or stored without being sealed;
//   - with the checkpoint key, the chains against the signed checkpoints:
//     a chain cut short, a chain deleted whole, events edited and re-sealed,
//     and events appended after the last checkpoint.
//
// Exit 0 when everything holds, 1 when anything is wrong, 2 on bad usage.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	fs.String("data", "", "data directory of the SQLite file and the checkpoint file (default ./data; COLLECT_DATA)")
	fs.String("database-url", "", "PostgreSQL URL (COLLECT_DATABASE_URL)")
	fs.String("key-file", "", "file holding the checkpoint key (audit.key_file; or COLLECT_AUDIT_KEY)")
	checkpoints := fs.String("checkpoints", "", "checkpoint files, comma-separated, e.g. one per node (default the data directory's "+audit.FileName+")")
	chain := fs.String("chain", "", "verify only this chain (a conversation id); default all")
	useCopy := fs.Bool("nats", false, "also compare the checkpoint files with their JetStream copy on the configured NATS (an external server, or the embedded server's store in the data directory while serve is stopped)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: collectagent audit verify [--data DIR | --database-url URL] [--key-file FILE] [--checkpoints FILES] [--nats] [--chain ID]\n\nFlags:\n")
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
		"key-file":     func(v string) { cfg.Audit.KeyFile, cfg.auditKey = v, "" },
	})
	if err := cfg.validateStore(); err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 2
	}
	key, err := cfg.checkpointKey()
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 2
	}
	var files []string
	for _, f := range strings.Split(*checkpoints, ",") {
		if f = strings.TrimSpace(f); f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		files = []string{cfg.checkpointPath()}
		if _, err := os.Stat(cfg.importCheckpointPath()); err == nil {
			files = append(files, cfg.importCheckpointPath())
		}
	}
	st, _, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 1
	}
	defer st.Close()
	var copyLines [][]byte
	if *useCopy && !key.IsZero() {
		if copyLines, err = readCheckpointCopy(ctx, &cfg); err != nil {
			fmt.Fprintf(stderr, "audit: %v\n", err)
			return 1
		}
	}
	rep, err := verifyAudit(ctx, st, key, files, *chain, copyLines)
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 1
	}
	for _, f := range rep.findings {
		fmt.Fprintf(stderr, "audit: %s\n", f)
	}
	ck := fmt.Sprintf("%d checkpoint lines", rep.lines)
	if !rep.last.IsZero() {
		// Said so that an operator can tell a file cut short: the last
		// line should be from when the server last stopped.
		ck += ", the last signed " + rep.last.UTC().Format(time.RFC3339)
	}
	if *useCopy {
		ck += fmt.Sprintf(" (%d in the JetStream copy)", rep.copied)
	}
	if key.IsZero() {
		ck = "checkpoints not checked (no key: audit.key_file or COLLECT_AUDIT_KEY)"
	}
	fmt.Fprintf(stdout, "audit: %d chains, %d events, %d broken, %d conversations, %d turns, %d accounts, %s, %d problems\n",
		rep.chains, rep.events, rep.broken, rep.convs, rep.turns, rep.accounts, ck, len(rep.findings))
	if len(rep.findings) > 0 {
		return 1
	}
	return 0
}

type auditReport struct {
	chains, events, broken, convs, turns, lines int
	accounts, copied                            int
	last                                        time.Time
	findings                                    []audit.Finding
}

// verifyAudit runs every check of `audit verify` on st; only (a chain's)
// when chain is set.
//
// copyLines, when not nil, are the checkpoint lines of the JetStream copy.
func verifyAudit(ctx context.Context, st store.Store, key audit.Key, files []string, chain string, copyLines [][]byte) (auditReport, error) {
	var rep auditReport
	evs, err := st.ListAudit(ctx, chain)
	if err != nil {
		return rep, err
	}
	chains := map[string][]store.AuditEvent{}
	ret := retired{erased: map[string]bool{}, transcripts: map[string]bool{}, audit: map[string]bool{}}
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && evs[j].Chain == evs[i].Chain {
			j++
		}
		c := evs[i].Chain
		chains[c] = evs[i:j]
		rep.chains++
		rep.events += j - i
		err := compliance.VerifyChain(records(evs[i:j]))
		if err == nil {
			ret.note(evs[i:j])
		}
		if err != nil {
			rep.broken++
			var ce *compliance.ChainError
			what, problem := "chain", err.Error()
			if errors.As(err, &ce) {
				what, problem = fmt.Sprintf("event %d", ce.Seq), "broken link: "+ce.Reason
			}
			rep.findings = append(rep.findings, audit.Finding{Chain: c, What: what, Problem: problem})
		}
		i = j
	}

	// What the conversations' chains sealed against what the store holds.
	var convs []store.Conversation
	if chain != "" {
		c, err := st.GetConversation(ctx, chain)
		switch {
		case err == nil:
			convs = append(convs, c)
		case !errors.Is(err, store.ErrNotFound):
			return rep, err
		}
	} else if convs, err = st.ListConversations(ctx, store.ConversationFilter{}); err != nil {
		return rep, err
	}
	accounts := map[string]*accountRecords{}
	for _, c := range convs {
		s, err := storedFor(ctx, st, accounts, c)
		if err != nil {
			return rep, err
		}
		rep.convs++
		rep.turns += len(s.Turns)
		if ret.audit[c.ID] {
			continue // its chain was purged: nothing left to compare with
		}
		s.Erased, s.TranscriptPurged = ret.erased[c.ID], ret.transcripts[c.ID]
		rep.findings = append(rep.findings, audit.CheckRecords(c.ID, chains[c.ID], s)...)
	}
	// Erased event data is only right where an erasure was recorded.
	for c, evs := range chains {
		for _, ev := range evs {
			if _, ok := compliance.ErasedDigest(ev.Data); ok && !ret.erased[c] {
				rep.findings = append(rep.findings, audit.Finding{Chain: c, What: fmt.Sprintf("event %d", ev.Seq),
					Problem: "erased: its data was replaced by its digest, and no erasure record names the conversation"})
			}
		}
	}

	// The stored accounts against the imports that sealed them.
	if chain == "" || chain == audit.ImportChain {
		var accts []store.Account
		for after := ""; ; {
			page, err := st.ListAccounts(ctx, after, 1000)
			if err != nil {
				return rep, err
			}
			accts = append(accts, page...)
			if len(page) < 1000 {
				break
			}
			after = page[len(page)-1].ID
		}
		rep.accounts = len(accts)
		erased := map[string]bool{}
		for c, evs := range chains {
			id, ok := strings.CutPrefix(c, "account:")
			if !ok {
				continue
			}
			for _, ev := range evs {
				if ev.Kind == retention.KindErasure {
					erased[id] = true
				}
			}
		}
		rep.findings = append(rep.findings, audit.CheckImports(chains[audit.ImportChain], accts, erased)...)
	}

	// The chains against the signed checkpoints.
	if key.IsZero() {
		return rep, nil
	}
	var present []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			present = append(present, f)
		} else if !errors.Is(err, os.ErrNotExist) {
			return rep, err
		} else {
			rep.findings = append(rep.findings, audit.Finding{What: "checkpoint file " + f, Problem: "missing (deleted, or checkpoints never ran)"})
		}
	}
	cps, fs, err := audit.ReadFiles(key, present...)
	if err != nil {
		return rep, err
	}
	rep.findings = append(rep.findings, fs...)
	if copyLines != nil {
		rep.findings = append(rep.findings, audit.ReadCopy(key, copyLines, &cps)...)
		rep.copied = len(copyLines)
	}
	rep.lines, rep.last = cps.Lines, cps.Last
	if chain != "" {
		for c := range cps.Chains {
			if c != chain {
				delete(cps.Chains, c)
			}
		}
	}
	for c := range cps.Chains {
		if _, ok := chains[c]; !ok && ret.audit[c] {
			delete(cps.Chains, c) // purged by the retention period, as recorded
		}
	}
	rep.findings = append(rep.findings, audit.CheckHeads(cps, chains)...)
	return rep, nil
}

// retired is what the account chains record as purged or erased, by
// conversation: what verification expects to be gone or redacted. Only
// chains that verify are read; the checkpoints vouch for them.
type retired struct {
	erased, transcripts, audit map[string]bool
}

func (r *retired) note(evs []store.AuditEvent) {
	for _, ev := range evs {
		switch ev.Kind {
		case retention.KindErasure:
			var e retention.ErasureRecord
			if json.Unmarshal(ev.Data, &e) == nil {
				for _, c := range e.Conversations {
					r.erased[c] = true
				}
			}
		case retention.KindPurged:
			var p retention.PurgeRecord
			if json.Unmarshal(ev.Data, &p) != nil {
				continue
			}
			for _, c := range p.Conversations {
				switch p.Kind {
				case store.KindTranscripts:
					r.transcripts[c] = true
				case store.KindAudit:
					r.audit[c] = true
				}
			}
		}
	}
}

// accountRecords are an account's promises, plans and statements, read
// once for all its conversations.
type accountRecords struct {
	promises   []store.Promise
	plans      []store.Plan
	statements []store.Statement
}

func storedFor(ctx context.Context, st store.Store, cache map[string]*accountRecords, c store.Conversation) (audit.Stored, error) {
	var s audit.Stored
	var err error
	if s.Turns, err = st.ListTurns(ctx, c.ID); err != nil {
		return s, err
	}
	a, ok := cache[c.AccountID]
	if !ok {
		a = &accountRecords{}
		if a.promises, err = st.ListPromises(ctx, c.AccountID); err != nil {
			return s, err
		}
		if a.plans, err = st.ListPlans(ctx, c.AccountID); err != nil {
			return s, err
		}
		if a.statements, err = st.ListStatements(ctx, c.AccountID); err != nil {
			return s, err
		}
		cache[c.AccountID] = a
	}
	for _, p := range a.promises {
		if p.ConversationID == c.ID {
			s.Promises = append(s.Promises, p)
		}
	}
	for _, p := range a.plans {
		if p.ConversationID == c.ID {
			s.Plans = append(s.Plans, p)
		}
	}
	for _, x := range a.statements {
		if x.ConversationID == c.ID {
			s.Statements = append(s.Statements, x)
		}
	}
	return s, nil
}

func records(evs []store.AuditEvent) []compliance.AuditRecord {
	recs := make([]compliance.AuditRecord, len(evs))
	for i, e := range evs {
		recs[i] = compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
	}
	return recs
}

// readCheckpointCopy reads the JetStream copy of the checkpoints from the
// configured NATS: an external server, or the embedded one started on the
// data directory's store (serve must be stopped).
func readCheckpointCopy(ctx context.Context, cfg *Config) ([][]byte, error) {
	hc := handoffOf(cfg)
	sys, err := handoff.Start(ctx, hc, handoff.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("JetStream copy: %w", err)
	}
	defer sys.Close()
	lines, err := readCheckpointStream(ctx, sys.Node.JetStream(), sys.Node.Config().Prefix)
	if errors.Is(err, errNoCopy) {
		return [][]byte{}, nil // nothing copied: every file line is unconfirmed, not wrong
	}
	if err != nil {
		return nil, fmt.Errorf("JetStream copy: %w", err)
	}
	return lines, nil
}
