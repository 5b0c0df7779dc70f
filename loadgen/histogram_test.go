package loadgen

import (
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	// Every value falls in a bucket whose bounds hold it, buckets are
	// contiguous, and a bucket is at most 1/64 of its lower bound wide.
	prevHi := int64(-1)
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if lo >= exactBelow && float64(hi-lo+1) > float64(lo)/subCount {
			t.Fatalf("bucket %d [%d,%d] wider than 1/%d", i, lo, hi, subCount)
		}
		for _, v := range []int64{lo, hi, lo + (hi-lo)/2} {
			if got := bucketIndex(v); got != i {
				t.Fatalf("bucketIndex(%d) = %d, want %d", v, got, i)
			}
		}
		prevHi = hi
	}
	if prevHi != int64(MaxTrackable) {
		t.Fatalf("last bucket ends at %d, want %d", prevHi, int64(MaxTrackable))
	}
	if got := bucketIndex(int64(MaxTrackable) * 4); got != numBuckets-1 {
		t.Fatalf("huge value in bucket %d, want the last", got)
	}
	if got := bucketIndex(-5); got != 0 {
		t.Fatalf("negative value in bucket %d, want 0", got)
	}
}

// exactQuantile is the observation of rank ceil(q*n), the definition
// Quantile approximates.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(q*float64(len(sorted)) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		gen  func(i int) time.Duration
		n    int
	}{
		{"uniform 1..10000 µs", func(i int) time.Duration { return time.Duration(i+1) * time.Microsecond }, 10000},
		{"constant 3ms", func(int) time.Duration { return 3 * time.Millisecond }, 500},
		{"exponential", func(int) time.Duration { return time.Duration(rng.ExpFloat64() * float64(2*time.Millisecond)) }, 20000},
		{"bimodal with outliers", func(i int) time.Duration {
			switch {
			case i%100 == 0:
				return 900 * time.Millisecond
			case i%2 == 0:
				return 200 * time.Microsecond
			}
			return 5 * time.Millisecond
		}, 10000},
		{"nanoseconds", func(i int) time.Duration { return time.Duration(i % 100) }, 1000},
		{"single", func(int) time.Duration { return 42 * time.Millisecond }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			vals := make([]time.Duration, tt.n)
			for i := range vals {
				vals[i] = tt.gen(i)
				h.Record(vals[i])
			}
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			if h.Count() != uint64(tt.n) {
				t.Fatalf("Count = %d, want %d", h.Count(), tt.n)
			}
			if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
				t.Fatalf("Min/Max = %v/%v, want %v/%v", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
			}
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				want := exactQuantile(vals, q)
				got := h.Quantile(q)
				// Never below the true value, at most one bucket (1/64) above.
				if got < want || float64(got-want) > float64(want)/subCount+1 {
					t.Errorf("Quantile(%v) = %v, want %v (+1/64)", q, got, want)
				}
			}
			var sum time.Duration
			for _, v := range vals {
				sum += v
			}
			if want := sum / time.Duration(tt.n); h.Mean() != want {
				t.Errorf("Mean = %v, want %v", h.Mean(), want)
			}
		})
	}
}

func TestEmptyHistogram(t *testing.T) {
	var h Histogram
	s := h.Summary()
	if s != (LatencySummary{}) {
		t.Fatalf("empty summary = %+v, want zero", s)
	}
	if h.Min() != 0 || h.Quantile(0) != 0 {
		t.Fatal("empty histogram answers non-zero")
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * 7 * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{})
	if merged.Summary() != all.Summary() || merged.Min() != all.Min() {
		t.Fatalf("merged %+v, want %+v", merged.Summary(), all.Summary())
	}
}

func TestHistogramConcurrentRecord(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	const workers, each = 8, 5000
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.Record(time.Duration(w*each+i+1) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	if h.Count() != workers*each {
		t.Fatalf("Count = %d, want %d", h.Count(), workers*each)
	}
	if h.Max() != workers*each*time.Microsecond || h.Min() != time.Microsecond {
		t.Fatalf("Min/Max = %v/%v", h.Min(), h.Max())
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			d += 997
			h.Record(d % (50 * time.Millisecond))
		}
	})
}
