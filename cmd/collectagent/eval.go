package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/eval"
)

// runEval is `collectagent eval`: scripted conversations against the real
// runtime, a table of results and a pass rate.
//
// Exit status: 0 when every suite reached its threshold, 1 when a suite
// fell below it, 2 for bad flags or an invalid suite, 3 when a suite could
// not be run.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	threshold := fs.Float64("threshold", eval.DefaultThreshold, "pass rate each suite must reach (0..1); when given, it replaces each suite's own threshold")
	und := fs.String("understanding", "rules", "how borrower lines are understood: rules")
	transcripts := fs.Bool("v", false, "print the transcript of every failed conversation")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: collectagent eval [flags] suite.yaml [more.yaml...]

Runs each suite's scripted conversations against the conversation runtime
(SQLite in a temporary directory, the suite's fixed clock) and prints, per
conversation, the expected and actual outcome, whether it passed, the
number of borrower turns and the guard's blocks, then the pass rate.

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "eval: at least one suite file is required")
		fs.Usage()
		return 2
	}
	var override *float64
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "threshold" {
			override = threshold
		}
	})
	if *threshold < 0 || *threshold > 1 {
		fmt.Fprintf(stderr, "eval: --threshold %v: must be between 0 and 1\n", *threshold)
		return 2
	}
	var u bot.Understander
	switch *und {
	case "rules":
		r, err := understand.Compile()
		if err != nil {
			fmt.Fprintf(stderr, "eval: understanding: %v\n", err)
			return 3
		}
		u = r
	default:
		fmt.Fprintf(stderr, "eval: --understanding %q: only \"rules\" is available\n", *und)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	reps, err := eval.RunFiles(ctx, fs.Args(), override, eval.Options{Understander: u, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, err) // already says "eval: ..."
		if errors.Is(err, eval.ErrSuite) {
			return 2
		}
		return 3
	}
	code := 0
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reps); err != nil {
			fmt.Fprintf(stderr, "eval: %v\n", err)
			return 3
		}
	}
	for i, r := range reps {
		if !*asJSON {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if err := r.WriteTable(stdout, *transcripts); err != nil {
				fmt.Fprintf(stderr, "eval: %v\n", err)
				return 3
			}
		}
		if !r.OK() {
			code = 1
		}
	}
	if passed, total := eval.Total(reps); len(reps) > 1 && !*asJSON {
		fmt.Fprintf(stdout, "\nall suites: %d/%d passed, pass rate %.1f%%\n", passed, total, 100*float64(passed)/float64(max(total, 1)))
	}
	return code
}
