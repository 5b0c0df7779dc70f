package dialog

import (
	"errors"
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
