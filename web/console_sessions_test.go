package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
)

// TestConsoleSignOutRevokes: after signing out, the token is refused on
// every endpoint (issue 9.4).
func TestConsoleSignOutRevokes(t *testing.T) {
	e := newConsoleEnv(t)
	ann := e.signIn("ann")
	e.mustCall("GET", "/v1/agent/me", ann, nil, http.StatusOK, nil)
	e.mustCall("POST", "/v1/agent/signout", ann, nil, http.StatusOK, nil)
	code, b := e.call("GET", "/v1/agent/queue", ann, nil)
	if code != http.StatusUnauthorized || decodeError(t, b).Error.Code != CodeRevoked {
		t.Errorf("queue after sign-out: %d %s, want 401 %s", code, b, CodeRevoked)
	}
}

// TestConsoleSupervisorRevokes: a supervisor lists the sessions and
// revokes an agent's; the agent's API calls and open console WebSocket
// end (issue 9.4). An agent may not list or revoke.
func TestConsoleSupervisorRevokes(t *testing.T) {
	e := newConsoleEnv(t)
	ann, sue := e.signIn("ann"), e.signIn("sue")
	if code, _ := e.call("GET", "/v1/agent/sessions", ann, nil); code != http.StatusForbidden {
		t.Errorf("an agent listing sessions: %d, want 403", code)
	}
	cw, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	if f := readConsole(t, cw); f.Type != "hello" {
		t.Fatalf("hello %+v", f)
	}
	var list struct {
		Sessions []consoleSession `json:"sessions"`
	}
	e.mustCall("GET", "/v1/agent/sessions", sue, nil, http.StatusOK, &list)
	var annID string
	for _, s := range list.Sessions {
		if s.User == "ann" {
			annID = s.ID
		}
	}
	if len(list.Sessions) != 2 || annID == "" {
		t.Fatalf("sessions %+v, want ann's and sue's", list.Sessions)
	}
	e.mustCall("POST", "/v1/agent/sessions/"+annID+"/revoke", sue, nil, http.StatusOK, nil)
	if code, b := e.call("GET", "/v1/agent/me", ann, nil); code != http.StatusUnauthorized {
		t.Errorf("ann after revocation: %d %s, want 401", code, b)
	}
	_ = cw.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := cw.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Errorf("console ws ended with %v, want close 1008", err)
			}
			break
		}
	}
	e.mustCall("GET", "/v1/agent/me", sue, nil, http.StatusOK, nil)
	if code, _ := e.call("POST", "/v1/agent/sessions/"+annID+"/revoke", sue, nil); code != http.StatusNotFound {
		t.Errorf("revoking twice: %d, want 404", code)
	}
}

// TestConsoleConfigChangeApplies: a node started with a new
// configuration (ann removed, sue demoted to agent) refuses ann's token
// and treats sue's as an agent's at once, though both tokens were minted
// before and have hours left (issue 9.4).
func TestConsoleConfigChangeApplies(t *testing.T) {
	a := newConsoleEnv(t)
	ann, sue := a.signIn("ann"), a.signIn("sue")
	a.mustCall("GET", "/v1/agent/conversations", sue, nil, http.StatusOK, nil)
	joiner := handofftest.Backend{Name: a.be.Name, Conn: a.be.Conn}
	b := newConsoleNode(t, a.st, a.clock, joiner, handoff.Config{Prefix: a.node.Config().Prefix}, func(c *Config) {
		var keep []AgentUser
		for _, u := range c.Console.Users {
			switch u.ID {
			case "ann":
				continue
			case "sue":
				u.Role = RoleAgent
			}
			keep = append(keep, u)
		}
		c.Console.Users = keep
	})
	if code, b := b.call("GET", "/v1/agent/me", ann, nil); code != http.StatusUnauthorized || decodeError(t, b).Error.Code != CodeRevoked {
		t.Errorf("removed user's token on the new node: %d %s, want 401 %s", code, b, CodeRevoked)
	}
	if code, _ := b.call("GET", "/v1/agent/conversations", sue, nil); code != http.StatusForbidden {
		t.Errorf("demoted supervisor's token on the new node: %d, want 403", code)
	}
	// The stored sessions follow too: the old node no longer honours
	// ann's token either.
	if code, _ := a.call("GET", "/v1/agent/me", ann, nil); code != http.StatusUnauthorized {
		t.Errorf("removed user's token on the old node: %d, want 401", code)
	}
}

// TestConsoleSessionsSurviveLostBucket: when NATS loses the sessions'
// bucket (its data), a token is refused as a revoked session, not an
// internal error, and signing in again works.
func TestConsoleSessionsSurviveLostBucket(t *testing.T) {
	e := newConsoleEnv(t)
	ann := e.signIn("ann")
	if err := e.node.JetStream().DeleteKeyValue(t.Context(), e.srv.console.sessions.name); err != nil {
		t.Fatal(err)
	}
	if code, b := e.call("GET", "/v1/agent/me", ann, nil); code != http.StatusUnauthorized || decodeError(t, b).Error.Code != CodeRevoked {
		t.Errorf("token after the bucket was lost: %d %s, want 401 %s", code, b, CodeRevoked)
	}
	again := e.signIn("ann")
	e.mustCall("GET", "/v1/agent/me", again, nil, http.StatusOK, nil)
}
