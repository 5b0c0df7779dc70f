package llm

import (
	"encoding/json"
	"math/bits"
	"sync"
	"time"
)

// Operations a Client counts separately.
const (
	OpUnderstand = "understand"
	OpPhrase     = "phrase"
	OpSummarize  = "summarize"
)

// Fallback reasons: why a turn used rules or a template instead of the
// model (Stats.Fallbacks, bot.ModelCall.Fallback).
const (
	FallbackBreakerOpen = "breaker_open"
	FallbackTimeout     = "timeout"
	FallbackRateLimited = "rate_limited"
	FallbackServer      = "server_error"
	FallbackRequest     = "request_refused"
	FallbackTransport   = "transport"
	FallbackBadOutput   = "bad_output"
	FallbackStream      = "stream_broken"
	FallbackPlaceholder = "placeholder"
	FallbackCanceled    = "canceled"
	FallbackFigure      = "unsupported_figure" // a summary stated a figure not in the transcript
)

// OpStats counts one operation's calls.
type OpStats struct {
	Calls     uint64 `json:"calls"`     // calls that went out (after the breaker)
	OK        uint64 `json:"ok"`        // answers used
	Failed    uint64 `json:"failed"`    // answers not used
	Retries   uint64 `json:"retries"`   // extra attempts
	TokensIn  uint64 `json:"tokens_in"` // prompt tokens reported by the server
	TokensOut uint64 `json:"tokens_out"`
	// Latency quantiles of calls that went out, from a log-scale
	// histogram (upper bucket bounds: within a factor of 1.19).
	LatencyP50 time.Duration `json:"latency_p50_ns"`
	LatencyP99 time.Duration `json:"latency_p99_ns"`
	LatencyMax time.Duration `json:"latency_max_ns"`
}

// Stats is a snapshot of a Client's counters.
type Stats struct {
	Model         string `json:"model"`
	PromptVersion string `json:"prompt_version"`
	Mode          Mode   `json:"mode"`
	// Breaker is the understanding breaker's state; Breakers has every
	// operation's, and BreakerOpens counts openings of all of them.
	Breaker      string             `json:"breaker"`
	Breakers     map[string]string  `json:"breakers"`
	BreakerOpens uint64             `json:"breaker_opens"`
	Ops          map[string]OpStats `json:"ops"`
	// Fallbacks counts turns (or acts, or summaries) that fell back, by reason.
	Fallbacks map[string]uint64 `json:"fallbacks"`
	// RulesSettled counts hybrid-mode messages the rules settled alone.
	RulesSettled uint64 `json:"rules_settled"`
	// DroppedSlots counts model slots that failed re-validation.
	DroppedSlots uint64 `json:"dropped_slots"`
	// GuardChecks and GuardReplacements count phrased texts the guard
	// checked and refused (reported by bot.PhraseAct).
	GuardChecks       uint64 `json:"guard_checks"`
	GuardReplacements uint64 `json:"guard_replacements"`
}

// latency histogram: bucket k holds durations whose microseconds, times 4
// sub-steps per power of two, fall at index k.
const histBuckets = 4 * 40

type hist struct {
	n       uint64
	buckets [histBuckets]uint64
	max     time.Duration
}

func histIndex(d time.Duration) int {
	us := uint64(d / time.Microsecond)
	if us == 0 {
		return 0
	}
	e := bits.Len64(us) - 1 // 2^e <= us < 2^(e+1)
	var frac uint64
	if e >= 2 {
		frac = (us >> (e - 2)) & 3
	} else {
		frac = (us << (2 - e)) & 3
	}
	k := 4*e + int(frac) + 1
	if k >= histBuckets {
		k = histBuckets - 1
	}
	return k
}

// histUpper is the upper bound of bucket k.
func histUpper(k int) time.Duration {
	if k == 0 {
		return time.Microsecond
	}
	k--
	e, frac := k/4, k%4
	us := (uint64(4+frac+1) << e) / 4
	return time.Duration(us) * time.Microsecond
}

func (h *hist) add(d time.Duration) {
	h.n++
	h.buckets[histIndex(d)]++
	if d > h.max {
		h.max = d
	}
}

func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for k, c := range h.buckets {
		seen += c
		if seen >= rank {
			return min(histUpper(k), h.max)
		}
	}
	return h.max
}

type opCounters struct {
	OpStats
	lat hist
}

// stats are a Client's counters, behind one mutex: calls take
// milliseconds, so contention is no concern.
type stats struct {
	mu           sync.Mutex
	ops          map[string]*opCounters
	fallbacks    map[string]uint64
	rulesSettled uint64
	dropped      uint64
	guardChecks  uint64
	guardRepl    uint64
}

func newStats() *stats {
	return &stats{ops: map[string]*opCounters{}, fallbacks: map[string]uint64{}}
}

func (s *stats) op(name string) *opCounters {
	o := s.ops[name]
	if o == nil {
		o = &opCounters{}
		s.ops[name] = o
	}
	return o
}

// record counts one call that went out.
func (s *stats) record(op string, lat time.Duration, attempts, in, out int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.op(op)
	o.Calls++
	if ok {
		o.OK++
	} else {
		o.Failed++
	}
	if attempts > 1 {
		o.Retries += uint64(attempts - 1)
	}
	o.TokensIn += uint64(max(in, 0))
	o.TokensOut += uint64(max(out, 0))
	o.lat.add(lat)
}

func (s *stats) fallback(reason string) {
	s.mu.Lock()
	s.fallbacks[reason]++
	s.mu.Unlock()
}

func (s *stats) settled() {
	s.mu.Lock()
	s.rulesSettled++
	s.mu.Unlock()
}

func (s *stats) droppedSlots(n int) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	s.dropped += uint64(n)
	s.mu.Unlock()
}

func (s *stats) guard(replaced bool) {
	s.mu.Lock()
	s.guardChecks++
	if replaced {
		s.guardRepl++
	}
	s.mu.Unlock()
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{
		Ops:               make(map[string]OpStats, len(s.ops)),
		Fallbacks:         make(map[string]uint64, len(s.fallbacks)),
		RulesSettled:      s.rulesSettled,
		DroppedSlots:      s.dropped,
		GuardChecks:       s.guardChecks,
		GuardReplacements: s.guardRepl,
	}
	for k, o := range s.ops {
		st := o.OpStats
		st.LatencyP50, st.LatencyP99, st.LatencyMax = o.lat.quantile(0.5), o.lat.quantile(0.99), o.lat.max
		out.Ops[k] = st
	}
	for k, v := range s.fallbacks {
		out.Fallbacks[k] = v
	}
	return out
}

// String renders the stats as JSON, so a Client is an expvar.Var:
// expvar.Publish("llm", client).
func (st Stats) String() string {
	b, err := json.Marshal(st)
	if err != nil {
		return "{}"
	}
	return string(b)
}
