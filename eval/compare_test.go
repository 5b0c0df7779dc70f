package eval

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/bot/understand"
)

func TestQuantile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose
	}
	tests := []struct {
		name string
		ds   []time.Duration
		q    float64
		want time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of odd", ms(3, 1, 2), 0.5, 2 * time.Millisecond},
		{"median of even takes the lower", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 0.50, 50 * time.Millisecond},
		{"max", ms(5, 9, 1), 1, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(tt.ds, tt.q); got != tt.want {
				t.Errorf("Quantile = %v, want %v", got, tt.want)
			}
		})
	}
}

// A line's meaning is measured against the parse recorded with its turn:
// a wrong intent or slot counts as a miss and is listed, and the
// conversation still passes on its outcome.
func TestMeaningMeasured(t *testing.T) {
	suite := validHead + `conversations:
  - name: promise
    account: maria
    lines:
      - {say: "07/21/1988", intent: identify}
      - {say: "I can pay $240 on Friday", intent: plan, date: "2026-11-28", amount: 240}
      - {say: "yes", intent: affirm, installments: 2}
    expect: {outcome: ptp, amount: 240.00}
  - name: ended-early
    account: maria
    lines:
      - {say: "wrong number", intent: wrong_party}
      - {say: "bye", intent: greet}
    expect: {outcome: wrong_party}
`
	s, err := Parse("meaning.yaml", []byte(suite))
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sw := func() time.Time { tick = tick.Add(time.Millisecond); return tick }
	rep, err := Run(context.Background(), s, Options{Understander: understand.NewRules(), Dir: t.TempDir(), Mode: "rules", Stopwatch: sw})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Results[0]
	if !p.Pass || p.IntentChecks != 3 || p.IntentHits != 2 || p.SlotChecks != 3 || p.SlotHits != 1 {
		t.Fatalf("promise: %+v", p)
	}
	if len(p.Misreads) != 2 || !strings.Contains(p.Misreads[0], "intent promise, want plan") || !strings.Contains(p.Misreads[0], "date 2026-11-27, want 2026-11-28") || !strings.Contains(p.Misreads[1], "installments 0, want 2") {
		t.Errorf("misreads %q", p.Misreads)
	}
	if len(p.Latencies) != 3 || p.Latencies[0] != time.Millisecond {
		t.Errorf("latencies %v", p.Latencies)
	}
	// The second line was never understood: the conversation had ended.
	e := rep.Results[1]
	if e.IntentChecks != 2 || e.IntentHits != 1 || len(e.Misreads) != 1 || !strings.Contains(e.Misreads[0], "want greet") {
		t.Errorf("ended early: %+v", e)
	}

	sum := Summarize(ModeRun{Mode: "rules", Reports: []*Report{rep}, Model: &llm.Stats{Mode: llm.ModeRules}})
	if sum.Conversations != 2 || sum.IntentChecks != 5 || sum.IntentAccuracy != 0.6 || sum.SlotChecks != 3 || sum.TurnP50 != time.Millisecond || sum.ModelCalls != 0 || sum.Model != "" {
		t.Errorf("summary %+v", sum)
	}
}

func TestWriteComparison(t *testing.T) {
	sums := []ModeSummary{
		{Mode: "rules", Conversations: 10, Passed: 9, PassRate: 0.9, IntentChecks: 20, IntentAccuracy: 0.85, SlotAccuracy: -1, Turns: 30, TurnP50: 250 * time.Microsecond, TurnP99: 3 * time.Millisecond},
		{Mode: "hybrid", Conversations: 10, Passed: 10, PassRate: 1, IntentChecks: 20, IntentAccuracy: 0.95, SlotChecks: 4, SlotAccuracy: 1, Turns: 30, ModelParses: 6,
			GuardReplacements: 2, ModelCalls: 12, FallbackTotal: 3, Fallbacks: map[string]uint64{"timeout": 1, "breaker_open": 2},
			TurnP50: 300 * time.Microsecond, TurnP99: 40 * time.Millisecond, UnderstandP50: 20 * time.Millisecond, UnderstandP99: 35 * time.Millisecond, Model: "qwen3-8b", PromptVersion: "llm-abc"},
	}
	var b bytes.Buffer
	if err := WriteComparison(&b, sums); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(out, "\n")
	for _, want := range []string{"90.0% (9)", "85.0% of 20", "95.0% of 20", "100.0% of 4", "6/30", "250µs", "40ms", "breaker_open 2, timeout 1", "qwen3-8b"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(lines[1], "rules ") || !strings.HasPrefix(lines[2], "hybrid ") || !strings.Contains(lines[1], " - ") {
		t.Errorf("table:\n%s", out)
	}
}
