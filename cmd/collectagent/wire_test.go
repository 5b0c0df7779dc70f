package main

import (
	"bytes"
	"context"
	"expvar"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

const fakeLLMKey = "sk-wire-test-0123456789abcdef"

// wiredConfig is serve's configuration for a model at base (mode), read
// the way serve reads it: a YAML file, then the environment.
func wiredConfig(t *testing.T, mode, base string) Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	y := "llm:\n  retry: {max_attempts: 1, backoff: 1ms, min_attempt: 1ms}\n  breaker: {failures: 2, open_for: 1h}\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(map[string]string{
		"COLLECT_DEMO": "true", "COLLECT_DATA": t.TempDir(),
		"COLLECT_LLM_MODE": mode, "COLLECT_LLM_BASE_URL": base, "COLLECT_LLM_MODEL": "fake-model",
		"COLLECT_LLM_API_KEY": fakeLLMKey,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// chatThrough opens a chat with Maria on a runtime built by newRuntime and
// plays lines; it returns the store, the session and everything said.
func chatThrough(t *testing.T, cfg Config, log *slog.Logger, lines ...string) (store.Store, *bot.Session, *llm.Client, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.UpsertAccounts(ctx, []store.Account{{
		ID: "a-1", Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
		Timezone: "UTC", Portfolio: "us", Consent: store.Consent{Chat: true, Recording: true},
		Debts: []store.Debt{{ID: "a-1-d1", AccountID: "a-1", Creditor: "Demo Finance", AmountMinor: 24000, Currency: "USD", DueDate: "2020-01-01", DaysPastDue: 9}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rt, c, err := newRuntime(&cfg, st, log, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var said strings.Builder
	out, err := s.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Replies {
		said.WriteString(r.Text + "\n")
	}
	for _, l := range lines {
		out, err := s.Handle(ctx, bot.Message{Text: l})
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		for _, r := range out.Replies {
			said.WriteString(r.Text + "\n")
		}
	}
	return st, s, c, said.String()
}

// The runtime serve builds calls the configured model: it understands
// every borrower line (llm mode), phrases the acts, sends the key only in
// the header, never sends the date of birth, and the promise is the
// engine's. In rules mode, and with the model down, the same conversation
// ends the same way.
func TestServeRuntimeCallsTheModel(t *testing.T) {
	lines := []string{"hi, it's 07/21/1988", "I can pay it all in 3 days", "yes"}
	tests := []struct {
		name       string
		mode       string
		fail       bool
		understand int // understanding requests, exactly
		phrase     int // phrasing requests, exactly; -1 means some
		fallbacks  bool
	}{
		{"llm", "llm", false, 3, -1, false},
		{"hybrid", "hybrid", false, -1, -1, false},
		{"rules", "rules", false, 0, 0, false},
		// Each operation's breaker opens after two failures; after that
		// the dead endpoint is not called at all.
		{"llm, model down", "llm", true, 2, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeModel(t, tt.fail)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg := wiredConfig(t, tt.mode, f.URL())
			st, s, c, said := chatThrough(t, cfg, log, lines...)

			if got := s.Conversation().OutcomeType; got != string(dialog.OutcomePTP) {
				t.Fatalf("outcome %q; the bot said:\n%s", got, said)
			}
			ps, err := st.ListPromises(context.Background(), "a-1")
			if err != nil || len(ps) != 1 || ps[0].AmountMinor != 24000 {
				t.Fatalf("promises %+v, %v", ps, err)
			}
			switch n := f.count("understand"); {
			case tt.understand >= 0 && n != tt.understand:
				t.Errorf("%d understanding requests, want %d", n, tt.understand)
			case tt.understand < 0 && n == 0:
				t.Errorf("hybrid mode never asked the model")
			}
			switch n := f.count("phrase"); {
			case tt.phrase >= 0 && n != tt.phrase:
				t.Errorf("%d phrasing requests, want %d", n, tt.phrase)
			case tt.phrase < 0 && n == 0:
				t.Errorf("no act was phrased by the model")
			}
			if tt.mode == "rules" && f.total() != 0 {
				t.Errorf("rules mode sent %d requests", f.total())
			}
			if f.total() > 0 && !f.sentAuth("Bearer "+fakeLLMKey) {
				t.Error("the API key from COLLECT_LLM_API_KEY was not sent as the bearer token")
			}
			for _, b := range f.bodies() {
				if strings.Contains(b, "1988") || strings.Contains(b, fakeLLMKey) {
					t.Errorf("sent the date of birth or the key in a body: %.200s", b)
				}
			}
			st2 := c.Stats()
			var fb uint64
			for _, n := range st2.Fallbacks {
				fb += n
			}
			if (fb > 0) != tt.fallbacks {
				t.Errorf("fallbacks %v, want some: %v", st2.Fallbacks, tt.fallbacks)
			}
			if tt.fail && st2.Fallbacks[llm.FallbackBreakerOpen] == 0 {
				t.Errorf("the breaker never opened on a dead endpoint: %v", st2.Fallbacks)
			}
			if tt.mode == "llm" && !tt.fail && st2.Ops[llm.OpUnderstand].OK != 3 {
				t.Errorf("stats: %+v", st2.Ops)
			}
			// The turn's record names the model calls, for replay.
			turns, err := st.ListTurns(context.Background(), s.ID())
			if err != nil {
				t.Fatal(err)
			}
			recorded := false
			for _, tr := range turns {
				if tr.From == bot.FromBorrower && strings.Contains(string(tr.Meta), `"model":"fake-model"`) {
					recorded = true
				}
			}
			if recorded != (tt.mode != "rules") {
				t.Errorf("model calls recorded on the turns: %v", recorded)
			}
			if strings.Contains(logs.String(), fakeLLMKey) || strings.Contains(said, fakeLLMKey) {
				t.Error("the key was logged or said")
			}
		})
	}
}

// The start-up line names the mode and model and never the key; the URL
// loses user info and query.
func TestDescribeLLM(t *testing.T) {
	cfg := llm.Defaults()
	if got := describeLLM(cfg); !strings.Contains(got, "rules") || strings.Contains(got, "model ") {
		t.Errorf("rules: %q", got)
	}
	cfg.Mode, cfg.Model, cfg.BaseURL, cfg.APIKey = llm.ModeHybrid, "qwen2.5-7b", "https://user:pw@llm.example.cn/v1?key=secret", fakeLLMKey
	got := describeLLM(cfg)
	for _, want := range []string{"hybrid", "qwen2.5-7b", "https://llm.example.cn/v1", "phrasing on"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	for _, bad := range []string{fakeLLMKey, "secret", "pw@"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q shows %q", got, bad)
		}
	}
}

// The expvar "llm" holds the stats of the client serve published, without
// the key.
func TestPublishLLM(t *testing.T) {
	f := newFakeModel(t, false)
	cfg := wiredConfig(t, "llm", f.URL())
	_, _, c, _ := chatThrough(t, cfg, slog.New(slog.DiscardHandler), "07/21/1988")
	publishLLM(c)
	publishLLM(c) // a second serve in the same process must not panic
	v := expvar.Get("llm")
	if v == nil {
		t.Fatal("no expvar llm")
	}
	s := v.String()
	if !strings.Contains(s, `"model":"fake-model"`) || !strings.Contains(s, `"understand"`) || strings.Contains(s, fakeLLMKey) {
		t.Errorf("expvar llm = %s", s)
	}
}

// The periodic log of the counters stops when asked and holds no key.
func TestLogLLMStats(t *testing.T) {
	f := newFakeModel(t, false)
	cfg := wiredConfig(t, "llm", f.URL())
	_, _, c, _ := chatThrough(t, cfg, slog.New(slog.DiscardHandler), "07/21/1988")
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	stop := logLLMStats(c, log, 1<<40) // a tick that never comes: only the final line
	stop()
	stop() // idempotent
	out := buf.String()
	if strings.Count(out, "llm stats") != 1 || !strings.Contains(out, "model=fake-model") || !strings.Contains(out, "failed=0") || strings.Contains(out, "calls=0") || strings.Contains(out, fakeLLMKey) {
		t.Errorf("log = %q", out)
	}
	// With no model there is nothing to log.
	_, _, rc, _ := chatThrough(t, wiredConfig(t, "rules", ""), slog.New(slog.DiscardHandler))
	var quiet syncBuffer
	logLLMStats(rc, slog.New(slog.NewTextHandler(&quiet, nil)), 1<<40)()
	if quiet.String() != "" {
		t.Errorf("rules mode logged %q", quiet.String())
	}
}
