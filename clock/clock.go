// Package clock provides the time every other package runs on: the system
// clock in production and a Fake that tests move by hand, so quiet hours,
// frequency caps, silence timeouts and handoff SLAs are tested without
// sleeping.
//
// It is the one owner of the Clock interface; a package takes a Clock in
// its Deps (a TimerClock when it waits) and defaults it to System. It must not import anything of this
// module.
package clock

import "time"

// Clock tells the time. Most code only asks the time (a turn's timestamp,
// quiet hours, an SLA deadline); Fake and System satisfy it.
type Clock interface {
	Now() time.Time
}

// TimerClock is a Clock that also makes timers and tickers on its time,
// for code that waits (a call's silence timeout, pacing).
type TimerClock interface {
	Clock
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

// System is the real clock.
type System struct{}

func (System) Now() time.Time { return time.Now() }

func (System) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

func (System) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }

type sysTicker struct{ t *time.Ticker }

func (s sysTicker) C() <-chan time.Time { return s.t.C }
func (s sysTicker) Stop()               { s.t.Stop() }
