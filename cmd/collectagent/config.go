package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"gopkg.in/yaml.v3"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/collectagent/collectagent/logmask"
	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/telephony/voice"
	"github.com/collectagent/collectagent/web"
)

// errConfig marks a configuration error (exit code 2).
var errConfig = errors.New("config")

// Config is the root configuration: a YAML file (--config), then COLLECT_*
// environment variables, then flags, each overriding the one before.
type Config struct {
	// Data is the directory for the SQLite file and anything else the
	// service keeps.
	Data string `yaml:"data" validate:"required"`
	// DatabaseURL selects PostgreSQL instead of SQLite when set.
	DatabaseURL string `yaml:"database_url" validate:"omitempty,url"`
	Demo        bool   `yaml:"demo"`
	LogLevel    string `yaml:"log_level" validate:"oneof=debug info warn error"`
	LogFormat   string `yaml:"log_format" validate:"oneof=text json"`
	// ShutdownTimeout bounds the drain after the first SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" validate:"min=0"`
	// StatsLogInterval is how often serve logs the model's counters while
	// a model is enabled (0 turns it off).
	StatsLogInterval time.Duration `yaml:"stats_log_interval" validate:"min=0"`
	Web              web.Config    `yaml:"web" validate:"-"` // validated by web.Config.Validate
	Bot              bot.Config    `yaml:"bot"`
	SQLite           sqlite.Config `yaml:"sqlite"`
	// LLM points understanding, phrasing and handoff summaries at an
	// OpenAI-compatible model; mode rules (the default) calls none. The
	// API key is never in the file: it comes from COLLECT_LLM_API_KEY (or
	// the variable named by llm.api_key_env).
	LLM llm.Config `yaml:"llm" validate:"-"` // validated by llm.Config.Validate
	// NATS is the embedded server (default) or an external one; Handoff
	// times the escalation queue (handoff.go).
	NATS    NATSConfig    `yaml:"nats" validate:"-"`    // validated by handoff.SettingsErrors
	Handoff HandoffConfig `yaml:"handoff" validate:"-"` // validated by handoff.SettingsErrors
	// Audit checkpoints the heads of the audit chains, signed, to an
	// append-only file outside the database. The key is in
	// audit.key_file or COLLECT_AUDIT_KEY, never in this file.
	Audit audit.Config `yaml:"audit"`
	// Voice takes in-app calls (docs/voice.md).
	Voice voice.Config `yaml:"voice"`
	// Retention sets how long each kind of data is kept after an
	// account's last collection activity, and how often the purge runs.
	Retention RetentionConfig `yaml:"retention" validate:"-"` // validated by retention.Config.Validate

	// auditKey is COLLECT_AUDIT_KEY: the checkpoint key itself. It is
	// never logged or printed.
	auditKey string
}

// defaultPolicy is the portfolio policy of accounts without one: promises
// up to 14 days out, up to 6 installments.
func defaultPolicy(pack string) dialog.Policy {
	return dialog.Policy{
		MaxDaysToPromise:       14,
		MinPromisePercent:      0,
		MaxInstallments:        6,
		FirstInstallmentWithin: 7,
		InstallmentEveryDays:   14,
		AllowExtension:         true,
		ExtensionDays:          7,
		Pack:                   pack,
		PaymentURL:             "https://pay.example.com/{account}?amount={amount}",
	}
}

func defaultConfig() Config {
	return Config{
		Data:             "data",
		LogLevel:         "info",
		LogFormat:        "text",
		ShutdownTimeout:  30 * time.Second,
		StatsLogInterval: time.Minute,
		Web:              web.DefaultConfig(),
		Bot: bot.Config{
			DefaultPolicy: defaultPolicy("us"),
			// Portfolios "us" and "cn" select the jurisdiction's pack.
			Policies: map[string]dialog.Policy{"us": defaultPolicy("us"), "cn": defaultPolicy("cn")},
		},
		SQLite:    sqlite.DefaultConfig(),
		LLM:       llm.Defaults(),
		Handoff:   defaultHandoffConfig(),
		Audit:     audit.DefaultConfig(),
		Retention: RetentionConfig{Config: retention.DefaultConfig()},
		Voice:     voice.DefaultConfig(),
	}
}

// RetentionConfig is retention.Config plus where this binary keeps call
// recordings.
type RetentionConfig struct {
	retention.Config `yaml:",inline"`
	// RecordingsDir holds call recordings ("" is <data>/recordings).
	RecordingsDir string `yaml:"recordings_dir"`
}

// recordingsDir is where call recordings are kept.
func (cfg *Config) recordingsDir() string {
	if cfg.Retention.RecordingsDir != "" {
		return cfg.Retention.RecordingsDir
	}
	return filepath.Join(cfg.Data, "recordings")
}

// loadConfig builds the configuration: defaults, the YAML file at path (if
// any), then COLLECT_* variables from getenv.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("%w: %w", errConfig, err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		// An empty file (or one of comments only) keeps the defaults.
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("%w: %s: %w", errConfig, path, err)
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	// The key is read from the environment only, never from the file.
	cfg.LLM = cfg.LLM.WithAPIKeyFromEnv(getenv)
	return cfg, nil
}

// applyEnv applies the COLLECT_* overrides.
func applyEnv(cfg *Config, getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(name); v != "" {
			*dst = nil
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					*dst = append(*dst, p)
				}
			}
		}
	}
	str("COLLECT_ADDR", &cfg.Web.Addr)
	str("COLLECT_ADMIN_ADDR", &cfg.Web.AdminAddr)
	str("COLLECT_DATA", &cfg.Data)
	str("COLLECT_DATABASE_URL", &cfg.DatabaseURL)
	str("COLLECT_LOG_LEVEL", &cfg.LogLevel)
	str("COLLECT_LOG_FORMAT", &cfg.LogFormat)
	str("COLLECT_TOKEN_SECRET", &cfg.Web.TokenSecret)
	list("COLLECT_API_KEY", &cfg.Web.APIKeys)
	list("COLLECT_ALLOWED_ORIGINS", &cfg.Web.AllowedOrigins)
	if v := getenv("COLLECT_LLM_MODE"); v != "" {
		cfg.LLM.Mode = llm.Mode(strings.ToLower(strings.TrimSpace(v)))
	}
	str("COLLECT_LLM_BASE_URL", &cfg.LLM.BaseURL)
	str("COLLECT_LLM_MODEL", &cfg.LLM.Model)
	str("COLLECT_NATS_URL", &cfg.NATS.URL)
	str("COLLECT_AUDIT_KEY", &cfg.auditKey)
	str("COLLECT_AUDIT_KEY_FILE", &cfg.Audit.KeyFile)
	str("COLLECT_AUDIT_CHECKPOINTS", &cfg.Audit.Path)
	str("COLLECT_NATS_USER", &cfg.NATS.Auth.User)
	str("COLLECT_NATS_PASSWORD", &cfg.NATS.Auth.Password)
	str("COLLECT_NATS_TOKEN", &cfg.NATS.Auth.Token)
	str("COLLECT_NATS_CREDS", &cfg.NATS.Auth.CredsFile)
	if v := getenv("COLLECT_NATS_TLS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%w: COLLECT_NATS_TLS: want true or false", errConfig)
		}
		cfg.NATS.TLS.Enabled = b
	}
	str("COLLECT_NATS_TLS_CA", &cfg.NATS.TLS.CAFile)
	str("COLLECT_ADMIN_KEY", &cfg.Web.AdminKey)
	if v := getenv("COLLECT_NATS_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: COLLECT_NATS_REPLICAS: want a number 1..5", errConfig)
		}
		cfg.NATS.Replicas = n
	}
	if v := getenv("COLLECT_DEMO"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%w: COLLECT_DEMO: want true or false", errConfig)
		}
		cfg.Demo = b
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"COLLECT_TOKEN_TTL", &cfg.Web.TokenTTL},
		{"COLLECT_SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout},
		{"COLLECT_RETENTION_EVERY", &cfg.Retention.Every},
		{"COLLECT_RETENTION_TRANSCRIPTS", &cfg.Retention.Transcripts},
		{"COLLECT_RETENTION_RECORDINGS", &cfg.Retention.Recordings},
		{"COLLECT_RETENTION_AUDIT", &cfg.Retention.Audit},
		{"COLLECT_RETENTION_CONTACT_ATTEMPTS", &cfg.Retention.ContactAttempts},
	} {
		if v := getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%w: %s: want a duration like 30m or 26280h", errConfig, d.name)
			}
			*d.dst = x
		}
	}
	str("COLLECT_RECORDINGS_DIR", &cfg.Retention.RecordingsDir)
	return nil
}

// checkpointKey is the audit checkpoint key: COLLECT_AUDIT_KEY, else the
// contents of audit.key_file; the zero Key when neither is set. Errors
// never quote the key.
func (cfg *Config) checkpointKey() (audit.Key, error) {
	if cfg.auditKey != "" {
		k, err := audit.NewKey([]byte(cfg.auditKey))
		if err != nil {
			return audit.Key{}, fmt.Errorf("%w: COLLECT_AUDIT_KEY: %w", errConfig, err)
		}
		return k, nil
	}
	if cfg.Audit.KeyFile == "" {
		return audit.Key{}, nil
	}
	b, err := os.ReadFile(cfg.Audit.KeyFile)
	if err != nil {
		return audit.Key{}, fmt.Errorf("%w: audit.key_file: %w", errConfig, err)
	}
	k, err := audit.NewKey(b)
	if err != nil {
		return audit.Key{}, fmt.Errorf("%w: audit.key_file: %w", errConfig, err)
	}
	return k, nil
}

// checkpointPath is the checkpoint file: audit.path, or its default name
// in the data directory.
func (cfg *Config) checkpointPath() string {
	if cfg.Audit.Path != "" {
		return cfg.Audit.Path
	}
	return filepath.Join(cfg.Data, audit.FileName)
}

// importCheckpointPath is the checkpoint file of `collectagent import`,
// beside the server's (a process of its own must not append to the
// server's file): audit-checkpoints.import.jsonl.
func (cfg *Config) importCheckpointPath() string {
	p := cfg.checkpointPath()
	ext := filepath.Ext(p)
	return strings.TrimSuffix(p, ext) + ".import" + ext
}

// setFlags applies the flags the user set on fs (not their defaults).
func setFlags(fs *flag.FlagSet, apply map[string]func(string)) {
	fs.Visit(func(f *flag.Flag) {
		if fn, ok := apply[f.Name]; ok {
			fn(f.Value.String())
		}
	})
}

var configValidate = fielderr.NewValidator("yaml")

// validate checks cfg after every override; errors name the field by its
// YAML path ("web.token_secret").
func (cfg *Config) validate() error {
	cfg.Web.Demo = cfg.Demo
	cfg.Web = cfg.Web.WithDefaults()
	var msgs []string
	if err := configValidate.Struct(cfg); err != nil {
		fields, ok := fielderr.FromValidator(err, "", describe)
		if !ok {
			return fmt.Errorf("%w: %w", errConfig, err)
		}
		msgs = append(msgs, fielderr.Messages(fielderr.Join(fields))...)
	}
	if err := cfg.Web.Validate(); err != nil {
		msgs = append(msgs, fielderr.Messages(err)...)
	}
	if err := dialog.ValidatePolicy(cfg.Bot.DefaultPolicy); err != nil {
		msgs = append(msgs, "bot.default_policy: "+err.Error())
	}
	for name, p := range cfg.Bot.Policies {
		if err := dialog.ValidatePolicy(p); err != nil {
			msgs = append(msgs, fmt.Sprintf("bot.policies.%s: %v", name, err))
		}
	}
	msgs = append(msgs, llmConfigErrors(cfg.LLM)...)
	msgs = append(msgs, handoff.SettingsErrors(cfg.NATS, cfg.Handoff)...)
	if err := cfg.Retention.Config.Validate(); err != nil {
		msgs = append(msgs, fielderr.Messages(err)...)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%w: %s", errConfig, strings.Join(msgs, "; "))
	}
	return nil
}

// llmConfigErrors returns the model configuration's errors, each naming
// its field ("llm.base_url: ..."). They never hold the API key.
func llmConfigErrors(c llm.Config) []string {
	err := c.Validate()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var msgs []string
	for _, e := range errs {
		var fe *llm.FieldError
		if errors.As(e, &fe) {
			msgs = append(msgs, fe.Field+": "+fe.Problem)
		} else {
			msgs = append(msgs, e.Error())
		}
	}
	return msgs
}

func describe(fe validator.FieldError) string {
	if fe.Tag() == "url" {
		return "must be a URL, e.g. postgres://user:pass@host/db"
	}
	return fielderr.Describe(fe)
}

// newLogger builds the process logger; it never logs message text, and
// every record passes the one masking rule (logmask) whichever package
// wrote it.
func (cfg *Config) newLogger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(oneComponent(logmask.Handler(h)))
}

// validateStore checks only what opening the store needs (import).
func (cfg *Config) validateStore() error {
	if err := configValidate.StructPartial(cfg, "Data", "DatabaseURL", "LogLevel", "LogFormat", "SQLite"); err != nil {
		if fields, ok := fielderr.FromValidator(err, "", describe); ok && len(fields) > 0 {
			return fmt.Errorf("%w: %w", errConfig, fields[0])
		}
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	return nil
}
