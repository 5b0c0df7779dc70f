package loadgen

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/collectagent/collectagent/clock"
)

// Bounds that keep a run finite whatever the flags say.
const (
	MaxConversations  = 20000
	MaxRounds         = 1000
	MaxTotal          = 1_000_000 // conversations in one run
	MaxDuration       = time.Hour
	MaxBatch          = 5000
	defaultMaxTime    = 15 * time.Minute
	defaultTimeout    = 10 * time.Second
	defaultBatch      = 500
	defaultSample     = 200 * time.Millisecond
	defaultRamp       = time.Second
	defaultThink      = time.Second
	defaultBorrowers  = 200
	defaultLocaleMix  = "en-US=1,zh-CN=1"
	maxThink          = time.Minute
	maxRamp           = 10 * time.Minute
	minSampleInterval = 10 * time.Millisecond
)

// Config describes one load run. The zero value of a field means its
// default; Validate reports the first bad field by its flag name.
type Config struct {
	// URL is the base URL of a running server, e.g. http://127.0.0.1:8080.
	// Empty runs only the echo ceiling (Echo must then be set).
	URL string
	// APIKey is sent as "Authorization: Bearer <key>" on back-office calls.
	APIKey string
	// Conversations is the number of concurrent simulated borrowers.
	Conversations int
	// Rounds is how many conversations each borrower runs, one after the
	// other. Used when Duration is zero; defaults to 1.
	Rounds int
	// Duration, when set, keeps each borrower starting new conversations
	// until it has passed; conversations in flight then finish.
	Duration time.Duration
	// Locales is the mix of borrower locales.
	Locales LocaleMix
	// PID is the server process whose memory is sampled; 0 samples nothing
	// for the server run.
	PID int
	// Echo runs the same client load against an in-process WebSocket echo
	// server first, as the ceiling.
	Echo bool
	// Floor runs the same client load against a storage floor server
	// (see FloorServer) on FloorStore, and reports the server's figures as
	// a ratio of it.
	Floor bool
	// FloorStore is "sqlite" (default) or "postgres".
	FloorStore string
	// FloorDSN is the floor's SQLite file (default: a temporary one) or its
	// PostgreSQL URL (required for postgres).
	FloorDSN string
	// FloorInserts is the number of rows each floor turn commits (default 5).
	FloorInserts int
	// FloorCommand, when set, starts the floor server as a process of its
	// own (the command, to which the floor flags -store, -dsn and -inserts
	// are appended, prints the server's base URL as its first line of
	// output and stops on SIGINT), so that its CPU is measured apart from
	// the load generator's. Empty runs it inside this process.
	FloorCommand []string
	// Think is the mean pause of a borrower before each message (uniform in
	// [Think/2, 3*Think/2]); NoThink makes it zero. Defaults to 1s.
	Think   time.Duration
	NoThink bool
	// Ramp spreads the borrowers' first conversation over this long.
	Ramp time.Duration
	// TurnTimeout bounds every wait: an HTTP call, the WebSocket handshake,
	// one frame.
	TurnTimeout time.Duration
	// MaxTime bounds the whole run; conversations still going are aborted.
	MaxTime time.Duration
	// BatchSize is the number of accounts per POST /v1/accounts.
	BatchSize int
	// SampleEvery is how often process memory is sampled.
	SampleEvery time.Duration
	// Progress, when set, logs a progress line this often.
	Progress time.Duration
	// Seed makes generated accounts and think times reproducible.
	Seed uint64

	Clock  clock.Clock  // nil means the system clock
	Logger *slog.Logger // nil discards
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Conversations == 0 {
		c.Conversations = defaultBorrowers
	}
	if c.Rounds == 0 && c.Duration == 0 {
		c.Rounds = 1
	}
	if len(c.Locales) == 0 {
		c.Locales, _ = ParseLocaleMix(defaultLocaleMix)
	}
	if c.NoThink {
		c.Think = 0
	} else if c.Think == 0 {
		c.Think = defaultThink
	}
	if c.Ramp == 0 {
		c.Ramp = defaultRamp
	}
	if c.TurnTimeout == 0 {
		c.TurnTimeout = defaultTimeout
	}
	if c.MaxTime == 0 {
		c.MaxTime = defaultMaxTime
	}
	if c.BatchSize == 0 {
		c.BatchSize = defaultBatch
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = defaultSample
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks c (after defaults) and names the first bad field.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...))
	}
	if c.URL == "" && !c.Echo && !c.Floor {
		return bad("url", "required unless echo or floor is set")
	}
	if c.URL != "" {
		if _, err := loopbackBase(c.URL); err != nil {
			return fmt.Errorf("%w: url: %w", ErrConfig, err)
		}
	}
	if c.Floor {
		if err := c.floorConfig().Validate(); err != nil {
			return err
		}
	}
	if c.Conversations < 1 || c.Conversations > MaxConversations {
		return bad("conversations", "must be 1..%d, got %d", MaxConversations, c.Conversations)
	}
	if c.Duration != 0 && c.Rounds != 0 {
		return bad("rounds", "set either rounds or duration, not both")
	}
	if c.Duration < 0 || c.Duration > MaxDuration {
		return bad("duration", "must be 0..%s, got %s", MaxDuration, c.Duration)
	}
	if c.Rounds < 0 || c.Rounds > MaxRounds {
		return bad("rounds", "must be 0..%d, got %d", MaxRounds, c.Rounds)
	}
	if c.Rounds*c.Conversations > MaxTotal {
		return bad("rounds", "conversations*rounds must be at most %d, got %d", MaxTotal, c.Rounds*c.Conversations)
	}
	if err := c.Locales.validate(); err != nil {
		return fmt.Errorf("%w: locale: %w", ErrConfig, err)
	}
	if c.PID < 0 {
		return bad("pid", "must be positive, got %d", c.PID)
	}
	if c.Think < 0 || c.Think > maxThink {
		return bad("think", "must be 0..%s, got %s", maxThink, c.Think)
	}
	if c.Ramp < 0 || c.Ramp > maxRamp {
		return bad("ramp", "must be 0..%s, got %s", maxRamp, c.Ramp)
	}
	if c.TurnTimeout < 0 {
		return bad("turn-timeout", "must be positive, got %s", c.TurnTimeout)
	}
	if c.MaxTime < 0 || c.MaxTime > 2*MaxDuration {
		return bad("max-time", "must be 0..%s, got %s", 2*MaxDuration, c.MaxTime)
	}
	if c.BatchSize < 1 || c.BatchSize > MaxBatch {
		return bad("batch", "must be 1..%d, got %d", MaxBatch, c.BatchSize)
	}
	if c.SampleEvery < minSampleInterval {
		return bad("sample-every", "must be at least %s, got %s", minSampleInterval, c.SampleEvery)
	}
	if c.Progress < 0 {
		return bad("progress", "must be positive, got %s", c.Progress)
	}
	return nil
}

func (c Config) floorConfig() FloorConfig {
	return FloorConfig{Store: c.FloorStore, DSN: c.FloorDSN, Inserts: c.FloorInserts, Logger: c.Logger}
}

// RegisterFlags binds c's fields to command-line flags on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "url", c.URL, "base URL of a running server on a loopback address, e.g. http://127.0.0.1:8080")
	fs.StringVar(&c.APIKey, "api-key", c.APIKey, "API key for back-office calls (default $COLLECT_API_KEY)")
	fs.IntVar(&c.Conversations, "conversations", defaultBorrowers, "concurrent simulated borrowers")
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "conversations per borrower, one after the other (default 1 unless -duration is set)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "keep starting conversations for this long instead of a fixed number of rounds")
	fs.Var(&c.Locales, "locale", "locale mix, e.g. en-US=1,zh-CN=1 (default "+defaultLocaleMix+")")
	fs.IntVar(&c.PID, "pid", c.PID, "server process id whose memory (VmHWM/VmRSS) is sampled")
	fs.BoolVar(&c.Echo, "echo", c.Echo, "also run the same client load against an in-process WebSocket echo server, as the ceiling")
	fs.BoolVar(&c.Floor, "floor", c.Floor, "also run the same client load against a storage floor server (one transaction of -floor-inserts rows per turn) and report the server as a ratio of it")
	fs.StringVar(&c.FloorStore, "floor-store", FloorSQLite, "the floor's store: sqlite or postgres")
	fs.StringVar(&c.FloorDSN, "floor-dsn", c.FloorDSN, "the floor's SQLite file (default: a temporary one) or PostgreSQL URL")
	fs.IntVar(&c.FloorInserts, "floor-inserts", defaultFloorInserts, "rows each floor turn inserts in its one transaction")
	fs.DurationVar(&c.Think, "think", defaultThink, "mean borrower pause before each message (uniform in [think/2, 3*think/2])")
	fs.BoolVar(&c.NoThink, "no-think", c.NoThink, "no pause before messages: measure at saturation")
	fs.DurationVar(&c.Ramp, "ramp", defaultRamp, "spread the borrowers' first conversation over this long")
	fs.DurationVar(&c.TurnTimeout, "turn-timeout", defaultTimeout, "bound on every wait (HTTP call, handshake, one frame)")
	fs.DurationVar(&c.MaxTime, "max-time", defaultMaxTime, "bound on the whole run")
	fs.IntVar(&c.BatchSize, "batch", defaultBatch, "accounts per POST /v1/accounts")
	fs.DurationVar(&c.SampleEvery, "sample-every", defaultSample, "memory sampling period")
	fs.DurationVar(&c.Progress, "progress", c.Progress, "log progress this often (0: never)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed for generated accounts and think times")
}

// loopbackBase parses a base URL and refuses anything but http(s) to a
// loopback host, so a load run can never reach another machine.
func loopbackBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme must be http or https, got %q", u.Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL must not carry user info, query or fragment")
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, host)
	}
	return u, nil
}

// Locales with a borrower script.
const (
	LocaleEnUS = "en-US"
	LocaleZhCN = "zh-CN"
)

// LocaleWeight is one locale of a mix with its relative weight.
type LocaleWeight struct {
	Locale string
	Weight int
}

// LocaleMix says how borrowers are spread over locales. It implements
// flag.Value: "en-US=3,zh-CN=1", or a bare "zh-CN" for weight 1.
type LocaleMix []LocaleWeight

// ParseLocaleMix parses "en-US=1,zh-CN=1".
func ParseLocaleMix(s string) (LocaleMix, error) {
	var m LocaleMix
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: empty", ErrLocaleMix)
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		name, weight, hasWeight := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		w := 1
		if hasWeight {
			n, err := strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || n < 0 || n > 1000 {
				return nil, fmt.Errorf("%w: weight of %q must be an integer 0..1000", ErrLocaleMix, name)
			}
			w = n
		}
		canon, ok := canonicalLocale(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown locale %q (want %s or %s)", ErrLocaleMix, name, LocaleEnUS, LocaleZhCN)
		}
		for _, lw := range m {
			if lw.Locale == canon {
				return nil, fmt.Errorf("%w: %s given twice", ErrLocaleMix, canon)
			}
		}
		m = append(m, LocaleWeight{Locale: canon, Weight: w})
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func canonicalLocale(s string) (string, bool) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "en-us", "en":
		return LocaleEnUS, true
	case "zh-cn", "zh":
		return LocaleZhCN, true
	}
	return "", false
}

func (m LocaleMix) validate() error {
	total := 0
	for _, lw := range m {
		total += lw.Weight
	}
	if total == 0 {
		return fmt.Errorf("%w: weights sum to zero", ErrLocaleMix)
	}
	return nil
}

// Pick returns the locale of the k-th conversation: a weighted round robin,
// so any window of sum(weights) conversations follows the mix exactly.
func (m LocaleMix) Pick(k uint64) string {
	total := 0
	for _, lw := range m {
		total += lw.Weight
	}
	r := int(k % uint64(total))
	for _, lw := range m {
		if r < lw.Weight {
			return lw.Locale
		}
		r -= lw.Weight
	}
	return m[len(m)-1].Locale
}

// String implements flag.Value.
func (m *LocaleMix) String() string {
	if m == nil || len(*m) == 0 {
		return ""
	}
	parts := make([]string, len(*m))
	for i, lw := range *m {
		parts[i] = lw.Locale + "=" + strconv.Itoa(lw.Weight)
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value.
func (m *LocaleMix) Set(s string) error {
	mix, err := ParseLocaleMix(s)
	if err != nil {
		return err
	}
	*m = mix
	return nil
}

// loopbackOnly is a net.Dialer Control hook that refuses to connect to any
// address outside loopback, whatever name resolution said.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotLoopback, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, host)
	}
	return nil
}
