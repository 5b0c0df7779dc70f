package main

import (
	"bytes"
	"net"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/collectagent/collectagent/web"
)

func TestDemoAgents(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	t.Run("demo", func(t *testing.T) {
		cfg := Config{Demo: true}
		print := demoAgents(&cfg)
		if len(cfg.Web.Console.Users) != 2 {
			t.Fatalf("users: %+v", cfg.Web.Console.Users)
		}
		var out bytes.Buffer
		print(&out, addr)
		if !strings.Contains(out.String(), "agent console: http://127.0.0.1:8080/agent") {
			t.Errorf("no console address in %q", out.String())
		}
		lines := regexp.MustCompile(`demo (\w+): user (\w+), password (\w+)`).FindAllStringSubmatch(out.String(), -1)
		if len(lines) != 2 {
			t.Fatalf("credentials printed: %q", out.String())
		}
		roles := map[string]bool{}
		for i, l := range lines {
			u := cfg.Web.Console.Users[i]
			if u.Role != l[1] || u.ID != l[2] {
				t.Errorf("printed %v for user %+v", l, u)
			}
			if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(l[3])) != nil {
				t.Errorf("printed password of %s does not match its hash", u.ID)
			}
			if strings.Contains(u.PasswordHash, l[3]) {
				t.Errorf("password kept in clear")
			}
			roles[u.Role] = true
		}
		if !roles[web.RoleAgent] || !roles[web.RoleSupervisor] {
			t.Errorf("roles %v", roles)
		}
		if err := cfg.Web.Console.WithDefaults().Validate(); err != nil {
			t.Errorf("demo users do not validate: %v", err)
		}
		other := Config{Demo: true}
		demoAgents(&other)
		if other.Web.Console.Users[0].PasswordHash == cfg.Web.Console.Users[0].PasswordHash {
			t.Error("two runs share a password hash")
		}
	})
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"not demo", Config{}},
		{"configured users", func() Config {
			c := Config{Demo: true}
			c.Web.Console.Users = []web.AgentUser{{ID: "x", Name: "X", Role: web.RoleAgent, TokenSHA256: web.HashToken("t")}}
			return c
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.cfg.Web.Console.Users)
			var out bytes.Buffer
			demoAgents(&tt.cfg)(&out, addr)
			if len(tt.cfg.Web.Console.Users) != before || out.Len() != 0 {
				t.Errorf("users %d -> %d, printed %q", before, len(tt.cfg.Web.Console.Users), out.String())
			}
		})
	}
}
