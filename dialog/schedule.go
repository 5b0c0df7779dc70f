package dialog

import (
	"slices"

	"github.com/collectagent/collectagent/compliance"
)

// maxSchedule bounds the payments a proposed schedule may expand to
// ("$1 a week" on a large balance); beyond it the nearest plan is offered.
const maxSchedule = 60

// schedule handles a schedule of several payments the borrower proposed
// ("half on Friday and the rest on the 15th", "$50 a week"): it is
// checked against policy as one plan and read back payment by payment, or
// the nearest plan inside policy is offered instead.
func (e *engine) schedule(parts []Part) {
	e.st.Draft = nil
	inst, missing := e.expand(parts)
	if missing >= 0 {
		d := Draft{Kind: ProposalPlan, Parts: slices.Clone(parts)}
		e.st.Draft = &d
		e.st.Stage = StageNegotiate
		e.askScheduleDate()
		return
	}
	e.offerSchedule(inst)
}

// scheduleDate fills the first missing date of the drafted schedule.
func (e *engine) scheduleDate(d compliance.Date) {
	parts := slices.Clone(e.st.Draft.Parts)
	for i := range parts {
		if parts[i].Date.IsZero() {
			parts[i].Date = d
			break
		}
	}
	e.schedule(parts)
}

// askScheduleDate asks when the first undated payment of the draft is
// made, stating its amount when it is known.
func (e *engine) askScheduleDate() {
	d := e.st.Draft
	a := Act{Kind: ActAskPartDate, Date: e.lastPlanDate()}
	a.Facts.Dates = []compliance.Date{a.Date}
	a.Facts.Offers = []string{string(ProposalPlan)}
	inst, missing := e.expand(d.Parts)
	if missing >= 0 && missing < len(inst) && inst[missing].Amount.Minor > 0 {
		a.Amount = inst[missing].Amount
		a.Facts.Amounts = []compliance.Money{a.Amount}
	}
	e.say(a)
}

// offerSchedule reads back a complete schedule: as proposed when it is
// inside policy, otherwise the nearest plan that is.
func (e *engine) offerSchedule(inst []Installment) {
	if len(inst) == 0 {
		e.misunderstood()
		return
	}
	if len(inst) == 1 {
		// One payment is a promise (or a payment today).
		in := inst[0]
		if in.DueDate == e.in.Today && in.Amount.Minor >= e.due().Minor {
			e.propose(ActConfirmPayNow, Proposal{Kind: ProposalPayNow, Amount: e.due(), Date: e.in.Today})
			return
		}
		e.promise(Parse{Amount: in.Amount, Date: in.DueDate})
		return
	}
	pr := e.planOf(inst)
	if CheckProposal(*e.acct, pr, e.in.Today) == nil {
		e.propose(ActConfirmPlan, pr)
		return
	}
	if e.maxInstallments() < 2 {
		e.counter(ActPlanUnavailable, Proposal{Kind: ProposalPTP, Amount: e.due(), Date: e.latestPromise()})
		return
	}
	e.counter(ActCounterSchedule, e.nearest(inst))
}

func (e *engine) planOf(inst []Installment) Proposal {
	var total int64
	for _, in := range inst {
		total += in.Amount.Minor
	}
	return Proposal{Kind: ProposalPlan, Amount: compliance.Money{Minor: total, Currency: e.due().Currency},
		Date: inst[0].DueDate, Installments: inst}
}

// lastPlanDate is the latest date a plan's last payment can fall on.
func (e *engine) lastPlanDate() compliance.Date {
	n := max(e.maxInstallments(), 1)
	return e.in.Today.AddDays(e.acct.Policy.FirstInstallmentWithin + (n-1)*e.every())
}

// expand turns proposed parts into payments, in the debt's currency:
// shares of the balance are computed, "the rest" and open-ended recurring
// payments take what the others leave, parts without an amount share it
// equally. It returns the index of the first payment without a date, or
// -1.
func (e *engine) expand(parts []Part) ([]Installment, int) {
	due := e.due()
	cur := due.Currency
	type pay struct {
		amt    int64
		date   compliance.Date
		filler bool // takes a share of what is left
	}
	var pays []pay
	var fixed int64
	fillers := 0
	open := -1 // the open-ended recurring part
	for i, p := range parts {
		switch {
		case p.Amount.Minor > 0 && p.Count > 0:
			fixed += p.Amount.Minor * int64(min(p.Count, maxSchedule))
		case p.Every > 0 && p.Amount.Minor > 0:
			if open < 0 {
				open = i
			}
		case p.Amount.Minor > 0:
			pays = append(pays, pay{amt: p.Amount.Minor, date: p.Date})
			fixed += p.Amount.Minor
		case p.Den > 0 && p.Num > 0:
			a := (due.Minor*int64(p.Num) + int64(p.Den)/2) / int64(p.Den)
			pays = append(pays, pay{amt: a, date: p.Date})
			fixed += a
		default: // the rest, or a payment with a date and no amount
			pays = append(pays, pay{date: p.Date, filler: true})
			fillers++
		}
	}
	left := due.Minor - fixed
	// Rebuild in order, expanding recurring parts and dating them.
	var out []Installment
	prev := compliance.Date{}
	pi := 0
	addPay := func(amt int64, d compliance.Date) {
		if !d.IsZero() && !prev.IsZero() && !d.After(prev) {
			if prev.DaysUntil(d) > -7 && e.in.Today.DaysUntil(d) < 7 {
				// "80 Friday and 80 the Friday after": a weekday already
				// used is the next one.
				for !d.After(prev) {
					d = d.AddDays(7)
				}
			} else {
				// "417 on the 11th and 416.50 on the 25th": a day of the
				// month before the payment it follows is next month's.
				for k := 0; k < 12 && !d.After(prev); k++ {
					d = addMonth(d)
				}
			}
		}
		out = append(out, Installment{Amount: compliance.Money{Minor: amt, Currency: cur}, DueDate: d})
		if !d.IsZero() {
			prev = d
		}
	}
	fillLeft := left
	for i, p := range parts {
		if p.Amount.Minor > 0 && (p.Every > 0 || p.Count > 0) {
			if p.Every == 0 {
				p.Every = e.every() // "4 payments of 215": at the policy's interval
			}
			n := p.Count
			if n == 0 {
				if i != open || left <= 0 {
					continue
				}
				n = int((left + p.Amount.Minor - 1) / p.Amount.Minor)
				fillLeft = 0
			}
			start := p.Date
			if start.IsZero() {
				if prev.IsZero() {
					start = e.in.Today
				} else {
					start = e.advance(prev, p.Every)
				}
			}
			for !prev.IsZero() && !start.After(prev) {
				start = e.advance(start, p.Every)
			}
			d := start
			rest := left
			for k := 0; k < n && len(out) < maxSchedule; k++ {
				amt := p.Amount.Minor
				if p.Count == 0 && k == n-1 {
					amt = rest
				}
				rest -= amt
				addPay(amt, d)
				d = e.advance(d, p.Every)
			}
			continue
		}
		pp := pays[pi]
		pi++
		amt := pp.amt
		if pp.filler {
			if fillers > 0 && fillLeft > 0 {
				amt = fillLeft / int64(fillers)
				if fillers == 1 {
					amt = fillLeft
				}
				fillLeft -= amt
				fillers--
			} else {
				amt = 0
			}
		}
		addPay(amt, pp.date)
	}
	// Drop empty payments ("the rest" when nothing is left).
	out = slices.DeleteFunc(out, func(in Installment) bool { return in.Amount.Minor <= 0 && !in.DueDate.IsZero() })
	for i, in := range out {
		if in.DueDate.IsZero() {
			return out, i
		}
	}
	return out, -1
}

// advance is one interval of a recurring payment: 30 means the same day of
// the next month.
func (e *engine) advance(d compliance.Date, every int) compliance.Date {
	if every == 30 || every == 31 {
		return addMonth(d)
	}
	return d.AddDays(every)
}

func addMonth(d compliance.Date) compliance.Date {
	t := d.Time().AddDate(0, 1, 0)
	if t.Day() != d.Day { // Jan 31 + 1 month: the last day of February
		t = t.AddDate(0, 0, -t.Day())
	}
	return compliance.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// nearest is the plan inside policy closest to the proposed payments: the
// same payments where they fit, dates pulled in to the first-payment
// window and the longest gap, amounts made to add up to the balance, and
// no more payments than the policy allows.
func (e *engine) nearest(inst []Installment) Proposal {
	today := e.in.Today
	firstBy := today.AddDays(e.acct.Policy.FirstInstallmentWithin)
	every := e.every()
	maxN := e.maxInstallments()
	due := e.due()
	first := inst[0].DueDate
	if first.Before(today) {
		first = today
	}
	if first.After(firstBy) {
		first = firstBy
	}
	out := slices.Clone(inst)
	if len(out) > maxN {
		// Too many payments: the allowed number, equal, at the borrower's
		// pace when it is inside policy.
		gap := every
		if g := inst[0].DueDate.DaysUntil(inst[1].DueDate); g > 0 && g < every {
			gap = g
		}
		pr := e.buildPlan(maxN, first)
		for i := range pr.Installments {
			pr.Installments[i].DueDate = first.AddDays(i * gap)
		}
		out = pr.Installments
	}
	// Dates: the first inside its window, each after the one before and
	// no further than the policy's interval.
	out[0].DueDate = first
	for i := 1; i < len(out); i++ {
		p := out[i-1].DueDate
		d := out[i].DueDate
		if !d.After(p) {
			d = p.AddDays(1)
		}
		if p.DaysUntil(d) > every {
			d = p.AddDays(every)
		}
		out[i].DueDate = d
	}
	// Amounts: add up to the balance, the difference on the last.
	var total int64
	for _, in := range out {
		total += in.Amount.Minor
	}
	last := &out[len(out)-1]
	last.Amount.Minor += due.Minor - total
	pr := e.planOf(out)
	if last.Amount.Minor <= 0 || CheckProposal(*e.acct, pr, today) != nil {
		n := min(max(len(out), 2), maxN)
		pr = e.buildPlan(n, first)
	}
	return pr
}
