package dialog

import (
	"slices"

	"github.com/collectagent/collectagent/compliance"
)

// Who is speaking and what they state about their rights: third-party
// handling, identity factors, and the statements saved on the account.

// thirdParty locks the conversation into third-party handling: the
// speaker said they are not the borrower (a relative, a roommate, someone
// asking on their behalf, a wrong number). From now on the bot says only
// the pack's permitted message, accepts no identity answer and names
// nothing about the debt (FDCPA 805(b), Reg F 1006.6(d); CN: 不得向第三人
// 透露债务信息). Whatever was verified before no longer holds.
func (e *engine) thirdParty(party string) {
	if party != PartyWrongNumber {
		party = PartyThirdParty
	}
	e.st.ThirdParty, e.st.Party = true, party
	e.st.Verified, e.st.Factors = false, nil
	e.thirdPartyMessage()
	e.record(Outcome{Type: OutcomeWrongParty, Reason: party})
	e.end()
}

// thirdPartyMessage is all a locked conversation ever says.
func (e *engine) thirdPartyMessage() {
	if e.st.Party == PartyWrongNumber {
		e.say(Act{Kind: ActWrongParty})
		return
	}
	e.say(Act{Kind: ActThirdParty})
}

// Identity factors.
const (
	factorDOB = "dob"
	factorID  = "id"
)

// factorsNeeded is how many factors must match: the policy's setting,
// at most the number the account has on file.
func (e *engine) factorsNeeded() int {
	need := max(1, e.acct.Policy.VerifyFactors)
	have := 0
	if !e.acct.DOB.IsZero() {
		have++
	}
	if e.acct.IDLast4 != "" {
		have++
	}
	return max(1, min(need, have))
}

// matchFactors compares the factors p gives with the account's: the ones
// that matched, and whether any given factor did not.
func (e *engine) matchFactors(p Parse) (matched []string, mismatch bool) {
	if !p.DOB.IsZero() {
		if !e.acct.DOB.IsZero() && p.DOB == e.acct.DOB {
			matched = append(matched, factorDOB)
		} else {
			mismatch = true
		}
	}
	if p.IDLast4 != "" {
		if e.identityMatches(Parse{IDLast4: p.IDLast4}) {
			matched = append(matched, factorID)
		} else {
			mismatch = true
		}
	}
	return matched, mismatch
}

// verifyLocked reports whether the account's failed identity answers,
// over its sessions, have reached the flow's limit.
func (e *engine) verifyLocked() bool {
	lim := e.flow.Limits.AccountVerifyAttempts
	return lim > 0 && e.acct.PriorVerifyFailures+e.st.VerifyFailures >= lim
}

// lockVerification ends a conversation whose account may not be verified
// in chat any more.
func (e *engine) lockVerification() {
	a := Act{Kind: ActVerifyLocked}
	if c := e.acct.SupportContact; c != "" {
		a.Note, a.Facts = c, compliance.Facts{Counts: noteCounts(c)}
	}
	e.say(a)
	e.record(Outcome{Type: OutcomeNone, Reason: ReasonVerificationLocked})
	e.end()
}

// ask for the factor still missing.
func (e *engine) askFactor() {
	a := Act{Kind: ActAskFactor}
	if !slices.Contains(e.st.Factors, factorID) {
		a.Count = idDigits
		a.Facts.Counts = []int{idDigits}
	}
	e.say(a)
}

// stateStatements records what the verified borrower states about their
// rights in p, all of it (one message may both dispute and ask us to
// stop). Before verification, or from a third party, nothing is saved on
// the account.
func (e *engine) stateStatements(p Parse) {
	if !e.st.Verified || e.st.ThirdParty {
		return
	}
	add := func(s Statement) {
		for _, x := range e.res.Statements {
			if x.Kind == s.Kind {
				return
			}
		}
		e.res.Statements = append(e.res.Statements, s)
	}
	if p.Has(IntentCease) {
		s := Statement{Kind: StatementCease}
		// Reg F 1006.14(h): a consumer may restrict the media used; a pack
		// without channel-limited requests treats every cease as total.
		if e.flow.pack(e.acct.Policy.Pack).CeaseByChannel {
			s.Channels = slices.Clone(p.CeaseChannels)
		}
		add(s)
	}
	if p.Has(IntentDispute) || paidClaim(p) {
		// Reg F 1006.34/.38, FDCPA 809(b): a request for proof is a
		// validation request; collection stops until it is answered.
		// A claim to have paid already disputes the debt as we hold it.
		if p.Validation {
			add(Statement{Kind: StatementValidation})
		} else {
			add(Statement{Kind: StatementDispute})
		}
	}
	if p.Has(IntentAttorney) {
		add(Statement{Kind: StatementAttorney, Details: p.Attorney})
	}
	if p.Has(IntentBankruptcy) {
		add(Statement{Kind: StatementBankruptcy})
	}
}

// paidClaim reports whether p says the debt was paid already, with no
// way to pay besides ("I paid this off, check your records", 早就还清了):
// the borrower disputes that they owe it (Reg F 1006.38: a dispute is a
// claim that the debt, or part of it, is not owed), so it is saved and
// collection stops until the lender has checked.
func paidClaim(p Parse) bool {
	if !p.Has(IntentAlreadyPaid) || hasProposal(p) {
		return false
	}
	// "I paid half, I'll pay the rest later": a way to pay beside it.
	for _, i := range []Intent{IntentPromise, IntentPlan, IntentPayNow, IntentExtension} {
		if p.Has(i) {
			return false
		}
	}
	return true
}

// cease ends the conversation on a request to stop contact: the verified
// borrower's request is saved (every channel, or the ones they named
// where the pack allows it); anyone else's only ends this chat.
func (e *engine) cease(p Parse) {
	all := true
	for _, s := range e.res.Statements {
		if s.Kind == StatementCease && len(s.Channels) > 0 {
			all = false
		}
	}
	if e.st.Verified && all {
		e.say(Act{Kind: ActCeaseAllAck})
	} else {
		e.say(Act{Kind: ActCeaseAck})
	}
	e.record(Outcome{Type: OutcomeCease, Reason: ReasonCease})
	e.end()
}

// identifies reports whether p's identity answer verifies the speaker
// now (every factor it gives matches, and enough have).
func (e *engine) identifies(p Parse) bool {
	if e.verifyLocked() {
		return false
	}
	matched, mismatch := e.matchFactors(p)
	if mismatch || len(matched) == 0 {
		return false
	}
	n := len(e.st.Factors)
	for _, f := range matched {
		if !slices.Contains(e.st.Factors, f) {
			n++
		}
	}
	return n >= e.factorsNeeded()
}

// ceaseOnFile answers any message on an account whose borrower asked us
// to stop: the conversation ends there.
func (e *engine) ceaseOnFile() {
	e.st.PendingCease = false
	e.say(Act{Kind: ActCeaseOnFile})
	e.record(Outcome{Type: OutcomeCease, Reason: ReasonCeaseOnFile})
	e.end()
}
