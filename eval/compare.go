package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/collectagent/collectagent/bot/llm"
)

// ModeRun is one understanding mode's run over a set of suites, with the
// counters of the model client it used (nil when it used none).
type ModeRun struct {
	Mode    string
	Reports []*Report
	Model   *llm.Stats
}

// ModeSummary is one line of the comparison of understanding modes.
type ModeSummary struct {
	Mode          string  `json:"mode"`
	Conversations int     `json:"conversations"`
	Passed        int     `json:"passed"`
	PassRate      float64 `json:"pass_rate"`
	// Intent and slot accuracy over the lines whose meaning the suites
	// state (IntentChecks, SlotChecks); -1 when none do.
	IntentChecks   int     `json:"intent_checks"`
	IntentAccuracy float64 `json:"intent_accuracy"`
	SlotChecks     int     `json:"slot_checks"`
	SlotAccuracy   float64 `json:"slot_accuracy"`
	// Turns is the number of borrower lines played; ModelParses of them
	// were understood by the model.
	Turns       int `json:"turns"`
	ModelParses int `json:"model_parses"`
	// GuardBlocks are utterances the guard replaced with its safe text;
	// GuardReplacements are model wordings replaced by the template.
	GuardBlocks       int `json:"guard_blocks"`
	GuardReplacements int `json:"guard_replacements"`
	// TurnP50 and TurnP99 are the wall time of a borrower turn
	// (understand, step, phrase, guard, persist).
	TurnP50 time.Duration `json:"turn_p50_ns"`
	TurnP99 time.Duration `json:"turn_p99_ns"`
	// From the model client's counters: requests sent (every operation),
	// answers not used, fallbacks by reason, and the latency of an
	// understanding call.
	ModelCalls      uint64            `json:"model_calls"`
	ModelFailed     uint64            `json:"model_failed"`
	Fallbacks       map[string]uint64 `json:"fallbacks,omitempty"`
	FallbackTotal   uint64            `json:"fallback_total"`
	UnderstandP50   time.Duration     `json:"understand_p50_ns"`
	UnderstandP99   time.Duration     `json:"understand_p99_ns"`
	TokensIn        uint64            `json:"tokens_in"`
	TokensOut       uint64            `json:"tokens_out"`
	Model           string            `json:"model,omitempty"`
	PromptVersion   string            `json:"prompt_version,omitempty"`
	BreakerOpenings uint64            `json:"breaker_opens"`
}

// Summarize sums a mode's reports and its model's counters.
func Summarize(run ModeRun) ModeSummary {
	s := ModeSummary{Mode: run.Mode, IntentAccuracy: -1, SlotAccuracy: -1}
	var lat []time.Duration
	intentHits, slotHits := 0, 0
	for _, r := range run.Reports {
		for _, res := range r.Results {
			s.Conversations++
			if res.Pass {
				s.Passed++
			}
			s.IntentChecks += res.IntentChecks
			intentHits += res.IntentHits
			s.SlotChecks += res.SlotChecks
			slotHits += res.SlotHits
			s.Turns += res.Turns
			s.ModelParses += res.ModelParses
			s.GuardBlocks += res.GuardBlocks
			s.GuardReplacements += res.GuardReplaced
			lat = append(lat, res.Latencies...)
		}
	}
	if s.Conversations > 0 {
		s.PassRate = float64(s.Passed) / float64(s.Conversations)
	}
	if s.IntentChecks > 0 {
		s.IntentAccuracy = float64(intentHits) / float64(s.IntentChecks)
	}
	if s.SlotChecks > 0 {
		s.SlotAccuracy = float64(slotHits) / float64(s.SlotChecks)
	}
	s.TurnP50, s.TurnP99 = Quantile(lat, 0.50), Quantile(lat, 0.99)
	if st := run.Model; st != nil {
		for _, op := range st.Ops {
			s.ModelCalls += op.Calls
			s.ModelFailed += op.Failed
			s.TokensIn += op.TokensIn
			s.TokensOut += op.TokensOut
		}
		s.Fallbacks = maps.Clone(st.Fallbacks)
		for _, n := range st.Fallbacks {
			s.FallbackTotal += n
		}
		u := st.Ops[llm.OpUnderstand]
		s.UnderstandP50, s.UnderstandP99 = u.LatencyP50, u.LatencyP99
		s.BreakerOpenings = st.BreakerOpens
		if run.Mode != string(llm.ModeRules) {
			s.Model, s.PromptVersion = st.Model, st.PromptVersion
		}
	}
	return s
}

// Quantile returns the q-quantile (0..1) of ds by the nearest-rank
// method; 0 for none.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// WriteComparison writes the modes side by side, one line each, then the
// fallbacks of each mode by reason.
func WriteComparison(w io.Writer, sums []ModeSummary) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tCONVERSATIONS\tPASS RATE\tINTENT ACC\tSLOT ACC\tMODEL PARSES\tGUARD BLOCKS\tGUARD REPLACED\tMODEL CALLS\tFALLBACKS\tTURN P50\tTURN P99\tUNDERSTAND P50\tUNDERSTAND P99")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n",
			s.Mode, s.Conversations, fmt.Sprintf("%.1f%% (%d)", 100*s.PassRate, s.Passed),
			accuracy(s.IntentAccuracy, s.IntentChecks), accuracy(s.SlotAccuracy, s.SlotChecks),
			s.ModelParses, s.Turns, s.GuardBlocks, s.GuardReplacements, s.ModelCalls, s.FallbackTotal,
			dur(s.TurnP50), dur(s.TurnP99), dur(s.UnderstandP50), dur(s.UnderstandP99))
	}
	tw.Flush()
	for _, s := range sums {
		if s.FallbackTotal == 0 && s.Model == "" {
			continue
		}
		fmt.Fprintf(ew, "%s: model %s (%s), tokens %d in / %d out, breaker opened %d time(s)", s.Mode, s.Model, s.PromptVersion, s.TokensIn, s.TokensOut, s.BreakerOpenings)
		if s.FallbackTotal > 0 {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(s.Fallbacks)) {
				parts = append(parts, fmt.Sprintf("%s %d", k, s.Fallbacks[k]))
			}
			fmt.Fprintf(ew, "; fallbacks: %s", strings.Join(parts, ", "))
		}
		fmt.Fprintln(ew)
	}
	return ew.err
}

func accuracy(a float64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% of %d", 100*a, n)
}

// dur rounds a latency for the table.
func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
}
