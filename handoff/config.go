package handoff

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/go-playground/validator/v10"
)

// Config configures the handoff: where NATS is, how the embedded server
// stores its data, the subject prefix and the timings of the queue.
type Config struct {
	// URL of an external NATS server or cluster (comma-separated seeds).
	// Empty runs an embedded server in-process.
	URL string `yaml:"url"`
	// Port the embedded server listens on: 0 listens on no TCP port
	// (in-process connections only), -1 picks a free port (so another
	// node can join with URL), anything else is that port.
	Port int `yaml:"port" validate:"min=-1,max=65535"`
	// Host the embedded server listens on when Port is not 0.
	Host string `yaml:"host"`
	// StoreDir is where the embedded server keeps JetStream data;
	// cmd/collectagent sets it under --data. Required when URL is empty.
	StoreDir string `yaml:"store_dir"`
	// Prefix of every subject, dot-separated tokens of letters, digits,
	// '-' and '_'. Streams and buckets are named after it, so several
	// prefixes can share one server.
	Prefix string `yaml:"prefix" validate:"required"`
	// AckWait is how long a claim lives without a Renew from its agent,
	// and how long a taken-in escalation waits for its acknowledgement,
	// before the case goes back to the queue.
	AckWait time.Duration `yaml:"ack_wait" validate:"min=100ms"`
	// SLA is how long a case may wait unclaimed before it expires and the
	// borrower is offered a callback. Negative never expires cases.
	SLA time.Duration `yaml:"sla"`
	// BridgeMaxAge is how long bridge messages are kept for replay.
	BridgeMaxAge time.Duration `yaml:"bridge_max_age" validate:"min=1s"`
	// EventsMaxAge is how long lifecycle events are kept.
	EventsMaxAge time.Duration `yaml:"events_max_age" validate:"min=1s"`
	// DedupeWindow is how long JetStream remembers message ids to drop
	// duplicates; no longer than BridgeMaxAge.
	DedupeWindow time.Duration `yaml:"dedupe_window" validate:"min=100ms"`
	// FinishedTTL is how long a finished case stays on the board (for
	// supervisors and late readers) before it is dropped; the store keeps
	// the record.
	FinishedTTL time.Duration `yaml:"finished_ttl" validate:"min=1s"`
	// Replicas of every stream (1 for a single server, 3 on a cluster).
	Replicas int `yaml:"replicas" validate:"min=1,max=5"`
	// Name identifies this node's connection in the server's monitoring.
	Name string `yaml:"name"`
	// ConnectTimeout bounds the first connection; ReconnectWait is the
	// pause between reconnect attempts (reconnects never give up).
	ConnectTimeout time.Duration `yaml:"connect_timeout" validate:"min=0"`
	ReconnectWait  time.Duration `yaml:"reconnect_wait" validate:"min=0"`
	// Auth authenticates the connection, TLS encrypts it.
	Auth AuthConfig `yaml:"auth"`
	TLS  TLSConfig  `yaml:"tls"`
}

// AuthConfig is one way of authenticating to NATS: a user and password,
// a token, an nkey seed file, or a credentials file (user JWT and nkey
// seed, as `nsc` writes them). At most one is set. With an embedded
// server that listens on a port, a user and password or a token are
// required of every client, the node's own in-process connection too.
type AuthConfig struct {
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	Token        string `yaml:"token"`
	NKeySeedFile string `yaml:"nkey_seed_file"`
	CredsFile    string `yaml:"creds_file"`
}

func (a AuthConfig) kinds() int {
	n := 0
	for _, set := range []bool{a.User != "" || a.Password != "", a.Token != "", a.NKeySeedFile != "", a.CredsFile != ""} {
		if set {
			n++
		}
	}
	return n
}

// TLSConfig turns on TLS to an external server: CAFile verifies the
// server (the system roots when empty), CertFile and KeyFile are the
// client's certificate when the server asks for one.
type TLSConfig struct {
	Enabled  bool   `yaml:"enabled"`
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Defaults of Config.
const (
	DefaultPrefix         = "collect"
	DefaultAckWait        = 30 * time.Second
	DefaultSLA            = 2 * time.Minute
	DefaultBridgeMaxAge   = 24 * time.Hour
	DefaultEventsMaxAge   = 7 * 24 * time.Hour
	DefaultDedupeWindow   = 2 * time.Minute
	DefaultFinishedTTL    = time.Hour
	DefaultConnectTimeout = 5 * time.Second
	DefaultReconnectWait  = time.Second
	DefaultHost           = "127.0.0.1"
)

// Priorities: 1 is the most urgent.
const (
	MinPriority = 1
	MaxPriority = 5
	// DefaultPriority is given to an escalation without one.
	DefaultPriority = 3
)

// DefaultConfig returns the defaults: an embedded server with no TCP
// listener, prefix "collect", 30 s ack wait, 2 min SLA, 24 h bridge replay.
func DefaultConfig() Config {
	var c Config
	c.setDefaults()
	return c
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Host == "" {
		c.Host = DefaultHost
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.SLA == 0 {
		c.SLA = DefaultSLA
	}
	if c.BridgeMaxAge == 0 {
		c.BridgeMaxAge = DefaultBridgeMaxAge
	}
	if c.EventsMaxAge == 0 {
		c.EventsMaxAge = DefaultEventsMaxAge
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = min(DefaultDedupeWindow, c.BridgeMaxAge)
	}
	if c.FinishedTTL == 0 {
		c.FinishedTTL = DefaultFinishedTTL
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReconnectWait == 0 {
		c.ReconnectWait = DefaultReconnectWait
	}
}

var (
	validate   = validator.New(validator.WithRequiredStructEnabled())
	prefixRE   = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	tokenRE    = regexp.MustCompile(`^[A-Za-z0-9_=-]+$`)
	eventKind  = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	nameClean  = regexp.MustCompile(`[^A-Za-z0-9_-]`)
	maxTokenLn = 128
)

// Validate checks a config (after WithDefaults); the error wraps ErrConfig
// and names the field.
func (c Config) Validate() error {
	if err := validate.Struct(c); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) && len(ve) > 0 {
			f := ve[0]
			return fmt.Errorf("%w: %w", ErrConfig, fielderr.Errorf(f.Field(), "must satisfy %s %s", f.Tag(), f.Param()))
		}
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if !prefixRE.MatchString(c.Prefix) {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.Errorf("Prefix", "%q is not dot-separated subject tokens", c.Prefix))
	}
	if c.URL == "" && c.StoreDir == "" {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.New("StoreDir", "required for the embedded server"))
	}
	if c.Auth.kinds() > 1 {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.New("Auth", "set one of user and password, token, nkey seed file, credentials file"))
	}
	if (c.Auth.User == "") != (c.Auth.Password == "") {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.New("Auth", "a user needs a password and a password a user"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.New("TLS", "a client certificate needs its key and a key its certificate"))
	}
	if c.URL == "" && (c.Auth.NKeySeedFile != "" || c.Auth.CredsFile != "") {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.New("Auth", "nkeys and credentials files need an external server (URL)"))
	}
	if c.DedupeWindow > c.BridgeMaxAge {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.Errorf("DedupeWindow", "%s is longer than BridgeMaxAge %s", c.DedupeWindow, c.BridgeMaxAge))
	}
	if c.DedupeWindow > c.EventsMaxAge {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.Errorf("DedupeWindow", "%s is longer than EventsMaxAge %s", c.DedupeWindow, c.EventsMaxAge))
	}
	return nil
}

// names are the JetStream names derived from a prefix.
type names struct {
	prefix      string
	handoffSubj string // <prefix>.handoff.*
	convSubj    string // <prefix>.conv.*.*
	eventsSubj  string // <prefix>.events.>
	handoff     string // stream
	conv        string // stream
	events      string // stream
	cases       string // KV bucket
	intake      string // durable consumer on the handoff stream
}

func namesFor(prefix string) names {
	base := strings.ToUpper(nameClean.ReplaceAllString(prefix, "_"))
	return names{
		prefix:      prefix,
		handoffSubj: prefix + ".handoff.*",
		convSubj:    prefix + ".conv.*.*",
		eventsSubj:  prefix + ".events.>",
		handoff:     base + "_HANDOFF",
		conv:        base + "_CONV",
		events:      base + "_EVENTS",
		cases:       base + "_CASES",
		intake:      "intake",
	}
}

func (n names) handoffSubject(priority int) string {
	return fmt.Sprintf("%s.handoff.%d", n.prefix, priority)
}

func (n names) convSubject(convID string, side Side) string {
	return n.prefix + ".conv." + convID + "." + string(side)
}

func (n names) eventSubject(kind string) string { return n.prefix + ".events." + kind }

// checkToken reports whether id can be one subject token and one KV key:
// letters, digits, '-', '_' and '='.
func checkToken(what, id string) error {
	if id == "" || len(id) > maxTokenLn || !tokenRE.MatchString(id) {
		return fmt.Errorf("%w: %s %q is not a single subject token", ErrInvalid, what, id)
	}
	return nil
}
