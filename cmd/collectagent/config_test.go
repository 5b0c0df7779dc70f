package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
