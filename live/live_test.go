package live_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/casework"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// testNow is Sunday 2026-11-22 20:00 in Chicago and Monday 10:00 in
// Shanghai: inside contact hours in both.
var testNow = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

var ana = bot.Agent{ID: "agent-7", Name: "Ana"}

func testLogger() *slog.Logger {
	if os.Getenv("COLLECT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func testPolicy(pack string) dialog.Policy {
	return dialog.Policy{
		MaxDaysToPromise: 14, MaxInstallments: 6, FirstInstallmentWithin: 7, InstallmentEveryDays: 14,
		AllowExtension: true, ExtensionDays: 7, Pack: pack, PaymentURL: "https://pay.example.com/{account}",
	}
}

// event is one call on a fakeOutput.
type event struct {
	Kind   string // "reply", "status", "reject", "goaway"
	Msg    live.Message
	Status live.Status
	ID     string
	Err    error
}

func (e event) String() string {
	switch e.Kind {
	case "reply":
		return fmt.Sprintf("reply %s#%d %s: %.40s", e.Msg.From, e.Msg.Seq, e.Msg.Name, e.Msg.Text)
	case "status":
		return fmt.Sprintf("status %s pos %d", e.Status.Mode, e.Status.QueuePosition)
	case "reject":
		return fmt.Sprintf("reject %q: %v", e.ID, e.Err)
	}
	return e.Kind
}

// fakeOutput is a channel that keeps every call. It fails the test when
// live calls it concurrently or after GoAway.
type fakeOutput struct {
	t      testing.TB
	mu     sync.Mutex
	events []event
	inCall bool
	gone   bool
}

func (o *fakeOutput) add(e event) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inCall {
		o.t.Errorf("concurrent Output call: %v", e)
	}
	if o.gone {
		o.t.Errorf("Output call after GoAway: %v", e)
		return errors.New("gone")
	}
	o.events = append(o.events, e)
	return nil
}

func (o *fakeOutput) Reply(m live.Message) error { return o.add(event{Kind: "reply", Msg: m}) }
func (o *fakeOutput) Status(s live.Status) error { return o.add(event{Kind: "status", Status: s}) }
func (o *fakeOutput) Reject(id string, err error) error {
	return o.add(event{Kind: "reject", ID: id, Err: err})
}
func (o *fakeOutput) GoAway(string) {
	_ = o.add(event{Kind: "goaway"})
	o.mu.Lock()
	o.gone = true
	o.mu.Unlock()
}

func (o *fakeOutput) snapshot() []event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]event(nil), o.events...)
}

// until waits for an event that satisfies ok and returns it.
func (o *fakeOutput) until(ok func(event) bool) event {
	o.t.Helper()
	var got event
	handofftest.WaitFor(o.t, 15*time.Second, func() error {
		for _, e := range o.snapshot() {
			if ok(e) {
				got = e
				return nil
			}
		}
		return fmt.Errorf("not seen in %v", o.snapshot())
	})
	return got
}

// last is the last event.
func (o *fakeOutput) last() event {
	es := o.snapshot()
	if len(es) == 0 {
		return event{}
	}
	return es[len(es)-1]
}

func isStatus(mode string) func(event) bool {
	return func(e event) bool { return e.Kind == "status" && (mode == "" || e.Status.Mode == mode) }
}

// turnsOnce fails when a turn was shown twice.
func (o *fakeOutput) turnsOnce() {
	o.t.Helper()
	seen := map[int64]bool{}
	for _, e := range o.snapshot() {
		if e.Kind == "reply" && e.Msg.Seq > 0 {
			if seen[e.Msg.Seq] {
				o.t.Fatalf("turn %d shown twice: %v", e.Msg.Seq, o.snapshot())
			}
			seen[e.Msg.Seq] = true
		}
	}
}

// cluster is a shared SQLite store and NATS prefix that nodes join.
type cluster struct {
	t       testing.TB
	st      store.Store
	clock   *handofftest.Clock
	backend handofftest.Backend
	prefix  string
	first   bool
}

func newCluster(t testing.TB, b handofftest.Backend) *cluster {
	t.Helper()
	clock := handofftest.NewClock(testNow)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.WithClock(clock.Now), sqlite.WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &cluster{t: t, st: st, clock: clock, backend: b, prefix: handofftest.UniquePrefix(), first: true}
}

// node is one bot node: a runtime and a live hub with its bridge.
type node struct {
	hn     *handoff.Node
	queue  *handoff.Queue
	rt     *bot.Runtime
	bridge *live.Bridge
	hub    *live.Hub
}

func (c *cluster) join(cfg live.Config) *node {
	return c.joinConn(c.backend.Conn(c.t), cfg)
}

func (c *cluster) joinConn(nc *nats.Conn, cfg live.Config) *node {
	t := c.t
	t.Helper()
	log := testLogger()
	hn := handofftest.Open(t, nc, handoff.Config{Prefix: c.prefix, AckWait: 2 * time.Second}, handoff.Deps{Clock: c.clock, Logger: log}, c.backend.Shared && c.first)
	c.first = false
	q, err := hn.StartQueue(context.Background(), handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rt := c.runtime(hn.NewFailFastPublisher(500 * time.Millisecond))
	br, err := live.NewBridge(live.BridgeDeps{Node: hn, Queue: q, Store: c.st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hub := c.hub(rt, br, cfg)
	return &node{hn: hn, queue: q, rt: rt, bridge: br, hub: hub}
}

// work starts the node's case work (SLA expiry, requeues), telling
// borrowers through the node's bridge.
func (c *cluster) work(n *node, sla handoff.SLAFunc, requeueEvery time.Duration) {
	c.t.Helper()
	w, err := casework.Start(casework.Config{SLA: sla, RequeueEvery: requeueEvery}, casework.Deps{
		Node: n.hn, Queue: n.queue, Runtime: n.rt, Store: c.st, Publisher: n.hn.NewFailFastPublisher(500 * time.Millisecond),
		Deliverer: n.bridge, Clock: c.clock, Logger: testLogger(),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(w.Close)
}

func (c *cluster) runtime(pub bot.Publisher) *bot.Runtime {
	c.t.Helper()
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: testPolicy("us"),
		Policies:      map[string]dialog.Policy{"us": testPolicy("us"), "cn": testPolicy("cn")},
	}, bot.Deps{Store: c.st, Understander: understand.NewRules(), Clock: c.clock, Logger: testLogger(), Publisher: pub})
	if err != nil {
		c.t.Fatal(err)
	}
	return rt
}

func (c *cluster) hub(rt *bot.Runtime, br *live.Bridge, cfg live.Config) *live.Hub {
	c.t.Helper()
	if cfg.TurnTimeout == 0 {
		cfg.TurnTimeout = 10 * time.Second
	}
	hub, err := live.New(cfg, live.Deps{Runtime: rt, Bridge: br, Clock: c.clock, Logger: testLogger()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			c.t.Errorf("hub shutdown: %v", err)
		}
	})
	return hub
}

// begin records a borrower and opens a chat conversation for them.
func (c *cluster) begin(rt *bot.Runtime, account string) string {
	c.t.Helper()
	ctx := context.Background()
	err := c.st.UpsertAccounts(ctx, []store.Account{{
		ID: account, Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
		Timezone: "America/Chicago", Phone: "+13125550100", Portfolio: "us", Consent: store.Consent{Chat: true, Voice: true, Recording: true},
		Debts: []store.Debt{{ID: account + "-d1", AccountID: account, Creditor: "Demo Finance", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9}},
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	conv, err := rt.Begin(ctx, account, bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		c.t.Fatal(err)
	}
	return conv.ID
}

// borrower is one live connection with its fake channel.
type borrower struct {
	t    testing.TB
	conn *live.Conn
	out  *fakeOutput
}

func connect(t testing.TB, hub *live.Hub, convID string) *borrower {
	t.Helper()
	ctx := context.Background()
	conn, err := hub.Open(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	out := &fakeOutput{t: t}
	if err := conn.Start(ctx, out); err != nil {
		t.Fatalf("start: %v", err)
	}
	return &borrower{t: t, conn: conn, out: out}
}

// say handles one message and returns the status that followed it.
func (b *borrower) say(text string) live.Status {
	b.t.Helper()
	n := len(b.out.snapshot())
	if err := b.conn.Handle(context.Background(), text, ""); err != nil {
		b.t.Fatalf("handle %q: %v", text, err)
	}
	es := b.out.snapshot()[n:]
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Kind == "status" {
			return es[i].Status
		}
	}
	b.t.Fatalf("no status after %q: %v", text, es)
	return live.Status{}
}

// escalate verifies the borrower and asks for a person, then waits until
// they are told their place in the queue.
func escalate(t testing.TB, n *node, c *cluster, account string) (*borrower, string) {
	t.Helper()
	conv := c.begin(n.rt, account)
	b := connect(t, n.hub, conv)
	b.say("07/21/1988")
	if st := b.say("I want to talk to a real person"); st.Mode != store.ModeWaitingAgent {
		t.Fatalf("not escalated: %v", b.out.snapshot())
	}
	b.out.until(func(e event) bool { return e.Kind == "status" && e.Status.QueuePosition == 1 })
	return b, conv
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

func TestGreetsOnceAndReplays(t *testing.T) {
	cl := newCluster(t, handofftest.Backends(t)[0])
	n := cl.join(live.Config{})
	conv := cl.begin(n.rt, "g-1")
	b := connect(t, n.hub, conv)
	es := b.out.snapshot()
	if len(es) < 2 || es[0].Kind != "reply" || es[0].Msg.From != bot.FromBot || es[0].Msg.Seq != 1 {
		t.Fatalf("the bot does not speak first: %v", es)
	}
	if es[0].Msg.ID != handoff.ReplyID(conv, 1) {
		t.Fatalf("message id %q", es[0].Msg.ID)
	}
	if l := b.out.last(); l.Kind != "status" || l.Status.Mode != store.ModeBot {
		t.Fatalf("no status after the greeting: %v", es)
	}
	b.say("07/21/1988")
	b.conn.Close()

	// A second connection replays everything, the borrower's turns
	// included, each once, then the status, and greets no more.
	b2 := connect(t, n.hub, conv)
	var froms []string
	for _, e := range b2.out.snapshot() {
		if e.Kind == "reply" {
			froms = append(froms, e.Msg.From)
		}
	}
	turns, err := cl.st.ListTurns(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(froms) != len(turns) || froms[0] != bot.FromBot || froms[3] != bot.FromBorrower {
		t.Fatalf("replay: %v", b2.out.snapshot())
	}
	b2.out.turnsOnce()
	if l := b2.out.last(); l.Kind != "status" {
		t.Fatalf("replay ends with %v", l)
	}
}

func TestRejects(t *testing.T) {
	cl := newCluster(t, handofftest.Backends(t)[0])
	n := cl.join(live.Config{RatePerSecond: 1, RateBurst: 2})
	b := connect(t, n.hub, cl.begin(n.rt, "r-1"))
	ctx := context.Background()

	if err := b.conn.Handle(ctx, "   ", "m-1"); err != nil {
		t.Fatal(err)
	}
	if l := b.out.last(); l.Kind != "reject" || l.ID != "m-1" || !errors.Is(l.Err, bot.ErrEmptyMessage) {
		t.Fatalf("empty message: %v", l)
	}
	b.conn.Refuse("m-2", errors.New("unreadable"))
	if l := b.out.last(); l.Kind != "reject" || l.ID != "m-2" {
		t.Fatalf("refused: %v", l)
	}
	// The burst (2) is spent: the next message is paced, whatever it is.
	if err := b.conn.Handle(ctx, "hello", "m-3"); err != nil {
		t.Fatal(err)
	}
	if l := b.out.last(); l.Kind != "reject" || !errors.Is(l.Err, live.ErrRateLimited) {
		t.Fatalf("over the pace: %v", l)
	}
	cl.clock.Advance(time.Second)
	b.say("07/21/1988")
}

// blockingOutput holds the first status of a turn until released, so a
// drain can arrive while the turn is in progress.
type blockingOutput struct {
	*fakeOutput
	armed   chan struct{}
	entered chan struct{}
	release chan struct{}
}

func (o *blockingOutput) Status(s live.Status) error {
	select {
	case <-o.armed:
		close(o.entered)
		<-o.release
	default:
	}
	return o.fakeOutput.Status(s)
}

func TestDrain(t *testing.T) {
	cl := newCluster(t, handofftest.Backends(t)[0])
	n := cl.join(live.Config{})
	ctx := context.Background()

	// An idle connection is told to go away at once.
	idle := connect(t, n.hub, cl.begin(n.rt, "d-1"))

	// A busy one finishes its turn first.
	conn, err := n.hub.Open(ctx, cl.begin(n.rt, "d-2"))
	if err != nil {
		t.Fatal(err)
	}
	busy := &blockingOutput{fakeOutput: &fakeOutput{t: t}, armed: make(chan struct{}), entered: make(chan struct{}), release: make(chan struct{})}
	if err := conn.Start(ctx, busy); err != nil {
		t.Fatal(err)
	}
	close(busy.armed)
	done := make(chan error, 1)
	go func() { done <- conn.Handle(ctx, "07/21/1988", "") }()
	<-busy.entered

	shut := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		shut <- n.hub.Shutdown(sctx)
	}()
	idle.out.until(func(e event) bool { return e.Kind == "goaway" })
	if busy.gone {
		t.Fatal("a busy connection was sent away during its turn")
	}
	close(busy.release)
	if err := <-done; !errors.Is(err, live.ErrDraining) {
		t.Fatalf("Handle during the drain: %v", err)
	}
	es := busy.snapshot()
	if len(es) < 2 || es[len(es)-2].Kind != "status" || es[len(es)-1].Kind != "goaway" {
		t.Fatalf("the turn's replies, then go away: %v", es)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned with connections open: %v", err)
	default:
	}
	idle.conn.Close()
	conn.Close()
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if n.hub.Len() != 0 {
		t.Fatalf("%d connections left", n.hub.Len())
	}
	// No connection starts once draining.
	late, err := n.hub.Open(ctx, cl.begin(n.rt, "d-3"))
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	out := &fakeOutput{t: t}
	if err := late.Start(ctx, out); !errors.Is(err, live.ErrDraining) {
		t.Fatalf("start while draining: %v", err)
	}
	if l := out.last(); l.Kind != "goaway" {
		t.Fatalf("late connection saw %v", out.snapshot())
	}
}

// The borrower holds a connection on node A; the agent works on node B.
// Every agent line, status and place in the queue reaches A's output, in
// order, each turn once, and the borrower's words reach the agent's side.
func TestHandoffAcrossTwoNodes(t *testing.T) {
	for _, be := range handofftest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			cl := newCluster(t, be)
			a, b := cl.join(live.Config{}), cl.join(live.Config{})
			bw, conv := escalate(t, a, cl, "h-1")

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
			heard := make(chan handoff.Message, 16)
			sub, err := b.hn.Bridge().Subscribe(ctx, conv, handoff.SideBorrower, handoff.FromStart(), func(m handoff.Message) { heard <- m })
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Stop()

			deliver(agent.Join(ctx, ana))
			bw.out.until(isStatus(store.ModeAgent))
			said := deliver(agent.AgentSay(ctx, ana, "Hi, I'm Ana from the team. How can I help?", "am-1"))
			bw.out.until(func(e event) bool { return e.Kind == "reply" && e.Msg.From == bot.FromAgent })

			if st := bw.say("I lost my job last month"); st.Mode != store.ModeAgent {
				t.Fatalf("borrower's message while the agent holds: %v", bw.out.snapshot())
			}
			select {
			case m := <-heard:
				if m.Text != "I lost my job last month" || m.From != bot.FromBorrower {
					t.Fatalf("agent side heard %+v", m)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the borrower's message never reached the agent's side")
			}

			deliver(said, nil) // a redelivery shows nothing twice
			back := deliver(agent.HandBack(ctx, ana))
			if _, err := b.queue.HandBack(ctx, ana.ID, c.ID, "back to the bot"); err != nil {
				t.Fatal(err)
			}
			bw.out.until(isStatus(store.ModeBot))
			// The link marked the session stale; the turn reloads it.
			if st := bw.say("I can pay the full amount on Friday"); st.Mode != store.ModeBot {
				t.Fatalf("after hand-back: %v", bw.out.snapshot())
			}

			bw.out.turnsOnce()
			es := bw.out.snapshot()
			idx := func(pred func(event) bool) int {
				for i, e := range es {
					if pred(e) {
						return i
					}
				}
				t.Fatalf("not seen: %v", es)
				return -1
			}
			lastSeq := back.Replies[len(back.Replies)-1].Seq
			pos := idx(func(e event) bool { return e.Status.QueuePosition == 1 })
			joined := idx(func(e event) bool {
				return e.Msg.From == bot.FromSystem && strings.Contains(e.Msg.Text, "Ana from our team has joined")
			})
			msg := idx(func(e event) bool { return e.Msg.From == bot.FromAgent && e.Msg.Name == "Ana" })
			left := idx(func(e event) bool {
				return e.Msg.From == bot.FromSystem && strings.Contains(e.Msg.Text, "Ana has left")
			})
			botBack := idx(func(e event) bool { return e.Msg.From == bot.FromBot && e.Msg.Seq == lastSeq })
			last := idx(func(e event) bool { return e.Msg.From == bot.FromBot && e.Msg.Seq > lastSeq })
			if !(pos < joined && joined < msg && msg < left && left < botBack && botBack < last) {
				t.Fatalf("out of order (%d %d %d %d %d %d): %v", pos, joined, msg, left, botBack, last, es)
			}
		})
	}
}

// Two borrowers wait; the second's place moves up when the first is taken.
func TestQueuePositionMoves(t *testing.T) {
	ctx := context.Background()
	cl := newCluster(t, handofftest.Backends(t)[0])
	a := cl.join(live.Config{})
	_, conv1 := escalate(t, a, cl, "q-1")
	cl.clock.Advance(time.Second)
	b2 := connect(t, a.hub, cl.begin(a.rt, "q-2"))
	b2.say("07/21/1988")
	b2.say("I want to talk to a real person")
	b2.out.until(func(e event) bool { return e.Status.QueuePosition == 2 })
	c := waitingCase(t, a.queue, conv1)
	n := len(b2.out.snapshot())
	if _, err := a.queue.Claim(ctx, ana.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	handofftest.WaitFor(t, 10*time.Second, func() error {
		for _, e := range b2.out.snapshot()[n:] {
			if e.Kind == "status" && e.Status.QueuePosition == 1 {
				return nil
			}
		}
		return fmt.Errorf("place not moved up: %v", b2.out.snapshot())
	})
}

// NATS goes down while the borrower chats: the turns go on without
// waiting on the broker, a request for a person is recorded and the
// borrower is told honestly that it cannot reach the queue now; once NATS
// is back the escalation is published again (once) and the borrower sees
// their place.
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
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, err := handoff.Connect(ctx, handoff.Config{URL: ns.ClientURL(), ReconnectWait: 20 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	cl := newCluster(t, handofftest.Backend{Name: "embedded"})
	n := cl.joinConn(nc, live.Config{})
	cl.work(n, handoff.FixedSLA(-1), 0)
	b := connect(t, n.hub, cl.begin(n.rt, "n-1"))
	b.say("07/21/1988")

	ns.Shutdown()
	ns.WaitForShutdown()
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if n.bridge.Connected() {
			return errors.New("still connected")
		}
		return nil
	})
	began := time.Now()
	if st := b.say("I want to talk to a real person"); st.Mode != store.ModeWaitingAgent {
		t.Fatalf("not escalated: %v", b.out.snapshot())
	}
	b.out.until(func(e event) bool {
		return e.Kind == "reply" && e.Msg.From == bot.FromSystem && e.Msg.Seq == 0 && strings.Contains(e.Msg.Text, "can't reach our team's queue")
	})
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("the turn waited %v on the broker", d)
	}
	es, err := cl.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: b.conn.ID()})
	if err != nil || len(es) != 1 || es[0].Status != "queued" {
		t.Fatalf("escalations %+v %v", es, err)
	}
	if st := b.say("are you still there?"); st.Mode != store.ModeWaitingAgent {
		t.Fatalf("after the outage: %v", b.out.snapshot())
	}
	// Deliver refuses at once while NATS is down.
	err = n.bridge.Deliver(ctx, b.conn.ID(), bot.Output{Replies: []bot.Reply{{From: bot.FromAgent, Text: "hi", Seq: 3}}})
	if !errors.Is(err, handoff.ErrPublish) {
		t.Fatalf("Deliver with NATS down: %v", err)
	}

	if ns, err = handoff.StartEmbedded(scfg, nil); err != nil {
		t.Fatal(err)
	}
	cs := waitingCase(t, n.queue, b.conn.ID())
	if cs.ID != es[0].ID {
		t.Fatalf("case %s, want %s", cs.ID, es[0].ID)
	}
	b.out.until(func(e event) bool { return e.Kind == "status" && e.Status.QueuePosition == 1 })
	// Publishing again finds the case on the board: nothing twice.
	if k, err := casework.Requeue(ctx, cl.st, n.hn.Publisher(), n.queue); err != nil || k != 0 {
		t.Fatalf("requeue again: %d %v", k, err)
	}
	if len(n.queue.Waiting()) != 1 {
		t.Fatalf("waiting %+v", n.queue.Waiting())
	}
}

// Nobody claims the case within the SLA: node B's case work offers the
// borrower, connected to node A, a call back; the conversation keeps
// waiting for a person.
func TestSLAExpiryOffersCallback(t *testing.T) {
	for _, be := range handofftest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			cl := newCluster(t, be)
			a, b := cl.join(live.Config{}), cl.join(live.Config{})
			cl.work(b, handoff.FixedSLA(2*time.Minute), 0)
			bw, conv := escalate(t, a, cl, "s-1")

			cl.clock.Advance(3 * time.Minute)
			offer := bw.out.until(func(e event) bool {
				return e.Kind == "reply" && e.Msg.From == bot.FromBot && strings.Contains(e.Msg.Text, "call you back")
			})
			if !strings.Contains(offer.Msg.Text, "November 22, 2026") || offer.Msg.Seq == 0 {
				t.Fatalf("offer %+v", offer.Msg)
			}
			handofftest.WaitFor(t, 10*time.Second, func() error {
				es, err := cl.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: conv})
				if err != nil || len(es) != 1 || es[0].Status != "expired" || !strings.Contains(string(es[0].Packet), `"callback"`) {
					return handofftest.Errorf("escalations %+v %v", es, err)
				}
				return nil
			})
			// The offer was committed on B: A's session reloads before the
			// borrower's next turn.
			if st := bw.say("ok, thanks"); st.Mode != store.ModeWaitingAgent {
				t.Fatalf("after the offer: %v", bw.out.snapshot())
			}
			bw.out.turnsOnce()
		})
	}
}

// An agent's claim lapses (the console died): the case goes back on the
// queue, and the borrower, on another node, sees they wait for a person
// again.
func TestLapsedClaimRequeues(t *testing.T) {
	ctx := context.Background()
	cl := newCluster(t, handofftest.Backends(t)[0])
	a, b := cl.join(live.Config{}), cl.join(live.Config{})
	cl.work(b, handoff.FixedSLA(-1), 0)
	bw, conv := escalate(t, a, cl, "l-1")
	c := waitingCase(t, b.queue, conv)
	if _, err := b.queue.Claim(ctx, ana.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	agent, err := b.rt.Open(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	out, err := agent.Join(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.bridge.Deliver(ctx, conv, out); err != nil {
		t.Fatal(err)
	}
	bw.out.until(isStatus(store.ModeAgent))
	n := len(bw.out.snapshot())
	// The agent puts the case back (as a lapsed lease does).
	if _, err := b.queue.Release(ctx, ana.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	handofftest.WaitFor(t, 15*time.Second, func() error {
		for _, e := range bw.out.snapshot()[n:] {
			if e.Kind == "status" && e.Status.Mode == store.ModeWaitingAgent {
				return nil
			}
		}
		return fmt.Errorf("not back to waiting: %v", bw.out.snapshot()[n:])
	})
	bw.out.turnsOnce()
}

// The channel's silence timeout: the bot asks whether the borrower is
// still there, then says goodbye; each is a turn shown once, and the
// borrower can still answer.
func TestIdle(t *testing.T) {
	cl := newCluster(t, handofftest.Backends(t)[0])
	n := cl.join(live.Config{})
	b := connect(t, n.hub, cl.begin(n.rt, "i-1"))
	ctx := context.Background()
	for _, tc := range []struct {
		final bool
		want  string
	}{{false, "still there"}, {true, "Goodbye"}} {
		k := len(b.out.snapshot())
		if err := b.conn.Idle(ctx, tc.final); err != nil {
			t.Fatal(err)
		}
		es := b.out.snapshot()[k:]
		if len(es) != 2 || es[0].Kind != "reply" || es[0].Msg.Seq == 0 || !strings.Contains(es[0].Msg.Text, tc.want) || es[1].Kind != "status" {
			t.Fatalf("idle (final %v): %v", tc.final, es)
		}
	}
	if st := b.say("07/21/1988"); st.Mode != store.ModeBot {
		t.Fatalf("after the silence: %v", b.out.snapshot())
	}
	b.out.turnsOnce()
}

// Keys pressed are a turn like a message; anything but digits, * and # is
// rejected.
func TestKeypad(t *testing.T) {
	cl := newCluster(t, handofftest.Backends(t)[0])
	n := cl.join(live.Config{})
	b := connect(t, n.hub, cl.begin(n.rt, "k-1"))
	ctx := context.Background()
	if err := b.conn.Keypad(ctx, "12a", "k-1"); err != nil {
		t.Fatal(err)
	}
	if l := b.out.last(); l.Kind != "reject" || l.ID != "k-1" || !errors.Is(l.Err, bot.ErrInvalid) {
		t.Fatalf("bad keys: %v", l)
	}
	k := len(b.out.snapshot())
	if err := b.conn.Keypad(ctx, "4417", "k-2"); err != nil {
		t.Fatal(err)
	}
	es := b.out.snapshot()[k:]
	if len(es) < 2 || es[0].Kind != "reply" || es[len(es)-1].Kind != "status" {
		t.Fatalf("keys as an answer: %v", es)
	}
	b.out.turnsOnce()
}
