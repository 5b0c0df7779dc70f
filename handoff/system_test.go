package handoff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
)

// TestTwoNodesOneEmbeddedServer: the first node runs the embedded server
// on a TCP port, the second joins it by URL, as two serve processes
// would. The borrower is on the first, the agent on the second.
func TestTwoNodesOneEmbeddedServer(t *testing.T) {
	ctx := context.Background()
	a, err := handoff.Start(ctx, handoff.Config{Port: -1, StoreDir: t.TempDir(), Name: "node-a"}, handoff.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Server == nil || !strings.HasPrefix(a.ClientURL(), "nats://") {
		t.Fatalf("embedded server not listening: %q", a.ClientURL())
	}
	b, err := handoff.Start(ctx, handoff.Config{URL: a.ClientURL(), Name: "node-b"}, handoff.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Server != nil {
		t.Fatal("node b started a server of its own")
	}
	qb, err := b.StartQueue(ctx, handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	toBorrower, _ := subscribe(t, a.Bridge(), "c-e-x", handoff.SideAgent, handoff.FromStart())
	toAgent, _ := subscribe(t, b.Bridge(), "c-e-x", handoff.SideBorrower, handoff.FromStart())

	publish(t, a.Node, escalation("e-x", 1, t0))
	waitWaiting(t, qb, 1)
	if _, err := qb.Claim(ctx, "lee", "e-x"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Bridge().SendToBorrower(ctx, "c-e-x", handoff.Message{Name: "Lee", Text: "Hi, I'm Lee"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bridge().SendToAgent(ctx, "c-e-x", handoff.Message{Text: "hello Lee"}); err != nil {
		t.Fatal(err)
	}
	if _, err := qb.HandBack(ctx, "lee", "e-x", ""); err != nil {
		t.Fatal(err)
	}
	toAgent.waitTexts(t, "hello Lee")
	handofftest.WaitFor(t, 10*time.Second, func() error {
		toBorrower.mu.Lock()
		defer toBorrower.mu.Unlock()
		var seen []string
		for _, m := range toBorrower.got {
			seen = append(seen, m.Type+":"+m.Mode+m.Text)
		}
		if want := []string{"status:agent", "message:Hi, I'm Lee", "status:bot"}; !slices.Equal(seen, want) {
			return fmt.Errorf("borrower saw %q, want %q", seen, want)
		}
		return nil
	})
	if err := b.Close(); err != nil {
		t.Errorf("close b: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("close a: %v", err)
	}
}

func TestStartInProcessOnly(t *testing.T) {
	s, err := handoff.Start(context.Background(), handoff.Config{StoreDir: t.TempDir()}, handoff.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ClientURL() != "" {
		t.Errorf("port 0 listens at %q", s.ClientURL())
	}
	if _, err := handoff.Start(context.Background(), handoff.Config{Prefix: "bad prefix"}, handoff.Deps{}); err == nil {
		t.Error("bad config started")
	}
}

// TestSweepDropsFinished: finished cases leave the board after
// FinishedTTL; open ones stay.
func TestSweepDropsFinished(t *testing.T) {
	r := newRig(t, handofftest.Backends(t)[0], handoff.Config{FinishedTTL: time.Hour, SLA: -1})
	n, q := r.node()
	publish(t, n, escalation("e-done", 1, t0), escalation("e-open", 1, t0))
	waitWaiting(t, q, 2)
	ctx := context.Background()
	if _, err := q.Claim(ctx, "ann", "e-done"); err != nil {
		t.Fatal(err)
	}
	done, err := q.Complete(ctx, "ann", "e-done", "")
	if err != nil {
		t.Fatal(err)
	}
	waitCase(t, q, "e-done", func(c handoff.Case) error {
		if c.Revision != done.Revision {
			return fmt.Errorf("revision %d", c.Revision)
		}
		return nil
	})
	w := q.SLAWatcher(handoff.SLAOptions{})
	r.clock.Advance(59 * time.Minute)
	if res, err := w.Sweep(ctx); err != nil || len(res.Dropped) != 0 {
		t.Fatalf("early sweep %+v %v", res, err)
	}
	r.clock.Advance(time.Minute)
	if res, err := w.Sweep(ctx); err != nil || !slices.Equal(res.Dropped, []string{"e-done"}) {
		t.Fatalf("sweep %+v %v", res, err)
	}
	handofftest.WaitFor(t, 5*time.Second, func() error {
		if _, ok := q.Case("e-done"); ok {
			return fmt.Errorf("e-done still on the board")
		}
		return nil
	})
	if b := q.Board(); len(b) != 1 || b[0].ID != "e-open" {
		t.Fatalf("board %v", ids(b))
	}
}

// TestPacketJSONNames: the packet's JSON is what the runtime writes (the
// import rules that were here are in internal/layering).
func TestPacketJSONNames(t *testing.T) {
	b, _ := json.Marshal(handoff.Packet{})
	for _, f := range []string{"conversation_id", "account_ref", "reason", "priority", "locale", "channel", "verified", "created_at"} {
		if !strings.Contains(string(b), `"`+f+`"`) {
			t.Errorf("packet JSON lacks %s: %s", f, b)
		}
	}
}

// TestServerRestartUnderLiveNode: the server restarts (same port, same
// store) under a running node connected over TCP; the node reconnects,
// its board still holds every case, and new escalations keep flowing.
func TestServerRestartUnderLiveNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	scfg := handoff.Config{Port: port, StoreDir: t.TempDir()}
	srv, err := handoff.StartEmbedded(scfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown() }()
	ctx := context.Background()
	cfg := handoff.Config{URL: srv.ClientURL(), ReconnectWait: 20 * time.Millisecond}
	nc, err := handoff.Connect(ctx, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	n := handofftest.Open(t, nc, cfg, handoff.Deps{}, false)
	q, err := n.StartQueue(ctx, handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		publish(t, n, escalation(fmt.Sprintf("e-before-%d", i), 2, t0))
	}
	waitWaiting(t, q, 3)
	in, _ := subscribe(t, n.Bridge(), "c-live", handoff.SideAgent, handoff.FromStart())
	if _, err := n.Bridge().SendToBorrower(ctx, "c-live", handoff.Message{ID: "m-1", Text: "before"}); err != nil {
		t.Fatal(err)
	}
	in.waitTexts(t, "before")

	srv.Shutdown()
	srv.WaitForShutdown()
	if srv, err = handoff.StartEmbedded(scfg, nil); err != nil {
		t.Fatal(err)
	}
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if !nc.IsConnected() {
			return fmt.Errorf("not reconnected")
		}
		return nil
	})
	handofftest.WaitFor(t, 10*time.Second, func() error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return n.Publisher().PublishEscalation(ctx, escalation("e-after", 1, t0))
	})
	handofftest.WaitFor(t, 5*time.Second, func() error {
		_, err := q.Get(ctx, "e-after")
		return err
	})
	start := time.Now()
	var w []handoff.Case
	handofftest.WaitFor(t, 60*time.Second, func() error {
		if w = q.Waiting(); len(w) != 4 {
			return fmt.Errorf("%d waiting", len(w))
		}
		return nil
	})
	t.Logf("board caught up %s after the restart", time.Since(start))
	if w[0].ID != "e-after" {
		t.Fatalf("queue after restart %v", ids(w))
	}
	if _, err := q.Claim(ctx, "ann", "e-before-1"); err != nil {
		t.Fatalf("claim after restart: %v", err)
	}
	// The live bridge subscription resumes, without repeating "before".
	if _, err := n.Bridge().SendToBorrower(ctx, "c-live", handoff.Message{ID: "m-2", Text: "after"}); err != nil {
		t.Fatal(err)
	}
	in.waitTexts(t, "before", "after")
}

// TestOnCaseEvents: a recorder sees a case's events in order, and one it
// failed to handle comes back.
func TestOnCaseEvents(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{})
			n, q := r.node()
			var mu sync.Mutex
			var kinds []string
			failed := false
			stop, err := n.OnCaseEvents(context.Background(), "recorder", func(_ context.Context, ev handoff.Event, ce handoff.CaseEvent) error {
				mu.Lock()
				defer mu.Unlock()
				if ev.Kind == handoff.EventAccepted && !failed {
					failed = true
					return fmt.Errorf("store busy")
				}
				kinds = append(kinds, ev.Kind+":"+string(ce.Status))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			publish(t, n, escalation("e-rec", 2, t0))
			waitWaiting(t, q, 1)
			ctx := context.Background()
			if _, err := q.Claim(ctx, "ann", "e-rec"); err != nil {
				t.Fatal(err)
			}
			if _, err := q.HandBack(ctx, "ann", "e-rec", ""); err != nil {
				t.Fatal(err)
			}
			want := []string{"handoff.queued:queued", "handoff.accepted:accepted", "handoff.handed_back:completed"}
			handofftest.WaitFor(t, 10*time.Second, func() error {
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(kinds, want) {
					return fmt.Errorf("recorded %v, want %v", kinds, want)
				}
				return nil
			})
		})
	}
}

// The runtime's Publisher is what the node publishes with.
var _ bot.Publisher = (*handoff.Publisher)(nil)
