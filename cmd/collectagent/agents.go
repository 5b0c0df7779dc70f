package main

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/collectagent/collectagent/web"
)

// demoAgent is a console user made up for a demo run.
type demoAgent struct {
	id, role, password string
}

// demoAgents gives a demo run one agent and one supervisor with fresh
// random passwords, unless the configuration names console users. It
// returns the function that prints their credentials once the server
// listens (a no-op outside demo mode).
func demoAgents(cfg *Config) func(w io.Writer, addr net.Addr) {
	if !cfg.Demo || len(cfg.Web.Console.Users) > 0 {
		return func(io.Writer, net.Addr) {}
	}
	agents := []demoAgent{{"agent", web.RoleAgent, demoPassword()}, {"supervisor", web.RoleSupervisor, demoPassword()}}
	names := map[string]string{"agent": "Demo Agent", "supervisor": "Demo Supervisor"}
	for _, a := range agents {
		h, err := web.HashPassword(a.password)
		if err != nil {
			panic(err) // bcrypt fails only on a password over 72 bytes
		}
		cfg.Web.Console.Users = append(cfg.Web.Console.Users, web.AgentUser{ID: a.id, Name: names[a.id], Role: a.role, PasswordHash: h})
	}
	return func(w io.Writer, addr net.Addr) {
		fmt.Fprintf(w, "agent console: %sagent\n", pageURL(addr))
		for _, a := range agents {
			fmt.Fprintf(w, "demo %s: user %s, password %s\n", a.role, a.id, a.password)
		}
	}
}

// demoPassword is 16 random base32 characters (80 bits), lower case.
func demoPassword() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}
