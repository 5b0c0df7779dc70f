// Package breaker is the circuit breaker in front of every remote paid
// API the service calls (the language model, a speech API): after a run
// of failures it stops calling for a while, then lets one probe through.
package breaker

import (
	"sync"
	"time"

	"github.com/collectagent/collectagent/clock"
)

// State is the circuit breaker's state.
type State int32

// Breaker states.
const (
	// Closed lets every call through.
	Closed State = iota
	// Open lets nothing through until OpenFor has passed.
	Open
	// HalfOpen lets one probe through: its success closes the
	// breaker, its failure opens it again.
	HalfOpen
)

func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	}
	return "unknown"
}

// Outcome is how a call that the breaker let through ended.
type Outcome int

const (
	Success Outcome = iota
	Failure
	// Neutral: the caller gave up (its context ended) before the
	// endpoint could show whether it works; it counts for nothing.
	Neutral
)

// Config tunes a breaker.
type Config struct {
	// Failures is how many consecutive failed calls open the breaker.
	Failures int `yaml:"failures" json:"failures" validate:"min=1,max=100"`
	// OpenFor is how long it stays open before one probe call is let through.
	OpenFor time.Duration `yaml:"open_for" json:"open_for" validate:"gt=0"`
}

// Breaker is a consecutive-failure circuit breaker on an injected clock.
// It is safe for concurrent use.
type Breaker struct {
	cfg   Config
	clock clock.Clock

	mu       sync.Mutex
	state    State
	failures int       // consecutive, while closed
	openedAt time.Time // when it last opened
	probing  bool      // a half-open probe is in flight
	opens    uint64    // times it opened
}

// New returns a closed breaker.
func New(cfg Config, clk clock.Clock) *Breaker {
	return &Breaker{cfg: cfg, clock: clk}
}

// Allow reports whether a call may go out now. A true answer must be
// followed by exactly one Done.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case Open:
		if b.clock.Now().Sub(b.openedAt) < b.cfg.OpenFor {
			return false
		}
		b.state = HalfOpen
		b.probing = true
		return true
	case HalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
	return true
}

// Done records how an allowed call ended.
func (b *Breaker) Done(o Outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case HalfOpen:
		b.probing = false
		switch o {
		case Success:
			b.state, b.failures = Closed, 0
		case Failure:
			b.openLocked()
		}
	case Closed:
		switch o {
		case Success:
			b.failures = 0
		case Failure:
			b.failures++
			if b.failures >= b.cfg.Failures {
				b.openLocked()
			}
		}
	case Open:
		// A call let through before the breaker opened ends late: it
		// changes nothing.
	}
}

func (b *Breaker) openLocked() {
	b.state = Open
	b.openedAt = b.clock.Now()
	b.failures = 0
	b.opens++
}

// Snapshot returns the state as seen now (an open breaker whose time is up
// reads as half-open) and how many times it opened.
func (b *Breaker) Snapshot() (State, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state
	if st == Open && b.clock.Now().Sub(b.openedAt) >= b.cfg.OpenFor {
		st = HalfOpen
	}
	return st, b.opens
}
