package web

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestMaskAccountFacts(t *testing.T) {
	tests := []struct {
		name, in, want string
		f              func(string) string
	}{
		{"two names", "Maria Lopez", "M. L.", initials},
		{"three names", "Ana María de Souza", "A. M. d. S.", initials},
		{"chinese", "王芳", "王*", initials},
		{"empty name", "", "", initials},
		{"phone", "+1 (312) 555-0100", "•••0100", func(s string) string { return lastDigits(s, 4, "•••") }},
		{"short phone", "12", "•••2", func(s string) string { return lastDigits(s, 4, "•••") }},
		{"id", "4417", "••17", func(s string) string { return lastDigits(s, 2, "••") }},
		{"id with a letter", "213X", "••13", func(s string) string { return lastDigits(s, 2, "••") }},
		{"no digits", "n/a", "", func(s string) string { return lastDigits(s, 2, "••") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in); got != tt.want {
				t.Errorf("%q -> %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConsoleTokens(t *testing.T) {
	s := newAgentSigner([]byte(strings.Repeat("k", 32)))
	other := newAgentSigner([]byte(strings.Repeat("j", 32)))
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	good, err := s.mint(agentClaims{Session: "cs-1", User: "ann", Name: "Ann", Role: RoleAgent, Expires: now.Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := s.mint(agentClaims{Session: "cs-1", User: "ann", Name: "Ann", Role: "admin", Expires: now.Add(time.Hour).Unix()})
	foreign, _ := other.mint(agentClaims{Session: "cs-1", User: "ann", Name: "Ann", Role: RoleSupervisor, Expires: now.Add(time.Hour).Unix()})
	chat, _ := tokenSigner{secret: []byte(strings.Repeat("k", 32))}.mint(tokenClaims{Conversation: "c", Account: "a", Expires: now.Add(time.Hour).Unix()})
	tests := []struct {
		name, tok string
		at        time.Time
		want      error
	}{
		{"good", good, now, nil},
		{"expired", good, now.Add(time.Hour), ErrAgentExpired},
		{"empty", "", now, ErrAgentToken},
		{"unknown role", bad, now, ErrAgentToken},
		{"other key", foreign, now, ErrAgentToken},
		{"chat token", chat, now, ErrAgentToken},
		{"truncated", good[:len(good)-1], now, ErrAgentToken},
		{"no mac", "a1.e30", now, ErrAgentToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.verify(tt.tok, tt.at)
			if !errors.Is(err, tt.want) || (err == nil && c.User != "ann") {
				t.Fatalf("verify = %+v, %v; want %v", c, err, tt.want)
			}
		})
	}
}

func FuzzConsoleToken(f *testing.F) {
	s := newAgentSigner([]byte(strings.Repeat("k", 32)))
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	good, _ := s.mint(agentClaims{Session: "cs-1", User: "ann", Name: "Ann", Role: RoleAgent, Expires: now.Add(time.Hour).Unix()})
	for _, seed := range []string{good, "", "a1.", "a1..", "v1.e30.x", good + "x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.verify(tok, now)
		if err != nil {
			return
		}
		// Only what this key signed is accepted.
		again, merr := s.mint(c)
		if merr != nil || again != tok {
			t.Fatalf("accepted %q as %+v", tok, c)
		}
		if c.Role != RoleAgent && c.Role != RoleSupervisor {
			t.Fatalf("accepted role %q", c.Role)
		}
	})
}

func TestConsoleConfigValidate(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	tests := []struct {
		name  string
		users []AgentUser
		field string // "" means valid
	}{
		{"none", nil, ""},
		{"password", []AgentUser{{ID: "a", Name: "A", Role: RoleAgent, PasswordHash: hash}}, ""},
		{"token", []AgentUser{{ID: "a", Name: "A", Role: RoleSupervisor, TokenSHA256: HashToken("t")}}, ""},
		{"no credential", []AgentUser{{ID: "a", Name: "A", Role: RoleAgent}}, "users[0]"},
		{"plain password", []AgentUser{{ID: "a", Name: "A", Role: RoleAgent, PasswordHash: "hunter2"}}, "users[0].password_hash"},
		{"bad role", []AgentUser{{ID: "a", Name: "A", Role: "admin", PasswordHash: hash}}, "users[0].role"},
		{"no id", []AgentUser{{Name: "A", Role: RoleAgent, PasswordHash: hash}}, "users[0].id"},
		{"bad token hash", []AgentUser{{ID: "a", Name: "A", Role: RoleAgent, TokenSHA256: "abc"}}, "users[0].token_sha256"},
		{"duplicate", []AgentUser{{ID: "a", Name: "A", Role: RoleAgent, PasswordHash: hash}, {ID: "a", Name: "B", Role: RoleAgent, PasswordHash: hash}}, "users[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ConsoleConfig{Users: tt.users}.WithDefaults().Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "web.console."+tt.field) {
				t.Fatalf("err = %v, want ErrBadConfig naming web.console.%s", err, tt.field)
			}
		})
	}
}

func TestSignInBuckets(t *testing.T) {
	a, err := newAgentAuth(ConsoleConfig{}.WithDefaults(), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	burst := DefaultConsoleConfig().SignInBurst
	for i := range burst {
		if !a.allow("fail:ann|10.0.0.9", now) {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if a.allow("fail:ann|10.0.0.9", now) {
		t.Fatal("attempt past the burst allowed")
	}
	if !a.allow("fail:bo|10.0.0.9", now) {
		t.Fatal("another user refused")
	}
	if !a.allow("fail:ann|10.0.0.8", now) {
		t.Fatal("the same user from another address refused")
	}
	for i := range burst*userFactor - 1 {
		if !a.allow("fail:ann", now) {
			t.Fatalf("user-wide attempt %d refused", i)
		}
	}
	for i := range burst * ipFactor {
		if !a.allow("ip:10.0.0.1", now) {
			t.Fatalf("address attempt %d refused", i)
		}
	}
	if a.allow("ip:10.0.0.1", now) {
		t.Fatal("address attempt past its burst allowed")
	}
	if !a.allow("fail:ann|10.0.0.9", now.Add(time.Minute)) {
		t.Fatal("no attempt back after a minute")
	}
}
