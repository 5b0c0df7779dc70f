package handoff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/clock"
)

// SLAFunc gives the SLA of a waiting case at a time: how long it may wait
// for an agent before it expires. A negative SLA never expires it; zero
// expires it at the next sweep (outside business hours, say).
type SLAFunc func(c Case, now time.Time) time.Duration

// FixedSLA is an SLA that does not depend on the case or the time.
func FixedSLA(d time.Duration) SLAFunc { return func(Case, time.Time) time.Duration { return d } }

// SLAWatcher sweeps the board: it puts back in the queue the cases whose
// agent stopped renewing the claim (the ack deadline passed), and expires
// the cases nobody claimed within the SLA, so the runtime can offer the
// borrower a callback. Every node may run one: each change is a
// compare-and-swap, so two watchers never both act on a case.
type SLAWatcher struct {
	q     *Queue
	sla   SLAFunc
	every time.Duration
	clock clock.Clock

	lastPurge time.Time // of delete markers; only Sweep's goroutine
}

// SLAOptions tune a watcher.
type SLAOptions struct {
	// SLA defaults to FixedSLA(Config.SLA).
	SLA SLAFunc
	// Every is the sweep interval of Run; default AckWait/4, at most 1 s.
	Every time.Duration
}

// SLAWatcher returns a watcher of the queue's board, telling the time
// with the node's clock.
func (q *Queue) SLAWatcher(opts SLAOptions) *SLAWatcher {
	if opts.SLA == nil {
		opts.SLA = FixedSLA(q.n.cfg.SLA)
	}
	if opts.Every <= 0 {
		opts.Every = min(q.n.cfg.AckWait/4, time.Second)
	}
	return &SLAWatcher{q: q, sla: opts.SLA, every: opts.Every, clock: q.n.clock}
}

// SweepResult lists what a sweep changed, by escalation id.
type SweepResult struct {
	Requeued []string
	Expired  []string
	// Dropped are finished cases removed from the board after
	// FinishedTTL.
	Dropped []string
}

// errSkip is a sweep candidate that changed before the sweep reached it.
var errSkip = errors.New("handoff: no longer due")

// Sweep makes one pass at the clock's current time. Requeued cases emit
// EventRequeued and tell the borrower's node "waiting_agent"; expired
// ones emit EventExpired and tell it "bot" (the bot offers a callback).
// Finished cases older than FinishedTTL leave the board. Sweep works from
// the node's copy of the board and re-checks each case on the board
// itself before changing it; one that changed meanwhile waits for the
// next sweep. Not safe for concurrent use on one watcher.
func (w *SLAWatcher) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := w.clock.Now()
	var errs []error
	for _, c := range w.q.Board() {
		switch {
		case c.Status == StatusAccepted && !c.LeaseUntil.IsZero() && !now.Before(c.LeaseUntil):
			_, err := w.q.change(ctx, c.ID, transition{event: EventRequeued, mode: "waiting_agent", apply: func(c *Case, now time.Time) (bool, error) {
				if c.Status != StatusAccepted || now.Before(c.LeaseUntil) {
					return false, errSkip
				}
				c.Note = "claim of " + c.AgentID + " lapsed"
				requeue(c, now)
				return false, nil
			}})
			if err == nil {
				res.Requeued = append(res.Requeued, c.ID)
			} else if !ignorable(err) {
				errs = append(errs, err)
			}
		case c.Finished() && !now.Before(c.FinishedAt.Add(w.q.n.cfg.FinishedTTL)):
			err := w.q.kv.Delete(ctx, c.ID, jetstream.LastRevision(c.Revision))
			switch {
			case err == nil:
				res.Dropped = append(res.Dropped, c.ID)
			case !isRevisionConflict(err):
				errs = append(errs, fmt.Errorf("drop %s: %w", c.ID, err))
			}
		case c.Status == StatusQueued && w.due(c, now):
			_, err := w.q.change(ctx, c.ID, transition{event: EventExpired, mode: "bot", apply: func(c *Case, now time.Time) (bool, error) {
				if c.Status != StatusQueued || !w.due(*c, now) {
					return false, errSkip
				}
				c.Status, c.FinishedAt = StatusExpired, now
				return false, nil
			}})
			if err == nil {
				res.Expired = append(res.Expired, c.ID)
			} else if !ignorable(err) {
				errs = append(errs, err)
			}
		}
	}
	if len(res.Dropped) > 0 && now.Sub(w.lastPurge) >= w.q.n.cfg.FinishedTTL {
		// Markers of dropped cases would otherwise pile up in the bucket.
		w.lastPurge = now
		if err := w.q.kv.PurgeDeletes(ctx, jetstream.DeleteMarkersOlderThan(w.q.n.cfg.FinishedTTL)); err != nil {
			errs = append(errs, fmt.Errorf("purge markers: %w", err))
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("sweep: %w", errors.Join(errs...))
	}
	return res, nil
}

func (w *SLAWatcher) due(c Case, now time.Time) bool {
	sla := w.sla(c, now)
	return sla >= 0 && now.Sub(c.WaitingSince) >= sla
}

func ignorable(err error) bool {
	return errors.Is(err, errSkip) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict)
}

// Run sweeps every interval until ctx ends; sweep errors are logged.
func (w *SLAWatcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := w.Sweep(ctx); err != nil && ctx.Err() == nil {
				w.q.n.log.Warn("handoff sweep", "err", err)
			}
		}
	}
}
