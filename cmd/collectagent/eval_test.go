package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/eval"
)

// evalJSON runs `collectagent eval --json` with args and the environment
// env, and decodes its modes.
func evalJSON(t *testing.T, env map[string]string, args ...string) (int, []evalMode, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runEvalEnv(context.Background(), append([]string{"--json"}, args...), &out, &errb, envOf(env))
	var modes []evalMode
	if code <= 1 {
		if err := json.Unmarshal(out.Bytes(), &modes); err != nil {
			t.Fatalf("eval --json: %v\n%s\n%s", err, out.String(), errb.String())
		}
	}
	return code, modes, errb.String()
}

type evalMode struct {
	Mode    string           `json:"mode"`
	Summary eval.ModeSummary `json:"summary"`
	Figures eval.Figures     `json:"figures"`
	Reports []*eval.Report   `json:"reports"`
}

// shippedSuites are the gate suites every change keeps passing (the
// evaluation corpora beside them are measured, not gated).
func shippedSuites(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, n := range []string{"core.yaml", "meaning.yaml"} {
		p := filepath.Join("..", "..", "testdata", "eval", n)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("shipped suite: %v", err)
		}
		paths = append(paths, p)
	}
	return paths
}

// The shipped suites against a model that understands as the rules do and
// phrases faithfully, and against a dead one: the outcomes are the rules'
// in every mode. With the good model the model understands lines, phrases
// acts and nothing falls back; with the dead one every model call falls
// back, the breaker opens, and the fallbacks are counted.
func TestEvalModesAgainstFakeModel(t *testing.T) {
	suites := shippedSuites(t)
	for _, tt := range []struct {
		name string
		fail bool
		lie  string
	}{
		{"delegating model", false, ""},
		{"dead model", true, ""},
		// Every phrased act claims the account is closed: each wording is
		// replaced by the template, counted, and never said.
		{"lying model", false, "Your account is closed, 你的账户已结清. "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newLyingModel(t, tt.fail, tt.lie)
			env := map[string]string{"COLLECT_LLM_API_KEY": fakeLLMKey}
			args := append([]string{"--understanding", "rules,llm,hybrid", "--llm-base-url", f.URL(), "--llm-model", "fake-model"}, suites...)
			code, modes, stderr := evalJSON(t, env, args...)
			if code != 0 || len(modes) != 3 {
				t.Fatalf("exit %d, %d modes\n%s", code, len(modes), stderr)
			}
			var sums []eval.ModeSummary
			for _, m := range modes {
				sums = append(sums, m.Summary)
			}
			var table bytes.Buffer
			_ = eval.WriteComparison(&table, sums)
			t.Logf("\n%s", table.String())
			rules := modes[0].Summary
			if rules.Mode != "rules" || rules.ModelCalls != 0 || rules.Conversations < 60 {
				t.Fatalf("rules mode: %+v", rules)
			}
			for _, m := range modes[1:] {
				s := m.Summary
				if s.Conversations != rules.Conversations || s.PassRate != rules.PassRate {
					t.Errorf("%s: pass rate %.4f of %d, rules %.4f of %d", s.Mode, s.PassRate, s.Conversations, rules.PassRate, rules.Conversations)
					for i, r := range m.Reports {
						for j, res := range r.Results {
							if want := modes[0].Reports[i].Results[j]; res.Pass != want.Pass {
								t.Logf("%s: %s: pass %v (rules %v): %v", s.Mode, res.Name, res.Pass, want.Pass, res.Failures)
							}
						}
					}
				}
				// The suites state what their lines mean; a model that reads
				// as the rules do, or none at all, reads them as well.
				if s.IntentChecks == 0 || s.IntentChecks != rules.IntentChecks || s.IntentAccuracy != rules.IntentAccuracy || s.SlotAccuracy != rules.SlotAccuracy {
					t.Errorf("%s: intent %.4f of %d, slots %.4f of %d; rules %.4f of %d, %.4f of %d", s.Mode,
						s.IntentAccuracy, s.IntentChecks, s.SlotAccuracy, s.SlotChecks, rules.IntentAccuracy, rules.IntentChecks, rules.SlotAccuracy, rules.SlotChecks)
					for _, r := range m.Reports {
						for _, res := range r.Results {
							for _, mr := range res.Misreads {
								t.Logf("%s: %s: %s", s.Mode, res.Name, mr)
							}
						}
					}
				}
				if s.ModelCalls == 0 || s.TurnP50 <= 0 || s.TurnP99 < s.TurnP50 {
					t.Errorf("%s: model calls %d, turn p50 %v p99 %v", s.Mode, s.ModelCalls, s.TurnP50, s.TurnP99)
				}
				if tt.fail {
					if s.ModelParses != 0 || s.FallbackTotal == 0 || s.Fallbacks[llm.FallbackServer] == 0 || s.Fallbacks[llm.FallbackBreakerOpen] == 0 || s.BreakerOpenings == 0 {
						t.Errorf("%s: dead model: parses %d, fallbacks %v, breaker opened %d", s.Mode, s.ModelParses, s.Fallbacks, s.BreakerOpenings)
					}
				} else {
					if s.ModelParses == 0 || s.FallbackTotal != 0 || s.ModelFailed != 0 || s.UnderstandP50 <= 0 || s.TokensIn == 0 {
						t.Errorf("%s: delegating model: %+v", s.Mode, s)
					}
					if tt.lie == "" && s.GuardReplacements != 0 {
						t.Errorf("%s: a faithful wording was replaced %d times", s.Mode, s.GuardReplacements)
					}
					if tt.lie != "" && s.GuardReplacements == 0 {
						t.Errorf("%s: no wording replaced", s.Mode)
					}
					if tt.lie != "" && s.GuardBlocks != 0 {
						t.Errorf("%s: the guard blocked %d sent utterances", s.Mode, s.GuardBlocks)
					}
					for _, r := range m.Reports {
						for _, res := range r.Results {
							for _, turn := range res.Transcript {
								if turn.From == "bot" && (strings.Contains(turn.Text, "account is closed") || strings.Contains(turn.Text, "已结清")) {
									t.Fatalf("%s: %s: the bot said %q", s.Mode, res.Name, turn.Text)
								}
							}
						}
					}
				}
			}
			if tt.lie != "" {
				// Every wording the model wrote was replaced, in every mode.
				if n := modes[1].Summary.GuardReplacements + modes[2].Summary.GuardReplacements; n != f.count("phrase") {
					t.Errorf("%d wordings replaced, %d phrased", n, f.count("phrase"))
				}
			}
			// llm asks the model for every line, hybrid only when the rules are unsure.
			if l, h := modes[1].Summary, modes[2].Summary; !tt.fail && (l.ModelParses != l.Turns || h.ModelParses >= l.ModelParses) {
				t.Errorf("model parses: llm %d of %d turns, hybrid %d", l.ModelParses, l.Turns, h.ModelParses)
			}
			if f.count("phrase") == 0 || f.count("understand") == 0 {
				t.Errorf("requests: understand %d, phrase %d", f.count("understand"), f.count("phrase"))
			}
		})
	}
}

// The text output puts the modes side by side in one table.
func TestEvalComparisonTable(t *testing.T) {
	f := newFakeModel(t, false)
	suite := writeSuite(t, annotatedSuite)
	var out, errb bytes.Buffer
	code := runEvalEnv(context.Background(), []string{"--understanding", "rules, hybrid", "--llm-base-url", f.URL(), "--llm-model", "fake-model", "-v", suite},
		&out, &errb, envOf(nil))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	s := out.String()
	_, table, ok := strings.Cut(s, "understanding modes compared:\n")
	if !ok {
		t.Fatalf("no comparison:\n%s", s)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "MODE") || !strings.HasPrefix(lines[1], "rules ") || !strings.HasPrefix(lines[2], "hybrid ") {
		t.Fatalf("table:\n%s", table)
	}
	for _, want := range []string{"INTENT ACC", "SLOT ACC", "FALLBACKS", "TURN P99", "100.0% of 4", "100.0% of 3", "understanding: hybrid", "understanding: rules"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// Misread lines lower the accuracy without failing the conversation.
func TestEvalMeasuresMeaning(t *testing.T) {
	suite := writeSuite(t, strings.Replace(annotatedSuite, "intent: promise", "intent: plan", 1))
	code, modes, stderr := evalJSON(t, nil, suite)
	if code != 0 || len(modes) != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	s := modes[0].Summary
	if s.IntentChecks != 4 || s.IntentAccuracy != 0.75 || s.SlotChecks != 3 || s.SlotAccuracy != 1 || s.PassRate != 1 {
		t.Errorf("summary %+v", s)
	}
	if m := modes[0].Reports[0].Results[0].Misreads; len(m) != 1 || !strings.Contains(m[0], "intent promise, want plan") {
		t.Errorf("misreads %q", m)
	}
}

// A run whose pass rate meets its threshold still fails when it recorded
// a deal or a statement no conversation expected; the figures say so per
// file, language and category, in text and in JSON.
func TestEvalCountersFailTheRun(t *testing.T) {
	lenient := strings.Replace(annotatedSuite, "name: meaning\n", "name: meaning\nthreshold: 0.4\n", 1)
	// The promise is right but the conversation expects none.
	misrecorded := writeSuite(t, strings.Replace(lenient, "expect: {outcome: ptp, amount: 240.00, due_date: \"2026-11-27\"}",
		"category: deals\n    expect: {outcome: escalated, escalation: hardship}", 1))
	code, modes, stderr := evalJSON(t, nil, misrecorded)
	if code != 1 || len(modes) != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	f := modes[0].Figures
	if f.Total.MisrecordedDeals != 1 || f.Total.Passed != 1 || f.Total.Total != 2 || len(f.Files) != 1 ||
		len(f.Locales) != 2 || len(f.Categories) != 2 || f.Categories[1].Name != "deals" || f.Categories[1].MisrecordedDeals != 1 {
		t.Errorf("figures %+v", f)
	}
	var out, errb bytes.Buffer
	if code := runEvalEnv(context.Background(), []string{misrecorded}, &out, &errb, envOf(nil)); code != 1 {
		t.Errorf("text: exit %d\n%s", code, errb.String())
	}
	for _, w := range []string{"figures (rules):", "by category:", "deals", "MISRECORDED DEALS", "misrecorded deals 1"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	// The same failure without a counter meets the lenient threshold.
	wrongDate := writeSuite(t, strings.Replace(lenient, "due_date: \"2026-11-27\"}", "due_date: \"2026-11-27\", must_say: [\"never said\"]}", 1))
	code, modes, stderr = evalJSON(t, nil, wrongDate)
	if code != 0 || modes[0].Figures.Total.Passed != 1 || !modes[0].Figures.OK() {
		t.Errorf("exit %d, figures %+v\n%s", code, modes[0].Figures, stderr)
	}
	// Below the threshold fails with no counter.
	strict := writeSuite(t, strings.Replace(annotatedSuite, "due_date: \"2026-11-27\"}", "due_date: \"2026-11-27\", must_say: [\"never said\"]}", 1))
	if code, _, stderr := evalJSON(t, nil, strict); code != 1 {
		t.Errorf("below threshold: exit %d\n%s", code, stderr)
	}
}

func TestEvalBadFlags(t *testing.T) {
	suite := writeSuite(t, annotatedSuite)
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--understanding", "magic", suite}, nil, "--understanding"},
		{[]string{"--understanding", "rules,llm", suite}, nil, "llm.base_url"},
		{[]string{"--understanding", "hybrid", "--llm-base-url", "http://127.0.0.1:1/v1", suite}, nil, "llm.model"},
		{[]string{"--understanding", "llm", suite}, map[string]string{"COLLECT_LLM_BASE_URL": "nope", "COLLECT_LLM_MODEL": "m", "COLLECT_LLM_API_KEY": fakeLLMKey}, "llm.base_url"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := runEvalEnv(context.Background(), tt.args, &out, &errb, envOf(tt.env))
		if code != 2 || !strings.Contains(errb.String(), tt.want) || strings.Contains(errb.String()+out.String(), fakeLLMKey) {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

func writeSuite(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "suite.yaml")
	if err := writeFile(p, s); err != nil {
		t.Fatal(err)
	}
	return p
}

// annotatedSuite states what its lines mean: 4 intents, 3 slots.
const annotatedSuite = `
name: meaning
now: "2026-11-24T15:00:00Z"
accounts:
  - {id: maria, name: Maria Lopez, date_of_birth: "1988-07-21", id_last4: "4417",
     locale: en-US, timezone: America/Chicago, portfolio: us,
     debts: [{id: d1, creditor: Demo Finance, amount_due: 240.00, currency: USD,
              due_date: "2026-11-13", days_past_due: 11}]}
  - {id: wang, name: 王芳, date_of_birth: "1990-03-15", id_last4: "123X",
     locale: zh-CN, timezone: Asia/Shanghai, portfolio: cn,
     debts: [{id: d2, creditor: 示例金融, amount_due: 860.00, currency: CNY,
              due_date: "2026-11-10", days_past_due: 14}]}
conversations:
  - name: en-promise
    account: maria
    lines:
      - say: "07/21/1988"
        intent: identify
      - say: "I can pay $240 on Friday"
        intent: promise
        date: "2026-11-27"
        amount: 240
      - "yes"
    expect: {outcome: ptp, amount: 240.00, due_date: "2026-11-27"}
  - name: zh-plan
    account: wang
    lines:
      - say: "1990年3月15日"
        intent: identify
      - say: "我想分4期还"
        intent: plan
        installments: 4
      - "是的"
    expect: {outcome: plan, installments: 4}
`

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o600) }
