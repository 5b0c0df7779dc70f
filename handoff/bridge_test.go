package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/nats-io/nats.go"
)

// inbox collects what a subscription delivers.
type inbox struct {
	mu  sync.Mutex
	got []handoff.Message
}

func (b *inbox) add(m handoff.Message) {
	b.mu.Lock()
	b.got = append(b.got, m)
	b.mu.Unlock()
}

func (b *inbox) texts() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.got {
		out = append(out, m.Text)
	}
	return out
}

func (b *inbox) waitTexts(t testing.TB, want ...string) []handoff.Message {
	t.Helper()
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if got := b.texts(); !slices.Equal(got, want) {
			return fmt.Errorf("got %q, want %q", got, want)
		}
		return nil
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

func subscribe(t testing.TB, br *handoff.Bridge, conv string, side handoff.Side, from handoff.From) (*inbox, *handoff.Subscription) {
	t.Helper()
	in := &inbox{}
	sub, err := br.Subscribe(context.Background(), conv, side, from, in.add)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(sub.Stop)
	return in, sub
}

// TestBridgeTwoNodes: the borrower's node and the agent's console are
// different nodes on one NATS.
func TestBridgeTwoNodes(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			cfg := handoff.Config{Prefix: handofftest.UniquePrefix()}
			borrowerNode := handofftest.Open(t, b.Conn(t), cfg, handoff.Deps{}, b.Shared)
			agentNode := handofftest.Open(t, b.Conn(t), cfg, handoff.Deps{}, false)
			ctx := context.Background()
			toBorrower, _ := subscribe(t, borrowerNode.Bridge(), "c-1", handoff.SideAgent, handoff.FromNow())
			toAgent, _ := subscribe(t, agentNode.Bridge(), "c-1", handoff.SideBorrower, handoff.FromStart())
			console, _ := subscribe(t, agentNode.Bridge(), "c-1", handoff.SideBoth, handoff.FromStart())
			other, _ := subscribe(t, borrowerNode.Bridge(), "c-2", handoff.SideBoth, handoff.FromStart())

			if _, err := borrowerNode.Bridge().SendToAgent(ctx, "c-1", handoff.Message{Text: "I lost my job"}); err != nil {
				t.Fatal(err)
			}
			sent, err := agentNode.Bridge().SendToBorrower(ctx, "c-1", handoff.Message{Name: "Lee", Text: "我是客服小李"})
			if err != nil {
				t.Fatal(err)
			}
			if sent.ID == "" || sent.Seq == 0 || sent.From != "agent" {
				t.Errorf("sent %+v", sent)
			}
			got := toBorrower.waitTexts(t, "我是客服小李")
			if got[0].From != "agent" || got[0].Name != "Lee" || got[0].ConversationID != "c-1" || got[0].Seq != sent.Seq {
				t.Errorf("borrower got %+v", got[0])
			}
			if m := toAgent.waitTexts(t, "I lost my job"); m[0].From != "borrower" {
				t.Errorf("agent got %+v", m[0])
			}
			console.waitTexts(t, "I lost my job", "我是客服小李")
			if n := len(other.texts()); n != 0 {
				t.Errorf("another conversation got %d messages", n)
			}
		})
	}
}

// TestBridgeReplay: a console that reconnects resumes after the last
// sequence it saw, or from a time.
func TestBridgeReplay(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			n := handofftest.Open(t, b.Conn(t), handoff.Config{Prefix: handofftest.UniquePrefix()}, handoff.Deps{Clock: clk}, b.Shared)
			br := n.Bridge()
			ctx := context.Background()
			first, sub := subscribe(t, br, "c-9", handoff.SideBoth, handoff.FromStart())
			for _, txt := range []string{"one", "two"} {
				if _, err := br.SendToAgent(ctx, "c-9", handoff.Message{Text: txt}); err != nil {
					t.Fatal(err)
				}
			}
			first.waitTexts(t, "one", "two")
			last := sub.LastSeq()
			sub.Stop() // the console goes away
			for _, txt := range []string{"three", "four"} {
				if _, err := br.SendToBorrower(ctx, "c-9", handoff.Message{Text: txt}); err != nil {
					t.Fatal(err)
				}
			}
			again, _ := subscribe(t, br, "c-9", handoff.SideBoth, handoff.FromSeq(last+1))
			again.waitTexts(t, "three", "four")
			all, _ := subscribe(t, br, "c-9", handoff.SideBoth, handoff.FromStart())
			all.waitTexts(t, "one", "two", "three", "four")
			agentOnly, _ := subscribe(t, br, "c-9", handoff.SideAgent, handoff.FromStart())
			agentOnly.waitTexts(t, "three", "four")
		})
	}
}

// TestBridgeDeduplicates: a message sent twice (a retry after a lost
// acknowledgement) is stored once, and one redelivered past JetStream's
// dedupe window (same id, no Nats-Msg-Id) reaches a subscriber once.
func TestBridgeDeduplicates(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			nc := b.Conn(t)
			n := handofftest.Open(t, nc, handoff.Config{Prefix: handofftest.UniquePrefix()}, handoff.Deps{}, b.Shared)
			br := n.Bridge()
			ctx := context.Background()
			in, _ := subscribe(t, br, "c-7", handoff.SideAgent, handoff.FromStart())
			m := handoff.Message{ID: "m-fixed-1", Text: "hello"}
			a, err := br.SendToBorrower(ctx, "c-7", m)
			if err != nil {
				t.Fatal(err)
			}
			again, err := br.SendToBorrower(ctx, "c-7", m)
			if err != nil {
				t.Fatal(err)
			}
			if again.Seq != a.Seq {
				t.Errorf("retry stored at seq %d, first at %d", again.Seq, a.Seq)
			}
			// The same message published raw, as a redelivery from another
			// path would be: JetStream stores it, the subscriber drops it.
			raw, _ := json.Marshal(a)
			if _, err := n.JetStream().Publish(ctx, n.ConversationSubject("c-7", handoff.SideAgent), raw); err != nil {
				t.Fatal(err)
			}
			if _, err := br.SendToBorrower(ctx, "c-7", handoff.Message{Text: "after"}); err != nil {
				t.Fatal(err)
			}
			in.waitTexts(t, "hello", "after")
			info, err := n.JetStream().Stream(ctx, streamName(n, "CONV"))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.CachedInfo().State.Msgs; got != 3 {
				t.Errorf("stream holds %d messages, want 3 (hello, its raw copy, after)", got)
			}
			// Garbage on the subject is dropped, not delivered.
			if err := nc.Publish(n.ConversationSubject("c-7", handoff.SideAgent), []byte("{not json")); err != nil {
				t.Fatal(err)
			}
			if _, err := br.SendToBorrower(ctx, "c-7", handoff.Message{Text: "last"}); err != nil {
				t.Fatal(err)
			}
			in.waitTexts(t, "hello", "after", "last")
		})
	}
}

func TestBridgeRejects(t *testing.T) {
	srv := handofftest.Embedded(t)
	n := handofftest.Open(t, srv.Conn(t), handoff.Config{}, handoff.Deps{}, false)
	br := n.Bridge()
	ctx := context.Background()
	long := make([]byte, handoff.MaxTextBytes+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		conv string
		m    handoff.Message
	}{
		{"wildcard conversation", "c.*", handoff.Message{Text: "x"}},
		{"empty conversation", "", handoff.Message{Text: "x"}},
		{"empty text", "c-1", handoff.Message{}},
		{"long text", "c-1", handoff.Message{Text: string(long)}},
		{"bad id", "c-1", handoff.Message{ID: "a b", Text: "x"}},
		{"bad type", "c-1", handoff.Message{Type: "typing", Text: "x"}},
		{"not utf-8", "c-1", handoff.Message{Text: "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := br.SendToBorrower(ctx, tt.conv, tt.m); !errors.Is(err, handoff.ErrInvalid) {
				t.Errorf("err %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := br.Subscribe(ctx, "c-1", handoff.Side("bot"), handoff.FromStart(), func(handoff.Message) {}); !errors.Is(err, handoff.ErrInvalid) {
		t.Errorf("bad side: %v", err)
	}
}

// TestEventsPublished: the runtime's events arrive as JSON on
// <prefix>.events.<kind>, seen by a plain NATS subscriber.
func TestEventsPublished(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			n := handofftest.Open(t, b.Conn(t), handoff.Config{Prefix: handofftest.UniquePrefix()}, handoff.Deps{Clock: clk}, b.Shared)
			obs := b.Conn(t)
			got := make(chan *nats.Msg, 4)
			sub, err := obs.ChanSubscribe(n.EventSubject(">"), got)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			if err := obs.Flush(); err != nil {
				t.Fatal(err)
			}
			p := n.Publisher()
			if err := p.PublishEvent(context.Background(), "ptp.created", map[string]any{"amount_minor": 24000}); err != nil {
				t.Fatal(err)
			}
			select {
			case m := <-got:
				if m.Subject != n.EventSubject("ptp.created") {
					t.Errorf("subject %s", m.Subject)
				}
				e, err := handoff.ParseEvent(m.Data)
				if err != nil || e.Kind != "ptp.created" || !e.At.Equal(t0) || string(e.Data) != `{"amount_minor":24000}` {
					t.Errorf("event %+v %v", e, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no event")
			}
			for _, bad := range []string{"", "a..b", "x.*", "a b", "ptp.>"} {
				if err := p.PublishEvent(context.Background(), bad, 1); !errors.Is(err, handoff.ErrInvalid) {
					t.Errorf("kind %q: %v", bad, err)
				}
			}
		})
	}
}
