package audio

import (
	"context"
	"time"
)

// Pacer emits frames on a ticker at a fixed interval, the way RTP wants
// them: frame n is due at start + n×interval, where start is the first
// tick. On each tick it emits every frame that has come due (a tick delayed
// by a busy machine is followed by a short catch-up burst, which the far
// end's jitter buffer absorbs) and records how late each frame went out.
// It never sleeps: time advances only through the ticks it is given, so
// tests drive it with a channel.
type Pacer struct {
	// Interval is the frame duration; FrameDuration when zero.
	Interval time.Duration
	// MaxCatchUp bounds the frames emitted on one tick; after a longer
	// stall the schedule restarts rather than bursting. 5 when zero.
	MaxCatchUp int
	// Now reads the clock at emission; time.Now when nil.
	Now func() time.Time

	stats PacerStats
	start time.Time
	next  int64
}

// PacerStats describes the frames a pacer emitted.
type PacerStats struct {
	Frames int64
	// Late counts frames emitted more than one interval after they were due.
	Late int64
	// MaxLateness is the largest delay between a frame's due time and its
	// emission.
	MaxLateness time.Duration
	// Restarts counts schedule restarts after stalls longer than MaxCatchUp.
	Restarts int64
	// Early counts frames sent ahead of their slot by Early.
	Early int64
}

// Stats returns what the pacer has emitted so far. Call it after Run
// returns, or from the emit function.
func (p *Pacer) Stats() PacerStats { return p.stats }

// Run calls emit(n) for frames n = 0, 1, 2, ... as they come due on ticks,
// until ctx is done, ticks is closed or emit returns an error.
func (p *Pacer) Run(ctx context.Context, ticks <-chan time.Time, emit func(n int64) error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok := <-ticks:
			if !ok {
				return nil
			}
			if err := p.Tick(t, emit); err != nil {
				return err
			}
		}
	}
}

// Tick handles one tick that fired at tick: it emits every frame due by
// now. Run calls it; a caller with its own loop may call it directly.
func (p *Pacer) Tick(tick time.Time, emit func(n int64) error) error {
	interval := p.Interval
	if interval <= 0 {
		interval = FrameDuration
	}
	maxCatch := p.MaxCatchUp
	if maxCatch <= 0 {
		maxCatch = 5
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	if p.start.IsZero() {
		p.start = tick
	}
	due := int64(now().Sub(p.start) / interval)
	if due-p.next >= int64(maxCatch) {
		// A stall longer than the catch-up window: restart the schedule
		// at this tick instead of bursting.
		p.stats.Restarts++
		p.start = tick.Add(-time.Duration(p.next) * interval)
		due = p.next
	}
	for ; p.next <= due; p.next++ {
		if err := emit(p.next); err != nil {
			return err
		}
		late := now().Sub(p.start.Add(time.Duration(p.next) * interval))
		p.stats.Frames++
		if late > p.stats.MaxLateness {
			p.stats.MaxLateness = late
		}
		if late > interval {
			p.stats.Late++
		}
	}
	return nil
}

// Early emits the next frame now, ahead of its slot, when the pacer is
// not already ahead of schedule. A sender that has been idle (sending
// silence) uses it to start speaking without waiting up to a frame for
// the next tick: the far end receives one packet early, which its jitter
// buffer absorbs, and the next tick skips that frame's slot.
func (p *Pacer) Early(emit func(n int64) error) (bool, error) {
	interval := p.Interval
	if interval <= 0 {
		interval = FrameDuration
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	if p.start.IsZero() {
		return false, nil
	}
	due := int64(now().Sub(p.start) / interval)
	if p.next > due+1 {
		return false, nil
	}
	if err := emit(p.next); err != nil {
		return false, err
	}
	p.next++
	p.stats.Frames++
	p.stats.Early++
	return true, nil
}
