package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram records durations in log-linear buckets: exact below 128 ns,
// then 64 buckets per power of two, so a reported quantile is within 1/64
// (about 1.6%) of the true value. Durations above MaxTrackable are counted
// in the last bucket; the exact maximum is kept separately.
//
// Record is safe for concurrent use and lock-free, so every borrower can
// record into one histogram without a per-goroutine copy (a copy is ~16 KB,
// and a run has thousands of borrowers).
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Int64
	min    atomic.Int64 // valid when total > 0; stored as value+1 so zero means unset
	max    atomic.Int64
}

const (
	subBits    = 6
	subCount   = 1 << subBits // buckets per power of two
	exactBelow = 2 * subCount // values below this have a bucket each
	maxMSB     = 35           // highest bit index tracked: 2^36 ns ≈ 68.7 s
	numBuckets = (maxMSB-subBits+1)*subCount + subCount

	// MaxTrackable is the largest duration with its own bucket.
	MaxTrackable = time.Duration(1<<(maxMSB+1) - 1)
)

// bucketIndex maps a non-negative value in nanoseconds to its bucket.
func bucketIndex(v int64) int {
	if v < 0 {
		v = 0
	}
	if v > int64(MaxTrackable) {
		v = int64(MaxTrackable)
	}
	if v < exactBelow {
		return int(v)
	}
	msb := bits.Len64(uint64(v)) - 1
	shift := msb - subBits
	return (shift+1)*subCount + int(v>>uint(shift)) - subCount
}

// bucketBounds returns the smallest and largest value that fall in bucket i.
func bucketBounds(i int) (lo, hi int64) {
	if i < exactBelow {
		return int64(i), int64(i)
	}
	shift := i/subCount - 1
	lo = int64(subCount+i%subCount) << uint(shift)
	return lo, lo + int64(1)<<uint(shift) - 1
}

// Record adds one duration. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketIndex(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for {
		cur := h.max.Load()
		if v <= cur || h.max.CompareAndSwap(cur, v) {
			break
		}
	}
	for {
		cur := h.min.Load()
		if (cur != 0 && v+1 >= cur) || h.min.CompareAndSwap(cur, v+1) {
			break
		}
	}
}

// Merge adds every observation of o to h. o must not be recorded into
// concurrently.
func (h *Histogram) Merge(o *Histogram) {
	if o.total.Load() == 0 {
		return
	}
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
	if m := o.min.Load(); m != 0 && (h.min.Load() == 0 || m < h.min.Load()) {
		h.min.Store(m)
	}
}

// Count is the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max is the largest recorded duration, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Min is the smallest recorded duration, exactly; zero when empty.
func (h *Histogram) Min() time.Duration {
	m := h.min.Load()
	if m == 0 {
		return 0
	}
	return time.Duration(m - 1)
}

// Mean is the arithmetic mean; zero when empty.
func (h *Histogram) Mean() time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns the q-quantile (0 < q <= 1) as the highest value of the
// bucket holding the observation of rank ceil(q*count), capped at Max: the
// answer is never below the true quantile and at most 1/64 above it. An
// empty histogram answers zero.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	if q <= 0 {
		return h.Min()
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(hi, h.max.Load()))
		}
	}
	return h.Max()
}

// LatencySummary is a histogram's digest as it appears in a report.
type LatencySummary struct {
	Count uint64   `json:"count"`
	Mean  Duration `json:"mean_ms"`
	P50   Duration `json:"p50_ms"`
	P90   Duration `json:"p90_ms"`
	P99   Duration `json:"p99_ms"`
	Max   Duration `json:"max_ms"`
}

// Summary digests the histogram.
func (h *Histogram) Summary() LatencySummary {
	return LatencySummary{
		Count: h.Count(),
		Mean:  Duration(h.Mean()),
		P50:   Duration(h.Quantile(0.50)),
		P90:   Duration(h.Quantile(0.90)),
		P99:   Duration(h.Quantile(0.99)),
		Max:   Duration(h.Max()),
	}
}
