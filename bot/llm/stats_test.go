package llm

import (
	"encoding/json"
	"expvar"
	"testing"
	"time"
)

func TestLatencyQuantiles(t *testing.T) {
	tests := []struct {
		name     string
		samples  map[time.Duration]int
		p50, p99 time.Duration
	}{
		{"one value", map[time.Duration]int{3 * time.Millisecond: 10}, 3 * time.Millisecond, 3 * time.Millisecond},
		{"tail", map[time.Duration]int{time.Millisecond: 98, 200 * time.Millisecond: 2}, time.Millisecond, 200 * time.Millisecond},
		{"sub-microsecond", map[time.Duration]int{500 * time.Nanosecond: 4}, 500 * time.Nanosecond, 500 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hist
			for d, n := range tt.samples {
				for range n {
					h.add(d)
				}
			}
			// Buckets are a quarter of a power of two wide: within 19%, and
			// never above the largest sample.
			for _, q := range []struct {
				got, want time.Duration
			}{{h.quantile(0.5), tt.p50}, {h.quantile(0.99), tt.p99}} {
				if q.got < q.want || float64(q.got) > 1.19*float64(q.want)+float64(time.Microsecond) {
					t.Errorf("quantile = %v, want %v (+19%%)", q.got, q.want)
				}
			}
		})
	}
}

func TestHistBucketsOrdered(t *testing.T) {
	prev := time.Duration(0)
	for k := range histBuckets {
		u := histUpper(k)
		if u < prev {
			t.Fatalf("bucket %d upper %v below %v", k, u, prev)
		}
		prev = u
	}
	for _, d := range []time.Duration{time.Microsecond, 7 * time.Microsecond, time.Millisecond, 3 * time.Second} {
		if up := histUpper(histIndex(d)); up < d {
			t.Errorf("%v lands in a bucket ending at %v", d, up)
		}
	}
}

// A Client publishes as an expvar; its String is the Stats as JSON.
func TestStatsExpvar(t *testing.T) {
	f := newFake(t, toolCall(parseArgs(map[string]any{"intent": "promise", "date": "2026-11-27", "date_text": "Friday"})))
	c := newTestClient(t, testConfig(f, ModeLLM), nil)
	ctx, _ := turnCtx(usd(24000))
	if _, err := c.Understand(ctx, reqEN("Friday")); err != nil {
		t.Fatal(err)
	}
	expvar.Publish("llm_test_stats", c)
	var st Stats
	if err := json.Unmarshal([]byte(expvar.Get("llm_test_stats").String()), &st); err != nil {
		t.Fatal(err)
	}
	op := st.Ops[OpUnderstand]
	if st.Model != "fake-model" || st.PromptVersion == "" || st.Mode != ModeLLM || st.Breaker != "closed" ||
		op.Calls != 1 || op.OK != 1 || op.TokensIn != 120 || op.TokensOut != 30 {
		t.Fatalf("stats = %+v", st)
	}
}
