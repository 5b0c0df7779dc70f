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
	"slices"
	"strings"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/eval"
)

// evalModes are the understanding modes eval can compare.
var evalModes = []string{string(llm.ModeRules), string(llm.ModeLLM), string(llm.ModeHybrid)}

// runEval is `collectagent eval`: scripted conversations against the real
// runtime, in one or several understanding modes, a table of results and a
// pass rate per suite, and the modes side by side.
//
// Exit status: 0 when every suite reached its threshold in every mode with
// no misrecorded deal and no unrequested statement, 1 when one fell below
// it or a counter is not 0, 2 for bad flags, an invalid model
// configuration or an invalid suite, 3 when a suite could not be run.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEvalEnv(ctx, args, stdout, stderr, os.Getenv)
}

func runEvalEnv(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	threshold := fs.Float64("threshold", eval.DefaultThreshold, "pass rate each suite must reach (0..1); when given, it replaces each suite's own threshold")
	und := fs.String("understanding", "rules", "understanding modes to run, comma-separated: rules, llm, hybrid (e.g. rules,hybrid compares them)")
	cfgPath := fs.String("config", "", "YAML configuration file whose llm section configures the model (COLLECT_LLM_* override it)")
	baseURL := fs.String("llm-base-url", "", "OpenAI-compatible base URL for llm and hybrid (overrides llm.base_url)")
	model := fs.String("llm-model", "", "model name for llm and hybrid (overrides llm.model)")
	transcripts := fs.Bool("v", false, "print the transcript of every failed conversation and every misread line")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: collectagent eval [flags] suite.yaml [more.yaml...]

Runs each suite's scripted conversations against the conversation runtime
(SQLite in a temporary directory, the suite's fixed clock) and prints, per
conversation, the expected and actual outcome, whether it passed, the
number of borrower turns and the guard's blocks, then the pass rate; then
the run broken down per file, per language and per category, with the
counters: misrecorded deals and unrequested statements (the run fails
unless both are 0), disclosures to someone unverified or a third party,
and statements the account should hold but does not.

With several understanding modes (--understanding rules,hybrid) the same
suites run once per mode and a last table compares them: pass rate, intent
and slot accuracy (on lines whose suite states intent, date, amount or
installments), lines the model understood, guard blocks and replaced model
wordings, model calls, fallbacks, and turn and model latency (p50/p99).
The API key is read from COLLECT_LLM_API_KEY (or llm.api_key_env).

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
	var modes []string
	for _, m := range strings.Split(*und, ",") {
		m = strings.ToLower(strings.TrimSpace(m))
		if !slices.Contains(evalModes, m) {
			fmt.Fprintf(stderr, "eval: --understanding %q: want rules, llm or hybrid, or several comma-separated\n", m)
			return 2
		}
		if !slices.Contains(modes, m) {
			modes = append(modes, m)
		}
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "eval: %v\n", err)
		return 2
	}
	if *baseURL != "" {
		cfg.LLM.BaseURL = *baseURL
	}
	if *model != "" {
		cfg.LLM.Model = *model
	}
	// Validate every mode's model configuration before running anything.
	cfgs := make([]llm.Config, len(modes))
	for i, m := range modes {
		c := cfg.LLM
		c.Mode = llm.Mode(m)
		if msgs := llmConfigErrors(c); len(msgs) > 0 {
			fmt.Fprintf(stderr, "eval: --understanding %s: %s\n", m, strings.Join(msgs, "; "))
			return 2
		}
		cfgs[i] = c
	}
	rules, err := understand.Compile()
	if err != nil {
		fmt.Fprintf(stderr, "eval: understanding: %v\n", err)
		return 3
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	type modeOut struct {
		Mode    string           `json:"mode"`
		Summary eval.ModeSummary `json:"summary"`
		Figures eval.Figures     `json:"figures"`
		Reports []*eval.Report   `json:"reports"`
	}
	var outs []modeOut
	var sums []eval.ModeSummary
	code := 0
	for i, m := range modes {
		c, err := newLLM(cfgs[i], rules, log)
		if err != nil {
			fmt.Fprintf(stderr, "eval: %v\n", err)
			return 2
		}
		deps := modelDeps(c, bot.Deps{})
		reps, err := eval.RunFiles(ctx, fs.Args(), override, eval.Options{
			Understander: deps.Understander, Phraser: deps.Phraser, Summarizer: deps.Summarizer,
			Mode: m, Logger: log,
		})
		if err != nil {
			fmt.Fprintln(stderr, err) // already says "eval: ..."
			if errors.Is(err, eval.ErrSuite) {
				return 2
			}
			return 3
		}
		st := c.Stats()
		sum := eval.Summarize(eval.ModeRun{Mode: m, Reports: reps, Model: &st})
		sums = append(sums, sum)
		figs := eval.Tabulate(reps)
		if !figs.OK() {
			code = 1
		}
		outs = append(outs, modeOut{Mode: m, Summary: sum, Figures: figs, Reports: reps})
		for j, r := range reps {
			if !*asJSON {
				if i > 0 || j > 0 {
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
		if !*asJSON {
			if passed, total := eval.Total(reps); len(reps) > 1 {
				fmt.Fprintf(stdout, "\nall suites (%s): %d/%d passed, pass rate %.1f%%\n", m, passed, total, 100*float64(passed)/float64(max(total, 1)))
			}
			fmt.Fprintf(stdout, "\nfigures (%s):\n", m)
			if err := figs.WriteTable(stdout); err != nil {
				fmt.Fprintf(stderr, "eval: %v\n", err)
				return 3
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(outs); err != nil {
			fmt.Fprintf(stderr, "eval: %v\n", err)
			return 3
		}
		return code
	}
	fmt.Fprintln(stdout, "\nunderstanding modes compared:")
	if err := eval.WriteComparison(stdout, sums); err != nil {
		fmt.Fprintf(stderr, "eval: %v\n", err)
		return 3
	}
	return code
}
