package dialog

import (
	"errors"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

func TestCheckProposal(t *testing.T) {
	acct := acctUS()
	today := compliance.Date{Year: 2026, Month: 11, Day: 22}
	due := acct.Debt.AmountDue
	usd := func(minor int64) compliance.Money { return compliance.Money{Minor: minor, Currency: due.Currency} }
	good := PlanFor(acct, 3, today.AddDays(2))
	tooMany := PlanFor(acct, acct.Policy.MaxInstallments+1, today.AddDays(2))
	short := PlanFor(acct, 3, today.AddDays(2))
	short.Installments[2].Amount.Minor -= 100
	late := PlanFor(acct, 3, today.AddDays(acct.Policy.FirstInstallmentWithin+1))
	tests := []struct {
		name string
		p    Proposal
		ok   bool
	}{
		{"ptp in policy", Proposal{Kind: ProposalPTP, Amount: due, Date: today.AddDays(5)}, true},
		{"ptp on the last day", Proposal{Kind: ProposalPTP, Amount: due, Date: today.AddDays(acct.Policy.MaxDaysToPromise)}, true},
		{"ptp a day too late", Proposal{Kind: ProposalPTP, Amount: due, Date: today.AddDays(acct.Policy.MaxDaysToPromise + 1)}, false},
		{"ptp in the past", Proposal{Kind: ProposalPTP, Amount: due, Date: today.AddDays(-1)}, false},
		{"ptp above the balance", Proposal{Kind: ProposalPTP, Amount: usd(due.Minor + 1), Date: today}, false},
		{"ptp wrong currency", Proposal{Kind: ProposalPTP, Amount: compliance.Money{Minor: due.Minor, Currency: "EUR"}, Date: today}, false},
		{"pay now", Proposal{Kind: ProposalPayNow, Amount: due, Date: today}, true},
		{"pay now partial", Proposal{Kind: ProposalPayNow, Amount: usd(1), Date: today}, false},
		{"plan in policy", good, true},
		{"plan too many", tooMany, false},
		{"plan does not add up", short, false},
		{"plan starts too late", late, false},
		{"unknown kind", Proposal{Kind: "waiver", Amount: due}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckProposal(acct, tt.p, today)
			if tt.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrOffPolicy) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}

// TestCheckProposalMinimums covers the limits a console deal used to slip
// past: the debt's own minimum payment, one-cent promises, the longest gap
// between payments and payments below one minor unit.
func TestCheckProposalMinimums(t *testing.T) {
	today := compliance.Date{Year: 2026, Month: 11, Day: 22}
	withMin := acctUS()
	withMin.Policy.MinPromisePercent = 0
	withMin.Debt.MinPayment = usd(5000)
	noMin := acctUS()
	noMin.Policy.MinPromisePercent, noMin.Policy.MinInstallment = 0, compliance.Money{}
	tiny := noMin
	tiny.Debt.AmountDue = usd(5)

	wide := acctUS()
	wide.Policy.InstallmentEveryDays = 92
	every92 := PlanFor(wide, 3, today.AddDays(2))
	below := PlanFor(withMin, 6, today.AddDays(2)) // 6 x 40.00 against a 50.00 minimum
	split6 := PlanFor(tiny, 6, today.AddDays(1))
	split5 := PlanFor(tiny, 5, today.AddDays(1))
	tests := []struct {
		name string
		acct Account
		p    Proposal
		rule string // a word the error must contain; "" = accepted
	}{
		{"5 against a 50 minimum payment", withMin, Proposal{Kind: ProposalPTP, Amount: usd(500), Date: today.AddDays(3)}, "amount"},
		{"the minimum payment itself", withMin, Proposal{Kind: ProposalPTP, Amount: usd(5000), Date: today.AddDays(3)}, ""},
		{"one cent", noMin, Proposal{Kind: ProposalPTP, Amount: usd(1), Date: today.AddDays(3)}, ""},
		{"zero", noMin, Proposal{Kind: ProposalPTP, Amount: usd(0), Date: today.AddDays(3)}, "amount"},
		{"plan every 92 days", acctUS(), every92, "days after the previous payment"},
		{"plan payments below the minimum payment", withMin, below, "installments"},
		{"0.05 in six", tiny, split6, "installments"},
		{"0.05 in five", tiny, split5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckProposal(tt.acct, tt.p, today)
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.Is(err, ErrOffPolicy) || !errors.As(err, &pe) || !strings.Contains(pe.Rule, tt.rule) {
				t.Fatalf("err = %v, want off policy naming %q", err, tt.rule)
			}
		})
	}
	for _, in := range split6.Installments {
		if in.Amount.Minor == 0 && CheckProposal(tiny, split6, today) == nil {
			t.Fatal("a zero installment passed")
		}
	}
}

// TestEnginePlanNeverBelowOneCent: the bot's own plan for a 0.05 balance
// asked in six payments is countered with five payments of 0.01.
func TestEnginePlanNeverBelowOneCent(t *testing.T) {
	a := acctUS()
	a.Policy.MinPromisePercent, a.Policy.MinInstallment = 0, compliance.Money{}
	a.Debt.AmountDue = usd(5)
	e := &engine{acct: &a, in: Input{Today: today}}
	if n := e.maxInstallments(); n != 5 {
		t.Fatalf("maxInstallments = %d, want 5", n)
	}
	st := NewState()
	st.Verified, st.Stage = true, StageIntent
	_, res := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 6}))
	var got *Act
	for i := range res.Acts {
		if len(res.Acts[i].Installments) > 0 {
			got = &res.Acts[i]
		}
	}
	if got == nil {
		t.Fatalf("no plan offered: %+v", res.Acts)
	}
	for _, in := range got.Installments {
		if in.Amount.Minor < 1 {
			t.Fatalf("installment %v below one cent in %+v", in.Amount, got.Installments)
		}
	}
}

// TestDealFillsTheLink: an agent's deal closes with the link the policy
// template describes, filled in, like the bot's.
func TestDealFillsTheLink(t *testing.T) {
	a := acctUS()
	p := Proposal{Kind: ProposalPTP, Amount: usd(24000), Date: today.AddDays(3)}
	o, act := Deal(a, p, today)
	if o.Type != OutcomePTP || o.Amount != p.Amount || o.DueDate != p.Date {
		t.Fatalf("outcome = %+v", o)
	}
	if want := "https://pay.example.com/a-1?amount=240.00"; act.Link != want {
		t.Fatalf("link = %q, want %q", act.Link, want)
	}
	plan := PlanFor(a, 3, today.AddDays(2))
	o, act = Deal(a, plan, today)
	if o.Type != OutcomePlan || o.Amount != a.Debt.AmountDue || len(o.Installments) != 3 || act.Kind != ActClosePlan {
		t.Fatalf("plan deal = %+v, %+v", o, act)
	}
	if strings.Contains(act.Link, "{") {
		t.Fatalf("unfilled link %q", act.Link)
	}
}

// TestAcceptChecksPolicy: the bot's own deals pass the same check as an
// agent's. A promise read back on its last allowed day and confirmed the
// day after (so that the date has passed) is not recorded; a person takes
// over.
func TestAcceptChecksPolicy(t *testing.T) {
	a := acctUS()
	st := NewState()
	st.Verified, st.Stage = true, StageIntent
	last := today.AddDays(14)
	st, res := Step(testFlow(), a, st, msg(Parse{Intent: IntentPromise, Date: last}))
	if st.Stage != StageConfirm || st.Pending == nil {
		t.Fatalf("no read-back: %+v %+v", st, res.Acts)
	}
	if _, res := Step(testFlow(), a, st, msg(Parse{Intent: IntentAffirm})); res.Outcome == nil || res.Outcome.Type != OutcomePTP {
		t.Fatalf("confirmed in time: %+v", res.Outcome)
	}
	late := Input{Kind: EventMessage, Parse: Parse{Intent: IntentAffirm}, Today: last.AddDays(1)}
	if _, res = Step(testFlow(), a, st, late); res.Outcome == nil || res.Outcome.Type != OutcomeEscalated || res.Escalation == nil || res.Escalation.Reason != ReasonOffPolicy {
		t.Fatalf("confirmed a day late: outcome %+v escalation %+v", res.Outcome, res.Escalation)
	}
}
