package clock

import (
	"sort"
	"sync"
	"time"
)

// Fake moves only when told to. Timers and tickers fire during Advance
// and Set, in deadline order. It is safe for concurrent use.
type Fake struct {
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

// NewFake returns a clock stopped at start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) add(d, period time.Duration) *fakeWaiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &fakeWaiter{at: f.now.Add(d), period: period, c: make(chan time.Time, 1)}
	f.waiters = append(f.waiters, w)
	return w
}

func (f *Fake) NewTimer(d time.Duration) Timer { return &fakeTimer{f, f.add(d, 0)} }

func (f *Fake) NewTicker(d time.Duration) Ticker { return &fakeTicker{f, f.add(d, d)} }

type fakeTimer struct {
	f *Fake
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
	f *Fake
	w *fakeWaiter
}

func (t *fakeTicker) C() <-chan time.Time { return t.w.c }
func (t *fakeTicker) Stop() {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.w.stopped = true
}

// Advance moves the clock forward by d, firing what comes due on the way.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.advanceToLocked(f.now.Add(d))
}

// Set moves the clock to t. Moving forward fires what comes due on the
// way; moving back fires nothing (a test may rewind to replay a day).
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.now) {
		f.now = t
		return
	}
	f.advanceToLocked(t)
}

func (f *Fake) advanceToLocked(end time.Time) {
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
func (f *Fake) Pending() int {
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
