package web

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

var ana = bot.Agent{ID: "agent-7", Name: "Ana"}

// hframe is any server frame, the handoff's fields included.
type hframe struct {
	Type          string `json:"type"`
	From          string `json:"from"`
	Name          string `json:"name"`
	Text          string `json:"text"`
	Seq           int64  `json:"seq"`
	Mode          string `json:"mode"`
	Stage         string `json:"stage"`
	QueuePosition int    `json:"queue_position"`
	Code          string `json:"code"`
}

func (f hframe) String() string {
	if f.Type == FrameStatus {
		return fmt.Sprintf("status %s pos %d", f.Mode, f.QueuePosition)
	}
	return fmt.Sprintf("%s %s#%d %s: %.40s", f.Type, f.From, f.Seq, f.Name, f.Text)
}

// borrower is a chat client that keeps every frame it read.
type borrower struct {
	t      testing.TB
	ws     *websocket.Conn
	frames []hframe
}

func (b *borrower) read() hframe {
	b.t.Helper()
	_ = b.ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	var f hframe
	if err := b.ws.ReadJSON(&f); err != nil {
		b.t.Fatalf("read frame: %v (so far: %v)", err, b.frames)
	}
	b.frames = append(b.frames, f)
	return f
}

// until reads frames until one satisfies ok.
func (b *borrower) until(ok func(hframe) bool) hframe {
	b.t.Helper()
	for {
		if f := b.read(); ok(f) {
			return f
		}
	}
}

func (b *borrower) say(text string) hframe {
	b.t.Helper()
	send(b.t, b.ws, ClientFrame{Type: FrameMessage, Text: text})
	return b.until(isStatus(""))
}

func isStatus(mode string) func(hframe) bool {
	return func(f hframe) bool { return f.Type == FrameStatus && (mode == "" || f.Mode == mode) }
}

// node is one bot node: a runtime and a web server with its bridge, on a
// NATS connection of its own.
type node struct {
	env    *testEnv
	hn     *handoff.Node
	queue  *handoff.Queue
	rt     *bot.Runtime
	bridge *live.Bridge
}

// cluster is a shared store and NATS prefix that nodes join.
type cluster struct {
	t       testing.TB
	st      store.Store
	clock   *clock.Fake
	backend handofftest.Backend
	prefix  string
	first   bool
}

func newCluster(t testing.TB, b handofftest.Backend) *cluster {
	t.Helper()
	clock := clock.NewFake(testNow)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.WithClock(clock.Now), sqlite.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &cluster{t: t, st: st, clock: clock, backend: b, prefix: handofftest.UniquePrefix(), first: true}
}

// join starts a node on a connection of its own.
func (c *cluster) join() *node {
	t := c.t
	t.Helper()
	nc := c.backend.Conn(t)
	return c.joinConn(nc)
}

func (c *cluster) joinConn(nc *nats.Conn) *node { return c.joinDeps(nc, nil) }

// joinDeps is joinConn with the server's Deps changed by mod (a voice
// channel, say).
func (c *cluster) joinDeps(nc *nats.Conn, mod func(*Deps)) *node {
	t := c.t
	t.Helper()
	ctx := context.Background()
	log := testLogger(t)
	hn := handofftest.Open(t, nc, handoff.Config{Prefix: c.prefix, AckWait: 2 * time.Second}, handoff.Deps{Clock: c.clock, Logger: log}, c.backend.Shared && c.first)
	c.first = false
	q, err := hn.StartQueue(ctx, handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: testPolicy("us"),
		Policies:      map[string]dialog.Policy{"us": testPolicy("us"), "cn": testPolicy("cn")},
	}, bot.Deps{Store: c.st, Understander: understand.NewRules(), Clock: c.clock, Logger: log, Publisher: hn.Publisher()})
	if err != nil {
		t.Fatal(err)
	}
	br, err := live.NewBridge(live.BridgeDeps{Node: hn, Queue: q, Store: c.st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Store: c.st, Runtime: rt, Clock: c.clock, Logger: log, Bridge: br}
	if mod != nil {
		mod(&deps)
	}
	srv, err := New(Config{APIKeys: []string{testKey}, TokenSecret: strings.Repeat("s", 32)}, deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(validated(t, srv))
	env := &testEnv{t: t, srv: srv, ts: ts, st: c.st, clock: c.clock}
	t.Cleanup(func() { env.stop() })
	return &node{env: env, hn: hn, queue: q, rt: rt, bridge: br}
}

// stop drains the node's web server (a node going away).
func (e *testEnv) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
	e.ts.Close()
}

// escalate opens a borrower's chat on n, verifies and asks for a person,
// and waits until the borrower is told their place in the queue.
func escalate(t testing.TB, n *node, account string) (*borrower, SessionResponse) {
	t.Helper()
	n.env.addAccounts(maria(account))
	s := n.env.mint(account)
	b := &borrower{t: t, ws: n.env.mustDial(s.Token)}
	b.until(isStatus("bot"))
	b.say("07/21/1988")
	if st := b.say("I want to talk to a real person"); st.Mode != store.ModeWaitingAgent {
		t.Fatalf("not escalated: %v", b.frames)
	}
	b.until(func(f hframe) bool { return f.Type == FrameStatus && f.QueuePosition == 1 })
	return b, s
}

func waitingCase(t testing.TB, q *handoff.Queue, convID string) handoff.Case {
	t.Helper()
	var c handoff.Case
	handofftest.WaitFor(t, 10*time.Second, func() error {
		for _, w := range q.Waiting() {
			if w.Packet.ConversationID == convID {
				c = w
				return nil
			}
		}
		return errors.New("case not on the queue")
	})
	return c
}

func TestHandoffAcrossTwoServers(t *testing.T) {
	for _, be := range handofftest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			cl := newCluster(t, be)
			a, b := cl.join(), cl.join()
			bw, s := escalate(t, a, "h-1")
			conv := s.ConversationID

			// The agent works on server B.
			c := waitingCase(t, b.queue, conv)
			if _, err := b.queue.Claim(ctx, ana.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			agent, err := b.rt.Open(ctx, conv)
			if err != nil {
				t.Fatal(err)
			}
			deliver := func(out bot.Output, err error) bot.Output {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				if err := b.bridge.Deliver(ctx, conv, out); err != nil {
					t.Fatal(err)
				}
				return out
			}
			// What the borrower writes reaches the agent's side live.
			heard := make(chan handoff.Message, 16)
			sub, err := b.hn.Bridge().Subscribe(ctx, conv, handoff.SideBorrower, handoff.FromStart(), func(m handoff.Message) { heard <- m })
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Stop()

			deliver(agent.Join(ctx, ana))
			bw.until(isStatus(store.ModeAgent))
			said := deliver(agent.AgentSay(ctx, ana, "Hi, I'm Ana from the team. How can I help?", "am-1"))
			bw.until(func(f hframe) bool { return f.From == "agent" })

			if st := bw.say("I lost my job last month"); st.Mode != store.ModeAgent {
				t.Fatalf("borrower's message while the agent holds: %v", bw.frames)
			}
			select {
			case m := <-heard:
				if m.Text != "I lost my job last month" || m.From != bot.FromBorrower {
					t.Fatalf("agent side heard %+v", m)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the borrower's message never reached the agent's side")
			}

			// A redelivered reply shows nothing twice.
			deliver(said, nil)
			// The agent's session is stale (the borrower spoke on A): the
			// hand-back reloads and goes through.
			back := deliver(agent.HandBack(ctx, ana))
			if _, err := b.queue.HandBack(ctx, ana.ID, c.ID, "back to the bot"); err != nil {
				t.Fatal(err)
			}
			bw.until(isStatus(store.ModeBot))
			st := bw.say("I can pay the full amount on Friday")
			if st.Mode != store.ModeBot {
				t.Fatalf("after hand-back: %v", bw.frames)
			}

			// In order, each turn once.
			seen := map[int64]bool{}
			idx := func(pred func(hframe) bool) int {
				for i, f := range bw.frames {
					if pred(f) {
						return i
					}
				}
				t.Fatalf("frame not seen: %v", bw.frames)
				return -1
			}
			for _, f := range bw.frames {
				if f.Type == FrameMessage && f.Seq > 0 {
					if seen[f.Seq] {
						t.Fatalf("turn %d shown twice: %v", f.Seq, bw.frames)
					}
					seen[f.Seq] = true
				}
			}
			pos := idx(func(f hframe) bool { return f.QueuePosition == 1 })
			joined := idx(func(f hframe) bool {
				return f.From == "system" && strings.Contains(f.Text, "Ana from our team has joined")
			})
			msg := idx(func(f hframe) bool {
				return f.From == "agent" && f.Name == "Ana" && strings.HasPrefix(f.Text, "Hi, I'm Ana")
			})
			left := idx(func(f hframe) bool { return f.From == "system" && strings.Contains(f.Text, "Ana has left") })
			botBack := idx(func(f hframe) bool { return f.From == "bot" && f.Seq == back.Replies[len(back.Replies)-1].Seq })
			last := idx(func(f hframe) bool { return f.From == "bot" && f.Seq > back.Replies[len(back.Replies)-1].Seq })
			if !(pos < joined && joined < msg && msg < left && left < botBack && botBack < last) {
				t.Fatalf("out of order (%d %d %d %d %d %d): %v", pos, joined, msg, left, botBack, last, bw.frames)
			}
		})
	}
}

// A bot node restarts while the borrower waits: the borrower reconnects
// with the same token to another process and is still queued.
func TestHandoffBorrowerReconnectsAfterNodeRestart(t *testing.T) {
	be := handofftest.Backends(t)[0]
	cl := newCluster(t, be)
	a := cl.join()
	bw, s := escalate(t, a, "h-2")
	bw.ws.Close()
	a.env.stop()
	a.hn.Close()

	a2 := cl.join()
	b2 := &borrower{t: t, ws: a2.env.mustDial(s.Token)}
	st := b2.until(isStatus(""))
	if st.Mode != store.ModeWaitingAgent {
		t.Fatalf("after restart: %v", b2.frames)
	}
	if len(b2.frames) < 5 {
		t.Fatalf("history not replayed: %v", b2.frames)
	}
	b2.until(func(f hframe) bool {
		return f.Type == FrameStatus && f.Mode == store.ModeWaitingAgent && f.QueuePosition == 1
	})
	if c := waitingCase(t, a2.queue, s.ConversationID); c.Status != handoff.StatusQueued {
		t.Fatalf("case %+v", c)
	}
}

// Two borrowers wait; the second is told its place, which moves up when
// the first is taken.
func TestHandoffQueuePositionMoves(t *testing.T) {
	ctx := context.Background()
	cl := newCluster(t, handofftest.Backends(t)[0])
	a := cl.join()
	_, s1 := escalate(t, a, "h-3")
	cl.clock.Advance(time.Second)
	a.env.addAccounts(maria("h-4"))
	s2 := a.env.mint("h-4")
	b2 := &borrower{t: t, ws: a.env.mustDial(s2.Token)}
	b2.until(isStatus("bot"))
	b2.say("07/21/1988")
	b2.say("I want to talk to a real person")
	b2.until(func(f hframe) bool { return f.QueuePosition == 2 })
	c := waitingCase(t, a.queue, s1.ConversationID)
	if _, err := a.queue.Claim(ctx, ana.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	b2.until(func(f hframe) bool { return f.QueuePosition == 1 })
}

// Deliver refuses at once while NATS is unreachable; the replies stay in
// the store for the borrower's next connection.
func TestDeliverFailsFastWhenNATSIsDown(t *testing.T) {
	srv := handofftest.Embedded(t)
	cl := newCluster(t, handofftest.Backend{Name: "embedded", Conn: srv.Conn})
	n := cl.join()
	srv.Stop()
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if n.bridge.Connected() {
			return errors.New("still connected")
		}
		return nil
	})
	began := time.Now()
	err := n.bridge.Deliver(context.Background(), "c-1", bot.Output{
		Replies: []bot.Reply{{From: bot.FromAgent, Name: "Ana", Text: "hello", Seq: 3}},
		Status:  bot.Status{Mode: store.ModeAgent},
	})
	if !errors.Is(err, handoff.ErrPublish) {
		t.Fatalf("Deliver with NATS down: %v", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("Deliver took %v with NATS down", d)
	}
}

// While waiting, the borrower's words reach the agent's side; an agent
// who closes the conversation ends the borrower's chat.
func TestHandoffWaitingThenClosed(t *testing.T) {
	ctx := context.Background()
	cl := newCluster(t, handofftest.Backends(t)[0])
	a, b := cl.join(), cl.join()
	bw, s := escalate(t, a, "h-5")
	heard := make(chan handoff.Message, 16)
	sub, err := b.hn.Bridge().Subscribe(ctx, s.ConversationID, handoff.SideBorrower, handoff.FromStart(), func(m handoff.Message) { heard <- m })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	if st := bw.say("is anyone there?"); st.Mode != store.ModeWaitingAgent || st.QueuePosition != 1 {
		t.Fatalf("while waiting: %v", bw.frames)
	}
	select {
	case m := <-heard:
		if m.Text != "is anyone there?" {
			t.Fatalf("heard %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting borrower's message never reached the agent's side")
	}

	c := waitingCase(t, b.queue, s.ConversationID)
	if _, err := b.queue.Claim(ctx, ana.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	agent, err := b.rt.Open(ctx, s.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []func() (bot.Output, error){
		func() (bot.Output, error) { return agent.Join(ctx, ana) },
		func() (bot.Output, error) {
			return agent.AgentClose(ctx, ana, dialog.OutcomeEscalated, "borrower will call the branch")
		},
	} {
		out, err := op()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.bridge.Deliver(ctx, s.ConversationID, out); err != nil {
			t.Fatal(err)
		}
	}
	bw.until(isStatus(store.ModeEnded))
	if f := bw.frames[len(bw.frames)-2]; f.From != bot.FromSystem || !strings.Contains(f.Text, "Ana has closed the conversation") {
		t.Fatalf("before the end: %v", bw.frames)
	}
}
