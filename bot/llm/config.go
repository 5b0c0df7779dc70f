package llm

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/internal/breaker"
)

// Mode says who understands the borrower.
type Mode string

// Understanding modes.
const (
	ModeRules  Mode = "rules"  // rules only; no model is called
	ModeLLM    Mode = "llm"    // the model for every message, rules as fallback
	ModeHybrid Mode = "hybrid" // rules first; the model when they are unsure
)

// Output says how the model is asked for structured output.
type Output string

// Structured output styles.
const (
	// OutputTools forces a function call whose parameters are the schema:
	// the widest support (OpenAI, Azure, vLLM, Ollama, Qwen, DeepSeek).
	OutputTools Output = "tools"
	// OutputJSONSchema uses response_format json_schema (strict).
	OutputJSONSchema Output = "json_schema"
)

// DefaultAPIKeyEnv is the environment variable the API key is read from
// when APIKeyEnv is empty.
const DefaultAPIKeyEnv = "COLLECT_LLM_API_KEY"

// Budget bounds the model's time on one channel. Past a budget the turn
// uses rules or the template.
type Budget struct {
	// Understand bounds one understanding call, retries included.
	Understand time.Duration `yaml:"understand" json:"understand" validate:"gt=0"`
	// FirstToken bounds the wait for the first streamed token of a phrase.
	FirstToken time.Duration `yaml:"first_token" json:"first_token" validate:"gt=0"`
	// Phrase bounds a whole phrasing call.
	Phrase time.Duration `yaml:"phrase" json:"phrase" validate:"gt=0"`
}

// BreakerConfig tunes the circuit breaker.
type BreakerConfig = breaker.Config

// BreakerState is the circuit breaker's state.
type BreakerState = breaker.State

// Breaker states, as the stats report them.
const (
	BreakerClosed   = breaker.Closed
	BreakerOpen     = breaker.Open
	BreakerHalfOpen = breaker.HalfOpen
)

// RetryConfig tunes retries of 429, 5xx and transport errors. A retry is
// made only when the budget left covers the backoff and MinAttempt.
type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts" json:"max_attempts" validate:"min=1,max=5"`
	Backoff     time.Duration `yaml:"backoff" json:"backoff" validate:"min=0"` // doubled after each retry
	MinAttempt  time.Duration `yaml:"min_attempt" json:"min_attempt" validate:"min=0"`
}

// Config is the model's configuration: base URL, model and API key are all
// a lender must set. With Mode rules (the default) nothing is called.
type Config struct {
	Mode    Mode   `yaml:"mode" json:"mode" validate:"oneof=rules llm hybrid"`
	BaseURL string `yaml:"base_url" json:"base_url"`
	Model   string `yaml:"model" json:"model"`
	// APIKeyEnv names the environment variable holding the key
	// (DefaultAPIKeyEnv when empty). The key itself is never in a file and
	// never logged.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env"`
	APIKey    string `yaml:"-" json:"-"`
	// APIType is "openai" (any OpenAI-compatible server) or "azure".
	APIType    string `yaml:"api_type" json:"api_type" validate:"oneof=openai azure"`
	APIVersion string `yaml:"api_version" json:"api_version"` // Azure only
	Output     Output `yaml:"output" json:"output" validate:"oneof=tools json_schema"`

	// Phrase lets the model phrase the engine's acts; Summaries lets it
	// write handoff summaries. Both need a mode other than rules.
	Phrase    bool `yaml:"phrase" json:"phrase"`
	Summaries bool `yaml:"summaries" json:"summaries"`
	// PhraseSkip lists act kinds always sent as their template, on top of
	// the disclosures (which never are phrased).
	PhraseSkip []string `yaml:"phrase_skip" json:"phrase_skip,omitempty"`
	// MaskNames is kept so older configurations still load: names are
	// masked unless SendNames is set.
	MaskNames bool `yaml:"mask_names" json:"mask_names"`
	// SendNames sends the borrower's names to the model as they are. Off
	// by default: every identity form (names, dates of birth, ID and card
	// numbers, phones, e-mails) is masked.
	SendNames bool `yaml:"send_names" json:"send_names"`

	// HybridBelow is the rules' confidence under which hybrid mode asks
	// the model (it also asks when the rules found several intents).
	HybridBelow float64 `yaml:"hybrid_below" json:"hybrid_below" validate:"min=0,max=1"`
	Temperature float32 `yaml:"temperature" json:"temperature" validate:"min=0,max=2"`
	MaxTokens   int     `yaml:"max_tokens" json:"max_tokens" validate:"min=16,max=8192"`
	// StreamUsage asks streamed answers for token counts
	// (stream_options.include_usage); turn it off for a server that
	// rejects the option.
	StreamUsage bool `yaml:"stream_usage" json:"stream_usage"`
	// ChatTemplateKwargs is passed through to servers that render chat
	// templates (vLLM, SGLang): {"enable_thinking": false} turns a Qwen3
	// model's thinking off, which the latency budgets usually require.
	ChatTemplateKwargs map[string]any `yaml:"chat_template_kwargs" json:"chat_template_kwargs,omitempty"`

	// Budgets per channel ("chat", "voice", "phone"); a channel not listed
	// uses "chat".
	Budgets map[compliance.Channel]Budget `yaml:"budgets" json:"budgets" validate:"required,dive"`
	// SummaryBudget bounds a handoff summary.
	SummaryBudget time.Duration `yaml:"summary_budget" json:"summary_budget" validate:"gt=0"`
	Breaker       BreakerConfig `yaml:"breaker" json:"breaker"`
	Retry         RetryConfig   `yaml:"retry" json:"retry"`
}

// Defaults returns the default configuration: rules only, and the budgets
// and breaker used once a model is configured (chat 2 s; voice 700 ms to
// the first token).
func Defaults() Config {
	voice := Budget{Understand: 700 * time.Millisecond, FirstToken: 700 * time.Millisecond, Phrase: 1500 * time.Millisecond}
	return Config{
		Mode:        ModeRules,
		APIType:     "openai",
		Output:      OutputTools,
		Phrase:      true,
		Summaries:   true,
		HybridBelow: 0.8,
		Temperature: 0.3,
		MaxTokens:   400,
		StreamUsage: true,
		Budgets: map[compliance.Channel]Budget{
			compliance.ChannelChat:  {Understand: 2 * time.Second, FirstToken: 2 * time.Second, Phrase: 2 * time.Second},
			compliance.ChannelVoice: voice,
			compliance.ChannelPhone: voice,
		},
		SummaryBudget: 5 * time.Second,
		Breaker:       BreakerConfig{Failures: 3, OpenFor: 30 * time.Second},
		Retry:         RetryConfig{MaxAttempts: 2, Backoff: 100 * time.Millisecond, MinAttempt: 250 * time.Millisecond},
	}
}

// Enabled reports whether a model is to be called at all.
func (c Config) Enabled() bool { return c.Mode != ModeRules && c.Mode != "" }

// BudgetFor returns the budget of a channel.
func (c Config) BudgetFor(channel compliance.Channel) Budget {
	if b, ok := c.Budgets[channel]; ok {
		return b
	}
	return c.Budgets[compliance.ChannelChat]
}

// WithAPIKeyFromEnv returns c with APIKey read through getenv (os.Getenv
// in production) from APIKeyEnv, or DefaultAPIKeyEnv.
func (c Config) WithAPIKeyFromEnv(getenv func(string) string) Config {
	name := c.APIKeyEnv
	if name == "" {
		name = DefaultAPIKeyEnv
	}
	c.APIKey = getenv(name)
	return c
}

// String describes c without its key.
func (c Config) String() string {
	key := "unset"
	if c.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("llm{mode=%s base_url=%s model=%s api_key=%s phrase=%t send_names=%t}", c.Mode, redactURL(c.BaseURL), c.Model, key, c.Phrase, c.SendNames)
}

// LogValue implements slog.LogValuer: the key is never logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mode", string(c.Mode)),
		slog.String("base_url", redactURL(c.BaseURL)),
		slog.String("model", c.Model),
		slog.Bool("api_key_set", c.APIKey != ""),
		slog.Bool("phrase", c.Phrase),
		slog.Bool("send_names", c.SendNames),
	)
}

// redactURL drops user info and query from a URL (some gateways carry a
// key there).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		if s == "" {
			return ""
		}
		return "(invalid)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// Validate checks c; errors name the field as it is spelled in YAML
// ("llm.budgets[voice].first_token"). The error joins a *FieldError per
// invalid field.
func (c Config) Validate() error {
	var errs []error
	if err := validate.Struct(c); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) {
			for _, fe := range ve {
				ns := fe.Namespace()
				if _, rest, ok := strings.Cut(ns, "."); ok {
					ns = rest
				}
				errs = append(errs, &FieldError{Field: "llm." + ns, Problem: fmt.Sprintf("failed %q (%s)", fe.Tag(), fe.Param())})
			}
		} else {
			errs = append(errs, fmt.Errorf("%w: %w", ErrConfig, err))
		}
	}
	for ch := range c.Budgets {
		if !ch.Valid() {
			errs = append(errs, fmt.Errorf("%w: llm.budgets: unknown channel %q", ErrConfig, ch))
		}
	}
	if c.Enabled() {
		if u, err := url.Parse(c.BaseURL); c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, &FieldError{Field: "llm.base_url", Problem: fmt.Sprintf("want an http(s) URL for mode %s", c.Mode)})
		}
		if strings.TrimSpace(c.Model) == "" {
			errs = append(errs, &FieldError{Field: "llm.model", Problem: fmt.Sprintf("required for mode %s", c.Mode)})
		}
		if _, ok := c.Budgets[compliance.ChannelChat]; !ok {
			errs = append(errs, &FieldError{Field: "llm.budgets", Problem: "a chat budget is required"})
		}
	}
	return errors.Join(errs...)
}
