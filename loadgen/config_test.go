package loadgen

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1:8080"}
	tests := []struct {
		name  string
		mod   func(*Config)
		field string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"echo only", func(c *Config) { c.URL = ""; c.Echo = true }, ""},
		{"localhost", func(c *Config) { c.URL = "http://localhost:9000/base" }, ""},
		{"ipv6 loopback", func(c *Config) { c.URL = "http://[::1]:9000" }, ""},
		{"duration", func(c *Config) { c.Duration = time.Minute }, ""},
		{"no target", func(c *Config) { c.URL = "" }, "url"},
		{"remote host", func(c *Config) { c.URL = "http://example.com" }, "url"},
		{"private address", func(c *Config) { c.URL = "http://10.0.0.1:8080" }, "url"},
		{"wildcard address", func(c *Config) { c.URL = "http://0.0.0.0:8080" }, "url"},
		{"ws scheme", func(c *Config) { c.URL = "ws://127.0.0.1:8080" }, "url"},
		{"query", func(c *Config) { c.URL = "http://127.0.0.1:8080/?x=1" }, "url"},
		{"too many", func(c *Config) { c.Conversations = MaxConversations + 1 }, "conversations"},
		{"negative", func(c *Config) { c.Conversations = -1 }, "conversations"},
		{"rounds and duration", func(c *Config) { c.Rounds = 2; c.Duration = time.Second }, "rounds"},
		{"too long", func(c *Config) { c.Duration = 2 * MaxDuration }, "duration"},
		{"too many rounds", func(c *Config) { c.Rounds = MaxRounds + 1 }, "rounds"},
		{"too much in total", func(c *Config) { c.Conversations = MaxConversations; c.Rounds = MaxRounds }, "rounds"},
		{"zero weights", func(c *Config) { c.Locales = LocaleMix{{LocaleEnUS, 0}} }, "locale"},
		{"negative pid", func(c *Config) { c.PID = -3 }, "pid"},
		{"long think", func(c *Config) { c.Think = time.Hour }, "think"},
		{"huge batch", func(c *Config) { c.BatchSize = MaxBatch + 1 }, "batch"},
		{"fast sampling", func(c *Config) { c.SampleEvery = time.Millisecond }, "sample-every"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate = %v, want ErrConfig", err)
			}
			if !strings.Contains(err.Error(), ": "+tt.field+":") {
				t.Fatalf("error %q does not name field %q", err, tt.field)
			}
		})
	}
}

func TestParseLocaleMix(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"en-US=1,zh-CN=1", "en-US=1,zh-CN=1", false},
		{"zh-CN", "zh-CN=1", false},
		{" en_us = 3 , zh = 1 ", "en-US=3,zh-CN=1", false},
		{"en-US=0,zh-CN=2", "en-US=0,zh-CN=2", false},
		{"", "", true},
		{"fr-FR", "", true},
		{"en-US=x", "", true},
		{"en-US=-1", "", true},
		{"en-US=1,en-US=2", "", true},
		{"en-US=0", "", true},
		{"en-US=1,", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseLocaleMix(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrLocaleMix) {
					t.Fatalf("ParseLocaleMix(%q) = %v, %v; want ErrLocaleMix", tt.in, m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLocaleMixPick(t *testing.T) {
	m, err := ParseLocaleMix("en-US=3,zh-CN=1")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for k := range uint64(400) {
		counts[m.Pick(k)]++
	}
	if counts[LocaleEnUS] != 300 || counts[LocaleZhCN] != 100 {
		t.Fatalf("counts = %v, want 300/100", counts)
	}
}

func FuzzParseLocaleMix(f *testing.F) {
	for _, s := range []string{"en-US=1,zh-CN=1", "zh", "en-US=1000", "=,=", "en-US==1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseLocaleMix(s)
		if err != nil {
			return
		}
		// A parsed mix round-trips and picks only known locales.
		again, err := ParseLocaleMix(m.String())
		if err != nil || again.String() != m.String() {
			t.Fatalf("round trip of %q: %q, %v", s, again.String(), err)
		}
		for k := range uint64(8) {
			if _, ok := scripts[m.Pick(k)]; !ok {
				t.Fatalf("Pick gave %q", m.Pick(k))
			}
		}
	})
}

func TestRegisterFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	c.RegisterFlags(fs)
	err := fs.Parse([]string{"-url", "http://127.0.0.1:1234", "-conversations", "7", "-duration", "3s", "-locale", "zh-CN", "-pid", "42", "-echo", "-no-think"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := c.withDefaults()
	if d.Conversations != 7 || d.Duration != 3*time.Second || d.Rounds != 0 || d.PID != 42 || !d.Echo || d.Think != 0 || d.Locales.String() != "zh-CN=1" {
		t.Fatalf("parsed %+v", d)
	}
	var c2 Config
	fs2 := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	c2.RegisterFlags(fs2)
	if err := fs2.Parse(nil); err != nil {
		t.Fatal(err)
	}
	d2 := c2.withDefaults()
	if d2.Conversations != defaultBorrowers || d2.Rounds != 1 || d2.Think != defaultThink || d2.Locales.String() != defaultLocaleMix {
		t.Fatalf("defaults %+v", d2)
	}
}

func TestLoopbackOnlyDialHook(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:80": true, "[::1]:80": true, "127.8.9.1:1": true,
		"10.1.2.3:80": false, "93.184.216.34:443": false, "[2001:db8::1]:80": false, "nonsense": false,
	} {
		err := loopbackOnly("tcp", addr, nil)
		if (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
