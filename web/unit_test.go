package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

func TestTokenRoundTrip(t *testing.T) {
	s := tokenSigner{secret: []byte(strings.Repeat("k", 32))}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	c := tokenClaims{Conversation: "c-1", Account: "a-1", Channel: "chat", Expires: now.Add(time.Minute).Unix()}
	tok, err := s.mint(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.verify(tok, now)
	if err != nil || got != c {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	tests := []struct {
		name string
		tok  string
		now  time.Time
		want error
	}{
		{"expired", tok, now.Add(time.Minute), ErrTokenExpired},
		{"empty", "", now, ErrTokenMissing},
		{"truncated", tok[:len(tok)-3], now, ErrTokenInvalid},
		{"payload swapped", "v1." + strings.Split(mustMint(t, s, tokenClaims{Conversation: "c-2", Account: "a-1", Expires: c.Expires}), ".")[1] + "." + strings.Split(tok, ".")[2], now, ErrTokenInvalid},
		{"other secret", mustMint(t, tokenSigner{secret: []byte(strings.Repeat("j", 32))}, c), now, ErrTokenInvalid},
		{"no claims", mustMint(t, s, tokenClaims{Expires: c.Expires}), now, ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.verify(tt.tok, tt.now); !errors.Is(err, tt.want) {
				t.Errorf("verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func mustMint(t *testing.T, s tokenSigner, c tokenClaims) string {
	t.Helper()
	tok, err := s.mint(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestParseClientFrame(t *testing.T) {
	tests := []struct {
		in   string
		want error
		text string
	}{
		{`{"type":"message","text":"hi","id":"x"}`, nil, "hi"},
		{` {"type":"message","text":"你好"} `, nil, "你好"},
		{`{"type":"typing"}`, ErrUnknownType, ""},
		{`{"type":"message","text":`, ErrBadFrame, ""},
		{`{"text":"hi"}`, ErrBadFrame, ""},
		{`{"type":7}`, ErrBadFrame, ""},
		{`[]`, ErrBadFrame, ""},
		{``, ErrBadFrame, ""},
		{`null`, ErrBadFrame, ""},
	}
	for _, tt := range tests {
		f, err := ParseClientFrame([]byte(tt.in))
		if !errors.Is(err, tt.want) || (err == nil && f.Text != tt.text) {
			t.Errorf("ParseClientFrame(%q) = %+v, %v; want %v", tt.in, f, err, tt.want)
		}
	}
}

func FuzzParseClientFrame(f *testing.F) {
	for _, s := range []string{`{"type":"message","text":"hi"}`, `{"type":"x"}`, `{`, `[]`, `{"type":"message","text":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseClientFrame(b)
		if err == nil && fr.Type != FrameMessage {
			t.Fatalf("accepted type %q", fr.Type)
		}
		if err != nil && !errors.Is(err, ErrBadFrame) && !errors.Is(err, ErrUnknownType) {
			t.Fatalf("unexpected error class: %v", err)
		}
		if err != nil {
			if a := classify(err); a.Code != CodeBadFrame && a.Code != CodeUnknownType {
				t.Fatalf("classified as %q", a.Code)
			}
		}
	})
}

func TestMajorJSON(t *testing.T) {
	for minor, want := range map[int64]string{0: "0.00", 5: "0.05", 24000: "240.00", 112050: "1120.50", -199: "-1.99"} {
		b, err := json.Marshal(Major(minor))
		if err != nil || string(b) != want {
			t.Errorf("Major(%d) = %s, %v; want %s", minor, b, err, want)
		}
		var f float64
		if err := json.Unmarshal(b, &f); err != nil || compliance.MoneyFromMajor(f, "USD").Minor != minor {
			t.Errorf("Major(%d) does not round-trip: %s", minor, b)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{bot.ErrNotFound, http.StatusNotFound, CodeNotFound},
		{store.ErrNotFound, http.StatusNotFound, CodeNotFound},
		{bot.ErrNotAllowed, http.StatusForbidden, CodeNotAllowed},
		{bot.ErrEnded, http.StatusConflict, CodeEnded},
		{store.ErrConflict, http.StatusConflict, CodeConflict},
		{ErrOrigin, http.StatusForbidden, CodeForbidden},
		{ErrTokenExpired, http.StatusUnauthorized, CodeTokenExpired},
		{ErrRateLimited, http.StatusTooManyRequests, CodeRateLimited},
		{&ValidationError{Fields: []FieldError{{Field: "accounts[0].id", Message: "is required"}}}, http.StatusUnprocessableEntity, CodeInvalid},
		{errors.New("disk on fire"), http.StatusInternalServerError, CodeInternal},
	}
	for _, tt := range tests {
		wrapped := errors.Join(errors.New("context"), tt.err)
		a := classify(wrapped)
		if a.Status != tt.status || a.Code != tt.code {
			t.Errorf("classify(%v) = %d %s, want %d %s", tt.err, a.Status, a.Code, tt.status, tt.code)
		}
	}
	// Internal details never reach the client.
	if a := classify(errors.New("secret path /var/db")); strings.Contains(a.Message, "/var/db") {
		t.Errorf("internal error leaked: %q", a.Message)
	}
}

func TestOutcomeOut(t *testing.T) {
	d := dialog.Outcome{Type: dialog.OutcomePlan, Reason: "hardship",
		Installments: []dialog.Installment{
			{Amount: compliance.Money{Minor: 43000, Currency: "CNY"}, DueDate: compliance.Date{Year: 2026, Month: 11, Day: 30}},
			{Amount: compliance.Money{Minor: 43000, Currency: "CNY"}, DueDate: compliance.Date{Year: 2026, Month: 12, Day: 14}},
		}}
	raw, _ := json.Marshal(d)
	o, err := outcomeOut(store.Conversation{ID: "c", OutcomeType: "plan", Outcome: raw})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(o)
	want := `{"type":"plan","reason":"hardship","currency":"CNY","installments":[{"amount":430.00,"due_date":"2026-11-30"},{"amount":430.00,"due_date":"2026-12-14"}]}`
	if string(b) != want {
		t.Errorf("outcome = %s\nwant      %s", b, want)
	}
	o, _ = outcomeOut(store.Conversation{ID: "c"})
	if o.Type != "none" {
		t.Errorf("no outcome: type %q, want none", o.Type)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Config)
		field string
	}{
		{"no api key outside demo", func(c *Config) { c.APIKeys = nil }, "web.api_keys"},
		{"short secret", func(c *Config) { c.TokenSecret = "short" }, "web.token_secret"},
		{"no secret outside demo", func(c *Config) { c.TokenSecret = "" }, "web.token_secret"},
		{"tiny frame", func(c *Config) { c.MaxFrame = 10 }, "web.max_frame"},
		{"pong before ping", func(c *Config) { c.PingInterval, c.PongWait = time.Minute, time.Second }, "web.pong_wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{APIKeys: []string{testKey}, TokenSecret: strings.Repeat("s", 32)}.WithDefaults()
			tt.mod(&c)
			err := c.Validate()
			if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Validate = %v, want an error naming %s", err, tt.field)
			}
		})
	}
	demo := Config{Demo: true}.WithDefaults()
	if err := demo.Validate(); err != nil {
		t.Errorf("demo without keys or secret: %v", err)
	}
}

// TestOnOwnStack: a turn runs on a goroutine of its own, its error comes
// back, and a panic in it is an error for that chat, not the end of the
// server.
func TestOnOwnStack(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	want := errors.New("turn failed")
	if err := onOwnStack(log, func() error { return want }); !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	err := onOwnStack(log, func() error { panic("bad turn") })
	if err == nil || !strings.Contains(err.Error(), "bad turn") {
		t.Fatalf("panic came back as %v", err)
	}
}
