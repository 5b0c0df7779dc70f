package dialog

import (
	"fmt"

	"github.com/collectagent/collectagent/compliance"
)

// CheckProposal tells whether a proposal made outside the engine (a human
// agent recording a promise or a plan from the console) is inside the
// account's policy on day today: the same limits the engine negotiates
// within (the latest promise date, the smallest promise including the
// debt's minimum payment, the number of payments, the smallest payment,
// the first-payment window and the longest gap between payments; no
// payment below one minor unit). It returns nil, or an error wrapping
// ErrOffPolicy that names the rule broken.
func CheckProposal(acct Account, p Proposal, today compliance.Date) error {
	e := &engine{acct: &acct, in: Input{Today: today}}
	return e.check(p)
}

// check is CheckProposal on the engine's account and day: the engine runs
// it on its own deals too before recording them.
func (e *engine) check(p Proposal) error {
	acct, today := e.acct, e.in.Today
	due := e.due()
	off := func(format string, args ...any) error {
		return &PolicyError{Rule: fmt.Sprintf(format, args...)}
	}
	if p.Amount.Currency != "" && p.Amount.Currency != due.Currency {
		return off("currency %s, the debt is in %s", p.Amount.Currency, due.Currency)
	}
	switch p.Kind {
	case ProposalPayNow:
		// The balance, or a part of it now that the policy's minimum
		// promise allows.
		if minAmt := e.minPromise(); p.Amount.Minor < minAmt.Minor || p.Amount.Minor > due.Minor {
			return off("paying now must be between %s and the balance %s, not %s", minAmt, due, p.Amount)
		}
	case ProposalPTP, ProposalExtension:
		latest := e.latestPromise()
		if p.Kind == ProposalExtension {
			if !acct.Policy.AllowExtension {
				return off("extensions are not allowed on this portfolio")
			}
			latest = today.AddDays(acct.Policy.ExtensionDays)
		}
		if p.Date.IsZero() || p.Date.Before(today) || p.Date.After(latest) {
			return off("date %s must be between %s and %s", p.Date, today, latest)
		}
		if minAmt := e.minPromise(); p.Amount.Minor < minAmt.Minor || p.Amount.Minor > due.Minor {
			return off("amount %s must be between %s and %s", p.Amount, minAmt, due)
		}
	case ProposalPlan:
		n := len(p.Installments)
		if maxN := e.maxInstallments(); n < 2 || n > maxN {
			return off("%d installments, the policy allows 2 to %d", n, maxN)
		}
		firstBy := today.AddDays(acct.Policy.FirstInstallmentWithin)
		minInst, every := e.minInstallment(), e.every()
		var total int64
		prev := compliance.Date{}
		for i, in := range p.Installments {
			if in.Amount.Currency != "" && in.Amount.Currency != due.Currency {
				return off("installment %d: currency %s, the debt is in %s", i+1, in.Amount.Currency, due.Currency)
			}
			if in.Amount.Minor < minInst.Minor {
				return off("installment %d: %s is below the minimum installment %s", i+1, in.Amount, minInst)
			}
			if in.DueDate.IsZero() || in.DueDate.Before(today) || (!prev.IsZero() && !in.DueDate.After(prev)) {
				return off("installment %d: date %s must be after today and after the previous payment", i+1, in.DueDate)
			}
			if i == 0 && in.DueDate.After(firstBy) {
				return off("the first payment must be on or before %s", firstBy)
			}
			if !prev.IsZero() && prev.DaysUntil(in.DueDate) > every {
				return off("installment %d: %d days after the previous payment, the policy allows at most %d", i+1, prev.DaysUntil(in.DueDate), every)
			}
			total += in.Amount.Minor
			prev = in.DueDate
		}
		if total != due.Minor {
			return off("installments add up to %d.%02d, the balance is %s", total/100, total%100, due)
		}
	default:
		return off("unknown proposal kind %q", p.Kind)
	}
	return nil
}

// Deal is what recording an agreed proposal produces: the outcome to save
// and the closing act that confirms it to the borrower, its payment link
// filled in from the policy. The engine closes its own deals with the same
// builder, so an agent's confirmation says what the bot's would. Check the
// proposal with CheckProposal first.
func Deal(acct Account, p Proposal, today compliance.Date) (Outcome, Act) {
	e := &engine{acct: &acct, in: Input{Today: today}}
	o, act := e.deal(p)
	act.Facts.Verified = true // a deal is only made with the verified borrower
	return o, act
}

// PlanFor returns the engine's standard plan of n payments for the
// account's balance, the first on first: what a console offers an agent.
func PlanFor(acct Account, n int, first compliance.Date) Proposal {
	e := &engine{acct: &acct}
	return e.buildPlan(n, first)
}
