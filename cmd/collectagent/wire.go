package main

import (
	"context"
	"expvar"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/llm"
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

func auditConfigAt(c audit.Config, path string) audit.Config {
	c.Path = path
	return c
}

// openCheckpoints starts the audit checkpointer of cfg, or returns nil
// (with a warning) when no key is configured.
func openCheckpoints(cfg *Config, log *slog.Logger) (*audit.Checkpointer, error) {
	return openCheckpointsAt(cfg, cfg.checkpointPath(), log)
}

// openCheckpointsAt is openCheckpoints on the file at path.
func openCheckpointsAt(cfg *Config, path string, log *slog.Logger) (*audit.Checkpointer, error) {
	key, err := cfg.checkpointKey()
	if err != nil {
		return nil, err
	}
	if key.IsZero() {
		log.Warn("audit checkpoints off: no key (audit.key_file or COLLECT_AUDIT_KEY); audit verify cannot tell a chain cut short or re-sealed")
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", err)
	}
	node, _ := os.Hostname()
	cp, err := audit.Open(auditConfigAt(cfg.Audit, path), key, audit.Deps{Logger: log.With("component", "audit"), Node: node})
	if err != nil {
		return nil, err
	}
	log.Info("audit checkpoints on", "path", path, "interval", cfg.Audit.Interval, "max_events", cfg.Audit.MaxEvents)
	return cp, nil
}

// newLLM builds the model client of cfg on the rule-based understanding.
// In mode rules it still works: it understands with the rules and declines
// to phrase or summarise.
func newLLM(cfg llm.Config, rules *understand.Rules, log *slog.Logger) (*llm.Client, error) {
	c, err := llm.New(cfg, llm.Deps{Rules: rules, Logger: log.With("component", "llm")})
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	return c, nil
}

// modelDeps returns the runtime's collaborators for model c: it always
// understands (falling back on the rules itself), and phrases and
// summarises only when its configuration enables a model.
func modelDeps(c *llm.Client, deps bot.Deps) bot.Deps {
	deps.Understander = c
	cfg := c.Config()
	if cfg.Enabled() && cfg.Phrase {
		deps.Phraser = c
	}
	if cfg.Enabled() && cfg.Summaries {
		deps.Summarizer = c
	}
	return deps
}

// newRuntime wires the conversation runtime and the model client it
// understands, phrases and summarises with; pub (nil: none) carries
// escalations to NATS, and events too unless events (nil: none) relays
// them from the store's outbox.
func newRuntime(cfg *Config, st store.Store, log *slog.Logger, pub bot.Publisher, events bot.EventRelay) (*bot.Runtime, *llm.Client, error) {
	rules, err := understand.Compile()
	if err != nil {
		return nil, nil, err
	}
	c, err := newLLM(cfg.LLM, rules, log)
	if err != nil {
		return nil, nil, err
	}
	rt, err := bot.NewRuntime(cfg.Bot, modelDeps(c, bot.Deps{Store: st, Logger: log, Publisher: pub, Events: events}))
	if err != nil {
		return nil, nil, fmt.Errorf("runtime: %w", err)
	}
	return rt, c, nil
}

// describeLLM says which understanding and model are in use, for the
// start-up banner: never the key, and the base URL without user info or
// query (gateways sometimes carry a key there).
func describeLLM(cfg llm.Config) string {
	if !cfg.Enabled() {
		return "understanding: rules (no language model)"
	}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	return fmt.Sprintf("understanding: %s, model %s at %s (phrasing %s, summaries %s)",
		cfg.Mode, cfg.Model, safeURL(cfg.BaseURL), onOff(cfg.Phrase), onOff(cfg.Summaries))
}

func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// The expvar "llm" shows the stats of the last client published: expvar
// names can be published once per process, clients are made per run.
var (
	llmVarOnce sync.Once
	llmVarCur  atomic.Pointer[llm.Client]
)

// publishLLM makes c's Stats the expvar "llm".
func publishLLM(c *llm.Client) {
	llmVarCur.Store(c)
	llmVarOnce.Do(func() {
		expvar.Publish("llm", expvar.Func(func() any {
			if c := llmVarCur.Load(); c != nil {
				return c.Stats()
			}
			return nil
		}))
	})
}

// logLLMStats logs c's counters every interval while a model is enabled,
// and once more when stopped; the returned stop waits for the logger to
// end. The counters hold no message text and no personal data.
func logLLMStats(c *llm.Client, log *slog.Logger, every time.Duration) (stop func()) {
	if !c.Config().Enabled() || every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				logStats(log, c.Stats())
			case <-done:
				logStats(log, c.Stats())
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

func logStats(log *slog.Logger, st llm.Stats) {
	var calls, failed uint64
	for _, op := range st.Ops {
		calls += op.Calls
		failed += op.Failed
	}
	var fallbacks uint64
	for _, n := range st.Fallbacks {
		fallbacks += n
	}
	u := st.Ops[llm.OpUnderstand]
	log.Info("llm stats", "mode", st.Mode, "model", st.Model, "prompt_version", st.PromptVersion,
		"calls", calls, "failed", failed, "fallbacks", fallbacks, "breaker", st.Breaker, "breaker_opens", st.BreakerOpens,
		"understand_p50", u.LatencyP50, "understand_p99", u.LatencyP99,
		"guard_checks", st.GuardChecks, "guard_replacements", st.GuardReplacements, "dropped_slots", st.DroppedSlots)
}
