package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigLayers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	yaml := `
data: /srv/collect
log_level: debug
web:
  addr: ":9000"
  api_keys: ["file-key-0123456789abcdef"]
  token_secret: "0123456789abcdef0123456789abcdef"
  token_ttl: 10m
bot:
  default_policy:
    max_days_to_promise: 10
    max_installments: 4
    installment_every_days: 7
    min_installment: 25.50
    pack: us
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(map[string]string{
		"COLLECT_ADDR":    "127.0.0.1:9001",
		"COLLECT_API_KEY": "env-key-0123456789abcdef, env-key-2-0123456789abcdef",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Data != "/srv/collect" || cfg.LogLevel != "debug" || cfg.Web.TokenTTL != 10*time.Minute {
		t.Errorf("file values lost: %+v", cfg)
	}
	if cfg.Web.Addr != "127.0.0.1:9001" {
		t.Errorf("COLLECT_ADDR did not override: %q", cfg.Web.Addr)
	}
	if len(cfg.Web.APIKeys) != 2 || cfg.Web.APIKeys[1] != "env-key-2-0123456789abcdef" {
		t.Errorf("COLLECT_API_KEY: %q", cfg.Web.APIKeys)
	}
	if p := cfg.Bot.DefaultPolicy; p.MaxDaysToPromise != 10 || p.MaxInstallments != 4 || p.MinInstallment.Minor != 2550 {
		t.Errorf("policy from file: %+v", p)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		field string
	}{
		{"no api key", "", map[string]string{"COLLECT_TOKEN_SECRET": strings.Repeat("s", 32)}, "web.api_keys"},
		{"no token secret", "", map[string]string{"COLLECT_API_KEY": "k-0123456789abcdef"}, "web.token_secret"},
		{"bad log level", "log_level: loud\n", nil, "log_level"},
		{"bad database url", "database_url: \"not a url\"\n", nil, "database_url"},
		{"bad policy", "bot:\n  default_policy:\n    max_installments: 99\n    installment_every_days: 7\n    pack: us\n", nil, "max_installments"},
		{"bad pack", "bot:\n  policies:\n    eu:\n      max_installments: 3\n      installment_every_days: 7\n      pack: eu\n", nil, "bot.policies.eu"},
		{"unknown key", "colour: blue\n", nil, "colour"},
		{"bad demo env", "", map[string]string{"COLLECT_DEMO": "sometimes"}, "COLLECT_DEMO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			y := "demo: false\n" + tt.yaml
			if tt.env == nil {
				y += "web:\n  api_keys: [\"k-0123456789abcdef\"]\n  token_secret: \"" + strings.Repeat("s", 32) + "\"\n"
			}
			if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path, envOf(tt.env))
			if err == nil {
				err = cfg.validate()
			}
			if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("err = %v, want a config error naming %q", err, tt.field)
			}
		})
	}
}

func TestDemoConfigNeedsNoSecrets(t *testing.T) {
	cfg, err := loadConfig("", envOf(map[string]string{"COLLECT_DEMO": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Errorf("demo config: %v", err)
	}
}

// The model's settings come from the llm section, then COLLECT_LLM_*; the
// key only from the environment (COLLECT_LLM_API_KEY or the variable
// api_key_env names).
func TestConfigLLM(t *testing.T) {
	tests := []struct {
		name                string
		yaml                string
		env                 map[string]string
		mode, base, model   string
		key                 string
		phrase              bool
		voiceUnderstandMs   int64
		hybridBelow         float64
		wantDefaultsElsewhr bool
	}{
		{"defaults", "", nil, "rules", "", "", "", true, 700, 0.8, true},
		{"file", "llm:\n  mode: hybrid\n  base_url: http://vllm:8000/v1\n  model: qwen3-8b\n  phrase: false\n  hybrid_below: 0.6\n  budgets:\n    chat: {understand: 2s, first_token: 2s, phrase: 2s}\n    voice: {understand: 500ms, first_token: 500ms, phrase: 1s}\n",
			map[string]string{"COLLECT_LLM_API_KEY": "sk-file-0123"}, "hybrid", "http://vllm:8000/v1", "qwen3-8b", "sk-file-0123", false, 500, 0.6, false},
		{"env over file", "llm:\n  mode: hybrid\n  base_url: http://vllm:8000/v1\n  model: qwen3-8b\n  api_key_env: LENDER_LLM_KEY\n",
			map[string]string{"COLLECT_LLM_MODE": "LLM", "COLLECT_LLM_BASE_URL": "https://api.openai.com/v1", "COLLECT_LLM_MODEL": "gpt-4o-mini", "LENDER_LLM_KEY": "sk-env-4567", "COLLECT_LLM_API_KEY": "not-this-one"},
			"llm", "https://api.openai.com/v1", "gpt-4o-mini", "sk-env-4567", true, 700, 0.8, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{"COLLECT_DEMO": "true"}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := loadConfig(path, envOf(env))
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.validate(); err != nil {
				t.Fatal(err)
			}
			l := cfg.LLM
			if string(l.Mode) != tt.mode || l.BaseURL != tt.base || l.Model != tt.model || l.APIKey != tt.key || l.Phrase != tt.phrase {
				t.Errorf("llm = %v (key %q)", l, l.APIKey)
			}
			if got := l.BudgetFor("voice").Understand.Milliseconds(); got != tt.voiceUnderstandMs {
				t.Errorf("voice understand budget %dms, want %d", got, tt.voiceUnderstandMs)
			}
			if l.HybridBelow != tt.hybridBelow {
				t.Errorf("hybrid_below %v", l.HybridBelow)
			}
			if tt.wantDefaultsElsewhr && (l.Breaker.Failures != 3 || l.Retry.MaxAttempts != 2 || l.SummaryBudget.Seconds() != 5) {
				t.Errorf("defaults lost: %+v", l)
			}
		})
	}
}

// A bad model setting names its field; the key is never in the message,
// and a key in the file is refused.
func TestConfigLLMErrorsNameTheField(t *testing.T) {
	const key = "sk-never-shown-0123456789"
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		field string
	}{
		{"llm without base url", "llm:\n  mode: llm\n  model: m\n", nil, "llm.base_url"},
		{"base url not http", "llm:\n  mode: hybrid\n  model: m\n  base_url: ftp://x/v1\n", nil, "llm.base_url"},
		{"llm without model", "llm:\n  mode: llm\n  base_url: http://x/v1\n", nil, "llm.model"},
		{"bad mode", "llm:\n  mode: magic\n", nil, "llm.mode"},
		{"bad mode from env", "", map[string]string{"COLLECT_LLM_MODE": "smart"}, "llm.mode"},
		{"bad base url from env", "", map[string]string{"COLLECT_LLM_MODE": "llm", "COLLECT_LLM_MODEL": "m", "COLLECT_LLM_BASE_URL": "localhost:11434"}, "llm.base_url"},
		{"bad output", "llm:\n  output: xml\n", nil, "llm.output"},
		{"bad hybrid_below", "llm:\n  hybrid_below: 2\n", nil, "llm.hybrid_below"},
		{"bad voice budget", "llm:\n  budgets:\n    chat: {understand: 2s, first_token: 2s, phrase: 2s}\n    voice: {understand: 1s, first_token: 0s, phrase: 1s}\n", nil, "llm.budgets[voice].first_token"},
		{"bad breaker", "llm:\n  breaker: {failures: 0, open_for: 30s}\n", nil, "llm.breaker.failures"},
		{"key in the file", "llm:\n  api_key: " + key + "\n", nil, "api_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"COLLECT_DEMO": "true", "COLLECT_LLM_API_KEY": key}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := loadConfig(path, envOf(env))
			if err == nil {
				err = cfg.validate()
			}
			if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want a config error naming %q", err, tt.field)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

// The production compose file's node configuration (environment only,
// an authenticated TLS connection to the NATS cluster) is checked by
// TestComposeFile.

// TestNATSAuthConfigErrors: two ways of authenticating at once, or a user
// without a password, is a configuration error naming nats.auth.
func TestNATSAuthConfigErrors(t *testing.T) {
	n := NATSConfig{URL: "nats://x:4222"}
	n.Auth.User, n.Auth.Token = "u", "t"
	if msgs := handoff.SettingsErrors(n, defaultHandoffConfig()); len(msgs) == 0 || !strings.HasPrefix(msgs[0], "nats.auth:") {
		t.Errorf("user and token: %v", msgs)
	}
	n.Auth = handoff.AuthConfig{User: "u"}
	if msgs := handoff.SettingsErrors(n, defaultHandoffConfig()); len(msgs) == 0 || !strings.HasPrefix(msgs[0], "nats.auth:") {
		t.Errorf("user without password: %v", msgs)
	}
}

// TestRetentionConfig: the retention section loads from YAML and a period
// under the records period is refused, naming the field.
func TestRetentionConfig(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"COLLECT_API_KEY": "example-key-0123456789", "COLLECT_TOKEN_SECRET": strings.Repeat("e", 32)}
	for _, tc := range []struct {
		yaml, bad string
	}{
		{"retention:\n  transcripts: 26280h\n  audit: 35040h\n  recordings: 2160h\n  recordings_dir: /var/rec\n", ""},
		{"retention:\n  transcripts: 720h\n", "retention.transcripts"},
		{"retention:\n  transcripts: 26280h\n  audit: 8760h\n", "retention.audit"},
	} {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(path, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.validate()
		if tc.bad == "" {
			if err != nil || cfg.Retention.Transcripts != 26280*time.Hour || cfg.recordingsDir() != "/var/rec" {
				t.Errorf("%q: %+v, %v", tc.yaml, cfg.Retention, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("%q: %v, want an error naming %s", tc.yaml, err, tc.bad)
		}
	}
}

// TestRetentionEnv: the compose file sets retention by environment.
func TestRetentionEnv(t *testing.T) {
	env := map[string]string{"COLLECT_RETENTION_TRANSCRIPTS": "26280h", "COLLECT_RETENTION_AUDIT": "35040h",
		"COLLECT_RETENTION_RECORDINGS": "2160h", "COLLECT_RETENTION_CONTACT_ATTEMPTS": "26280h", "COLLECT_RETENTION_EVERY": "30m",
		"COLLECT_SHUTDOWN_TIMEOUT": "25s", "COLLECT_RECORDINGS_DIR": "/rec"}
	cfg, err := loadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retention
	if r.Transcripts != 26280*time.Hour || r.Audit != 35040*time.Hour || r.Recordings != 2160*time.Hour ||
		r.ContactAttempts != 26280*time.Hour || r.Every != 30*time.Minute || cfg.ShutdownTimeout != 25*time.Second || cfg.recordingsDir() != "/rec" {
		t.Fatalf("retention %+v, shutdown %v", r, cfg.ShutdownTimeout)
	}
	if _, err := loadConfig("", func(k string) string {
		if k == "COLLECT_RETENTION_AUDIT" {
			return "3 years"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "COLLECT_RETENTION_AUDIT") {
		t.Fatalf("a bad duration: %v", err)
	}
}
