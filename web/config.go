package web

import (
	"fmt"
	"time"
)

// Config is the HTTP edge's configuration. Zero fields take the defaults
// of DefaultConfig when passed through WithDefaults.
type Config struct {
	// Addr is the listen address, e.g. ":8080".
	Addr string `yaml:"addr" validate:"required"`
	// AllowedOrigins lists the browser origins ("https://app.example.com")
	// allowed to open the chat WebSocket besides the server's own origin.
	// "*" allows any origin.
	AllowedOrigins []string `yaml:"allowed_origins" validate:"dive,required"`
	// APIKeys are the bearer keys of back-office calls. At least one is
	// required unless Demo is set.
	APIKeys []string `yaml:"api_keys" validate:"required_if=Demo false,dive,min=16"`
	// TokenSecret signs session tokens (HMAC-SHA256). Required unless Demo
	// is set, where a random per-process secret is used when empty.
	TokenSecret string `yaml:"token_secret" validate:"required_if=Demo false,omitempty,min=32"`
	// TokenTTL is how long a minted session token may be used to connect.
	TokenTTL time.Duration `yaml:"token_ttl" validate:"min=1m,max=168h"`
	// Demo turns on the demo endpoints (/demo/...) used by the chat page.
	Demo bool `yaml:"-"` // set from the root configuration
	// DemoAccounts, when set, limits the demo endpoints to these account
	// ids; otherwise every account is listed.
	DemoAccounts []string `yaml:"-"`
	// MaxFrame is the largest WebSocket frame a client may send; a larger
	// one closes the connection with 1009.
	MaxFrame int64 `yaml:"max_frame" validate:"min=256,max=1048576"`
	// MaxBody caps an HTTP request body.
	MaxBody int64 `yaml:"max_body" validate:"min=1024"`
	// RatePerSecond and RateBurst are each chat connection's token bucket.
	RatePerSecond float64 `yaml:"rate_per_second" validate:"gt=0"`
	RateBurst     int     `yaml:"rate_burst" validate:"min=1"`
	// PingInterval is how often the server pings an idle chat client;
	// a client that does not answer within PongWait is dropped.
	PingInterval time.Duration `yaml:"ping_interval" validate:"min=100ms"`
	PongWait     time.Duration `yaml:"pong_wait" validate:"gtfield=PingInterval"`
	// WriteWait bounds one frame write.
	WriteWait time.Duration `yaml:"write_wait" validate:"min=100ms"`
	// TurnTimeout bounds one borrower turn (understand, step, persist).
	TurnTimeout time.Duration `yaml:"turn_timeout" validate:"min=100ms"`
	// CloseGrace is how long Shutdown waits for a client to answer the
	// close frame before dropping the connection.
	CloseGrace time.Duration `yaml:"close_grace" validate:"min=0"`
	// Console configures the agent console (console.go); it is
	// validated when the server starts.
	Console ConsoleConfig `yaml:"console" validate:"-"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:          ":8080",
		TokenTTL:      30 * time.Minute,
		MaxFrame:      4096,
		MaxBody:       16 << 20,
		RatePerSecond: 5,
		RateBurst:     10,
		PingInterval:  20 * time.Second,
		PongWait:      45 * time.Second,
		WriteWait:     5 * time.Second,
		TurnTimeout:   15 * time.Second,
		CloseGrace:    2 * time.Second,
	}
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = d.TokenTTL
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = d.MaxFrame
	}
	if c.MaxBody == 0 {
		c.MaxBody = d.MaxBody
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = d.RatePerSecond
	}
	if c.RateBurst == 0 {
		c.RateBurst = d.RateBurst
	}
	if c.PingInterval == 0 {
		c.PingInterval = d.PingInterval
	}
	if c.PongWait == 0 {
		c.PongWait = d.PongWait
	}
	if c.WriteWait == 0 {
		c.WriteWait = d.WriteWait
	}
	if c.TurnTimeout == 0 {
		c.TurnTimeout = d.TurnTimeout
	}
	if c.CloseGrace == 0 {
		c.CloseGrace = d.CloseGrace
	}
	return c
}

// Validate checks c; errors name the field ("web.token_secret").
func (c Config) Validate() error {
	if err := validateConfig(c, "web"); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return nil
}
