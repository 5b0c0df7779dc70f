package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
)

// TestConsoleTwoNodes: the borrower's WebSocket is on one node, the
// agent's console on another (one store, one NATS server, a connection
// each): the case, the claim and the messages cross through NATS.
func TestConsoleTwoNodes(t *testing.T) {
	for _, be := range handofftest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) { testConsoleTwoNodes(t, be) })
	}
}

func testConsoleTwoNodes(t *testing.T, be handofftest.Backend) {
	a := newConsoleEnvOn(t, be, handoff.Config{})
	// The second node only joins: the first one's cleanup deletes the
	// prefix on a shared server.
	joiner := handofftest.Backend{Name: be.Name, Conn: be.Conn}
	b := newConsoleNode(t, a.st, a.clock, joiner, handoff.Config{Prefix: a.node.Config().Prefix})
	bc, convID, caseID := a.escalate("acct-two-nodes")
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if _, ok := b.q.Case(caseID); !ok {
			return fmt.Errorf("case %s not on node b's board", caseID)
		}
		return nil
	})
	ann := b.signIn("ann")
	untilMode(t, bc, "agent", func() {
		b.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)
	})
	cw, _, err := websocket.DefaultDialer.Dial(b.consoleWS("token="+ann+"&case="+caseID), nil)
	if err != nil {
		t.Fatalf("console ws on node b: %v", err)
	}
	defer cw.Close()
	if f := readConsole(t, cw); f.Type != "hello" || f.Conversation != convID {
		t.Fatalf("hello %+v", f)
	}
	b.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hello from the other node", "id": "x-1"}, http.StatusOK, nil)
	untilText(t, bc, "agent", "Hello from the other node")
	send(t, bc, ClientFrame{Type: FrameMessage, Text: "Hello back"})
	for {
		f := readConsole(t, cw)
		if f.Type == "message" && f.Message != nil && f.Message.From == "borrower" && f.Message.Text == "Hello back" {
			break
		}
	}
	untilMode(t, bc, "bot", func() {
		b.mustCall("POST", "/v1/agent/cases/"+caseID+"/handback", ann, nil, http.StatusOK, nil)
	})
}

// TestConsoleLeaseFollowsTheWebSocket: while the agent's console is
// connected it renews the claim; once it is gone, the lease runs out and
// the sweep puts the case back in the queue, and the borrower is waiting
// again.
func TestConsoleLeaseFollowsTheWebSocket(t *testing.T) {
	// The console renews every third of the ack wait, on the wall clock.
	e := newConsoleEnvWith(t, handoff.Config{AckWait: 300 * time.Millisecond})
	bc, _, caseID, ann := e.claimed("acct-lease")
	ctx := context.Background()
	ack := e.node.Config().AckWait
	cw, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann+"&case="+caseID), nil)
	if err != nil {
		t.Fatalf("console ws: %v", err)
	}
	readConsole(t, cw)
	sweeper := e.q.SLAWatcher(handoff.SLAOptions{SLA: handoff.FixedSLA(-1)})

	// Twice the ack wait passes on the clock in small steps; the
	// connected console keeps renewing, so the case stays claimed.
	for range 8 {
		k, _ := e.q.Get(ctx, caseID)
		e.clock.Advance(ack / 4)
		handofftest.WaitFor(t, 10*time.Second, func() error {
			now, err := e.q.Get(ctx, caseID)
			if err != nil || !now.LeaseUntil.After(k.LeaseUntil) {
				return fmt.Errorf("lease not renewed: %v (%v)", now.LeaseUntil, err)
			}
			return nil
		})
		if res, err := sweeper.Sweep(ctx); err != nil || len(res.Requeued) != 0 {
			t.Fatalf("sweep while connected: %+v %v", res, err)
		}
	}
	// The console dies; the lease lapses.
	cw.Close()
	handofftest.WaitFor(t, 10*time.Second, func() error {
		before, _ := e.q.Get(ctx, caseID)
		e.clock.Advance(ack + time.Second)
		res, err := sweeper.Sweep(ctx)
		if err != nil {
			return err
		}
		if len(res.Requeued) == 0 {
			return fmt.Errorf("not requeued (lease until %v, now %v)", before.LeaseUntil, e.clock.Now())
		}
		return nil
	})
	if k, _ := e.q.Get(ctx, caseID); k.Status != handoff.StatusQueued {
		t.Fatalf("case after the console died: %+v", k)
	}
	if p, err := e.q.Position(caseID); err != nil || p != 1 {
		t.Errorf("queue position %d %v, want 1", p, err)
	}
	// Another agent takes it over and reaches the borrower.
	bo := e.signIn("bo")
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", bo, nil, http.StatusOK, nil)
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", bo, map[string]string{"text": "Bo here, sorry for the wait."}, http.StatusOK, nil)
	untilText(t, bc, "agent", "Bo here")
	code, _ := e.call("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "still there?"})
	if code != http.StatusForbidden {
		t.Errorf("the lapsed agent's message: %d, want 403", code)
	}
}

// TestConsoleReconnectReplays: a console that lost its WebSocket
// reconnects with the last sequence it saw and gets exactly what the
// borrower said meanwhile, in order, once.
func TestConsoleReconnectReplays(t *testing.T) {
	e := newConsoleEnv(t)
	bc, _, caseID, ann := e.claimed("acct-replay")
	dial := func(q string) *websocket.Conn {
		t.Helper()
		c, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann+"&case="+caseID+q), nil)
		if err != nil {
			t.Fatalf("console ws: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		readConsole(t, c) // hello
		return c
	}
	next := func(c *websocket.Conn) *handoff.Message {
		t.Helper()
		for {
			if f := readConsole(t, c); f.Type == "message" && f.Message != nil {
				return f.Message
			}
		}
	}
	cw := dial("")
	send(t, bc, ClientFrame{Type: FrameMessage, Text: "first"})
	first := next(cw)
	if first.Text != "first" || first.Seq == 0 {
		t.Fatalf("first: %+v", first)
	}
	cw.Close()
	for _, s := range []string{"second", "third"} {
		send(t, bc, ClientFrame{Type: FrameMessage, Text: s})
	}
	// The borrower's messages are durable before the console is back.
	handofftest.WaitFor(t, 10*time.Second, func() error {
		ts, _ := e.st.ListTurns(context.Background(), e.convOf(t, caseID))
		if len(ts) == 0 || ts[len(ts)-1].Text != "third" {
			return fmt.Errorf("third not recorded yet")
		}
		return nil
	})
	cw = dial(fmt.Sprintf("&after=%d", first.Seq))
	got := []string{next(cw).Text, next(cw).Text}
	if got[0] != "second" || got[1] != "third" {
		t.Fatalf("replayed %v, want [second third]", got)
	}
	send(t, bc, ClientFrame{Type: FrameMessage, Text: "fourth"})
	if m := next(cw); m.Text != "fourth" {
		t.Fatalf("after the replay: %+v (a duplicate?)", m)
	}
}

func (e *consoleEnv) convOf(t *testing.T, caseID string) string {
	k, err := e.q.Get(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	return k.Packet.ConversationID
}
