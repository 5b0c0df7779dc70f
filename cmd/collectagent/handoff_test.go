package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/casework"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/web"
)

const rigKey = "rig-api-key-0123456789"

// rigNow is Sunday 2026-11-22 20:00 in Chicago: inside contact hours.
var rigNow = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// hrig is serve's handoff wiring around a web server, on a NATS
// connection the test owns.
type hrig struct {
	t     *testing.T
	st    store.Store
	clock *handofftest.Clock
	h     *handoffNode
	rt    *bot.Runtime
	ts    *httptest.Server
}

func newHRig(t *testing.T, nc *nats.Conn, sla handoff.SLAFunc) *hrig {
	t.Helper()
	return newHRigOpts(t, nc, sla, rigOpts{})
}

// rigOpts make a second node of a rig: the same store, clock and prefix
// (a zero field makes its own), a periodic requeue, or a runtime
// publisher of the test's.
type rigOpts struct {
	st           store.Store
	clock        *handofftest.Clock
	prefix       string
	requeueEvery time.Duration
	pub          bot.Publisher
	noBridge     bool // the web server follows no handoff
}

func newHRigOpts(t *testing.T, nc *nats.Conn, sla handoff.SLAFunc, o rigOpts) *hrig {
	t.Helper()
	ctx := context.Background()
	clock := o.clock
	if clock == nil {
		clock = handofftest.NewClock(rigNow)
	}
	st := o.st
	if st == nil {
		var err error
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	n := handofftest.Open(t, nc, handoff.Config{AckWait: 2 * time.Second, Prefix: o.prefix}, handoff.Deps{Clock: clock, Logger: testLog(t)}, false)
	q, err := n.StartQueue(ctx, handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandoffNode(n, q, sla, 500*time.Millisecond, clock, testLog(t))
	h.requeueEvery = o.requeueEvery
	t.Cleanup(func() { h.Close() })
	cfg := defaultConfig()
	pub := h.Publisher()
	if o.pub != nil {
		pub = o.pub
	}
	rt, err := bot.NewRuntime(cfg.Bot, bot.Deps{Store: st, Understander: understand.NewRules(), Clock: clock, Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	br, err := live.NewBridge(live.BridgeDeps{Node: n, Queue: q, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	wb := br
	if o.noBridge {
		wb = nil
	}
	srv, err := web.New(web.Config{APIKeys: []string{rigKey}, TokenSecret: strings.Repeat("k", 32)},
		web.Deps{Store: st, Runtime: rt, Clock: clock, Bridge: wb})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.run(rt, st, br); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return &hrig{t: t, st: st, clock: clock, h: h, rt: rt, ts: ts}
}

func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("COLLECT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (r *hrig) post(path string, body, out any) {
	r.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", r.ts.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+rigKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := r.ts.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		r.t.Fatalf("POST %s: %d", path, res.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			r.t.Fatal(err)
		}
	}
}

// chat opens a borrower's chat for a new en-US account.
func (r *hrig) chat(account string) (*chatClient, web.SessionResponse) {
	r.t.Helper()
	r.post("/v1/accounts", web.AccountsRequest{Accounts: []web.AccountIn{{
		ID: account, Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US", Timezone: "America/Chicago",
		Consent: store.Consent{Chat: true, Voice: true, Recording: true},
		Debts:   []web.DebtIn{{ID: account + "-d1", Creditor: "Demo Finance", AmountDue: 240, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9}},
	}}}, nil)
	var s web.SessionResponse
	r.post("/v1/sessions", web.SessionRequest{AccountID: account, Channel: "chat"}, &s)
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(r.ts.URL, "http")+"/v1/chat?token="+s.Token, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { ws.Close() })
	c := &chatClient{t: r.t, ws: ws}
	c.until(func(f cframe) bool { return f.Type == "status" })
	return c, s
}

type cframe struct {
	Type          string `json:"type"`
	From          string `json:"from"`
	Text          string `json:"text"`
	Seq           int64  `json:"seq"`
	Mode          string `json:"mode"`
	QueuePosition int    `json:"queue_position"`
}

type chatClient struct {
	t      *testing.T
	ws     *websocket.Conn
	frames []cframe
}

func (c *chatClient) until(ok func(cframe) bool) cframe {
	c.t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		var f cframe
		if err := c.ws.ReadJSON(&f); err != nil {
			c.t.Fatalf("read: %v (so far %+v)", err, c.frames)
		}
		c.frames = append(c.frames, f)
		if ok(f) {
			return f
		}
	}
}

func (c *chatClient) send(text string) {
	c.t.Helper()
	if err := c.ws.WriteJSON(web.ClientFrame{Type: "message", Text: text}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *chatClient) say(text string) cframe {
	c.t.Helper()
	c.send(text)
	return c.until(func(f cframe) bool { return f.Type == "status" })
}

func onQueue(t *testing.T, q *handoff.Queue, convID string) handoff.Case {
	t.Helper()
	var found handoff.Case
	handofftest.WaitFor(t, 20*time.Second, func() error {
		for _, c := range q.Waiting() {
			if c.Packet.ConversationID == convID {
				found = c
				return nil
			}
		}
		return errors.New("not on the queue")
	})
	return found
}

// NATS goes down while the bot chats: the conversation goes on, the
// borrower who asks for a person is told honestly that the request is
// saved, the store keeps the escalation queued, and once NATS is back it
// is published again (once) and the borrower sees their place.
func TestNATSDownWhileChatting(t *testing.T) {
	ctx := context.Background()
	// A fixed port and a TCP connection, so the node reconnects to the
	// restarted server.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	scfg := handoff.Config{Port: port, StoreDir: t.TempDir()}
	ns, err := handoff.StartEmbedded(scfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	url := ns.ClientURL()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, err := handoff.Connect(ctx, handoff.Config{URL: url, ReconnectWait: 20 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r := newHRig(t, nc, handoff.FixedSLA(-1))
	c, s := r.chat("n-1")
	c.say("07/21/1988")

	ns.Shutdown()
	ns.WaitForShutdown()
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if nc.IsConnected() {
			return errors.New("still connected")
		}
		return nil
	})
	began := time.Now()
	c.send("I want to talk to a real person")
	c.until(func(f cframe) bool { return f.Type == "status" && f.Mode == store.ModeWaitingAgent })
	c.until(func(f cframe) bool {
		return f.From == "system" && strings.Contains(f.Text, "can't reach our team's queue right now")
	})
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("the turn waited %v on the broker", d)
	}
	es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.ConversationID})
	if err != nil || len(es) != 1 || es[0].Status != "queued" {
		t.Fatalf("escalations %+v %v", es, err)
	}
	// The conversation goes on.
	if st := c.say("are you still there?"); st.Mode != store.ModeWaitingAgent {
		t.Fatalf("after the outage: %+v", c.frames)
	}

	if ns, err = handoff.StartEmbedded(scfg, nil); err != nil {
		t.Fatal(err)
	}
	handofftest.WaitFor(t, 20*time.Second, func() error {
		if !nc.IsConnected() {
			return errors.New("not reconnected")
		}
		return nil
	})
	cs := onQueue(t, r.h.queue, s.ConversationID)
	if cs.ID != es[0].ID {
		t.Fatalf("case %s, want %s", cs.ID, es[0].ID)
	}
	c.until(func(f cframe) bool { return f.Type == "status" && f.QueuePosition == 1 })
	// Publishing again finds the case on the board: nothing twice.
	n, err := casework.Requeue(ctx, r.st, r.h.Publisher(), r.h.queue)
	if err != nil || n != 0 {
		t.Fatalf("requeue again: %d %v", n, err)
	}
	if len(r.h.queue.Waiting()) != 1 {
		t.Fatalf("waiting %+v", r.h.queue.Waiting())
	}
}

// Nobody claims the case within the SLA: the borrower is offered a call
// back inside the contact rules, the escalation becomes a callback task,
// and the conversation keeps waiting for a person.
func TestSLAExpiryOffersCallback(t *testing.T) {
	for _, be := range handofftest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			r := newHRig(t, be.Conn(t), handoff.FixedSLA(2*time.Minute))
			c, s := r.chat("s-1")
			c.say("07/21/1988")
			c.say("I want to talk to a real person")
			onQueue(t, r.h.queue, s.ConversationID)
			c.until(func(f cframe) bool { return f.QueuePosition == 1 })

			r.clock.Advance(3 * time.Minute)
			offer := c.until(func(f cframe) bool {
				return f.Type == "message" && f.From == "bot" && strings.Contains(f.Text, "call you back")
			})
			if !strings.Contains(offer.Text, "November 22, 2026") {
				t.Fatalf("offer %q", offer.Text)
			}
			handofftest.WaitFor(t, 10*time.Second, func() error {
				es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.ConversationID})
				if err != nil || len(es) != 1 || es[0].Status != "expired" || !strings.Contains(string(es[0].Packet), `"callback"`) {
					return handofftest.Errorf("escalations %+v %v", es, err)
				}
				return nil
			})
			// The conversation is still waiting for a person and the
			// borrower can write.
			if st := c.say("ok, thanks"); st.Mode != store.ModeWaitingAgent {
				t.Fatalf("after the offer: %+v", c.frames)
			}
		})
	}
}

func TestNATSConfigLayers(t *testing.T) {
	cfg, err := loadConfig("", envOf(map[string]string{"COLLECT_NATS_URL": "nats://u:p@10.0.0.1:4222"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != "nats://u:p@10.0.0.1:4222" || cfg.Handoff.SLA != handoff.DefaultSLA {
		t.Fatalf("%+v %+v", cfg.NATS, cfg.Handoff)
	}
	if got := handoff.SafeURL(cfg.NATS.URL + ",nats://10.0.0.2:4222"); got != "nats://10.0.0.1:4222,nats://10.0.0.2:4222" {
		t.Fatalf("safeNATSURL: %s", got)
	}
	hc := handoffOf(&cfg)
	if hc.URL != cfg.NATS.URL || hc.StoreDir != filepath.Join(cfg.Data, "nats") || hc.Prefix != handoff.DefaultPrefix {
		t.Fatalf("handoff config %+v", hc)
	}
}

func TestHandoffConfigFromYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("nats:\n  url: nats://10.0.0.1:4222\n  prefix: acme\nhandoff:\n  sla: 30s\n  business_hours: \"09:00-18:00\"\n  timezone: Asia/Shanghai\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(p, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != "nats://10.0.0.1:4222" || cfg.NATS.Prefix != "acme" || cfg.Handoff.SLA != 30*time.Second ||
		cfg.Handoff.BusinessHours != "09:00-18:00" || cfg.Handoff.AckWait != handoff.DefaultAckWait {
		t.Fatalf("%+v %+v", cfg.NATS, cfg.Handoff)
	}
	cfg.Demo = true
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Handoff.BusinessHours = "late"
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "handoff.business_hours") {
		t.Fatalf("bad hours: %v", err)
	}
}

// TestNATSDataLossRecovers: the NATS server comes back without its data
// (streams, case board and consumer gone). The node recreates them, the
// store's open escalations are published again (a waiting case, and a
// claimed one, whose borrower is told they wait for a person again), and
// a new escalation reaches the queue: nothing freezes (issue 9.8).
func TestNATSDataLossRecovers(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	scfg := handoff.Config{Port: port, StoreDir: t.TempDir()}
	ns, err := handoff.StartEmbedded(scfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	url := ns.ClientURL()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, err := handoff.Connect(ctx, handoff.Config{URL: url, ReconnectWait: 20 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r := newHRig(t, nc, handoff.FixedSLA(-1))

	waiting, ws := r.chat("loss-1")
	waiting.say("07/21/1988")
	waiting.send("I want to talk to a real person")
	wcase := onQueue(t, r.h.queue, ws.ConversationID)

	held, hs := r.chat("loss-2")
	held.say("07/21/1988")
	held.send("I want to talk to a real person")
	hcase := onQueue(t, r.h.queue, hs.ConversationID)
	if _, err := r.h.queue.Claim(ctx, "ann", hcase.ID); err != nil {
		t.Fatal(err)
	}
	sess, err := r.rt.Open(ctx, hs.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Join(ctx, bot.Agent{ID: "ann", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}

	// The server restarts on an empty store directory.
	ns.Shutdown()
	ns.WaitForShutdown()
	scfg.StoreDir = t.TempDir()
	if ns, err = handoff.StartEmbedded(scfg, nil); err != nil {
		t.Fatal(err)
	}
	onQueue(t, r.h.queue, ws.ConversationID)
	back := onQueue(t, r.h.queue, hs.ConversationID)
	if back.ID != hcase.ID || wcase.ID == "" {
		t.Fatalf("the claimed case came back as %s, want %s", back.ID, hcase.ID)
	}
	held.until(func(f cframe) bool { return f.Type == "status" && f.Mode == store.ModeWaitingAgent })
	es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: hs.ConversationID})
	if err != nil || len(es) != 1 || es[0].Status != "queued" {
		t.Fatalf("the claimed escalation in the store: %+v %v", es, err)
	}

	// New escalations reach the queue.
	fresh, fs := r.chat("loss-3")
	fresh.say("07/21/1988")
	fresh.send("I want to talk to a real person")
	onQueue(t, r.h.queue, fs.ConversationID)
}

// diesBeforePublishing is the publisher of a node that crashes right
// after committing: nothing reaches NATS.
type diesBeforePublishing struct{}

func (diesBeforePublishing) PublishEscalation(context.Context, store.Escalation) error { return nil }
func (diesBeforePublishing) PublishEvent(context.Context, string, any) error           { return nil }

// TestRequeueCoversACrashedNode: a node commits an escalation and dies
// before publishing it; another node on the same store and NATS, whose
// connection never dropped, puts it on the queue with its periodic
// requeue (handoff.requeue_every).
func TestRequeueCoversACrashedNode(t *testing.T) {
	nc := handofftest.Embedded(t).Conn(t)
	prefix := handofftest.UniquePrefix()
	a := newHRigOpts(t, nc, handoff.FixedSLA(-1), rigOpts{prefix: prefix, pub: diesBeforePublishing{}, noBridge: true})
	b := newHRigOpts(t, nc, handoff.FixedSLA(-1), rigOpts{prefix: prefix, st: a.st, clock: a.clock, requeueEvery: 100 * time.Millisecond})
	c, s := a.chat("n-1")
	c.say("07/21/1988")
	if st := c.say("I want to talk to a real person"); st.Mode != store.ModeWaitingAgent {
		t.Fatalf("no escalation: %+v", st)
	}
	k := onQueue(t, b.h.queue, s.ConversationID)
	if k.Packet.ConversationID != s.ConversationID {
		t.Fatalf("case %+v", k)
	}
}
