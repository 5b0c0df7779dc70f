package handoff

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/store"
)

// Outbox is what a Relay needs of the store: the events committed and
// not yet published, and forgetting the published ones.
type Outbox interface {
	PendingEvents(ctx context.Context, until time.Time, limit int) ([]store.Event, error)
	DeleteEvents(ctx context.Context, ids []string) error
}

// RelayOptions tune a Relay; zero values take the defaults.
type RelayOptions struct {
	// Sweep is how often the relay looks in the store for events that no
	// relay published: their process died between the commit and the
	// publish, or the broker refused them. Default 10 s.
	Sweep time.Duration
	// Grace is how old an event must be before a sweep takes it; younger
	// ones are in the hands of the relay of the node that committed them.
	// Default 30 s, within the stream's dedupe window (2 min by default),
	// so that an event two relays publish is stored once.
	Grace time.Duration
	// Batch bounds the events one round publishes. Default 512.
	Batch int
	// MaxQueued bounds the committed events waiting in memory; beyond it
	// new ones are left to the sweep. Default 10,000.
	MaxQueued int
}

func (o RelayOptions) withDefaults() RelayOptions {
	if o.Sweep <= 0 {
		o.Sweep = 10 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 10_000
	}
	return o
}

// Relay publishes the store's event outbox on the events stream, off the
// reply's path: a step's events are committed with the step, handed to
// Committed after the commit, published asynchronously (each with its id
// as the message id) and deleted from the store once JetStream has
// acknowledged them. What a relay never published (the process died, the
// broker was down) stays in the store, and a sweep publishes it: at
// start, everything pending; then, every Sweep, what is older than
// Grace. Delivery is at least once; a copy published again within the
// stream's dedupe window is dropped by the broker.
type Relay struct {
	n    *Node
	st   Outbox
	opts RelayOptions

	mu     sync.Mutex
	queue  []store.Event
	closed bool

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartRelay starts a relay publishing st's outbox through the node. Close
// it before the node and the store.
func (n *Node) StartRelay(st Outbox, opts RelayOptions) *Relay {
	r := &Relay{
		n: n, st: st, opts: opts.withDefaults(),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go r.run()
	return r
}

// Committed hands over events that are durable in the store. It never
// blocks: a relay that is behind leaves them to its sweep.
func (r *Relay) Committed(evs []store.Event) {
	if len(evs) == 0 {
		return
	}
	r.mu.Lock()
	if !r.closed && len(r.queue)+len(evs) <= r.opts.MaxQueued {
		r.queue = append(r.queue, evs...)
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default: // a round is pending already
	}
}

// Close publishes what was handed over and stops the relay; anything it
// could not publish stays in the store for the next start. Idempotent.
func (r *Relay) Close() error {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.stop)
	})
	<-r.done
	return nil
}

func (r *Relay) run() {
	defer close(r.done)
	r.sweep(r.n.clock.Now()) // what an earlier process left
	t := time.NewTicker(r.opts.Sweep)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			r.flush()
			return
		case <-r.kick:
			r.flush()
		case <-t.C:
			r.sweep(r.n.clock.Now().Add(-r.opts.Grace))
		}
	}
}

// flush publishes the handed-over events until none is left.
func (r *Relay) flush() {
	for {
		r.mu.Lock()
		evs := r.queue
		if len(evs) > r.opts.Batch {
			evs, r.queue = evs[:r.opts.Batch:r.opts.Batch], evs[r.opts.Batch:]
		} else {
			r.queue = nil
		}
		r.mu.Unlock()
		if len(evs) == 0 {
			return
		}
		r.publish(evs)
	}
}

// sweep publishes the store's pending events committed by until, a batch
// at a time, while whole batches go through.
func (r *Relay) sweep(until time.Time) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		evs, err := r.st.PendingEvents(ctx, until, r.opts.Batch)
		cancel()
		if err != nil {
			r.n.log.Warn("outbox: read pending events", "err", err)
			return
		}
		if len(evs) == 0 {
			return
		}
		if sent := r.publish(evs); sent < len(evs) || len(evs) < r.opts.Batch {
			return
		}
	}
}

// publish publishes evs without waiting between them, then waits for
// JetStream's acknowledgements and deletes the acknowledged events (and
// any that can never be published) from the store. It returns how many
// were deleted.
func (r *Relay) publish(evs []store.Event) int {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	futs := make([]jetstream.PubAckFuture, len(evs))
	done := make([]string, 0, len(evs))
	for i, e := range evs {
		m, err := r.n.eventMsg(e.Kind, e.At, e.Data)
		if err != nil {
			// Not a kind a subject can carry: no retry will publish it.
			r.n.log.Error("outbox: event cannot be published; dropped", "id", e.ID, "kind", e.Kind, "err", err)
			done = append(done, e.ID)
			continue
		}
		if futs[i], err = r.n.js.PublishMsgAsync(m, jetstream.WithMsgID(e.ID)); err != nil {
			r.n.log.Warn("outbox: publish; left for the sweep", "kind", e.Kind, "err", err)
			break
		}
	}
wait:
	for i, f := range futs {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
			done = append(done, evs[i].ID)
		case err := <-f.Err():
			r.n.log.Warn("outbox: publish; left for the sweep", "kind", evs[i].Kind, "err", err)
		case <-ctx.Done():
			r.n.log.Warn("outbox: no acknowledgement; left for the sweep", "err", ctx.Err())
			break wait
		}
	}
	if len(done) == 0 {
		return 0
	}
	dctx, dcancel := context.WithTimeout(context.Background(), opTimeout)
	defer dcancel()
	if err := r.st.DeleteEvents(dctx, done); err != nil {
		// Published but still in the store: a sweep publishes them again
		// and the broker drops the copies.
		if !errors.Is(err, store.ErrClosed) {
			r.n.log.Warn("outbox: delete published events", "err", err)
		}
		return 0
	}
	return len(done)
}
