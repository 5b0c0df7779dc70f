package ratelimit

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := New(2, 3, t0)
	for i := range 3 {
		if !b.Allow(t0) {
			t.Fatalf("token %d of a full burst of 3 refused", i+1)
		}
	}
	if b.Allow(t0) || b.Peek(t0) {
		t.Fatal("a fourth token at the same instant was available")
	}
	// 2 tokens a second: one more after 500 ms, and Peek takes none.
	t1 := t0.Add(500 * time.Millisecond)
	if !b.Peek(t1) || !b.Peek(t1) {
		t.Fatal("no token after 500 ms at 2/s")
	}
	if !b.Allow(t1) || b.Allow(t1) {
		t.Fatal("want exactly one token after 500 ms at 2/s")
	}
	// Refill stops at the burst.
	t2 := t1.Add(time.Hour)
	n := 0
	for b.Allow(t2) {
		n++
	}
	if n != 3 {
		t.Fatalf("after an hour: %d tokens, want the burst of 3", n)
	}
	// A clock that steps back takes nothing and adds nothing.
	if b.Allow(t1) {
		t.Fatal("a token from a clock that went back")
	}
}

func TestBucketBurstAndRefill(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := New(5, 10, t0)
	n := 0
	for b.Allow(t0) {
		n++
	}
	if n != 10 {
		t.Fatalf("burst = %d, want 10", n)
	}
	if b.Allow(t0.Add(100 * time.Millisecond)) {
		t.Error("allowed after 100ms (0.5 token)")
	}
	if !b.Allow(t0.Add(200 * time.Millisecond)) {
		t.Error("refused after 200ms (1 token)")
	}
	n = 0
	for b.Allow(t0.Add(time.Hour)) {
		n++
	}
	if n != 10 {
		t.Errorf("after a long idle: %d, want the burst of 10", n)
	}
}
