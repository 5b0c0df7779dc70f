package dialog

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

var update = flag.Bool("update", false, "rewrite golden transcripts")

type scenarioFile struct {
	Today     compliance.Date `json:"today"`
	Scenarios []scenario      `json:"scenarios"`
}

type scenario struct {
	Name     string     `json:"name"`
	Accounts []string   `json:"accounts"`
	Note     string     `json:"note"`
	Steps    []stepSpec `json:"steps"`
}

// stepSpec is one input, written relative to the account and today so one
// scenario runs against accounts in both locales.
type stepSpec struct {
	Event        EventKind  `json:"event"` // default: message
	Final        bool       `json:"final"` // a last timeout
	Intent       Intent     `json:"intent"`
	Alts         []Intent   `json:"alts"`
	Negated      bool       `json:"negated"`
	InDays       *int       `json:"in_days"`    // Parse.Date = today + n
	AmountPct    int        `json:"amount_pct"` // Parse.Amount = pct of the balance
	Installments int        `json:"installments"`
	Verify       string     `json:"verify"` // dob, id, id_lower, wrong_dob, wrong_id
	Sentiment    string     `json:"sentiment"`
	Party        string     `json:"party"`
	Validation   bool       `json:"validation"`
	Channels     []string   `json:"channels"`
	Topic        Topic      `json:"topic"`
	Reason       string     `json:"reason"`
	Partial      bool       `json:"partial"`
	Unclear      bool       `json:"unclear"`
	Concern      string     `json:"concern"`
	Week         bool       `json:"week"`
	Parts        []partSpec `json:"parts"`
	Note         string     `json:"note"`
}

// partSpec is one part of a proposed schedule, relative to today and the
// balance.
type partSpec struct {
	InDays    *int `json:"in_days"`
	AmountPct int  `json:"amount_pct"`
	Num       int  `json:"num"`
	Den       int  `json:"den"`
	Rest      bool `json:"rest"`
	Every     int  `json:"every"`
	Count     int  `json:"count"`
}

func goldenAccounts() map[string]Account {
	att := acctUS()
	att.ID, att.Attorney = "a-3", true
	dec := acctUS()
	dec.ID, dec.Deceased = "a-4", true
	bk := acctCN()
	bk.ID, bk.Bankruptcy = "c-2", true
	two := acctUS()
	two.ID, two.Policy.VerifyFactors = "a-5", 2
	ceased := acctCN()
	ceased.ID, ceased.Cease = "c-3", true
	locked := acctUS()
	locked.ID, locked.PriorVerifyFailures = "a-6", 5
	crisis := acctUS()
	crisis.ID, crisis.CrisisResources = "a-7", "If you are in the US, you can call or text 988 at any time."
	return map[string]Account{"us": acctUS(), "cn": acctCN(), "us_small": acctSmall(),
		"us_attorney": att, "us_deceased": dec, "cn_bankruptcy": bk,
		"us_two_factors": two, "cn_ceased": ceased, "us_locked": locked, "us_crisis": crisis}
}

func (s stepSpec) input(a Account, today compliance.Date) Input {
	if s.Event != "" && s.Event != EventMessage {
		return Input{Kind: s.Event, Today: today, Final: s.Final}
	}
	p := Parse{Intent: s.Intent, Alts: s.Alts, Negated: s.Negated, Installments: s.Installments, Sentiment: s.Sentiment,
		Party: s.Party, Validation: s.Validation, CeaseChannels: s.Channels, Topic: s.Topic, Reason: s.Reason, Partial: s.Partial,
		Unclear: s.Unclear, Week: s.Week, Concern: s.Concern}
	for _, ps := range s.Parts {
		pt := Part{Num: ps.Num, Den: ps.Den, Rest: ps.Rest, Every: ps.Every, Count: ps.Count}
		if ps.InDays != nil {
			pt.Date = today.AddDays(*ps.InDays)
		}
		if ps.AmountPct > 0 {
			pt.Amount = compliance.Money{Minor: a.Debt.AmountDue.Minor * int64(ps.AmountPct) / 100, Currency: a.Debt.AmountDue.Currency}
		}
		p.Parts = append(p.Parts, pt)
	}
	if s.InDays != nil {
		p.Date = today.AddDays(*s.InDays)
	}
	if s.AmountPct > 0 {
		p.Amount = compliance.Money{Minor: a.Debt.AmountDue.Minor * int64(s.AmountPct) / 100, Currency: a.Debt.AmountDue.Currency}
	}
	switch s.Verify {
	case "dob":
		p.DOB = a.DOB
	case "id":
		p.IDLast4 = a.IDLast4
	case "id_lower":
		p.IDLast4 = strings.ToLower(a.IDLast4)
	case "wrong_dob":
		p.DOB = a.DOB.AddDays(1)
	case "wrong_id":
		p.IDLast4 = "0000"
	}
	return Input{Kind: EventMessage, Parse: p, Today: today}
}

func loadScenarios(t testing.TB) scenarioFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "scenarios.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f scenarioFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGolden runs every scenario and compares the acts, facts, outcomes
// and escalations with the reviewed transcript. It also checks that the
// scenarios together make the engine emit every act kind it declares.
func TestGolden(t *testing.T) {
	f := loadScenarios(t)
	accts := goldenAccounts()
	emitted := map[ActKind]bool{}
	reasons := map[string]bool{}
	for _, sc := range f.Scenarios {
		for _, name := range sc.Accounts {
			a, ok := accts[name]
			if !ok {
				t.Fatalf("%s: unknown account %q", sc.Name, name)
			}
			t.Run(sc.Name+"/"+name, func(t *testing.T) {
				got := transcript(t, sc, name, a, f.Today, emitted, reasons)
				path := filepath.Join("testdata", "golden", sc.Name+"."+name+".golden")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if got != string(want) {
					t.Errorf("transcript differs from %s (run with -update after review)\n--- got\n%s", path, got)
				}
			})
		}
	}
	for _, k := range ActKinds() {
		if !emitted[k] {
			t.Errorf("no scenario emits act kind %q", k)
		}
	}
	for _, r := range EscalationReasons() {
		if !reasons[r] {
			t.Errorf("no scenario escalates with reason %q", r)
		}
	}
}

func transcript(t *testing.T, sc scenario, acctName string, a Account, today compliance.Date, emitted map[ActKind]bool, reasons map[string]bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s on %s (pack %s, %s %s), today %s\n", sc.Name, acctName, a.Policy.Pack, a.Locale, a.Debt.AmountDue, today)
	st := NewState()
	for _, s := range sc.Steps {
		in := s.input(a, today)
		var r Result
		st, r = Step(testFlow(), a, st, in)
		checkFacts(t, st, r)
		fmt.Fprintf(&b, "> %s\n", describeInput(in, s.Note))
		for _, act := range r.Acts {
			emitted[act.Kind] = true
			fmt.Fprintf(&b, "  %s%s\n", act.Kind, describeAct(act))
		}
		if r.Outcome != nil {
			fmt.Fprintf(&b, "  = outcome %s", r.Outcome.Type)
			if r.Outcome.Reason != "" {
				fmt.Fprintf(&b, " reason=%s", r.Outcome.Reason)
			}
			if !r.Outcome.Amount.IsZero() {
				fmt.Fprintf(&b, " amount=%s", r.Outcome.Amount)
			}
			if !r.Outcome.DueDate.IsZero() {
				fmt.Fprintf(&b, " due=%s", r.Outcome.DueDate)
			}
			for _, in := range r.Outcome.Installments {
				fmt.Fprintf(&b, " [%s %s]", in.Amount, in.DueDate)
			}
			b.WriteByte('\n')
		}
		for _, x := range r.Statements {
			fmt.Fprintf(&b, "  = statement %s", x.Kind)
			if len(x.Channels) > 0 {
				fmt.Fprintf(&b, " channels=%s", strings.Join(x.Channels, ","))
			}
			b.WriteByte('\n')
		}
		if st.ThirdParty {
			fmt.Fprintf(&b, "  = third party (%s)\n", st.Party)
		}
		if r.Escalation != nil {
			reasons[r.Escalation.Reason] = true
			fmt.Fprintf(&b, "  = escalate %s priority=%d\n", r.Escalation.Reason, r.Escalation.Priority)
		}
		fmt.Fprintf(&b, "  = stage %s", st.Stage)
		if st.Ended {
			b.WriteString(" ended")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func describeInput(in Input, note string) string {
	if in.Kind != EventMessage {
		if in.Final {
			return string(in.Kind) + " final"
		}
		return string(in.Kind)
	}
	p := in.Parse
	parts := []string{"message"}
	if p.Intent != "" {
		parts = append(parts, "intent="+string(p.Intent))
	}
	if len(p.Alts) > 0 {
		parts = append(parts, fmt.Sprintf("alts=%v", p.Alts))
	}
	if p.Negated {
		parts = append(parts, "negated")
	}
	if p.Concern != "" {
		parts = append(parts, "concern="+p.Concern)
	}
	if !p.Date.IsZero() {
		parts = append(parts, "date="+p.Date.String())
	}
	if !p.Amount.IsZero() {
		parts = append(parts, "amount="+p.Amount.String())
	}
	if p.Installments > 0 {
		parts = append(parts, fmt.Sprintf("installments=%d", p.Installments))
	}
	if !p.DOB.IsZero() {
		parts = append(parts, "dob="+p.DOB.String())
	}
	if p.IDLast4 != "" {
		parts = append(parts, "id_last4="+p.IDLast4)
	}
	if note != "" {
		parts = append(parts, fmt.Sprintf("%q", note))
	}
	return strings.Join(parts, " ")
}

func describeAct(a Act) string {
	var parts []string
	f := a.Facts
	if f.Verified {
		parts = append(parts, "verified")
	}
	if f.Disclosure {
		parts = append(parts, "disclosure")
	}
	if len(f.Amounts) > 0 {
		s := make([]string, len(f.Amounts))
		for i, m := range f.Amounts {
			s[i] = m.String()
		}
		parts = append(parts, "amounts=["+strings.Join(s, ", ")+"]")
	}
	if len(f.Dates) > 0 {
		s := make([]string, len(f.Dates))
		for i, d := range f.Dates {
			s[i] = d.String()
		}
		parts = append(parts, "dates=["+strings.Join(s, " ")+"]")
	}
	if len(f.Counts) > 0 {
		parts = append(parts, fmt.Sprintf("counts=%v", f.Counts))
	}
	if len(f.Offers) > 0 {
		parts = append(parts, "offers=["+strings.Join(f.Offers, " ")+"]")
	}
	if a.Link != "" {
		parts = append(parts, "link="+a.Link)
	}
	if len(parts) == 0 {
		return ""
	}
	return " {" + strings.Join(parts, " ") + "}"
}
