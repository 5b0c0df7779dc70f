package call

import (
	"sort"
	"sync"
	"time"
)

// Clock is the time a call runs on: the system clock in production, a
// FakeClock in tests, so silence timeouts, call limits and pacing are
// tested without sleeping.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
	NewTicker(d time.Duration) Ticker
}

// Timer is a one-shot timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Ticker ticks until stopped; like time.Ticker it drops ticks a slow
// reader misses.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

func (SystemClock) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }

type sysTicker struct{ t *time.Ticker }

func (s sysTicker) C() <-chan time.Time { return s.t.C }
func (s sysTicker) Stop()               { s.t.Stop() }

// FakeClock moves only when told to. Timers and tickers fire during
// Advance, in deadline order.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeWaiter
}

type fakeWaiter struct {
	at      time.Time
	period  time.Duration // 0 for timers
	c       chan time.Time
	stopped bool
}

// NewFakeClock returns a clock set to start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

func (f *FakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *FakeClock) add(d, period time.Duration) *fakeWaiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &fakeWaiter{at: f.now.Add(d), period: period, c: make(chan time.Time, 1)}
	f.waiters = append(f.waiters, w)
	return w
}

func (f *FakeClock) NewTimer(d time.Duration) Timer { return &fakeTimer{f, f.add(d, 0)} }

func (f *FakeClock) NewTicker(d time.Duration) Ticker { return &fakeTicker{f, f.add(d, d)} }

type fakeTimer struct {
	f *FakeClock
	w *fakeWaiter
}

func (t *fakeTimer) C() <-chan time.Time { return t.w.c }
func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := !t.w.stopped
	t.w.stopped = true
	return was
}

type fakeTicker struct {
	f *FakeClock
	w *fakeWaiter
}

func (t *fakeTicker) C() <-chan time.Time { return t.w.c }
func (t *fakeTicker) Stop() {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.w.stopped = true
}

// Advance moves the clock forward by d, firing what comes due on the way.
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := f.now.Add(d)
	for {
		live := f.waiters[:0]
		for _, w := range f.waiters {
			if !w.stopped {
				live = append(live, w)
			}
		}
		f.waiters = live
		sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
		if len(f.waiters) == 0 || f.waiters[0].at.After(end) {
			break
		}
		w := f.waiters[0]
		f.now = w.at
		select {
		case w.c <- w.at:
		default: // a slow reader misses the tick, as with time.Ticker
		}
		if w.period > 0 {
			w.at = w.at.Add(w.period)
		} else {
			w.stopped = true
		}
	}
	f.now = end
}

// Pending counts ticks fired by running tickers and not yet received.
func (f *FakeClock) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, w := range f.waiters {
		if w.period > 0 && !w.stopped {
			n += len(w.c)
		}
	}
	return n
}
