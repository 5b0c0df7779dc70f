package llm

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	type step struct {
		advance time.Duration
		allow   bool    // want allow()
		then    outcome // reported when allowed
		state   BreakerState
	}
	cfg := BreakerConfig{Failures: 3, OpenFor: 10 * time.Second}
	tests := []struct {
		name  string
		steps []step
	}{
		{"failures below threshold stay closed", []step{
			{allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeSuccess, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerClosed},
		}},
		{"consecutive failures open; open refuses", []step{
			{allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerOpen},
			{allow: false, state: BreakerOpen},
			{advance: 9 * time.Second, allow: false, state: BreakerOpen},
		}},
		{"half-open probe success closes", []step{
			{allow: true, then: outcomeFailure, state: BreakerClosed}, {allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerOpen},
			{advance: 10 * time.Second, allow: true, then: outcomeSuccess, state: BreakerClosed},
			{allow: true, then: outcomeSuccess, state: BreakerClosed},
		}},
		{"half-open probe failure reopens for a full period", []step{
			{allow: true, then: outcomeFailure, state: BreakerClosed}, {allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerOpen},
			{advance: 11 * time.Second, allow: true, then: outcomeFailure, state: BreakerOpen},
			{advance: 9 * time.Second, allow: false, state: BreakerOpen},
			{advance: time.Second, allow: true, then: outcomeSuccess, state: BreakerClosed},
		}},
		{"neutral probe frees the slot without deciding", []step{
			{allow: true, then: outcomeFailure, state: BreakerClosed}, {allow: true, then: outcomeFailure, state: BreakerClosed},
			{allow: true, then: outcomeFailure, state: BreakerOpen},
			{advance: 10 * time.Second, allow: true, then: outcomeNeutral, state: BreakerHalfOpen},
			{allow: true, then: outcomeSuccess, state: BreakerClosed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			b := newBreaker(cfg, clk)
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				got := b.allow()
				if got != s.allow {
					t.Fatalf("step %d: allow = %v, want %v", i, got, s.allow)
				}
				if got {
					b.done(s.then)
				}
				if st, _ := b.snapshot(); st != s.state {
					t.Fatalf("step %d: state = %v, want %v", i, st, s.state)
				}
			}
		})
	}
}

// While a probe is in flight, other calls are refused.
func TestBreakerOneProbe(t *testing.T) {
	clk := newClock()
	b := newBreaker(BreakerConfig{Failures: 1, OpenFor: time.Second}, clk)
	if !b.allow() {
		t.Fatal("closed breaker refused")
	}
	b.done(outcomeFailure)
	clk.Advance(time.Second)
	if !b.allow() {
		t.Fatal("probe refused")
	}
	if b.allow() {
		t.Fatal("second call allowed during the probe")
	}
	b.done(outcomeSuccess)
	if _, opens := b.snapshot(); opens != 1 {
		t.Fatalf("opens = %d, want 1", opens)
	}
}
