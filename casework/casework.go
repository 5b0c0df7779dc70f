// Package casework does what a handoff case's events call for, on any
// node: when nobody claimed a case within the SLA it offers the borrower
// a call back; when an agent's claim lapsed or was released it puts the
// conversation back to waiting for a person; a failed case is recorded
// as failed. It also puts back on the queue what NATS lost or never got:
// escalations the store holds as queued but the case board lacks (a
// publish that failed while NATS was down, a node that died between
// committing and publishing), and claimed cases the board no longer knows
// (a NATS server that lost its data).
//
// What the borrower is told reaches them through a Deliverer (the live
// layer's bridge satisfies it); casework knows no transport.
package casework

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/store"
)

// Deliverer shows the result of a session operation to the borrower, on
// whichever node holds their connection (live.Bridge).
type Deliverer interface {
	Deliver(ctx context.Context, conversationID string, out bot.Output) error
}

// Config times the work.
type Config struct {
	// SLA is how long a case may wait for an agent (handoff.CaseConfig's
	// SLAFunc); nil is handoff.DefaultSLA always.
	SLA handoff.SLAFunc
	// RequeueEvery is how often the store's queued escalations missing
	// from the board are published again, for a node that died between
	// committing and publishing (0: only at start and after reconnects).
	RequeueEvery time.Duration
}

// Deps are the worker's collaborators.
type Deps struct {
	Node    *handoff.Node
	Queue   *handoff.Queue
	Runtime *bot.Runtime
	Store   store.Store
	// Publisher publishes escalations again (the runtime's).
	Publisher bot.Publisher
	// Deliverer tells borrowers live; nil: they see it on reconnecting.
	Deliverer Deliverer
	Clock     bot.Clock    // nil: the system clock
	Logger    *slog.Logger // nil discards
}

// Worker runs a node's case work. Close stops it.
type Worker struct {
	cfg   Config
	node  *handoff.Node
	queue *handoff.Queue
	rt    *bot.Runtime
	st    store.Store
	br    Deliverer
	pub   bot.Publisher
	clock bot.Clock
	log   *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
	stops  []func()
	once   sync.Once
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// deliver tells the borrower live, when there is a way to.
func (h *Worker) deliver(ctx context.Context, convID string, out bot.Output) error {
	if h.br == nil {
		return nil
	}
	return h.br.Deliver(ctx, convID, out)
}

// Start starts the SLA watcher, the callback offers on expiry, the
// requeue on a lapsed or released claim, and the requeuer. Close stops
// them.
func Start(cfg Config, d Deps) (*Worker, error) {
	if d.Node == nil || d.Queue == nil || d.Runtime == nil || d.Store == nil || d.Publisher == nil {
		return nil, fmt.Errorf("%w: node, queue, runtime, store and publisher are required", ErrConfig)
	}
	if cfg.SLA == nil {
		cfg.SLA = handoff.FixedSLA(handoff.DefaultSLA)
	}
	if d.Clock == nil {
		d.Clock = systemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Worker{cfg: cfg, node: d.Node, queue: d.Queue, rt: d.Runtime, st: d.Store, br: d.Deliverer, pub: d.Publisher, clock: d.Clock, log: d.Logger}
	if err := h.start(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Worker) start() error {
	st := h.st
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	w := h.queue.SLAWatcher(handoff.SLAOptions{SLA: h.cfg.SLA})
	h.wg.Add(1)
	go func() { defer h.wg.Done(); _ = w.Run(ctx) }()

	stop, err := h.node.OnCaseEvents(ctx, "callbacks", func(ctx context.Context, ev handoff.Event, ce handoff.CaseEvent) error {
		return h.onCaseEvent(ctx, ev, ce)
	})
	if err != nil {
		cancel()
		h.wg.Wait()
		return fmt.Errorf("handoff events: %w", err)
	}
	h.stops = append(h.stops, stop)

	nc := h.node.Conn()
	if h.cfg.RequeueEvery > 0 {
		// Another node may have died between committing an escalation
		// and publishing it; this node's connection never dropped, so
		// the reconnect pass below would not see it. Publishing is
		// idempotent by escalation id.
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			tick := time.NewTicker(h.cfg.RequeueEvery)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if !nc.IsConnected() {
					continue
				}
				n, err := Requeue(ctx, st, h.pub, h.queue)
				switch {
				case err != nil:
					h.log.Debug("periodic requeue failed", "err", err)
				case n > 0:
					h.log.Info("escalations left unpublished by a node published from the store", "count", n)
				}
			}
		}()
	}
	changed := nc.StatusChanged(nats.CONNECTED)
	h.stops = append(h.stops, func() { nc.RemoveStatusListener(changed) })
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		// At start (escalations a previous run could not publish) and
		// after every reconnect; a failed pass (JetStream still
		// recovering) is retried while connected.
		var retry <-chan time.Time
		for {
			// The server may have lost its data: recreate the streams
			// and the board, then put back what the store says is open.
			_, err := h.node.Ensure(ctx)
			if err == nil {
				err = h.reclaim(ctx)
			}
			n := 0
			if err == nil {
				n, err = Requeue(ctx, st, h.pub, h.queue)
			}
			retry = nil
			switch {
			case err != nil:
				h.log.Warn("requeue from the store failed", "err", err)
				retry = time.After(h.node.Config().ReconnectWait)
			case n > 0:
				h.log.Info("escalations published again from the store", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changed:
				if !ok {
					return
				}
			case <-retry:
			}
		}
	}()
	return nil
}

// onCaseEvent offers a callback when a case expired, puts the conversation
// back to waiting when an agent's claim lapsed or was released (any node
// may: both commit through the store and reach the borrower over the
// bridge), and records a failed case in the store.
func (h *Worker) onCaseEvent(ctx context.Context, ev handoff.Event, ce handoff.CaseEvent) error {
	rt, st := h.rt, h.st
	switch ev.Kind {
	case handoff.EventExpired:
		sess, err := rt.Open(ctx, ce.ConversationID)
		if err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				return nil
			}
			return err
		}
		out, err := sess.OfferCallback(ctx)
		if errors.Is(err, bot.ErrWrongMode) {
			return nil // a person joined meanwhile, or the conversation ended
		}
		if err != nil {
			return err
		}
		if len(out.Replies) > 0 {
			if err := h.deliver(ctx, ce.ConversationID, out); err != nil {
				// Recorded; the borrower sees it on reconnecting.
				h.log.Warn("callback offer not delivered live", "err", err)
			}
		}
	case handoff.EventRequeued, handoff.EventReleased:
		// The agent's claim lapsed (a console died) or the agent put the
		// case back: the borrower is waiting for a person again.
		sess, err := rt.Open(ctx, ce.ConversationID)
		if err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				return nil
			}
			return err
		}
		out, err := sess.Requeue(ctx, "")
		if err != nil {
			return err
		}
		if len(out.Replies) > 0 {
			if err := h.deliver(ctx, ce.ConversationID, out); err != nil {
				h.log.Warn("requeue notice not delivered live", "err", err)
			}
		}
	case handoff.EventFailed:
		es, err := st.ListEscalations(ctx, store.EscalationFilter{ConversationID: ce.ConversationID})
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.ID == ce.EscalationID && (e.Status == "queued" || e.Status == "initiated") {
				e.Status, e.UpdatedAt = "failed", h.clock.Now().UTC()
				if err := st.UpdateEscalation(ctx, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reclaim puts back in the queue the conversations an agent held whose
// case is no longer on the board (the NATS server lost its data): the
// borrower is told they wait for a person again, the escalation is queued
// in the store, and requeue publishes it.
func (h *Worker) reclaim(ctx context.Context) error {
	rt, st, q, log := h.rt, h.st, h.queue, h.log
	es, err := st.ListEscalations(ctx, store.EscalationFilter{Status: "accepted"})
	if err != nil {
		return fmt.Errorf("list claimed escalations: %w", err)
	}
	for _, e := range es {
		if _, err := q.Get(ctx, e.ID); err == nil {
			continue
		} else if !errors.Is(err, handoff.ErrNotFound) {
			return fmt.Errorf("board: %w", err)
		}
		sess, err := rt.Open(ctx, e.ConversationID)
		if err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				continue
			}
			return err
		}
		out, err := sess.Requeue(ctx, "")
		if err != nil {
			return fmt.Errorf("requeue %s: %w", e.ConversationID, err)
		}
		log.Warn("a claimed case was lost from the board; back in the queue", "escalation", e.ID)
		if len(out.Replies) > 0 {
			if err := h.deliver(ctx, e.ConversationID, out); err != nil {
				log.Warn("requeue notice not delivered live", "err", err)
			}
		}
	}
	return nil
}

// Requeue publishes again the escalations the store holds as queued, whose
// conversation still waits for a person, and that are not on the case
// board (their publish failed while NATS was down). Publishing is
// idempotent by escalation id, so a case that is on its way is not doubled.
func Requeue(ctx context.Context, st store.Store, pub bot.Publisher, q *handoff.Queue) (int, error) {
	es, err := st.ListEscalations(ctx, store.EscalationFilter{Status: "queued"})
	if err != nil {
		return 0, fmt.Errorf("list queued escalations: %w", err)
	}
	n := 0
	for _, e := range es {
		if _, err := q.Get(ctx, e.ID); err == nil {
			continue
		} else if !errors.Is(err, handoff.ErrNotFound) {
			return n, fmt.Errorf("board: %w", err)
		}
		c, err := st.GetConversation(ctx, e.ConversationID)
		if err != nil || c.Mode != store.ModeWaitingAgent {
			continue
		}
		if err := pub.PublishEscalation(ctx, e); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Close stops the watcher, the event consumer and the requeuer (not the
// node or the queue). Idempotent.
func (h *Worker) Close() {
	h.once.Do(func() {
		h.cancel()
		for _, stop := range h.stops {
			stop()
		}
		h.wg.Wait()
	})
}
