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
	// Lateness counts the frames sent on ticks by how late they went
	// out: Lateness[i] those no later than LatenessBounds[i] (and later
	// than the bound before), the last those later than every bound.
	Lateness [len(LatenessBounds) + 1]int64
}

// LatenessBounds are the upper bounds of PacerStats.Lateness's buckets.
var LatenessBounds = [...]time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}

// Add sums two pacers' figures (MaxLateness is the larger).
func (s PacerStats) Add(o PacerStats) PacerStats {
	s.Frames += o.Frames
	s.Late += o.Late
	s.MaxLateness = max(s.MaxLateness, o.MaxLateness)
	s.Restarts += o.Restarts
	s.Early += o.Early
	for i := range s.Lateness {
		s.Lateness[i] += o.Lateness[i]
	}
	return s
}

// record counts one frame sent late after its slot.
func (s *PacerStats) record(late, interval time.Duration) {
	s.Frames++
	if late > s.MaxLateness {
		s.MaxLateness = late
	}
	if late > interval {
		s.Late++
	}
	i := 0
	for i < len(LatenessBounds) && late > LatenessBounds[i] {
		i++
	}
	s.Lateness[i]++
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
	// shift is how far a restart moved the schedule: the frame sent at
	// the restart is as late as its slot in the old schedule says.
	var shift time.Duration
	if due-p.next >= int64(maxCatch) {
		// A stall longer than the catch-up window: restart the schedule
		// at this tick instead of bursting.
		p.stats.Restarts++
		old := p.start
		p.start = tick.Add(-time.Duration(p.next) * interval)
		shift = p.start.Sub(old)
		due = p.next
	}
	for ; p.next <= due; p.next++ {
		if err := emit(p.next); err != nil {
			return err
		}
		// Lateness is the send time (the write returned) against the
		// frame's slot in the schedule.
		late := now().Sub(p.start.Add(time.Duration(p.next) * interval))
		p.stats.record(late+shift, interval)
		shift = 0
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
