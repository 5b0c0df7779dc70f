// Package ratelimit is the token bucket every rate limit uses: a
// borrower's messages, connects and reconnects at the edge, console
// sign-ins.
package ratelimit

import "time"

// Bucket is a token bucket: rate tokens a second, up to burst. Time comes
// from the caller so tests control it. Not safe for concurrent use: its
// owner serialises calls.
type Bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// New returns a full bucket.
func New(rate float64, burst int, now time.Time) *Bucket {
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *Bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt*b.rate)
		b.last = now
	}
}

// Allow takes a token if one is available at now.
func (b *Bucket) Allow(now time.Time) bool {
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Peek says whether a token is available at now, taking none.
func (b *Bucket) Peek(now time.Time) bool {
	b.refill(now)
	return b.tokens >= 1
}
