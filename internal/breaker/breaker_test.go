package breaker

import (
	"testing"
	"time"

	"github.com/collectagent/collectagent/clock"
)

func newClock() *clock.Fake { return clock.NewFake(time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)) }

func TestBreaker(t *testing.T) {
	type step struct {
		advance time.Duration
		allow   bool    // want allow()
		then    Outcome // reported when allowed
		state   State
	}
	cfg := Config{Failures: 3, OpenFor: 10 * time.Second}
	tests := []struct {
		name  string
		steps []step
	}{
		{"failures below threshold stay closed", []step{
			{allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Closed},
			{allow: true, then: Success, state: Closed},
			{allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Closed},
		}},
		{"consecutive failures open; open refuses", []step{
			{allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Open},
			{allow: false, state: Open},
			{advance: 9 * time.Second, allow: false, state: Open},
		}},
		{"half-open probe success closes", []step{
			{allow: true, then: Failure, state: Closed}, {allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Open},
			{advance: 10 * time.Second, allow: true, then: Success, state: Closed},
			{allow: true, then: Success, state: Closed},
		}},
		{"half-open probe failure reopens for a full period", []step{
			{allow: true, then: Failure, state: Closed}, {allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Open},
			{advance: 11 * time.Second, allow: true, then: Failure, state: Open},
			{advance: 9 * time.Second, allow: false, state: Open},
			{advance: time.Second, allow: true, then: Success, state: Closed},
		}},
		{"neutral probe frees the slot without deciding", []step{
			{allow: true, then: Failure, state: Closed}, {allow: true, then: Failure, state: Closed},
			{allow: true, then: Failure, state: Open},
			{advance: 10 * time.Second, allow: true, then: Neutral, state: HalfOpen},
			{allow: true, then: Success, state: Closed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			b := New(cfg, clk)
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				got := b.Allow()
				if got != s.allow {
					t.Fatalf("step %d: allow = %v, want %v", i, got, s.allow)
				}
				if got {
					b.Done(s.then)
				}
				if st, _ := b.Snapshot(); st != s.state {
					t.Fatalf("step %d: state = %v, want %v", i, st, s.state)
				}
			}
		})
	}
}

// While a probe is in flight, other calls are refused.
func TestBreakerOneProbe(t *testing.T) {
	clk := newClock()
	b := New(Config{Failures: 1, OpenFor: time.Second}, clk)
	if !b.Allow() {
		t.Fatal("closed breaker refused")
	}
	b.Done(Failure)
	clk.Advance(time.Second)
	if !b.Allow() {
		t.Fatal("probe refused")
	}
	if b.Allow() {
		t.Fatal("second call allowed during the probe")
	}
	b.Done(Success)
	if _, opens := b.Snapshot(); opens != 1 {
		t.Fatalf("opens = %d, want 1", opens)
	}
}
