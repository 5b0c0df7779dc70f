package web

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
)

// reportQuantiles reports the p50 and p99 of ds in milliseconds.
func reportQuantiles(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	q := func(p float64) float64 {
		i := int(p * float64(len(ds)-1))
		return float64(ds[i].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), name+"_p50_ms")
	b.ReportMetric(q(0.99), name+"_p99_ms")
}

// waitOnQueue blocks until convID's case is waiting on q.
func waitOnQueue(b *testing.B, q *handoff.Queue, changes <-chan struct{}, convID string) handoff.Case {
	deadline := time.After(10 * time.Second)
	for {
		for _, c := range q.Waiting() {
			if c.Packet.ConversationID == convID {
				return c
			}
		}
		select {
		case <-changes:
		case <-deadline:
			b.Fatalf("case of %s never reached the queue", convID)
		}
	}
}

// BenchmarkHandoffEscalate measures a borrower's "I want a person" frame,
// sent to server A, until the case is on the queue of server B (another
// NATS connection): the time until an agent console can see it.
func BenchmarkHandoffEscalate(b *testing.B) {
	for _, be := range handofftest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) { benchEscalate(b, be) })
	}
}

func benchEscalate(b *testing.B, be handofftest.Backend) {
	ctx := context.Background()
	cl := newCluster(b, be)
	na, nb := cl.join(), cl.join()
	changes, stop := nb.queue.Changes()
	defer stop()
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		id := fmt.Sprintf("bench-e-%d", i)
		na.env.addAccounts(maria(id))
		s := na.env.mint(id)
		bw := &borrower{t: b, ws: na.env.mustDial(s.Token)}
		bw.until(isStatus("bot"))
		bw.say("07/21/1988")
		cl.clock.Advance(time.Second)
		b.StartTimer()
		t0 := time.Now()
		send(b, bw.ws, ClientFrame{Type: FrameMessage, Text: "I want to talk to a real person"})
		c := waitOnQueue(b, nb.queue, changes, s.ConversationID)
		ds = append(ds, time.Since(t0))
		b.StopTimer()
		if _, err := nb.queue.Cancel(ctx, c.ID, "benchmark"); err != nil {
			b.Fatal(err)
		}
		bw.ws.Close()
		b.StartTimer()
	}
	reportQuantiles(b, "escalate", ds)
}

// BenchmarkHandoffAgentMessage measures an agent's message on server B
// (AgentSay committed, then Bridge.Deliver) until the borrower's
// WebSocket on server A reads it; "bridge" is Deliver to frame alone.
func BenchmarkHandoffAgentMessage(b *testing.B) {
	for _, be := range handofftest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) { benchAgentMessage(b, be) })
	}
}

func benchAgentMessage(b *testing.B, be handofftest.Backend) {
	ctx := context.Background()
	cl := newCluster(b, be)
	na, nb := cl.join(), cl.join()
	bw, s := escalate(b, na, "bench-a")
	c := waitingCase(b, nb.queue, s.ConversationID)
	if _, err := nb.queue.Claim(ctx, ana.ID, c.ID); err != nil {
		b.Fatal(err)
	}
	agent, err := nb.rt.Open(ctx, s.ConversationID)
	if err != nil {
		b.Fatal(err)
	}
	out, err := agent.Join(ctx, ana)
	if err != nil {
		b.Fatal(err)
	}
	if err := nb.bridge.Deliver(ctx, s.ConversationID, out); err != nil {
		b.Fatal(err)
	}
	bw.until(isStatus("agent"))
	var total, bridge []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		out, err := agent.AgentSay(ctx, ana, "Thanks, I'm looking at your account now.", fmt.Sprintf("bm-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := nb.bridge.Deliver(ctx, s.ConversationID, out); err != nil {
			b.Fatal(err)
		}
		want := out.Replies[0].Seq
		bw.until(func(f hframe) bool { return f.Type == FrameMessage && f.Seq == want })
		t2 := time.Now()
		total = append(total, t2.Sub(t0))
		bridge = append(bridge, t2.Sub(t1))
		bw.frames = bw.frames[:0]
	}
	b.StopTimer()
	reportQuantiles(b, "agent_to_borrower", total)
	reportQuantiles(b, "bridge", bridge)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
