package dialog

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/collectagent/collectagent/compliance"
)

// Step advances a conversation by one input and returns the next state and
// what the bot must do. It is pure: the same flow, account, state and input
// always give the same result; it reads no clock (Input.Today is the
// borrower's local date) and never mutates st.
//
// flow is the script data (ParseFlow(prompts.FlowJSON())); acct carries the
// debt and the lender's policy.
func Step(flow Flow, acct Account, st State, in Input) (State, Result) {
	e := engine{flow: &flow, acct: &acct, st: st, in: in}
	e.res.Acts = make([]Act, 0, 4)
	e.step()
	return e.st, e.res
}

// engine holds one step's working copy. Slices and pointers of the state it
// was given are replaced, never written through.
type engine struct {
	flow *Flow
	acct *Account
	st   State
	in   Input
	res  Result
	// prevMisunderstood is the count of misunderstandings before this step.
	prevMisunderstood int
}

func (e *engine) step() {
	switch e.in.Kind {
	case EventStart, EventResume:
		if e.st.Stage == "" || e.st.Stage == StageGreeting {
			e.start()
			return
		}
		e.resume()
	case EventMessage, "":
		// A zero Kind is a message: an input built from a parse alone
		// must not be silently dropped.
		e.message()
	case EventHandBack:
		e.handBack()
	case EventTimeout:
		switch {
		case e.st.Ended:
		case e.in.Final:
			e.say(Act{Kind: ActSilenceGoodbye})
		default:
			e.say(Act{Kind: ActStillThere})
		}
	}
}

// start opens the conversation: the pack's exact disclosures (AI, recording
// notice), then the identity question. Nothing about the debt is said.
func (e *engine) start() {
	for _, k := range e.flow.pack(e.acct.Policy.Pack).OnStart {
		e.disclose(k)
	}
	e.st.Stage = StageVerify
	e.askVerify(ActAskVerify)
}

func (e *engine) resume() {
	if e.st.ThirdParty {
		e.thirdPartyMessage()
		return
	}
	if e.st.Ended {
		e.say(Act{Kind: ActConversationClosed})
		return
	}
	e.say(Act{Kind: ActWelcomeBack})
	if e.in.Kind == EventResume && e.in.Spoken {
		for _, k := range e.flow.pack(e.acct.Policy.Pack).OnCallResume {
			e.restate(k)
		}
	}
	e.reprompt()
}

// handBack resumes the bot after a human agent: the old proposal is dropped
// and the borrower is asked afresh.
func (e *engine) handBack() {
	e.st.Ended = false
	e.st.Pending, e.st.Draft = nil, nil
	e.st.Misunderstood = 0
	e.say(Act{Kind: ActWelcomeBack})
	if !e.st.Verified {
		e.st.Stage = StageVerify
		e.askVerify(ActAskVerify)
		return
	}
	if e.flagged() {
		return
	}
	e.st.Stage = StageIntent
	e.say(e.resolutionAct(ActAskResolution))
}

func (e *engine) message() {
	if e.st.ThirdParty {
		// Locked: the same permitted message, whatever is said, and no
		// identity answer is ever checked.
		e.thirdPartyMessage()
		return
	}
	if e.st.Ended {
		e.say(Act{Kind: ActConversationClosed})
		return
	}
	if e.st.Stage == "" || e.st.Stage == StageGreeting {
		// The borrower spoke before the bot: disclose first, then listen.
		for _, k := range e.flow.pack(e.acct.Policy.Pack).OnStart {
			e.disclose(k)
		}
		e.st.Stage = StageVerify
	}
	e.prevMisunderstood = e.st.Misunderstood
	e.st.Misunderstood = 0
	e.st.Week = compliance.Date{} // set again only by a read-back of a week
	p := e.in.Parse
	if e.acct.Cease && !p.Has(IntentWrongParty) {
		// The borrower asked us to stop: whatever comes in on this
		// channel gets the same answer, verified or not (Reg F 1006.6(c);
		// CN: 尊重停止联系的要求).
		e.ceaseOnFile()
		return
	}
	if !e.st.Verified {
		e.verifyTurn(p)
		return
	}
	e.verifiedTurn(p)
}

// distress hands a borrower in crisis to a person at once, with the
// lender's crisis resources for their locale when configured.
func (e *engine) distress() {
	e.escalate(ReasonDistress, ActDistressSupport)
	if r := e.acct.CrisisResources; r != "" {
		e.say(Act{Kind: ActCrisisResources, Note: r, Facts: compliance.Facts{Counts: noteCounts(r)}})
	}
}

func distressed(p Parse) bool {
	return p.Has(IntentDistress) || p.Sentiment == "distressed"
}

// verifyTurn handles a message before the right party is verified. Nothing
// said here may name the debt: escalations use neutral acts.
func (e *engine) verifyTurn(p Parse) {
	switch {
	case distressed(p):
		e.distress()
	case p.Has(IntentWrongParty):
		e.thirdParty(p.Party)
	case p.Has(IntentAbuse):
		e.escalate(ReasonAbuse, ActAbuseAck)
	case p.Has(IntentHuman):
		e.escalate(ReasonHumanRequested, ActHumanHandoff)
	case p.Has(IntentComplaint):
		e.escalate(ReasonComplaint, ActComplaintAck)
	case p.Has(IntentCease) && e.identifies(p):
		// "07/21/1988. Stop contacting me": the borrower's own request,
		// saved once the answer verifies them.
		e.checkIdentity(p)
	case p.Has(IntentCease):
		// Not yet known to be the borrower: nothing is saved; ask who it is.
		e.st.PendingCease = true
		e.say(Act{Kind: ActCeaseVerifyFirst})
		e.askVerify(ActAskVerify)
	case !p.DOB.IsZero() || p.IDLast4 != "":
		e.checkIdentity(p)
	case p.Has(IntentCallbackLater):
		e.callbackLater()
	case p.Has(IntentQuestion) && !hasProposal(p):
		e.answerUnverified(p.Topic)
	case p.Intent == IntentUnknown || p.Intent == IntentIdentify:
		e.misunderstood()
	case p.Intent == IntentAffirm || p.Intent == IntentDeny || p.Intent == IntentGreet:
		e.askVerify(ActAskVerify)
	default:
		// Asked about the debt, offered to pay, disputed...: all of that
		// waits until we know who we are talking to.
		e.say(Act{Kind: ActVerifyFirst})
		e.askVerify(ActAskVerify)
	}
}

func (e *engine) checkIdentity(p Parse) {
	if e.verifyLocked() {
		e.lockVerification()
		return
	}
	need := e.factorsNeeded()
	matched, mismatch := e.matchFactors(p)
	if need > 1 {
		if !mismatch && len(matched) > 0 {
			for _, f := range matched {
				if !slices.Contains(e.st.Factors, f) {
					e.st.Factors = append(slices.Clip(e.st.Factors), f)
				}
			}
			if len(e.st.Factors) < need {
				e.askFactor()
				return
			}
		} else {
			matched = nil
		}
	}
	if len(matched) > 0 {
		e.res.VerifyPassed = true
		e.verified()
		if rest, ok := afterIdentity(p); ok && !e.st.Ended {
			// "07/21/1988, can I split it in 3?": answer the request
			// instead of asking how they would like to resolve it.
			if n := len(e.res.Acts); n > 0 && e.res.Acts[n-1].Kind == ActAskResolution {
				e.res.Acts = e.res.Acts[:n-1]
			}
			e.verifiedTurn(rest)
		}
		return
	}
	e.st.VerifyFailures++
	e.st.Factors = nil
	e.res.VerifyFailed = true
	if e.verifyLocked() {
		e.lockVerification()
		return
	}
	if e.st.VerifyFailures >= e.flow.Limits.VerifyAttempts {
		e.say(Act{Kind: ActVerifyFailed})
		e.record(Outcome{Type: OutcomeNone, Reason: ReasonVerificationFailed})
		e.end()
		return
	}
	e.askVerify(ActVerifyRetry)
}

// afterIdentity returns what a message says besides the identity answer,
// and whether that is a request the engine should act on (a way to pay,
// a question, an escalation) rather than a courtesy ("yes, it's me").
func afterIdentity(p Parse) (Parse, bool) {
	rest := Parse{Negated: p.Negated, Date: p.Date, Amount: p.Amount, Installments: p.Installments,
		Sentiment: p.Sentiment, Confidence: p.Confidence, Source: p.Source,
		Party: p.Party, Validation: p.Validation, CeaseChannels: p.CeaseChannels, Attorney: p.Attorney}
	substantive := false
	for _, i := range append([]Intent{p.Intent}, p.Alts...) {
		switch i {
		case IntentUnknown, IntentIdentify, IntentAffirm, IntentDeny, IntentGreet:
			continue
		}
		substantive = true
		if rest.Intent == IntentUnknown {
			rest.Intent = i
		} else {
			rest.Alts = append(rest.Alts, i)
		}
	}
	return rest, substantive || hasProposal(rest) || distressed(rest)
}

func (e *engine) identityMatches(p Parse) bool {
	a := e.acct
	if !p.DOB.IsZero() && !a.DOB.IsZero() && p.DOB == a.DOB {
		return true
	}
	id := strings.TrimSpace(p.IDLast4)
	want := strings.TrimSpace(a.IDLast4)
	return id != "" && want != "" && strings.EqualFold(id, want)
}

// verified says what follows a passed verification: the pack's required
// disclosures, the balance, and the question of how to resolve it. A
// flagged account is not negotiated with.
func (e *engine) verified() {
	e.st.Verified = true
	e.say(Act{Kind: ActVerified})
	if e.flagged() {
		return
	}
	for _, k := range e.flow.pack(e.acct.Policy.Pack).OnVerified {
		e.disclose(k)
	}
	e.st.Stage = StageIntent
	if e.st.PendingCease {
		e.say(Act{Kind: ActConfirmCease})
		return
	}
	e.say(e.balanceAct())
	e.say(e.resolutionAct(ActAskResolution))
}

// flagged escalates an attorney-represented, bankrupt, deceased or disputed
// account and reports whether it did.
func (e *engine) flagged() bool {
	var reason string
	switch a := e.acct; {
	case a.Cease:
		e.ceaseOnFile()
		return true
	case a.Attorney:
		// Reg F 1006.6(b)(2): a represented consumer is contacted through
		// the attorney, so the bot does not negotiate.
		reason = ReasonAttorney
	case a.Bankruptcy:
		reason = ReasonBankruptcy
	case a.Deceased:
		reason = ReasonDeceased
	case a.Dispute, a.Validation:
		// Collection stops until the lender verifies the debt
		// (FDCPA 809(b), Reg F 1006.34).
		reason = ReasonDispute
	default:
		return false
	}
	e.say(Act{Kind: ActAccountFlagHandoff})
	esc := Escalation{Reason: reason, Priority: e.flow.priority(reason)}
	e.res.Escalation = &esc
	e.record(Outcome{Type: OutcomeEscalated, Reason: reason})
	e.end()
	return true
}

// verifiedTurn handles a message from the verified borrower.
func (e *engine) verifiedTurn(p Parse) {
	if p.Reason != "" {
		e.st.LateReason = p.Reason
	}
	if p.Has(IntentWrongParty) && !distressed(p) {
		// "Actually this is her mother": whatever was verified, the
		// speaker is not the borrower. (A message in crisis goes to a
		// person first, whoever wrote it.)
		e.thirdParty(p.Party)
		return
	}
	if e.st.PendingCease {
		e.st.PendingCease = false
		switch {
		case p.Has(IntentDeny) && !p.Has(IntentCease):
			e.say(e.balanceAct())
			e.say(e.resolutionAct(ActAskResolution))
			return
		case p.Has(IntentCease) || distressed(p) || hasProposal(p) || statesRights(p) ||
			p.Has(IntentQuestion) || p.Has(IntentAskBalance) || p.Has(IntentAskHowToPay) || p.Has(IntentHuman):
			// The answer says what it wants; read it as such.
		default:
			// Yes, or anything but a no or a new request: the stop request
			// stands until the borrower withdraws it (Reg F 1006.6(c)).
			p.Intent, p.Alts = IntentCease, append([]Intent{p.Intent}, p.Alts...)
		}
	}
	if !distressed(p) {
		// A person in crisis goes to a person at once; what else the
		// message says is theirs to take up.
		e.stateStatements(p)
	}
	switch {
	case distressed(p):
		e.distress()
	case p.Has(IntentAbuse):
		e.escalate(ReasonAbuse, ActAbuseAck)
	case p.Has(IntentCease):
		e.cease(p)
	case p.Has(IntentAttorney):
		e.escalate(ReasonAttorney, ActAttorneyAck)
	case p.Has(IntentBankruptcy):
		e.escalate(ReasonBankruptcy, ActBankruptcyAck)
	case p.Has(IntentDispute) && p.Validation:
		e.escalateAs(OutcomeDispute, ReasonDispute, ActValidationAck)
	case p.Has(IntentDispute):
		e.escalate(ReasonDispute, ActDisputeAck)
	case p.Has(IntentComplaint):
		e.escalate(ReasonComplaint, ActComplaintAck)
	case p.Has(IntentHuman):
		e.escalate(ReasonHumanRequested, ActHumanHandoff)
	case p.Has(IntentHardship) && !hasProposal(p):
		// "I lost my job, can I do 3 payments?" is a plan request; hardship
		// alone needs a person.
		e.escalate(ReasonHardship, ActHardshipAck)
	case paidClaim(p):
		// Saved as a dispute (stateStatements); the acknowledgement says
		// we will look for the payment.
		e.escalateAs(OutcomeDispute, ReasonDispute, ActAlreadyPaidAck)
	case p.Concern != "" && !offers(p):
		// Stopping contact, proof, a lawyer, bankruptcy or fraud, in words
		// understanding could not read: a person reads it, rather than the
		// bot answering with a payment demand. Nothing is recorded for it.
		e.escalate(ReasonRightsUnclear, ActMisunderstoodHandoff)
	case p.Has(IntentCallbackLater) && !hasProposal(p):
		e.callbackLater()
	case e.st.Stage == StageConfirm && e.st.Pending != nil:
		e.confirmTurn(p)
	case p.Intent == IntentQuestion && !hasProposal(p):
		e.answer(p.Topic)
		e.reprompt()
	case p.Intent == IntentReason && !hasProposal(p) && !p.Partial:
		e.reasonTurn(p)
	default:
		e.negotiateTurn(p)
	}
}

// statesRights reports whether p states something about the borrower's
// rights besides a stop request.
func statesRights(p Parse) bool {
	return p.Has(IntentDispute) || p.Has(IntentAttorney) || p.Has(IntentBankruptcy) || p.Has(IntentComplaint) ||
		p.Has(IntentAbuse) || p.Has(IntentWrongParty)
}

// offers reports whether p offers a way to pay the bot can read back (a
// schedule it could not read whole is none).
func offers(p Parse) bool {
	return !p.Unclear && hasProposal(p)
}

// hasProposal reports whether p asks for a way to pay.
func hasProposal(p Parse) bool {
	switch p.Intent {
	case IntentPayNow, IntentPromise, IntentPlan, IntentExtension:
		return true
	}
	return p.Installments > 0 || !p.Date.IsZero() || !p.Amount.IsZero() || len(p.Parts) > 0 || p.Unclear
}

// confirmTurn handles the answer to a read-back: only an explicit yes
// records; no returns to negotiation; a new proposal replaces the old one.
func (e *engine) confirmTurn(p Parse) {
	pr := *e.st.Pending
	switch {
	case p.Has(IntentAffirm) && !p.Has(IntentDeny) && !p.Negated && len(p.Parts) == 0 && matches(p, pr):
		e.accept(pr)
	case pr.Kind == ProposalPlan && !p.Date.IsZero() && p.Amount.IsZero() && len(p.Parts) == 0 && p.Installments == 0 &&
		!p.Negated && !p.Has(IntentPayNow) && !p.Has(IntentDeny) && !restatesPlan(p, pr):
		// "周三吧" after a plan was read back names a day for one of its
		// payments, not the whole balance on that day: ask for each
		// payment rather than read back a promise nobody made.
		e.st.Pending, e.st.Draft = nil, nil
		e.st.Stage = StageNegotiate
		e.say(Act{Kind: ActClarifySchedule, Amount: e.due(), Facts: compliance.Facts{Amounts: []compliance.Money{e.due()}}})
	case restates(p, pr) || restatesPlan(p, pr):
		// "I'll pay it then", "ok fine the 7th for the second half": the
		// borrower says again what was read back, with nothing new; only
		// an explicit yes records, so read it back.
		e.say(e.proposalAct(confirmKind(pr.Kind), pr))
	case pr.Kind == ProposalPlan && pr.Counter && p.Installments == len(pr.Installments) && !p.Negated && !p.Has(IntentDeny) &&
		p.Date.IsZero() && p.Amount.IsZero() && len(p.Parts) == 0:
		// "那6期吧" after a counter-offer of 6 payments takes it.
		e.accept(pr)
	case p.Has(IntentDeny) && !hasProposal(p):
		e.st.Pending = nil
		e.st.Stage = StageIntent
		e.say(e.resolutionAct(ActAskAlternative))
	case hasProposal(p) || p.Negated:
		e.st.Pending = nil
		e.st.Stage = StageNegotiate
		if pr.Kind == ProposalPTP && !p.Amount.IsZero() && p.Date.IsZero() && len(p.Parts) == 0 && !p.Negated && p.Installments == 0 {
			// "不对 是1200": a corrected amount keeps the date read back.
			p.Date = pr.Date
			p.Intent = IntentPromise
		}
		e.negotiateTurn(p)
	case p.Has(IntentAskBalance):
		e.say(e.balanceAct())
		e.say(e.proposalAct(confirmKind(pr.Kind), pr))
	case p.Has(IntentAskHowToPay):
		e.say(e.paymentLinkAct(pr.firstAmount()))
		e.say(e.proposalAct(confirmKind(pr.Kind), pr))
	case p.Has(IntentQuestion):
		e.answer(p.Topic)
		e.reprompt()
	case p.Intent == IntentReason:
		e.reprompt()
	default:
		e.misunderstood()
	}
}

// matches reports whether a yes that carries slots agrees with the
// read-back ("yes, on the 28th" when the 28th was read back).
func matches(p Parse, pr Proposal) bool {
	switch p.Intent {
	case IntentPayNow:
		if pr.Kind != ProposalPayNow {
			return false
		}
	case IntentPlan:
		if pr.Kind != ProposalPlan {
			return false
		}
	case IntentPromise, IntentExtension:
		// A date read back for a promise or an extension is confirmed by
		// "yes, I'll pay by then" either way.
		if pr.Kind != ProposalPTP && pr.Kind != ProposalExtension {
			return false
		}
	}
	if !p.Date.IsZero() && p.Date != pr.Date {
		return false
	}
	if !p.Amount.IsZero() && p.Amount.Minor != pr.Amount.Minor {
		return false
	}
	if p.Installments > 0 && p.Installments != len(pr.Installments) {
		return false
	}
	return true
}

func confirmKind(k ProposalKind) ActKind {
	switch k {
	case ProposalPayNow:
		return ActConfirmPayNow
	case ProposalPlan:
		return ActConfirmPlan
	case ProposalExtension:
		return ActConfirmExtension
	}
	return ActConfirmPTP
}

// accept records the confirmed proposal and closes with a summary and how
// to pay.
func (e *engine) accept(pr Proposal) {
	if err := e.check(pr); err != nil {
		// Every deal passes the one policy check, the bot's as an
		// agent's; one that no longer does (read back on an earlier day)
		// goes to a person rather than being recorded.
		e.escalate(ReasonOffPolicy, ActOffPolicyHandoff)
		return
	}
	o, act := e.deal(pr)
	e.record(o)
	e.say(act)
	e.end()
}

// deal is the outcome an agreed proposal records and the closing act that
// confirms it: one builder for the bot's deals and an agent's (Deal), so
// both state the same figures and the same filled-in payment link.
func (e *engine) deal(pr Proposal) (Outcome, Act) {
	switch pr.Kind {
	case ProposalPayNow:
		if pr.Date.IsZero() {
			pr.Date = e.in.Today
		}
		return Outcome{Type: OutcomePayNow, Amount: pr.Amount, DueDate: pr.Date}, e.proposalAct(ActClosePayNow, pr)
	case ProposalPlan:
		var total int64
		for _, in := range pr.Installments {
			total += in.Amount.Minor
		}
		pr.Amount = compliance.Money{Minor: total, Currency: e.due().Currency}
		if len(pr.Installments) > 0 {
			pr.Date = pr.Installments[0].DueDate
		}
		return Outcome{Type: OutcomePlan, Amount: pr.Amount, DueDate: pr.Date,
			Installments: slices.Clone(pr.Installments)}, e.proposalAct(ActClosePlan, pr)
	case ProposalExtension:
		return Outcome{Type: OutcomePTP, Reason: ReasonExtension, Amount: pr.Amount, DueDate: pr.Date},
			e.proposalAct(ActClosePTP, Proposal{Kind: ProposalPTP, Amount: pr.Amount, Date: pr.Date})
	default:
		return Outcome{Type: OutcomePTP, Amount: pr.Amount, DueDate: pr.Date}, e.proposalAct(ActClosePTP, pr)
	}
}

// negotiateTurn handles a message in the intent and negotiation stages.
func (e *engine) negotiateTurn(p Parse) {
	d := e.st.Draft
	if d != nil && d.Kind == ProposalPlan && d.Installments == 0 {
		p = bareCount(p)
	}
	switch {
	case p.Unclear && !p.Negated:
		// A schedule not read whole: ask for each payment, never read
		// back a guess that a "yes" would record.
		e.st.Draft = nil
		e.st.Stage = StageNegotiate
		e.say(Act{Kind: ActClarifySchedule, Amount: e.due(), Facts: compliance.Facts{Amounts: []compliance.Money{e.due()}}})
	case len(p.Parts) > 0 && !p.Negated:
		e.schedule(p.Parts)
	case d != nil && len(d.Parts) > 0 && !p.Date.IsZero() && !p.Negated:
		e.scheduleDate(p.Date)
	case p.Negated:
		e.negated(p)
	case p.Partial && p.Amount.IsZero() && (p.Has(IntentPayNow) || p.Has(IntentPromise) || !p.Date.IsZero()):
		e.askPartAmount(p)
	case d != nil && (d.Kind == ProposalPayNow || d.Kind == ProposalPTP) && !d.Date.IsZero() && d.Amount.IsZero() &&
		!p.Amount.IsZero() && p.Date.IsZero() && p.Installments == 0:
		// "250" after "how much can you pay by Friday?"
		e.partAmount(p.Amount)
	case p.Intent == IntentPayNow && !p.Amount.IsZero() && p.Date.IsZero() && p.Installments == 0:
		// "I'll pay 250.50 right now": part of the balance, today.
		e.st.Draft = &Draft{Kind: ProposalPayNow, Date: e.in.Today}
		e.partAmount(p.Amount)
	case p.Intent == IntentPayNow:
		e.propose(ActConfirmPayNow, Proposal{Kind: ProposalPayNow, Amount: e.due(), Date: e.in.Today})
	case p.Intent == IntentExtension:
		e.extension()
	case p.Intent == IntentPlan || p.Installments > 0:
		e.plan(p)
	case p.Intent == IntentPromise || !p.Date.IsZero() || !p.Amount.IsZero():
		if d != nil && d.Kind == ProposalPlan && p.Intent != IntentPromise {
			e.plan(p) // the first date of a plan being made
			return
		}
		e.promise(p)
	case p.Has(IntentPayNow):
		e.propose(ActConfirmPayNow, Proposal{Kind: ProposalPayNow, Amount: e.due(), Date: e.in.Today})
	case p.Has(IntentPlan):
		e.plan(p)
	case p.Has(IntentPromise):
		e.promise(p)
	case p.Has(IntentExtension):
		e.extension()
	case p.Has(IntentCannotPay) || p.Intent == IntentDeny:
		e.cannotPay(p)
	case p.Has(IntentAskBalance):
		e.say(e.balanceAct())
		e.reprompt()
	case p.Has(IntentAskHowToPay):
		e.say(e.paymentLinkAct(e.due()))
		e.reprompt()
	case p.Has(IntentQuestion):
		e.answer(p.Topic)
		e.reprompt()
	case p.Intent == IntentGreet || p.Intent == IntentIdentify || p.Intent == IntentReason:
		e.reprompt()
	default:
		e.misunderstood()
	}
}

// bareCount reads a lone whole number as an installment count: the answer
// to "how many payments?" is "3", which understanding alone takes for an
// amount because it does not know the question.
func bareCount(p Parse) Parse {
	m := p.Amount.Minor
	if p.Installments == 0 && p.Date.IsZero() && !p.Negated && p.Intent != IntentPromise &&
		m > 0 && m%100 == 0 && m/100 <= 36 {
		p.Installments = int(m / 100)
		p.Amount = compliance.Money{}
	}
	return p
}

// negated handles "I can't pay Friday": not a proposal; ask again.
func (e *engine) negated(p Parse) {
	switch {
	case p.Installments > 0 || p.Intent == IntentPlan:
		e.st.Draft = &Draft{Kind: ProposalPlan}
		e.st.Stage = StageNegotiate
		e.say(e.askPlanCountAct())
	case !p.Date.IsZero() || p.Intent == IntentPromise || !p.Amount.IsZero():
		e.st.Draft = &Draft{Kind: ProposalPTP}
		e.st.Stage = StageNegotiate
		e.say(e.askPromiseDateAct(compliance.Money{}))
	default:
		e.cannotPay(p)
	}
}

// cannotPay acknowledges that the borrower cannot pay and, when the
// script says so and no reason is known yet, asks why before asking how.
func (e *engine) cannotPay(p Parse) {
	e.st.Draft = nil
	e.st.Stage = StageIntent
	e.say(Act{Kind: ActCannotPayAck})
	if e.flow.AskReason && e.st.LateReason == "" && p.Has(IntentCannotPay) {
		e.say(Act{Kind: ActAskReason})
		return
	}
	e.say(e.resolutionAct(ActAskResolution))
}

func (e *engine) promise(p Parse) {
	d := Draft{Kind: ProposalPTP}
	if e.st.Draft != nil && e.st.Draft.Kind == ProposalPTP {
		d = *e.st.Draft
	}
	if !p.Amount.IsZero() {
		d.Amount = e.money(p.Amount)
	}
	if !p.Date.IsZero() {
		d.Date = p.Date
	}
	if d.Date.IsZero() {
		e.st.Draft = &d
		e.st.Stage = StageNegotiate
		e.say(e.askPromiseDateAct(d.Amount))
		return
	}
	e.st.Draft = nil
	due := e.due()
	amt := d.Amount
	if amt.IsZero() || amt.Minor > due.Minor {
		amt = due // a promise without an amount is for the full balance
	}
	minAmt := e.minPromise()
	today, latest := e.in.Today, e.latestPromise()
	if d.Date.Before(today) || d.Date.After(latest) {
		if amt.Minor < minAmt.Minor {
			amt = minAmt
		}
		e.counter(ActCounterPTPDate, Proposal{Kind: ProposalPTP, Amount: amt, Date: latest})
		return
	}
	if amt.Minor < minAmt.Minor {
		e.counter(ActCounterPTPAmount, Proposal{Kind: ProposalPTP, Amount: minAmt, Date: d.Date})
		return
	}
	if d.Date == today {
		// "150 today": part of the balance, paid now; "paying the whole
		// thing tonight" is paying now.
		if amt.Minor < due.Minor {
			e.propose(ActConfirmPayPart, Proposal{Kind: ProposalPayNow, Amount: amt, Date: today})
		} else {
			e.propose(ActConfirmPayNow, Proposal{Kind: ProposalPayNow, Amount: due, Date: today})
		}
		return
	}
	e.propose(ActConfirmPTP, Proposal{Kind: ProposalPTP, Amount: amt, Date: d.Date})
	if p.Week && p.Date == d.Date {
		e.st.Week = d.Date
	}
}

func (e *engine) plan(p Parse) {
	d := Draft{Kind: ProposalPlan}
	if e.st.Draft != nil && e.st.Draft.Kind == ProposalPlan {
		d = *e.st.Draft
	}
	if p.Installments > 0 {
		d.Installments = p.Installments
	}
	if !p.Date.IsZero() {
		d.Date = p.Date
	}
	maxN := e.maxInstallments()
	if maxN < 2 {
		e.st.Draft = nil
		e.counter(ActPlanUnavailable, Proposal{Kind: ProposalPTP, Amount: e.due(), Date: e.latestPromise()})
		return
	}
	if d.Installments == 0 {
		e.st.Draft = &d
		e.st.Stage = StageNegotiate
		e.say(e.askPlanCountAct())
		return
	}
	e.st.Draft = nil
	if d.Installments == 1 {
		// One payment is a promise to pay the balance by a date.
		e.promise(Parse{Date: d.Date})
		return
	}
	today := e.in.Today
	firstLatest := today.AddDays(e.acct.Policy.FirstInstallmentWithin)
	first := d.Date
	if first.IsZero() {
		first = firstLatest
	}
	firstOK := !first.Before(today) && !first.After(firstLatest)
	switch {
	case d.Installments > maxN:
		if !firstOK {
			first = firstLatest
		}
		e.counter(ActCounterPlanCount, e.buildPlan(maxN, first))
	case !firstOK:
		e.counter(ActCounterPlanDate, e.buildPlan(d.Installments, firstLatest))
	default:
		e.propose(ActConfirmPlan, e.buildPlan(d.Installments, first))
	}
}

func (e *engine) extension() {
	pol := e.acct.Policy
	if !pol.AllowExtension || pol.ExtensionDays <= 0 {
		e.counter(ActExtensionUnavailable, Proposal{Kind: ProposalPTP, Amount: e.due(), Date: e.latestPromise()})
		return
	}
	e.propose(ActConfirmExtension, Proposal{Kind: ProposalExtension, Amount: e.due(),
		Date: e.in.Today.AddDays(pol.ExtensionDays)})
}

// counter offers pr instead of an off-policy request, or hands over to a
// person once the borrower has asked outside policy too often.
func (e *engine) counter(kind ActKind, pr Proposal) {
	e.st.OffPolicy++
	if e.st.OffPolicy >= e.flow.Limits.OffPolicyAsks {
		e.escalate(ReasonOffPolicy, ActOffPolicyHandoff)
		return
	}
	pr.Counter = true
	e.propose(kind, pr)
}

// propose reads pr back and waits for a yes.
func (e *engine) propose(kind ActKind, pr Proposal) {
	e.st.Draft = nil
	e.st.Pending = &pr
	e.st.Offers = append(slices.Clip(e.st.Offers), pr)
	e.st.Stage = StageConfirm
	e.say(e.proposalAct(kind, pr))
}

func (e *engine) misunderstood() {
	e.st.Misunderstood = e.prevMisunderstood + 1
	if e.st.Misunderstood >= e.flow.Limits.Misunderstandings {
		e.escalate(ReasonMisunderstood, ActMisunderstoodHandoff)
		return
	}
	e.clarify()
}

// reprompt repeats the question the conversation is waiting on.
func (e *engine) reprompt() {
	switch {
	case e.st.Ended:
		e.say(Act{Kind: ActConversationClosed})
	case !e.st.Verified:
		e.askVerify(ActAskVerify)
	case e.st.Stage == StageConfirm && e.st.Pending != nil:
		e.say(e.proposalAct(confirmKind(e.st.Pending.Kind), *e.st.Pending))
	case e.st.Draft != nil && len(e.st.Draft.Parts) > 0:
		e.askScheduleDate()
	case e.st.Draft != nil && e.st.Draft.Kind == ProposalPlan:
		e.say(e.askPlanCountAct())
	case e.st.Draft != nil && !e.st.Draft.Date.IsZero() && e.st.Draft.Amount.IsZero():
		e.say(e.askPartAmountAct(*e.st.Draft))
	case e.st.Draft != nil:
		e.say(e.askPromiseDateAct(e.st.Draft.Amount))
	default:
		e.say(e.resolutionAct(ActAskResolution))
	}
}

func (e *engine) escalate(reason string, kind ActKind) {
	e.say(Act{Kind: kind})
	esc := Escalation{Reason: reason, Priority: e.flow.priority(reason)}
	e.res.Escalation = &esc
	typ := OutcomeEscalated
	if reason == ReasonDispute {
		typ = OutcomeDispute
	}
	e.record(Outcome{Type: typ, Reason: reason})
	e.end()
}

func (e *engine) escalateAs(typ OutcomeType, reason string, kind ActKind) {
	e.say(Act{Kind: kind})
	esc := Escalation{Reason: reason, Priority: e.flow.priority(reason)}
	e.res.Escalation = &esc
	e.record(Outcome{Type: typ, Reason: reason})
	e.end()
}

func (e *engine) callbackLater() {
	e.say(Act{Kind: ActCallbackAck})
	e.record(Outcome{Type: OutcomeNone, Reason: ReasonCallbackLater})
	e.end()
}

func (e *engine) record(o Outcome) {
	st, res := o, o
	e.st.Outcome = &st
	e.res.Outcome = &res
}

func (e *engine) end() {
	e.st.Ended = true
	e.st.Stage = StageClosed
	e.st.Pending, e.st.Draft = nil, nil
	e.st.Expect = ExpectNone
	e.res.Ended = true
}

// say appends an act, stamping whether the right party is verified.
func (e *engine) say(a Act) {
	a.Facts.Verified = e.st.Verified
	e.res.Acts = append(e.res.Acts, a)
	if x, ok := expects[a.Kind]; ok {
		if x == ExpectYesNo && e.st.Pending != nil && e.st.Pending.Kind == ProposalPlan {
			x = ExpectCount // "ok then 6", "make it 5" answer a plan's read-back
		}
		e.st.Expect = x
	}
}

func (e *engine) disclose(k ActKind) {
	e.say(Act{Kind: k, Facts: compliance.Facts{Disclosure: true}})
	e.st.Disclosed = append(slices.Clip(e.st.Disclosed), k)
}

// restate says a disclosure made before again (a new call's recording
// notice); the conversation's list of disclosures names it once.
func (e *engine) restate(k ActKind) {
	if !slices.Contains(e.st.Disclosed, k) {
		e.disclose(k)
		return
	}
	e.say(Act{Kind: k, Facts: compliance.Facts{Disclosure: true}})
}

// idDigits is the "last 4 digits" the identity question names.
const idDigits = 4

func (e *engine) askVerify(kind ActKind) {
	e.say(Act{Kind: kind, Count: idDigits, Facts: compliance.Facts{Counts: []int{idDigits}}})
}

// --- amounts and dates -------------------------------------------------

func (e *engine) due() compliance.Money { return e.acct.Debt.AmountDue }

// money puts an amount the borrower named in the debt's currency: bare
// numbers arrive without one, and the debt's currency is the only one the
// lender collects in.
func (e *engine) money(m compliance.Money) compliance.Money {
	return compliance.Money{Minor: m.Minor, Currency: e.due().Currency}
}

func (e *engine) latestPromise() compliance.Date {
	return e.in.Today.AddDays(e.acct.Policy.MaxDaysToPromise)
}

// smallestUnit is the smallest amount of any currency the system keeps:
// one minor unit (a cent, a fen). No payment is ever smaller.
const smallestUnit = 1

// minPromise is the smallest promise the policy accepts: the largest of
// the minimum amount, the minimum percentage of the balance (rounded up),
// the debt's own minimum payment and one minor unit, never more than the
// balance.
func (e *engine) minPromise() compliance.Money {
	due := e.due()
	pol := e.acct.Policy
	m := max(pol.MinPromiseAmount.Minor, e.acct.Debt.MinPayment.Minor, smallestUnit)
	if pct := int64(pol.MinPromisePercent); pct > 0 {
		if v := (due.Minor*pct + 99) / 100; v > m {
			m = v
		}
	}
	if m > due.Minor {
		m = due.Minor
	}
	return compliance.Money{Minor: m, Currency: due.Currency}
}

// minInstallment is the smallest payment of a plan: the larger of the
// policy's minimum installment and the debt's minimum payment, and at
// least one minor unit (a $0.05 balance is never split into $0.00
// payments).
func (e *engine) minInstallment() compliance.Money {
	m := max(e.acct.Policy.MinInstallment.Minor, e.acct.Debt.MinPayment.Minor, smallestUnit)
	return compliance.Money{Minor: m, Currency: e.due().Currency}
}

// maxInstallments is the largest plan the policy allows for this balance:
// no more than MaxInstallments, each at least minInstallment.
func (e *engine) maxInstallments() int {
	n := e.acct.Policy.MaxInstallments
	if byAmount := e.due().Minor / e.minInstallment().Minor; byAmount < int64(n) {
		n = int(max(byAmount, 0))
	}
	return n
}

// every is the policy's interval between plan payments, also the longest
// gap a plan may leave between two payments.
func (e *engine) every() int {
	if every := e.acct.Policy.InstallmentEveryDays; every >= 1 {
		return every
	}
	return 30 // ValidatePolicy rejects this; keep dates distinct anyway
}

// buildPlan splits the balance into n payments in minor units, the
// remainder on the last, the first on first and the rest every
// InstallmentEveryDays.
func (e *engine) buildPlan(n int, first compliance.Date) Proposal {
	due := e.due()
	every := e.every()
	base := due.Minor / int64(n)
	inst := make([]Installment, n)
	for i := range inst {
		amt := base
		if i == n-1 {
			amt = due.Minor - base*int64(n-1)
		}
		inst[i] = Installment{
			Amount:  compliance.Money{Minor: amt, Currency: due.Currency},
			DueDate: first.AddDays(i * every),
		}
	}
	return Proposal{Kind: ProposalPlan, Amount: due, Date: first, Installments: inst}
}

func (pr Proposal) firstAmount() compliance.Money {
	if len(pr.Installments) > 0 {
		return pr.Installments[0].Amount
	}
	return pr.Amount
}

// daysPastDue counts from the due date to today when both are known; the
// imported figure goes stale as days pass.
func (e *engine) daysPastDue() int {
	d := e.acct.Debt
	if !d.DueDate.IsZero() && !e.in.Today.IsZero() {
		if n := d.DueDate.DaysUntil(e.in.Today); n > 0 {
			return n
		}
		return 0
	}
	return d.DaysPastDue
}

// link fills Policy.PaymentURL; amountInLink reports whether it states the
// amount.
func (e *engine) link(amount compliance.Money) (string, bool) {
	u := e.acct.Policy.PaymentURL
	if u == "" {
		return "", false
	}
	hasAmount := strings.Contains(u, "{amount}")
	if hasAmount {
		u = strings.ReplaceAll(u, "{amount}", majorString(amount))
	}
	if strings.Contains(u, "{account}") {
		u = strings.ReplaceAll(u, "{account}", url.QueryEscape(e.acct.ID))
	}
	return u, hasAmount
}

// majorString formats m as "240.00", the form a payment page takes.
func majorString(m compliance.Money) string {
	v := m.Minor
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	frac := strconv.FormatInt(v%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(v/100, 10) + "." + frac
}

// --- acts with their facts --------------------------------------------

func (e *engine) balanceAct() Act {
	d := e.acct.Debt
	a := Act{Kind: ActBalance, Amount: d.AmountDue, Date: d.DueDate, Count: e.daysPastDue()}
	a.Facts.Amounts = []compliance.Money{d.AmountDue}
	if !d.DueDate.IsZero() {
		a.Facts.Dates = []compliance.Date{d.DueDate}
	}
	if a.Count > 0 {
		a.Facts.Counts = []int{a.Count}
	}
	return a
}

// resolutionAct lists the ways to resolve the debt that the policy allows:
// pay now, a promise up to the latest date, a plan of up to Count
// payments, an extension of Days days.
func (e *engine) resolutionAct(kind ActKind) Act {
	pol := e.acct.Policy
	a := Act{Kind: kind, Date: e.latestPromise()}
	a.Facts.Offers = []string{string(ProposalPayNow), string(ProposalPTP)}
	a.Facts.Dates = []compliance.Date{a.Date}
	if n := e.maxInstallments(); n >= 2 {
		a.Count = n
		a.Facts.Offers = append(a.Facts.Offers, string(ProposalPlan))
		a.Facts.Counts = append(a.Facts.Counts, n)
	}
	if pol.AllowExtension && pol.ExtensionDays > 0 {
		a.Days = pol.ExtensionDays
		a.Facts.Offers = append(a.Facts.Offers, string(ProposalExtension))
		a.Facts.Counts = append(a.Facts.Counts, a.Days)
	}
	return a
}

func (e *engine) askPromiseDateAct(amount compliance.Money) Act {
	a := Act{Kind: ActAskPromiseDate, Amount: amount, Date: e.latestPromise()}
	a.Facts.Offers = []string{string(ProposalPTP)}
	a.Facts.Dates = []compliance.Date{a.Date}
	if !amount.IsZero() {
		a.Facts.Amounts = []compliance.Money{amount}
	}
	return a
}

func (e *engine) askPlanCountAct() Act {
	n := e.maxInstallments()
	a := Act{Kind: ActAskPlanCount, Count: n}
	a.Facts.Offers = []string{string(ProposalPlan)}
	a.Facts.Counts = []int{n}
	return a
}

func (e *engine) paymentLinkAct(amount compliance.Money) Act {
	a := Act{Kind: ActPaymentLink}
	l, hasAmount := e.link(amount)
	a.Link = l
	if hasAmount {
		a.Amount = amount
		a.Facts.Amounts = []compliance.Money{amount}
	}
	return a
}

// proposalAct reads back (or offers, or summarises) pr. Its facts are
// exactly the figures the template states.
func (e *engine) proposalAct(kind ActKind, pr Proposal) Act {
	a := Act{Kind: kind, Amount: pr.Amount, Date: pr.Date}
	a.Facts.Offers = []string{string(pr.Kind)}
	a.Facts.Amounts = []compliance.Money{pr.Amount}
	switch pr.Kind {
	case ProposalPayNow:
		a.Date = compliance.Date{} // "now": no date is stated
	case ProposalPlan:
		a.Installments = slices.Clone(pr.Installments)
		a.Count = len(pr.Installments)
		a.Facts.Amounts = a.Facts.Amounts[:0]
		for _, in := range pr.Installments {
			if !slices.Contains(a.Facts.Amounts, in.Amount) {
				a.Facts.Amounts = append(a.Facts.Amounts, in.Amount)
			}
			a.Facts.Dates = append(a.Facts.Dates, in.DueDate)
		}
		if !slices.Contains(a.Facts.Amounts, pr.Amount) {
			a.Facts.Amounts = append(a.Facts.Amounts, pr.Amount)
		}
		a.Facts.Counts = []int{a.Count}
	case ProposalExtension:
		a.Days = e.acct.Policy.ExtensionDays
		a.Facts.Dates = []compliance.Date{pr.Date}
		a.Facts.Counts = []int{a.Days}
	default:
		a.Facts.Dates = []compliance.Date{pr.Date}
	}
	if kind == ActClosePayNow || kind == ActClosePTP || kind == ActClosePlan {
		// The close says how to pay; a link may carry the amount due next,
		// which is already among the facts.
		a.Link, _ = e.link(pr.firstAmount())
	}
	return a
}
