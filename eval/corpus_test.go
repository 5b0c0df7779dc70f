package eval

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestParseCorpusFields reads the fields the evaluation corpora add: a
// category, account_state (absent is not the same as empty), late_reason,
// payments, priority and a followup conversation.
func TestParseCorpusFields(t *testing.T) {
	s, err := Parse("t.yaml", []byte(validHead+`
conversations:
  - name: one
    account: maria
    category: split_deal
    lines: ["07/21/1988", "120 friday and 120 on dec 4", "yes"]
    expect:
      outcome: plan
      installments: 2
      account_state: []
      late_reason: payday_timing
      payments:
        - {amount: 120.00, date: "2026-11-27"}
        - {amount: 120, date: "2026-12-04"}
    followup:
      lines: ["07/21/1988", "I want a human"]
      expect: {outcome: escalated, escalation: human_requested, priority: 3, account_state: [dispute, cease]}
  - name: two
    account: maria
    lines: ["hi"]
    expect: {outcome: none, mode: bot}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Conversations[0]
	e := c.Expect
	if c.Category != "split_deal" || e.AccountState == nil || len(*e.AccountState) != 0 || e.LateReason != "payday_timing" {
		t.Errorf("conversation %+v", c)
	}
	if len(e.Payments) != 2 || e.Payments[0].Amount.Minor != 12000 || e.Payments[1].Date != "2026-12-04" {
		t.Errorf("payments %+v", e.Payments)
	}
	f := c.Followup
	if f == nil || len(f.Lines) != 2 || f.Expect.Priority != 3 || len(*f.Expect.AccountState) != 2 {
		t.Fatalf("followup %+v", f)
	}
	if s.Conversations[1].Expect.AccountState != nil || s.Conversations[1].Followup != nil {
		t.Errorf("absent account_state or followup read as given: %+v", s.Conversations[1])
	}
}

func TestParseCorpusFieldErrors(t *testing.T) {
	conv := func(body string) string { return validHead + "conversations:\n" + body }
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown statement", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: cease, account_state: [lawsuit]}}
`), []string{`conversation "c"`, "expect.account_state", "lawsuit"}},
		{"statement twice", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: cease, account_state: [cease, cease]}}
`), []string{"listed twice"}},
		{"late reason", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: ptp, late_reason: laziness}}
`), []string{"expect.late_reason", "laziness", "job_loss"}},
		{"payments without a deal", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: escalated, escalation: hardship, payments: [{amount: 1, date: "2026-11-27"}]}}
`), []string{"expect.payments: only a ptp"}},
		{"payments against installments", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: plan, installments: 3, payments: [{amount: 1, date: "2026-11-27"}]}}
`), []string{"1 payments, but installments is 3"}},
		{"two payments on a promise", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: ptp, payments: [{amount: 1, date: "2026-11-27"}, {amount: 1, date: "2026-11-28"}]}}
`), []string{"a ptp outcome has one payment"}},
		{"payment date and amount", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: plan, payments: [{date: "Friday"}]}}
`), []string{"payments[0].amount: is required", `payments[0].date: "Friday"`}},
		{"unknown payment field", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: plan, payments: [{amount: 1, day: "2026-11-27"}]}}
`), []string{"day"}},
		{"priority without escalation", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: ptp, priority: 1}}
`), []string{"expect.priority: only an expected escalation"}},
		{"followup without lines", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: ptp}, followup: {expect: {outcome: ptp}}}
`), []string{`conversation "c"`, "followup.lines: at least one line"}},
		{"followup expectation", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: ptp}, followup: {lines: [hi], expect: {outcome: maybe}}}
`), []string{"followup.expect.outcome", "maybe"}},
		{"unknown followup field", conv(`
  - {name: c, account: maria, lines: [hi], expect: {outcome: ptp}, followup: {lines: [hi], account: maria, expect: {outcome: ptp}}}
`), []string{"account"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestJudgingCorpusFields plays conversations whose new expectations are
// right or wrong on purpose and checks each is judged and counted.
func TestJudgingCorpusFields(t *testing.T) {
	head := validHead + `  - id: nina
    name: Nina Patel
    date_of_birth: "1992-10-30"
    id_last4: "7710"
    locale: en-US
    timezone: America/Chicago
    portfolio: us
    flags: {dispute: true}
    debts:
      - {id: d2, creditor: Demo Finance, amount_due: 333.30, currency: USD, due_date: "2026-11-09", days_past_due: 14}
`
	s, err := Parse("judge.yaml", []byte(head+`
conversations:
  - name: plan-right
    account: maria
    category: deals
    lines: ["07/21/1988", "can I pay in 3 installments", "yes"]
    expect:
      outcome: plan
      account_state: []
      payments:
        - {amount: 80.00, date: "2026-11-30"}
        - {amount: 80.00, date: "2026-12-14"}
        - {amount: 80.00, date: "2026-12-28"}
  - name: plan-wrong
    account: maria
    category: deals
    lines: ["07/21/1988", "can I pay in 3 installments", "yes"]
    expect:
      outcome: plan
      payments:
        - {amount: 120.00, date: "2026-11-30"}
        - {amount: 120.00, date: "2026-12-14"}
  - name: deal-unexpected
    account: maria
    category: deals
    lines: ["07/21/1988", "I can pay on Friday", "yes"]
    expect: {outcome: escalated, escalation: hardship}
  - name: priority
    account: maria
    lines: ["07/21/1988", "I want to talk to a human"]
    expect: {outcome: escalated, escalation: human_requested, priority: 1}
  - name: cease-unexpected
    account: maria
    lines: ["07/21/1988", "stop contacting me"]
    expect: {outcome: escalated, escalation: human_requested}
  - name: state-missing
    account: maria
    lines: ["07/21/1988", "I can pay on Friday", "yes"]
    expect: {outcome: ptp, account_state: [validation]}
  - name: imported-flag
    account: nina
    lines: ["10/30/1992"]
    expect: {outcome: escalated, escalation: dispute, account_state: []}
  - name: followup
    account: maria
    lines: ["07/21/1988", "I can pay on Friday", "yes"]
    expect: {outcome: ptp, amount: 240.00, due_date: "2026-11-27"}
    followup:
      lines: ["07/21/1988", "I can pay on Friday", "yes"]
      expect: {outcome: ptp, due_date: "2026-11-30"}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), s, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		failures []string
		c        Counters
	}{
		"plan-right":       {},
		"plan-wrong":       {[]string{"plan payments [80.00 on 2026-11-30, 80.00 on 2026-12-14, 80.00 on 2026-12-28], want [120.00 on 2026-11-30, 120.00 on 2026-12-14]"}, Counters{MisrecordedDeals: 1}},
		"deal-unexpected":  {[]string{"outcome ptp, want escalated", "1 promise(s) or plan(s) recorded"}, Counters{MisrecordedDeals: 1}},
		"priority":         {[]string{"escalation priority 3, want 1"}, Counters{}},
		"cease-unexpected": {[]string{"recorded a cease statement the conversation did not make"}, Counters{UnrequestedStatements: 1}},
		"state-missing":    {[]string{"account state [], want [validation]"}, Counters{IgnoredRequests: 1}},
		"imported-flag":    {[]string{"account state [dispute], want []"}, Counters{}},
		"followup":         {[]string{"followup: promise due 2026-11-27, want 2026-11-30", "followup: 1 promise(s) or plan(s) recorded"}, Counters{MisrecordedDeals: 1}},
	}
	for _, res := range rep.Results {
		w, ok := want[res.Name]
		if !ok {
			t.Fatalf("unexpected result %s", res.Name)
		}
		if res.Pass != (len(w.failures) == 0) {
			t.Errorf("%s: pass %v, failures %q", res.Name, res.Pass, res.Failures)
		}
		joined := strings.Join(res.Failures, "\n")
		for _, f := range w.failures {
			if !strings.Contains(joined, f) {
				t.Errorf("%s: failures lack %q:\n%s", res.Name, f, joined)
			}
		}
		if res.Counters != w.c {
			t.Errorf("%s: counters %+v, want %+v", res.Name, res.Counters, w.c)
		}
	}
	fu := rep.Results[len(rep.Results)-1]
	if fu.Turns != 6 || !strings.Contains(fu.Got, "→") || !strings.Contains(fu.Expected, "→") {
		t.Errorf("followup result: turns %d, expected %q, got %q", fu.Turns, fu.Expected, fu.Got)
	}
	if c := rep.Counters(); c.OK() || rep.OK() || c.MisrecordedDeals != 3 || c.UnrequestedStatements != 1 || c.IgnoredRequests != 1 {
		t.Errorf("report counters %+v, ok %v", c, rep.OK())
	}

	f := Tabulate([]*Report{rep})
	if f.OK() || f.Total.Total != 8 || f.Total.Passed != 1 || f.Total.MisrecordedDeals != 3 {
		t.Errorf("total %+v", f.Total)
	}
	if len(f.Files) != 1 || f.Files[0].Name != "judge.yaml" || len(f.Locales) != 1 || f.Locales[0].Name != "en-US" {
		t.Errorf("files %+v, locales %+v", f.Files, f.Locales)
	}
	if len(f.Categories) != 2 || f.Categories[0].Name != "-" || f.Categories[1].Name != "deals" ||
		f.Categories[1].Total != 3 || f.Categories[1].Passed != 1 || f.Categories[1].MisrecordedDeals != 2 {
		t.Errorf("categories %+v", f.Categories)
	}
	var b bytes.Buffer
	if err := f.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"by file", "by language", "by category", "MISRECORDED DEALS", "UNREQUESTED STATEMENTS", "judge.yaml", "deals", "33.3%"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("figures lack %q:\n%s", w, b.String())
		}
	}
	b.Reset()
	if err := rep.WriteTable(&b, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "misrecorded deals 3, unrequested statements 1") {
		t.Errorf("report footer:\n%s", b.String())
	}
}
