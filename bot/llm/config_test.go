package llm

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/compliance"
)

func TestConfigValidate(t *testing.T) {
	ok := Defaults()
	ok.Mode, ok.BaseURL, ok.Model = ModeHybrid, "https://api.example.com/v1", "gpt-4o-mini"
	tests := []struct {
		name   string
		change func(*Config)
		field  string // "" means valid
	}{
		{"defaults", func(c *Config) { *c = Defaults() }, ""},
		{"hybrid configured", func(c *Config) {}, ""},
		{"bad mode", func(c *Config) { c.Mode = "magic" }, "llm.mode"},
		{"llm without url", func(c *Config) { c.BaseURL = "" }, "llm.base_url"},
		{"llm with relative url", func(c *Config) { c.BaseURL = "api/v1" }, "llm.base_url"},
		{"llm without model", func(c *Config) { c.Model = " " }, "llm.model"},
		{"zero voice budget", func(c *Config) {
			b := c.Budgets["voice"]
			b.FirstToken = 0
			c.Budgets = map[compliance.Channel]Budget{"chat": c.Budgets["chat"], "voice": b}
		}, "first_token"},
		{"breaker failures", func(c *Config) { c.Breaker.Failures = 0 }, "llm.breaker.failures"},
		{"retries", func(c *Config) { c.Retry.MaxAttempts = 9 }, "llm.retry.max_attempts"},
		{"hybrid threshold", func(c *Config) { c.HybridBelow = 1.5 }, "llm.hybrid_below"},
		{"output", func(c *Config) { c.Output = "xml" }, "llm.output"},
		{"api type", func(c *Config) { c.APIType = "other" }, "llm.api_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			c.Budgets = map[compliance.Channel]Budget{}
			for k, v := range ok.Budgets {
				c.Budgets[k] = v
			}
			tt.change(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Validate() = %v, want ErrConfig naming %s", err, tt.field)
			}
		})
	}
}

func TestConfigKeyNeverShown(t *testing.T) {
	c := Defaults()
	c.Mode, c.BaseURL, c.Model = ModeLLM, "https://user:pw@api.example.com/v1?key=abc", "m"
	c = c.WithAPIKeyFromEnv(func(name string) string {
		if name == DefaultAPIKeyEnv {
			return "sk-secret-value"
		}
		return ""
	})
	if c.APIKey != "sk-secret-value" {
		t.Fatalf("key not read from %s", DefaultAPIKeyEnv)
	}
	c2 := c
	c2.APIKeyEnv = "OTHER"
	if c2.WithAPIKeyFromEnv(func(string) string { return "" }).APIKey != "" {
		t.Fatal("key read from the wrong variable")
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "llm", c)
	for _, out := range []string{c.String(), buf.String()} {
		if x := containsAny(out, "sk-secret", "pw@", "key=abc"); x != "" {
			t.Errorf("%q shows %q", out, x)
		}
		if !strings.Contains(out, "api.example.com") {
			t.Errorf("%q does not show the endpoint", out)
		}
	}
}

func TestBudgetFor(t *testing.T) {
	c := Defaults()
	if got := c.BudgetFor("voice").FirstToken; got != 700*time.Millisecond {
		t.Errorf("voice first token = %v", got)
	}
	if got := c.BudgetFor("chat").Understand; got != 2*time.Second {
		t.Errorf("chat understand = %v", got)
	}
	if c.BudgetFor("fax") != c.BudgetFor("chat") {
		t.Error("an unknown channel does not use the chat budget")
	}
}
