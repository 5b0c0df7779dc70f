package dialog

import (
	"slices"

	"github.com/collectagent/collectagent/compliance"
)

// expects maps each question the bot asks to what it waits for; say
// stores it in State.Expect so that the next short answer is read against
// it.
var expects = map[ActKind]Expect{
	ActAskReason: ExpectReason,
	ActAskVerify: ExpectIdentity, ActVerifyRetry: ExpectIdentity, ActClarifyIdentity: ExpectIdentity,
	ActAskResolution: ExpectChoice, ActAskAlternative: ExpectChoice, ActClarifyChoice: ExpectChoice,
	ActAskPromiseDate: ExpectDate, ActAskPartDate: ExpectDate, ActClarifyDate: ExpectDate,
	ActAskPromiseAmount: ExpectAmount, ActClarifyAmount: ExpectAmount,
	ActAskPlanCount: ExpectCount, ActClarifyCount: ExpectCount,
	ActConfirmPayNow: ExpectYesNo, ActConfirmPayPart: ExpectYesNo, ActConfirmPTP: ExpectYesNo,
	ActConfirmPlan: ExpectYesNo, ActConfirmExtension: ExpectYesNo, ActCounterPTPDate: ExpectYesNo,
	ActCounterPTPAmount: ExpectYesNo, ActCounterPlanCount: ExpectYesNo, ActCounterPlanDate: ExpectYesNo,
	ActPlanUnavailable: ExpectYesNo, ActExtensionUnavailable: ExpectYesNo, ActCounterSchedule: ExpectYesNo,
}

// answerUnverified answers a question before the right party is
// verified: only the topics the pack allows, with answers that name no
// debt; anything else waits for verification.
func (e *engine) answerUnverified(t Topic) {
	if slices.Contains(e.flow.pack(e.acct.Policy.Pack).AnswerUnverified, t) {
		switch t {
		case TopicBot:
			e.say(Act{Kind: ActAnswerBot})
		case TopicLegit:
			e.say(Act{Kind: ActAnswerLegitFirst})
		default:
			e.say(Act{Kind: ActAnswerWho})
		}
	} else {
		e.say(Act{Kind: ActVerifyFirst})
	}
	e.askVerify(ActAskVerify)
}

// answer answers a verified borrower's question from the engine's facts;
// the caller then returns to the pending question (reprompt).
func (e *engine) answer(t Topic) {
	switch t {
	case TopicBot:
		e.say(Act{Kind: ActAnswerBot})
	case TopicLegit:
		a := e.creditorAct(ActAnswerLegit)
		e.say(a)
	case TopicBreakdown:
		e.say(e.balanceAct())
		e.say(e.creditorAct(ActAnswerBreakdown))
	case TopicFees:
		a := Act{Kind: ActAnswerFees, Amount: e.due()}
		a.Facts.Amounts = []compliance.Money{a.Amount}
		e.say(a)
	case TopicConsequence:
		e.say(Act{Kind: ActAnswerConsequence})
	case TopicWriting:
		e.say(Act{Kind: ActAnswerWriting})
	case TopicOptions:
		if e.st.Stage == StageIntent || e.st.Stage == StageBalance || e.st.Stage == "" {
			return // the reprompt states the options
		}
		e.say(e.resolutionAct(ActAskResolution))
	default: // who, debt
		e.say(e.balanceAct())
	}
}

// creditorAct is an act that names the creditor (only after
// verification).
func (e *engine) creditorAct(k ActKind) Act {
	return Act{Kind: k}
}

// hardshipReasons are the reasons for lateness that need hardship
// handling rather than a payment question when stated alone.
var hardshipReasons = map[string]bool{LateJobLoss: true}

// reasonTurn acknowledges a stated reason for lateness (recorded by
// verifiedTurn) and goes on to how the borrower would like to pay; a
// hardship reason goes to hardship handling.
func (e *engine) reasonTurn(p Parse) {
	if hardshipReasons[p.Reason] {
		e.escalate(ReasonHardship, ActHardshipAck)
		return
	}
	e.say(Act{Kind: ActReasonAck})
	e.reprompt()
	if e.st.Draft == nil && e.st.Pending == nil && !p.Date.IsZero() && !p.Date.Before(e.in.Today) {
		// "I don't get paid till Friday": "I'll pay it then" means Friday.
		e.st.Draft = &Draft{Kind: ProposalPTP, Date: p.Date}
	}
}

// clarify asks a specific question about what the bot is waiting for,
// instead of a bare "I didn't understand".
func (e *engine) clarify() {
	switch {
	case e.st.Ended:
		e.say(Act{Kind: ActConversationClosed})
	case !e.st.Verified:
		e.askVerify(ActClarifyIdentity)
	case e.st.Stage == StageConfirm && e.st.Pending != nil:
		e.say(Act{Kind: ActNeedYesNo})
		e.say(e.proposalAct(confirmKind(e.st.Pending.Kind), *e.st.Pending))
	case e.st.Draft != nil && len(e.st.Draft.Parts) > 0:
		e.askScheduleDate()
	case e.st.Draft != nil && e.st.Draft.Kind == ProposalPlan:
		a := e.askPlanCountAct()
		a.Kind = ActClarifyCount
		e.say(a)
	case e.st.Draft != nil && !e.st.Draft.Date.IsZero() && e.st.Draft.Amount.IsZero():
		a := e.askPartAmountAct(*e.st.Draft)
		a.Kind = ActClarifyAmount
		e.say(a)
	case e.st.Draft != nil:
		a := e.askPromiseDateAct(e.st.Draft.Amount)
		a.Kind = ActClarifyDate
		e.say(a)
	default:
		e.say(e.resolutionAct(ActClarifyChoice))
	}
}

// restates reports whether p only says again that the borrower will pay,
// adding nothing to the proposal read back ("I'll pay it then").
func restates(p Parse, pr Proposal) bool {
	if p.Negated || p.Has(IntentDeny) || len(p.Parts) > 0 || p.Partial || !p.Amount.IsZero() || p.Installments > 0 || !p.Date.IsZero() {
		return false
	}
	switch p.Intent {
	case IntentPromise:
		return pr.Kind == ProposalPTP || pr.Kind == ProposalExtension
	case IntentPayNow:
		return pr.Kind == ProposalPayNow
	case IntentPlan:
		return pr.Kind == ProposalPlan
	}
	return false
}

// askPartAmount starts a promise of part of the balance whose amount the
// borrower has not said ("I can put something down Friday").
func (e *engine) askPartAmount(p Parse) {
	d := Draft{Kind: ProposalPTP, Date: p.Date}
	if d.Date.IsZero() {
		d.Kind, d.Date = ProposalPayNow, e.in.Today
	}
	e.st.Draft = &d
	e.st.Stage = StageNegotiate
	e.say(e.askPartAmountAct(d))
}

func (e *engine) askPartAmountAct(d Draft) Act {
	a := Act{Kind: ActAskPromiseAmount, Date: d.Date, Amount: e.due()}
	if d.Kind == ProposalPayNow {
		a.Date = compliance.Date{}
	} else {
		a.Facts.Dates = []compliance.Date{d.Date}
	}
	a.Facts.Amounts = []compliance.Money{a.Amount}
	a.Facts.Offers = []string{string(d.Kind)}
	return a
}

// partAmount completes a part-payment draft with its amount.
func (e *engine) partAmount(m compliance.Money) {
	d := *e.st.Draft
	amt := e.money(m)
	if d.Kind == ProposalPayNow {
		e.st.Draft = nil
		due := e.due()
		if amt.Minor >= due.Minor {
			e.propose(ActConfirmPayNow, Proposal{Kind: ProposalPayNow, Amount: due, Date: e.in.Today})
			return
		}
		if minAmt := e.minPromise(); amt.Minor < minAmt.Minor {
			e.counter(ActCounterPTPAmount, Proposal{Kind: ProposalPTP, Amount: minAmt, Date: e.in.Today})
			return
		}
		e.propose(ActConfirmPayPart, Proposal{Kind: ProposalPayNow, Amount: amt, Date: e.in.Today})
		return
	}
	e.promise(Parse{Amount: amt, Date: d.Date})
}

// noteCounts lists the numbers in configured text (a crisis line's
// number), so the guard lets exactly those through.
func noteCounts(s string) []int {
	var out []int
	n, in := 0, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n < 1e8 {
				n = n*10 + int(s[i]-'0')
			}
			in = true
			continue
		}
		if in {
			out = append(out, n)
		}
		n, in = 0, false
	}
	return out
}

// restatesPlan reports whether p only names payments of the plan read
// back ("ok fine the 7th for the second half" after a plan whose second
// payment is on the 7th): every date and amount it gives is one of the
// plan's, and it asks for nothing else.
func restatesPlan(p Parse, pr Proposal) bool {
	if pr.Kind != ProposalPlan || p.Negated || p.Has(IntentDeny) || p.Unclear || p.Installments > 0 {
		return false
	}
	inPlan := func(d compliance.Date, a compliance.Money) bool {
		for _, in := range pr.Installments {
			if (d.IsZero() || in.DueDate == d) && (a.IsZero() || in.Amount.Minor == a.Minor) {
				return true
			}
		}
		return false
	}
	named := false
	for _, pt := range p.Parts {
		if pt.Every > 0 || pt.Date.IsZero() || !inPlan(pt.Date, pt.Amount) {
			return false
		}
		named = true
	}
	if !p.Date.IsZero() || !p.Amount.IsZero() {
		if !inPlan(p.Date, p.Amount) {
			return false
		}
		named = true
	}
	return named
}
