package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// Console users of the tests; passwords are their ids reversed plus a
// suffix, hashed at the cheapest bcrypt cost to keep tests fast.
var consoleUsers = []struct{ id, name, role, password string }{
	{"ann", "Ann", RoleAgent, "ann-secret-1"},
	{"bo", "Bo", RoleAgent, "bo-secret-22"},
	{"sue", "Sue", RoleSupervisor, "sue-secret-333"},
}

const consoleAPIToken = "api-token-for-ann-0123456789"

// consoleEnv is a real server (SQLite, runtime, embedded NATS with
// JetStream, the chat bridge and the console) behind httptest.
type consoleEnv struct {
	*testEnv
	node *handoff.Node
	q    *handoff.Queue
	nc   *nats.Conn // the test's own connection
	be   handofftest.Backend
}

func newConsoleEnv(t testing.TB, mods ...func(*Config)) *consoleEnv {
	t.Helper()
	be := handofftest.Backend{Name: "embedded", Conn: handofftest.Embedded(t).Conn}
	return newConsoleEnvOn(t, be, handoff.Config{}, mods...)
}

// newConsoleEnvWith is newConsoleEnv with handoff settings (a short
// AckWait, say).
func newConsoleEnvWith(t testing.TB, hcfg handoff.Config) *consoleEnv {
	t.Helper()
	be := handofftest.Backend{Name: "embedded", Conn: handofftest.Embedded(t).Conn}
	return newConsoleEnvOn(t, be, hcfg)
}

// newConsoleEnvOn is newConsoleEnv on a NATS backend (embedded, or the
// external server of COLLECT_TEST_NATS_URL).
func newConsoleEnvOn(t testing.TB, be handofftest.Backend, hcfg handoff.Config, mods ...func(*Config)) *consoleEnv {
	t.Helper()
	clock := &fakeClock{t: testNow}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.WithClock(clock.Now), sqlite.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	hcfg.Prefix = handofftest.UniquePrefix()
	return newConsoleNode(t, st, clock, be, hcfg, mods...)
}

// newConsoleNode is one node (server, runtime, handoff node and queue) on
// a shared store and NATS server: tests start two for a borrower on one
// node and the console on another.
func newConsoleNode(t testing.TB, st store.Store, clock *fakeClock, be handofftest.Backend, hcfg handoff.Config, mods ...func(*Config)) *consoleEnv {
	t.Helper()
	log := testLogger(t)
	var err error
	node := handofftest.Open(t, be.Conn(t), hcfg, handoff.Deps{Logger: log, Clock: clock}, be.Shared)
	q, err := node.StartQueue(context.Background(), handoff.QueueOptions{})
	if err != nil {
		t.Fatalf("start queue: %v", err)
	}
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: testPolicy("us"),
		Policies:      map[string]dialog.Policy{"us": testPolicy("us"), "cn": testPolicy("cn")},
	}, bot.Deps{Store: st, Understander: understand.NewRules(), Clock: clock, Logger: log, Publisher: node.Publisher()})
	if err != nil {
		t.Fatalf("runtime: %v", err)
	}
	br, err := live.NewBridge(live.BridgeDeps{Node: node, Queue: q, Store: st, Logger: log})
	if err != nil {
		t.Fatalf("bridge: %v", err)
	}
	cfg := Config{APIKeys: []string{testKey}, TokenSecret: strings.Repeat("s", 32)}
	for _, u := range consoleUsers {
		h, err := bcrypt.GenerateFromPassword([]byte(u.password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		au := AgentUser{ID: u.id, Name: u.name, Role: u.role, PasswordHash: string(h)}
		if u.id == "ann" {
			au.TokenSHA256 = HashToken(consoleAPIToken)
		}
		cfg.Console.Users = append(cfg.Console.Users, au)
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := New(cfg, Deps{Store: st, Runtime: rt, Clock: clock, Logger: log, Bridge: br})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	ts := httptest.NewServer(validated(t, srv))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ts.Close()
		_ = q.Close()
	})
	return &consoleEnv{
		testEnv: &testEnv{t: t, srv: srv, ts: ts, st: st, clock: clock},
		node:    node, q: q, nc: be.Conn(t), be: be,
	}
}

// call sends a console request with a console token ("" sends none).
func (e *consoleEnv) call(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, b
}

// mustCall is call that fails unless the status is want and decodes into
// out (when not nil).
func (e *consoleEnv) mustCall(method, path, token string, body any, want int, out any) {
	e.t.Helper()
	code, b := e.call(method, path, token, body)
	if code != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, code, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// signIn returns a console token for a test user.
func (e *consoleEnv) signIn(id string) string {
	e.t.Helper()
	for _, u := range consoleUsers {
		if u.id == id {
			var out struct {
				Token string `json:"token"`
			}
			e.mustCall("POST", "/v1/agent/signin", "", map[string]string{"user": u.id, "password": u.password}, http.StatusOK, &out)
			return out.Token
		}
	}
	e.t.Fatalf("no user %s", id)
	return ""
}

// escalate starts a verified borrower's chat and asks for a person; it
// returns the borrower's connection, the conversation id and the case id
// once the case is on the board.
func (e *consoleEnv) escalate(accountID string) (*websocket.Conn, string, string) {
	e.t.Helper()
	return e.escalateAccount(maria(accountID))
}

// escalateAccount is escalate for an account of the test's own making.
func (e *consoleEnv) escalateAccount(a AccountIn) (*websocket.Conn, string, string) {
	e.t.Helper()
	e.addAccounts(a)
	s := e.mint(a.ID)
	c := e.mustDial(s.Token)
	untilStatus(e.t, c)
	say(e.t, c, "07/21/1988")
	untilMode(e.t, c, "waiting_agent", func() { send(e.t, c, ClientFrame{Type: FrameMessage, Text: "I want to talk to a person"}) })
	var caseID string
	handofftest.WaitFor(e.t, 10*time.Second, func() error {
		for _, k := range e.q.Waiting() {
			if k.Packet.ConversationID == s.ConversationID {
				caseID = k.ID
				return nil
			}
		}
		return fmt.Errorf("case of %s not waiting", s.ConversationID)
	})
	return c, s.ConversationID, caseID
}

// untilMode runs act, then reads frames until a status frame with mode;
// it returns the messages seen on the way.
func untilMode(t testing.TB, c *websocket.Conn, mode string, act func()) []frame {
	t.Helper()
	if act != nil {
		act()
	}
	var msgs []frame
	for {
		f := readFrame(t, c)
		switch {
		case f.Type == FrameStatus && f.Mode == mode:
			return msgs
		case f.Type == FrameMessage:
			msgs = append(msgs, f)
		case f.Type == FrameError:
			t.Fatalf("error frame while waiting for %s: %+v", mode, f)
		}
	}
}

// untilText reads frames until a message containing text.
func untilText(t testing.TB, c *websocket.Conn, from, text string) frame {
	t.Helper()
	for {
		f := readFrame(t, c)
		if f.Type == FrameMessage && f.From == from && strings.Contains(f.Text, text) {
			return f
		}
		if f.Type == FrameError {
			t.Fatalf("error frame while waiting for %q: %+v", text, f)
		}
	}
}
