package llm

import (
	"sync"
	"time"

	"github.com/collectagent/collectagent/clock"
)

// BreakerState is the circuit breaker's state.
type BreakerState int32

// Breaker states.
const (
	// BreakerClosed lets every call through.
	BreakerClosed BreakerState = iota
	// BreakerOpen lets nothing through until OpenFor has passed.
	BreakerOpen
	// BreakerHalfOpen lets one probe through: its success closes the
	// breaker, its failure opens it again.
	BreakerHalfOpen
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half_open"
	}
	return "unknown"
}

// outcome is how a call that the breaker let through ended.
type outcome int

const (
	outcomeSuccess outcome = iota
	outcomeFailure
	// outcomeNeutral: the caller gave up (its context ended) before the
	// endpoint could show whether it works; it counts for nothing.
	outcomeNeutral
)

// breaker is a consecutive-failure circuit breaker on an injected clock.
type breaker struct {
	cfg   BreakerConfig
	clock clock.Clock

	mu       sync.Mutex
	state    BreakerState
	failures int       // consecutive, while closed
	openedAt time.Time // when it last opened
	probing  bool      // a half-open probe is in flight
	opens    uint64    // times it opened
}

func newBreaker(cfg BreakerConfig, clk clock.Clock) *breaker {
	return &breaker{cfg: cfg, clock: clk}
}

// allow reports whether a call may go out now. A true answer must be
// followed by exactly one done.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		if b.clock.Now().Sub(b.openedAt) < b.cfg.OpenFor {
			return false
		}
		b.state = BreakerHalfOpen
		b.probing = true
		return true
	case BreakerHalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
	return true
}

// done records how an allowed call ended.
func (b *breaker) done(o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerHalfOpen:
		b.probing = false
		switch o {
		case outcomeSuccess:
			b.state, b.failures = BreakerClosed, 0
		case outcomeFailure:
			b.openLocked()
		}
	case BreakerClosed:
		switch o {
		case outcomeSuccess:
			b.failures = 0
		case outcomeFailure:
			b.failures++
			if b.failures >= b.cfg.Failures {
				b.openLocked()
			}
		}
	case BreakerOpen:
		// A call let through before the breaker opened ends late: it
		// changes nothing.
	}
}

func (b *breaker) openLocked() {
	b.state = BreakerOpen
	b.openedAt = b.clock.Now()
	b.failures = 0
	b.opens++
}

// snapshot returns the state as seen now (an open breaker whose time is up
// reads as half-open) and how many times it opened.
func (b *breaker) snapshot() (BreakerState, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state
	if st == BreakerOpen && b.clock.Now().Sub(b.openedAt) >= b.cfg.OpenFor {
		st = BreakerHalfOpen
	}
	return st, b.opens
}
