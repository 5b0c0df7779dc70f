package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/collectagent/collectagent/ratelimit"
)

// Agent roles. An agent works the queue and the conversations it claimed;
// a supervisor also sees every live conversation and may open any of them
// read-only.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
)

// Errors of the agent console's sign-in and authorisation.
var (
	ErrSignIn       = errors.New("web: wrong user or password")
	ErrAgentToken   = errors.New("web: missing or invalid console token")
	ErrAgentExpired = errors.New("web: console token expired")
	ErrRole         = errors.New("web: not allowed for this role")
	ErrNotClaimant  = errors.New("web: the case is not yours")
	ErrClaimed      = errors.New("web: claimed by another agent")
	ErrNoConsole    = errors.New("web: agent console not configured")
)

// AgentUser is a person who may sign in to the agent console: with a
// password (stored only as a bcrypt hash) or an API token (stored only as
// its SHA-256, hex).
type AgentUser struct {
	ID   string `yaml:"id" validate:"required,max=64"`
	Name string `yaml:"name" validate:"required,max=100"`
	Role string `yaml:"role" validate:"oneof=agent supervisor"`
	// PasswordHash is a bcrypt hash ("$2a$..."); HashPassword makes one.
	PasswordHash string `yaml:"password_hash"`
	// TokenSHA256 is the hex SHA-256 of an API token the user may sign in
	// with instead of a password (for scripts and a console run as its own
	// process).
	TokenSHA256 string `yaml:"token_sha256" validate:"omitempty,len=64,hexadecimal"`
}

// ConsoleConfig configures the agent console.
type ConsoleConfig struct {
	// Users may sign in. With none, the console answers 404.
	Users []AgentUser `yaml:"users" validate:"dive"`
	// TokenTTL is how long a console token lives; the page signs in again
	// after it.
	TokenTTL time.Duration `yaml:"token_ttl" validate:"min=1m,max=24h"`
	// SignInPerMinute and SignInBurst bound sign-in attempts per client
	// address and per user name, failed or not.
	SignInPerMinute float64 `yaml:"signin_per_minute" validate:"gt=0"`
	SignInBurst     int     `yaml:"signin_burst" validate:"min=1"`
	// PlanEveryDays is the interval between a plan's payments when the
	// agent's form gives none and the bot offered no plan to copy it from.
	PlanEveryDays int `yaml:"plan_every_days" validate:"min=1,max=92"`
}

// DefaultConsoleConfig returns the console defaults.
func DefaultConsoleConfig() ConsoleConfig {
	return ConsoleConfig{TokenTTL: 8 * time.Hour, SignInPerMinute: 10, SignInBurst: 5, PlanEveryDays: 14}
}

// WithDefaults returns c with every zero field set to its default.
func (c ConsoleConfig) WithDefaults() ConsoleConfig {
	d := DefaultConsoleConfig()
	if c.TokenTTL == 0 {
		c.TokenTTL = d.TokenTTL
	}
	if c.SignInPerMinute == 0 {
		c.SignInPerMinute = d.SignInPerMinute
	}
	if c.SignInBurst == 0 {
		c.SignInBurst = d.SignInBurst
	}
	if c.PlanEveryDays == 0 {
		c.PlanEveryDays = d.PlanEveryDays
	}
	return c
}

// Validate checks c; errors name the field ("web.console.users[0].role").
func (c ConsoleConfig) Validate() error {
	if err := validateConfig(c, "web.console"); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	seen := make(map[string]bool, len(c.Users))
	for i, u := range c.Users {
		if seen[u.ID] {
			return fmt.Errorf("%w: web.console.users[%d].id: duplicate %q", ErrBadConfig, i, u.ID)
		}
		seen[u.ID] = true
		if u.PasswordHash == "" && u.TokenSHA256 == "" {
			return fmt.Errorf("%w: web.console.users[%d]: needs password_hash or token_sha256", ErrBadConfig, i)
		}
		if u.PasswordHash != "" {
			if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
				return fmt.Errorf("%w: web.console.users[%d].password_hash: not a bcrypt hash", ErrBadConfig, i)
			}
		}
	}
	return nil
}

// HashPassword returns the bcrypt hash of a console password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// HashToken returns the hex SHA-256 of an API token, as AgentUser keeps it.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// agentClaims is what a console token carries.
type agentClaims struct {
	// Session names the server-side record (console_sessions.go) without
	// which the token is refused.
	Session string `json:"s"`
	User    string `json:"u"`
	Name    string `json:"n"`
	Role    string `json:"r"`
	Expires int64  `json:"exp"` // Unix seconds
}

func (agentClaims) kind() tokenKind {
	return tokenKind{version: "a1", missing: ErrAgentToken, invalid: ErrAgentToken, expired: ErrAgentExpired}
}
func (c agentClaims) complete() bool {
	return c.User != "" && c.Session != "" && (c.Role == RoleAgent || c.Role == RoleSupervisor)
}
func (c agentClaims) expiry() int64 { return c.Expires }

// agentSigner mints and checks console tokens, with a key derived from the
// server's token secret so a chat session token never passes for one.
type agentSigner = signedToken[agentClaims]

func newAgentSigner(secret []byte) agentSigner {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("collectagent console token"))
	return agentSigner{secret: h.Sum(nil)}
}

// agentAuth checks credentials and limits sign-in attempts.
type agentAuth struct {
	cfg    ConsoleConfig
	users  map[string]AgentUser
	signer agentSigner
	// dummy is compared against when the user is unknown, so a wrong user
	// name costs as much time as a wrong password.
	dummy []byte

	mu      sync.Mutex // guards buckets
	buckets map[string]*ratelimit.Bucket
}

func newAgentAuth(cfg ConsoleConfig, secret []byte) (*agentAuth, error) {
	a := &agentAuth{cfg: cfg, users: make(map[string]AgentUser, len(cfg.Users)), signer: newAgentSigner(secret), buckets: map[string]*ratelimit.Bucket{}}
	for _, u := range cfg.Users {
		a.users[u.ID] = u
	}
	// The dummy costs what the dearest real hash costs: an unknown name
	// then takes as long as a wrong password.
	cost := bcrypt.MinCost
	for _, u := range cfg.Users {
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil {
			cost = max(cost, c)
		}
	}
	d, err := bcrypt.GenerateFromPassword([]byte("not a password"), cost)
	if err != nil {
		return nil, fmt.Errorf("console auth: %w", err)
	}
	a.dummy = d
	return a, nil
}

// Allowances relative to one user name at one address: an address (an
// office behind one NAT) gets ipFactor times as many attempts, a user name
// across every address userFactor times as many failures.
const (
	ipFactor   = 5
	userFactor = 10
)

// bucketForLocked returns key's bucket ("ip:...", "fail:user|ip" or
// "fail:user"), making it. The caller holds mu.
func (a *agentAuth) bucketForLocked(key string, now time.Time) *ratelimit.Bucket {
	if len(a.buckets) > 10000 {
		// A flood of distinct keys: start over rather than grow without
		// bound; each key gets a full burst again at worst.
		clear(a.buckets)
	}
	b, ok := a.buckets[key]
	if !ok {
		rate, burst := a.cfg.SignInPerMinute/60, a.cfg.SignInBurst
		switch {
		case strings.HasPrefix(key, "ip:"):
			rate, burst = rate*ipFactor, burst*ipFactor
		case !strings.Contains(key, "|"):
			rate, burst = rate*userFactor, burst*userFactor
		}
		b = ratelimit.New(rate, burst, now)
		a.buckets[key] = b
	}
	return b
}

// allow takes an attempt from key's bucket.
func (a *agentAuth) allow(key string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bucketForLocked(key, now).Allow(now)
}

// allowed says whether key's bucket has an attempt left, taking none.
func (a *agentAuth) allowed(key string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bucketForLocked(key, now).Peek(now)
}

// signIn checks a user's password or API token.
func (a *agentAuth) signIn(user, password, token string) (AgentUser, error) {
	u, ok := a.users[user]
	if token != "" {
		want := HashToken(token)
		if !ok {
			// Without a user name, a token names its user.
			for _, c := range a.users {
				if c.TokenSHA256 != "" && subtle.ConstantTimeCompare([]byte(c.TokenSHA256), []byte(want)) == 1 {
					return c, nil
				}
			}
			return AgentUser{}, ErrSignIn
		}
		if u.TokenSHA256 != "" && subtle.ConstantTimeCompare([]byte(u.TokenSHA256), []byte(want)) == 1 {
			return u, nil
		}
		return AgentUser{}, ErrSignIn
	}
	if !ok || u.PasswordHash == "" {
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		return AgentUser{}, ErrSignIn
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return AgentUser{}, ErrSignIn
	}
	return u, nil
}

// clientIP is the request's peer address without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// consoleToken finds the console token of a request: the Authorization
// header, or the token query parameter (a browser's WebSocket cannot set
// headers).
func consoleToken(r *http.Request) string {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	return r.URL.Query().Get("token")
}
