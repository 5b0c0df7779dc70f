package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var t0 = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

// rig is one prefix on one backend, with as many nodes as a test wants.
type rig struct {
	t      testing.TB
	b      handofftest.Backend
	cfg    handoff.Config
	clock  *clock.Fake
	nodes  []*handoff.Node
	queues []*handoff.Queue
}

func newRig(t testing.TB, b handofftest.Backend, cfg handoff.Config) *rig {
	cfg.Prefix = handofftest.UniquePrefix()
	return &rig{t: t, b: b, cfg: cfg, clock: clock.NewFake(t0)}
}

// node opens one more node (its own connection) with a running queue.
func (r *rig) node() (*handoff.Node, *handoff.Queue) {
	r.t.Helper()
	nc := r.b.Conn(r.t)
	n := handofftest.Open(r.t, nc, r.cfg, handoff.Deps{Clock: r.clock}, r.b.Shared && len(r.nodes) == 0)
	q, err := n.StartQueue(context.Background(), handoff.QueueOptions{})
	if err != nil {
		r.t.Fatalf("start queue: %v", err)
	}
	r.nodes = append(r.nodes, n)
	r.queues = append(r.queues, q)
	return n, q
}

func escalation(id string, prio int, at time.Time) store.Escalation {
	packet, _ := json.Marshal(map[string]any{
		"conversation_id": "c-" + id, "account_ref": "acct-" + id, "reason": "human_requested",
		"priority": prio, "locale": "en-US", "channel": "chat", "verified": true,
		"disclosures": []string{"mini_miranda"}, "stage": "negotiate", "created_at": at,
	})
	return store.Escalation{
		ID: id, ConversationID: "c-" + id, AccountID: "acct-" + id, Reason: "human_requested",
		Priority: prio, Status: "queued", Packet: packet, CreatedAt: at, UpdatedAt: at,
	}
}

func publish(t testing.TB, n *handoff.Node, es ...store.Escalation) {
	t.Helper()
	p := n.Publisher()
	for _, e := range es {
		if err := p.PublishEscalation(context.Background(), e); err != nil {
			t.Fatalf("publish %s: %v", e.ID, err)
		}
	}
}

func waitWaiting(t testing.TB, q *handoff.Queue, n int) []handoff.Case {
	t.Helper()
	var w []handoff.Case
	handofftest.WaitFor(t, 10*time.Second, func() error {
		if w = q.Waiting(); len(w) != n {
			return fmt.Errorf("%d cases waiting, want %d", len(w), n)
		}
		return nil
	})
	return w
}

// waitCase waits until the node's copy of a case satisfies f.
func waitCase(t testing.TB, q *handoff.Queue, id string, f func(handoff.Case) error) {
	t.Helper()
	handofftest.WaitFor(t, 10*time.Second, func() error {
		c, ok := q.Case(id)
		if !ok {
			return fmt.Errorf("%s not on the board", id)
		}
		return f(c)
	})
}

func ids(cs []handoff.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// events collects lifecycle events with the test's own NATS connection.
type events struct {
	mu   sync.Mutex
	seen []handoff.Event
}

func watchEvents(t testing.TB, nc *nats.Conn, n *handoff.Node) *events {
	t.Helper()
	ev := &events{}
	sub, err := nc.Subscribe(n.EventSubject("handoff.*"), func(m *nats.Msg) {
		e, err := handoff.ParseEvent(m.Data)
		if err != nil {
			t.Errorf("bad event: %v", err)
			return
		}
		ev.mu.Lock()
		ev.seen = append(ev.seen, e)
		ev.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("subscribe events: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ev
}

// wait waits for an event of kind about a case and returns its data.
func (ev *events) wait(t testing.TB, kind, escID string) handoff.CaseEvent {
	t.Helper()
	var got handoff.CaseEvent
	handofftest.WaitFor(t, 10*time.Second, func() error {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, e := range ev.seen {
			var ce handoff.CaseEvent
			if e.Kind == kind && json.Unmarshal(e.Data, &ce) == nil && ce.EscalationID == escID {
				got = ce
				return nil
			}
		}
		return fmt.Errorf("no %s event for %s among %d", kind, escID, len(ev.seen))
	})
	return got
}

func TestQueueOrderAndDedupe(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{})
			n, q := r.node()
			publish(t, n,
				escalation("e-low-old", 4, t0),
				escalation("e-high-new", 1, t0.Add(3*time.Minute)),
				escalation("e-high-old", 1, t0.Add(time.Minute)),
				escalation("e-mid", 2, t0.Add(-time.Hour)),
			)
			// A retry of the same escalation is not a second case.
			publish(t, n, escalation("e-mid", 2, t0.Add(-time.Hour)))
			w := waitWaiting(t, q, 4)
			want := []string{"e-high-old", "e-high-new", "e-mid", "e-low-old"}
			if got := ids(w); !slices.Equal(got, want) {
				t.Fatalf("order %v, want %v", got, want)
			}
			for i, id := range want {
				pos, err := q.Position(id)
				if err != nil || pos != i+1 {
					t.Errorf("Position(%s) = %d, %v; want %d", id, pos, err, i+1)
				}
			}
			c := w[0]
			if c.Packet.AccountRef != "acct-e-high-old" || !c.Packet.Verified || c.Packet.Stage != "negotiate" ||
				c.Packet.TranscriptRef != "/v1/conversations/c-e-high-old" || c.Status != handoff.StatusQueued {
				t.Errorf("packet not carried: %+v", c)
			}
			// The republished escalation was also dropped by JetStream: the
			// work queue is empty once every case is on the board.
			handofftest.WaitFor(t, 5*time.Second, func() error {
				info, err := n.JetStream().Stream(context.Background(), streamName(n, "HANDOFF"))
				if err != nil {
					return err
				}
				if m := info.CachedInfo().State.Msgs; m != 0 {
					return fmt.Errorf("%d messages left in the work queue", m)
				}
				return nil
			})
			if _, err := q.Position("e-nope"); !errors.Is(err, handoff.ErrNotFound) {
				t.Errorf("Position of unknown case: %v", err)
			}
		})
	}
}

// streamName is the stream a node made for a suffix.
func streamName(n *handoff.Node, suffix string) string {
	p := n.Config().Prefix
	out := make([]byte, 0, len(p))
	for i := range len(p) {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			c = '_'
		}
		out = append(out, c)
	}
	return string(out) + "_" + suffix
}

func TestClaimRaceOneWinner(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{})
			n, _ := r.node()
			_, q2 := r.node() // a second node: its own connection and view
			const cases, agents = 10, 6
			var es []store.Escalation
			for i := range cases {
				es = append(es, escalation(fmt.Sprintf("e-%02d", i), 2, t0.Add(time.Duration(i)*time.Second)))
			}
			publish(t, n, es...)
			waitWaiting(t, q2, cases)
			waitWaiting(t, r.queues[0], cases)
			for _, e := range es {
				var wins, lost atomic.Int32
				var wg sync.WaitGroup
				start := make(chan struct{})
				for a := range agents {
					q := r.queues[a%2]
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, err := q.Claim(context.Background(), fmt.Sprintf("agent-%d", a), e.ID)
						switch {
						case err == nil:
							wins.Add(1)
						case errors.Is(err, handoff.ErrAlreadyClaimed):
							lost.Add(1)
						default:
							t.Errorf("claim %s: %v", e.ID, err)
						}
					}()
				}
				close(start)
				wg.Wait()
				if wins.Load() != 1 || lost.Load() != agents-1 {
					t.Fatalf("%s: %d winners, %d told it was taken; want 1 and %d", e.ID, wins.Load(), lost.Load(), agents-1)
				}
			}
			handofftest.WaitFor(t, 5*time.Second, func() error {
				if w := q2.Waiting(); len(w) != 0 {
					return fmt.Errorf("%d still waiting", len(w))
				}
				return nil
			})
		})
	}
}

func TestClaimLapsesBackToQueue(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{AckWait: 30 * time.Second})
			n, q := r.node()
			obs := b.Conn(t)
			ev := watchEvents(t, obs, n)
			var bmu sync.Mutex
			var modes []string
			sub, err := n.Bridge().Subscribe(context.Background(), "c-e-1", handoff.SideAgent, handoff.FromStart(), func(m handoff.Message) {
				bmu.Lock()
				modes = append(modes, m.Mode)
				bmu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Stop()
			publish(t, n, escalation("e-1", 2, t0))
			waitWaiting(t, q, 1)
			w := q.SLAWatcher(handoff.SLAOptions{SLA: handoff.FixedSLA(-1)})
			ctx := context.Background()

			if _, err := q.Claim(ctx, "ann", "e-1"); err != nil {
				t.Fatal(err)
			}
			ev.wait(t, handoff.EventAccepted, "e-1")
			r.clock.Advance(20 * time.Second)
			renewed, err := q.Renew(ctx, "ann", "e-1")
			if err != nil || !renewed.LeaseUntil.Equal(t0.Add(50*time.Second)) {
				t.Fatalf("renew: %+v %v", renewed, err)
			}
			waitCase(t, q, "e-1", func(c handoff.Case) error {
				if c.Revision != renewed.Revision {
					return fmt.Errorf("revision %d, want %d", c.Revision, renewed.Revision)
				}
				return nil
			})
			r.clock.Advance(20 * time.Second) // 40 s after the claim, 20 s after the renewal
			if res, err := w.Sweep(ctx); err != nil || len(res.Requeued) != 0 {
				t.Fatalf("renewed claim swept: %+v %v", res, err)
			}
			// Ann's console dies: no more renewals.
			r.clock.Advance(10 * time.Second)
			res, err := w.Sweep(ctx)
			if err != nil || !slices.Equal(res.Requeued, []string{"e-1"}) {
				t.Fatalf("sweep = %+v, %v; want e-1 requeued", res, err)
			}
			ev.wait(t, handoff.EventRequeued, "e-1")
			waitWaiting(t, q, 1)
			if _, err := q.Complete(ctx, "ann", "e-1", "late"); !errors.Is(err, handoff.ErrNotClaimant) {
				t.Fatalf("lapsed agent completes: %v", err)
			}
			c, err := q.Claim(ctx, "bob", "e-1")
			if err != nil || c.Claims != 2 || c.AgentID != "bob" {
				t.Fatalf("second claim: %+v %v", c, err)
			}
			// Bob's lease lapses too; Carol takes the case over before any
			// sweep, while Dan, inside a live lease, could not.
			r.clock.Advance(29 * time.Second)
			if _, err := q.Claim(ctx, "dan", "e-1"); !errors.Is(err, handoff.ErrAlreadyClaimed) {
				t.Fatalf("claim inside a live lease: %v", err)
			}
			r.clock.Advance(time.Second)
			if c, err := q.Claim(ctx, "carol", "e-1"); err != nil || c.AgentID != "carol" || c.Claims != 3 {
				t.Fatalf("take-over of a lapsed claim: %+v %v", c, err)
			}
			handofftest.WaitFor(t, 5*time.Second, func() error {
				bmu.Lock()
				defer bmu.Unlock()
				if want := []string{"agent", "waiting_agent", "agent", "agent"}; !slices.Equal(modes, want) {
					return fmt.Errorf("borrower modes %v, want %v", modes, want)
				}
				return nil
			})
		})
	}
}

// TestIntakeRedelivered: a node takes an escalation off the work queue
// and dies before it is on the board; after the ack deadline another
// node's intake gets it.
func TestIntakeRedelivered(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{AckWait: 500 * time.Millisecond})
			nc := b.Conn(t)
			n := handofftest.Open(t, nc, r.cfg, handoff.Deps{Clock: r.clock}, b.Shared)
			publish(t, n, escalation("e-lost", 1, t0))
			cons, err := n.JetStream().Consumer(context.Background(), streamName(n, "HANDOFF"), "intake")
			if err != nil {
				t.Fatal(err)
			}
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			var got int
			for range batch.Messages() {
				got++ // taken, never acknowledged: the node died
			}
			if got != 1 {
				t.Fatalf("fetched %d messages", got)
			}
			start := time.Now()
			_, q := r.node()
			w := waitWaiting(t, q, 1)
			if w[0].ID != "e-lost" {
				t.Fatalf("waiting %v", ids(w))
			}
			if d := time.Since(start); d < 200*time.Millisecond {
				t.Logf("redelivered after %s", d)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	type step struct {
		name    string
		do      func(ctx context.Context, q *handoff.Queue) (handoff.Case, error)
		wantErr error
		event   string
		status  store.EscalationStatus
	}
	claim := func(agent string) func(context.Context, *handoff.Queue) (handoff.Case, error) {
		return func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) { return q.Claim(ctx, agent, "e-1") }
	}
	tests := []struct {
		name  string
		steps []step
		modes []string
	}{
		{"close", []step{
			{"claim", claim("ann"), nil, handoff.EventAccepted, handoff.StatusAccepted},
			{"other agent completes", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Complete(ctx, "bob", "e-1", "")
			}, handoff.ErrNotClaimant, "", ""},
			{"complete", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Complete(ctx, "ann", "e-1", "ptp recorded")
			}, nil, handoff.EventCompleted, handoff.StatusCompleted},
			{"claim finished", claim("bob"), handoff.ErrFinished, "", ""},
		}, []string{"agent", "ended"}},
		{"hand back", []step{
			{"claim", claim("ann"), nil, handoff.EventAccepted, handoff.StatusAccepted},
			{"claim taken", claim("bob"), handoff.ErrAlreadyClaimed, "", ""},
			{"hand back", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.HandBack(ctx, "ann", "e-1", "")
			}, nil, handoff.EventHandedBack, handoff.StatusCompleted},
		}, []string{"agent", "bot"}},
		{"release then cancel", []step{
			{"claim", claim("ann"), nil, handoff.EventAccepted, handoff.StatusAccepted},
			{"release", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Release(ctx, "ann", "e-1")
			}, nil, handoff.EventReleased, handoff.StatusQueued},
			{"renew released", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Renew(ctx, "ann", "e-1")
			}, handoff.ErrNotClaimant, "", ""},
			{"cancel", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Cancel(ctx, "e-1", "borrower left")
			}, nil, handoff.EventFailed, handoff.StatusFailed},
			{"cancel again", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Cancel(ctx, "e-1", "")
			}, handoff.ErrFinished, "", ""},
		}, []string{"agent", "waiting_agent"}},
		{"bad ids", []step{
			{"claim unknown", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Claim(ctx, "ann", "e-none")
			}, handoff.ErrNotFound, "", ""},
			{"claim wildcard", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Claim(ctx, "ann", "e.*")
			}, handoff.ErrInvalid, "", ""},
			{"agent with a dot", func(ctx context.Context, q *handoff.Queue) (handoff.Case, error) {
				return q.Claim(ctx, "a.b", "e-1")
			}, handoff.ErrInvalid, "", ""},
		}, nil},
	}
	for _, b := range handofftest.Backends(t) {
		for _, tt := range tests {
			t.Run(b.Name+"/"+tt.name, func(t *testing.T) {
				r := newRig(t, b, handoff.Config{})
				n, q := r.node()
				ev := watchEvents(t, b.Conn(t), n)
				var mu sync.Mutex
				var modes []string
				sub, err := n.Bridge().Subscribe(context.Background(), "c-e-1", handoff.SideAgent, handoff.FromStart(), func(m handoff.Message) {
					mu.Lock()
					modes = append(modes, m.Mode)
					mu.Unlock()
				})
				if err != nil {
					t.Fatal(err)
				}
				defer sub.Stop()
				publish(t, n, escalation("e-1", 3, t0))
				waitWaiting(t, q, 1)
				ev.wait(t, handoff.EventQueued, "e-1")
				for _, s := range tt.steps {
					c, err := s.do(context.Background(), q)
					if !errors.Is(err, s.wantErr) {
						t.Fatalf("%s: err %v, want %v", s.name, err, s.wantErr)
					}
					if s.wantErr != nil {
						continue
					}
					if c.Status != s.status {
						t.Errorf("%s: status %s, want %s", s.name, c.Status, s.status)
					}
					ce := ev.wait(t, s.event, "e-1")
					if ce.Status != s.status || ce.ConversationID != "c-e-1" || ce.Priority != 3 {
						t.Errorf("%s: event %+v", s.name, ce)
					}
				}
				handofftest.WaitFor(t, 5*time.Second, func() error {
					mu.Lock()
					defer mu.Unlock()
					if !slices.Equal(modes, tt.modes) {
						return fmt.Errorf("borrower modes %v, want %v", modes, tt.modes)
					}
					return nil
				})
			})
		}
	}
}

func TestSLAExpires(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{SLA: 2 * time.Minute})
			n, q := r.node()
			ev := watchEvents(t, b.Conn(t), n)
			publish(t, n, escalation("e-day", 2, t0), escalation("e-claimed", 1, t0))
			waitWaiting(t, q, 2)
			if _, err := q.Claim(context.Background(), "ann", "e-claimed"); err != nil {
				t.Fatal(err)
			}
			// Business hours 08:00-20:00 UTC: 2 minutes; outside: at once.
			sla := func(_ handoff.Case, now time.Time) time.Duration {
				if h := now.Hour(); h < 8 || h >= 20 {
					return 0
				}
				return 2 * time.Minute
			}
			w := q.SLAWatcher(handoff.SLAOptions{SLA: sla})
			ctx := context.Background()
			r.clock.Advance(119 * time.Second)
			renewed, err := q.Renew(ctx, "ann", "e-claimed")
			if err != nil {
				t.Fatal(err)
			}
			waitCase(t, q, "e-claimed", func(c handoff.Case) error {
				if c.Revision != renewed.Revision {
					return fmt.Errorf("revision %d, want %d", c.Revision, renewed.Revision)
				}
				return nil
			})
			if res, err := w.Sweep(ctx); err != nil || len(res.Expired)+len(res.Requeued) != 0 {
				t.Fatalf("sweep before the SLA: %+v %v", res, err)
			}
			r.clock.Advance(time.Second)
			res, err := w.Sweep(ctx)
			if err != nil || !slices.Equal(res.Expired, []string{"e-day"}) {
				t.Fatalf("sweep at the SLA: %+v %v", res, err)
			}
			ce := ev.wait(t, handoff.EventExpired, "e-day")
			if ce.WaitedMS != 120000 || ce.Status != handoff.StatusExpired {
				t.Errorf("expired event %+v", ce)
			}
			if _, err := q.Claim(ctx, "bob", "e-day"); !errors.Is(err, handoff.ErrFinished) {
				t.Errorf("claim expired case: %v", err)
			}
			if _, err := q.Complete(ctx, "ann", "e-claimed", ""); err != nil {
				t.Fatal(err)
			}
			// Night: a new case expires at the first sweep.
			r.clock.Advance(6 * time.Hour) // 21:02
			publish(t, n, escalation("e-night", 2, r.clock.Now()))
			waitWaiting(t, q, 1)
			res, err = w.Sweep(ctx)
			if err != nil || !slices.Contains(res.Expired, "e-night") {
				t.Fatalf("night sweep: %+v %v", res, err)
			}
			// A second watcher (another node) finds nothing left to do.
			w2 := r.queues[0].SLAWatcher(handoff.SLAOptions{SLA: sla})
			if res, err := w2.Sweep(ctx); err != nil || len(res.Expired) != 0 {
				t.Fatalf("second sweep: %+v %v", res, err)
			}
		})
	}
}

// TestRestartKeepsCases: cases on the board and cases still in the work
// queue survive a restart of the embedded server.
func TestRestartKeepsCases(t *testing.T) {
	srv := handofftest.Embedded(t)
	cfg := handoff.Config{Prefix: handofftest.UniquePrefix()}
	nc := srv.Conn(t)
	n := handofftest.Open(t, nc, cfg, handoff.Deps{}, false)
	q, err := n.StartQueue(context.Background(), handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		publish(t, n, escalation(fmt.Sprintf("e-board-%d", i), 1+i%5, t0.Add(time.Duration(i)*time.Second)))
	}
	waitWaiting(t, q, 5)
	if _, err := q.Claim(context.Background(), "ann", "e-board-0"); err != nil {
		t.Fatal(err)
	}
	q.Close()
	for i := range 5 {
		publish(t, n, escalation(fmt.Sprintf("e-wq-%d", i), 1+i%5, t0.Add(time.Duration(i)*time.Second)))
	}
	n.Close()
	nc.Close()

	srv.Restart()

	nc2 := srv.Conn(t)
	n2 := handofftest.Open(t, nc2, cfg, handoff.Deps{}, false)
	q2, err := n2.StartQueue(context.Background(), handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w := waitWaiting(t, q2, 9)
	got := ids(w)
	for i := 1; i < 5; i++ {
		for _, id := range []string{fmt.Sprintf("e-board-%d", i), fmt.Sprintf("e-wq-%d", i)} {
			if !slices.Contains(got, id) {
				t.Errorf("%s lost in the restart", id)
			}
		}
	}
	c, ok := q2.Case("e-board-0")
	if !ok || c.Status != handoff.StatusAccepted || c.AgentID != "ann" {
		t.Errorf("claimed case after restart: %+v %v", c, ok)
	}
}

// drain queues n escalations and has agents on nodes claim and complete
// them until none is left; it fails on any case lost or done twice.
func drain(t testing.TB, r *rig, n, agents int) time.Duration {
	ctx := context.Background()
	var es []store.Escalation
	for i := range n {
		es = append(es, escalation(fmt.Sprintf("e-%05d", i), 1+i%5, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	start := time.Now()
	var pubWG sync.WaitGroup
	for part := range 4 {
		pubWG.Add(1)
		go func() {
			defer pubWG.Done()
			for i := part; i < n; i += 4 {
				if err := r.nodes[part%len(r.nodes)].Publisher().PublishEscalation(ctx, es[i]); err != nil {
					t.Errorf("publish: %v", err)
				}
			}
		}()
	}
	var mu sync.Mutex
	done := map[string]string{}
	var dup atomic.Int32
	var wg sync.WaitGroup
	var completed atomic.Int32
	deadline := time.Now().Add(2 * time.Minute)
	for a := range agents {
		q := r.queues[a%len(r.queues)]
		agent := fmt.Sprintf("agent-%02d", a)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for int(completed.Load()) < n && time.Now().Before(deadline) {
				c, err := q.ClaimNext(ctx, agent)
				if errors.Is(err, handoff.ErrQueueEmpty) {
					ch, stop := q.Changes()
					if len(q.Waiting()) == 0 && int(completed.Load()) < n {
						select {
						case <-ch:
						case <-time.After(50 * time.Millisecond):
						}
					}
					stop()
					continue
				}
				if err != nil {
					t.Errorf("%s: claim next: %v", agent, err)
					return
				}
				if _, err := q.Complete(ctx, agent, c.ID, "done"); err != nil {
					t.Errorf("%s: complete %s: %v", agent, c.ID, err)
					return
				}
				mu.Lock()
				if prev, ok := done[c.ID]; ok {
					dup.Add(1)
					t.Errorf("%s completed by %s and %s", c.ID, prev, agent)
				}
				done[c.ID] = agent
				mu.Unlock()
				completed.Add(1)
			}
		}()
	}
	pubWG.Wait()
	wg.Wait()
	elapsed := time.Since(start)
	if len(done) != n || dup.Load() != 0 {
		t.Fatalf("%d of %d cases completed, %d twice", len(done), n, dup.Load())
	}
	per := map[string]int{}
	for _, a := range done {
		per[a]++
	}
	if len(per) < 2 {
		t.Errorf("only %d agents got work", len(per))
	}
	return elapsed
}

func TestDrainByManyAgents(t *testing.T) {
	for _, b := range handofftest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b, handoff.Config{})
			r.node()
			r.node()
			took := drain(t, r, 200, 20)
			t.Logf("200 escalations drained by 20 agents on 2 nodes in %s", took)
		})
	}
}
