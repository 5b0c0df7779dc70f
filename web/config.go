package web

import (
	"fmt"
	"github.com/collectagent/collectagent/internal/fielderr"
	"net"
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
	// MaxBody caps the body of the bulk import (POST /v1/accounts).
	MaxBody int64 `yaml:"max_body" validate:"min=1024"`
	// MaxSmallBody caps every other request body; MaxSignInBody the
	// console sign-in's (read before the caller is known).
	MaxSmallBody  int64 `yaml:"max_small_body" validate:"min=1024"`
	MaxSignInBody int64 `yaml:"max_signin_body" validate:"min=256,max=65536"`
	// MaxSignIns bounds the sign-ins checked at once (each costs a bcrypt
	// comparison); more are refused with 503 before their body is read.
	MaxSignIns int `yaml:"max_signins" validate:"min=1"`
	// ReadHeaderTimeout, ReadTimeout (headers and body), WriteTimeout (a
	// response; WebSocket frames have WriteWait) and IdleTimeout (between
	// requests on a kept-alive connection).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout" validate:"min=100ms"`
	ReadTimeout       time.Duration `yaml:"read_timeout" validate:"gtefield=ReadHeaderTimeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout" validate:"min=100ms"`
	IdleTimeout       time.Duration `yaml:"idle_timeout" validate:"min=100ms"`
	// MaxConns caps the open TCP connections of the listener; one more is
	// answered 503 and closed. The process needs MaxConns plus about 256
	// file descriptors (docs/security.md).
	MaxConns int `yaml:"max_conns" validate:"min=16"`
	// MaxChatConns caps the chat WebSockets of this node,
	// MaxConnsPerToken those of one session (conversation) and
	// MaxConnsPerAddress those of one client address; ConnectsPerSecond
	// and ConnectBurst pace new ones node-wide. Refusals are 503 (node)
	// or 429 (token, address) with Retry-After, before the upgrade.
	// ReconnectsPerMinute and ReconnectBurst pace the connections of one
	// session (conversation): a client reconnecting in a loop gets 429
	// with Retry-After before it costs a store read.
	ReconnectsPerMinute float64 `yaml:"reconnects_per_minute" validate:"gt=0"`
	ReconnectBurst      int     `yaml:"reconnect_burst" validate:"min=1"`
	MaxChatConns        int     `yaml:"max_chat_conns" validate:"min=1"`
	MaxConnsPerToken    int     `yaml:"max_conns_per_token" validate:"min=1"`
	MaxConnsPerAddress  int     `yaml:"max_conns_per_address" validate:"min=1"`
	ConnectsPerSecond   float64 `yaml:"connects_per_second" validate:"gt=0"`
	ConnectBurst        int     `yaml:"connect_burst" validate:"min=1"`
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
	// MaxConversationsPerDay bounds the conversations one account may
	// begin in 24 hours through POST /v1/sessions (and the demo's).
	MaxConversationsPerDay int `yaml:"max_conversations_per_day" validate:"min=1,max=10000"`
	// AdminAddr is the listen address of the operators' endpoints
	// (/debug/vars, /debug/pprof/): loopback by default, "off" for none.
	// They are never on Addr. Any other than a loopback address needs
	// AdminKey, sent as a bearer token.
	AdminAddr string `yaml:"admin_addr"`
	AdminKey  string `yaml:"admin_key" validate:"omitempty,min=16"`
	// Console configures the agent console (console.go); it is
	// validated when the server starts.
	Console ConsoleConfig `yaml:"console" validate:"-"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:      ":8080",
		AdminAddr: "127.0.0.1:9091",

		MaxConversationsPerDay: 50,
		TokenTTL:               30 * time.Minute,
		MaxFrame:               4096,
		MaxBody:                16 << 20,
		MaxSmallBody:           64 << 10,
		MaxSignInBody:          4 << 10,
		MaxSignIns:             8,

		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,

		MaxConns:            8192,
		MaxChatConns:        6000,
		ReconnectsPerMinute: 12,
		ReconnectBurst:      3,
		MaxConnsPerToken:    4,
		MaxConnsPerAddress:  256,
		ConnectsPerSecond:   300,
		ConnectBurst:        300,
		RatePerSecond:       5,
		RateBurst:           10,
		PingInterval:        20 * time.Second,
		PongWait:            45 * time.Second,
		WriteWait:           5 * time.Second,
		TurnTimeout:         15 * time.Second,
		CloseGrace:          2 * time.Second,
	}
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.MaxConversationsPerDay == 0 {
		c.MaxConversationsPerDay = d.MaxConversationsPerDay
	}
	if c.AdminAddr == "" {
		c.AdminAddr = d.AdminAddr
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
	if c.MaxSmallBody == 0 {
		c.MaxSmallBody = d.MaxSmallBody
	}
	if c.MaxSignInBody == 0 {
		c.MaxSignInBody = d.MaxSignInBody
	}
	if c.MaxSignIns == 0 {
		c.MaxSignIns = d.MaxSignIns
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = max(d.ReadTimeout, c.ReadHeaderTimeout)
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = d.MaxConns
	}
	if c.ReconnectsPerMinute == 0 {
		c.ReconnectsPerMinute = d.ReconnectsPerMinute
	}
	if c.ReconnectBurst == 0 {
		c.ReconnectBurst = d.ReconnectBurst
	}
	if c.MaxChatConns == 0 {
		c.MaxChatConns = d.MaxChatConns
	}
	if c.MaxConnsPerToken == 0 {
		c.MaxConnsPerToken = d.MaxConnsPerToken
	}
	if c.MaxConnsPerAddress == 0 {
		c.MaxConnsPerAddress = d.MaxConnsPerAddress
	}
	if c.ConnectsPerSecond == 0 {
		c.ConnectsPerSecond = d.ConnectsPerSecond
	}
	if c.ConnectBurst == 0 {
		c.ConnectBurst = d.ConnectBurst
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
	if c.AdminAddr != "" && c.AdminAddr != AdminOff {
		host, _, err := net.SplitHostPort(c.AdminAddr)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadConfig, fielderr.New("web.admin_addr", err.Error()))
		}
		if !isLoopback(host) && c.AdminKey == "" {
			return fmt.Errorf("%w: %w", ErrBadConfig, fielderr.Errorf("web.admin_addr", "%s is not a loopback address; set web.admin_key", c.AdminAddr))
		}
	}
	return nil
}

// AdminOff as AdminAddr serves no operators' endpoints.
const AdminOff = "off"

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
