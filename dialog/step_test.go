package dialog

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

func TestStart(t *testing.T) {
	for _, a := range []Account{acctUS(), acctCN()} {
		t.Run(a.Policy.Pack, func(t *testing.T) {
			st, res := run(t, a, start())
			want := []ActKind{ActGreeting, ActRecordingNotice, ActAskVerify}
			if got := kinds(res[0]); !slices.Equal(got, want) {
				t.Fatalf("acts = %v, want %v", got, want)
			}
			if st.Stage != StageVerify || st.Verified || st.Ended {
				t.Fatalf("state = %+v", st)
			}
			if !slices.Equal(st.Disclosed, []ActKind{ActGreeting, ActRecordingNotice}) {
				t.Fatalf("disclosed = %v", st.Disclosed)
			}
			if ask := res[0].Acts[2]; !slices.Equal(ask.Facts.Counts, []int{4}) {
				t.Fatalf("ask_verify facts = %+v", ask.Facts)
			}
		})
	}
}

func TestMessageBeforeStartDisclosesFirst(t *testing.T) {
	a := acctUS()
	st, res := run(t, a, dobOf(a))
	got := kinds(res[0])
	want := []ActKind{ActGreeting, ActRecordingNotice, ActVerified, ActMiniMiranda, ActBalance, ActAskResolution}
	if !slices.Equal(got, want) {
		t.Fatalf("acts = %v, want %v", got, want)
	}
	if !st.Verified {
		t.Fatal("not verified")
	}
}

func TestVerification(t *testing.T) {
	us, cn := acctUS(), acctCN()
	tests := []struct {
		name      string
		acct      Account
		in        []Input
		wantActs  []ActKind // of the last step
		verified  bool
		ended     bool
		outcome   OutcomeType
		reason    string
		escalated string
	}{
		{"dob matches", us, []Input{dobOf(us)}, []ActKind{ActVerified, ActMiniMiranda, ActBalance, ActAskResolution}, true, false, "", "", ""},
		{"cn has no mini-miranda", cn, []Input{dobOf(cn)}, []ActKind{ActVerified, ActBalance, ActAskResolution}, true, false, "", "", ""},
		{"id last4 matches", us, []Input{msg(Parse{Intent: IntentIdentify, IDLast4: "4417"})}, []ActKind{ActVerified, ActMiniMiranda, ActBalance, ActAskResolution}, true, false, "", "", ""},
		{"id last4 lower-case x", cn, []Input{msg(Parse{Intent: IntentIdentify, IDLast4: "345x"})}, []ActKind{ActVerified, ActBalance, ActAskResolution}, true, false, "", "", ""},
		{"wrong dob retries", us, []Input{msg(Parse{Intent: IntentIdentify, DOB: date("1988-07-22")})}, []ActKind{ActVerifyRetry}, false, false, "", "", ""},
		{"wrong id retries", us, []Input{msg(Parse{Intent: IntentIdentify, IDLast4: "4418"})}, []ActKind{ActVerifyRetry}, false, false, "", "", ""},
		{"third failure ends", us, []Input{
			msg(Parse{IDLast4: "0000"}), msg(Parse{IDLast4: "1111"}), msg(Parse{DOB: date("1970-01-01")}),
		}, []ActKind{ActVerifyFailed}, false, true, OutcomeNone, ReasonVerificationFailed, ""},
		{"pass on third try", us, []Input{
			msg(Parse{IDLast4: "0000"}), msg(Parse{IDLast4: "1111"}), dobOf(us),
		}, []ActKind{ActVerified, ActMiniMiranda, ActBalance, ActAskResolution}, true, false, "", "", ""},
		{"wrong party", us, []Input{say(IntentWrongParty)}, []ActKind{ActThirdParty}, false, true, OutcomeWrongParty, ReasonThirdParty, ""},
		{"wrong number", us, []Input{msg(Parse{Intent: IntentWrongParty, Party: PartyWrongNumber})}, []ActKind{ActWrongParty}, false, true, OutcomeWrongParty, ReasonWrongNumber, ""},
		{"wrong party as alternative", us, []Input{msg(Parse{Intent: IntentDeny, Alts: []Intent{IntentWrongParty}})}, []ActKind{ActThirdParty}, false, true, OutcomeWrongParty, ReasonThirdParty, ""},
		{"human before verify", us, []Input{say(IntentHuman)}, []ActKind{ActHumanHandoff}, false, true, OutcomeEscalated, ReasonHumanRequested, ReasonHumanRequested},
		{"distress before verify", cn, []Input{say(IntentDistress)}, []ActKind{ActDistressSupport}, false, true, OutcomeEscalated, ReasonDistress, ReasonDistress},
		{"distressed sentiment", cn, []Input{msg(Parse{Sentiment: "distressed"})}, []ActKind{ActDistressSupport}, false, true, OutcomeEscalated, ReasonDistress, ReasonDistress},
		{"abuse before verify", us, []Input{say(IntentAbuse)}, []ActKind{ActAbuseAck}, false, true, OutcomeEscalated, ReasonAbuse, ReasonAbuse},
		{"complaint before verify", us, []Input{say(IntentComplaint)}, []ActKind{ActComplaintAck}, false, true, OutcomeEscalated, ReasonComplaint, ReasonComplaint},
		{"cease before verify", us, []Input{say(IntentCease)}, []ActKind{ActCeaseVerifyFirst, ActAskVerify}, false, false, "", "", ""},
		{"dispute waits for verify", us, []Input{say(IntentDispute)}, []ActKind{ActVerifyFirst, ActAskVerify}, false, false, "", "", ""},
		{"balance waits for verify", us, []Input{say(IntentAskBalance)}, []ActKind{ActVerifyFirst, ActAskVerify}, false, false, "", "", ""},
		{"promise waits for verify", cn, []Input{msg(Parse{Intent: IntentPromise, Date: today.AddDays(3)})}, []ActKind{ActVerifyFirst, ActAskVerify}, false, false, "", "", ""},
		{"yes re-asks", us, []Input{say(IntentAffirm)}, []ActKind{ActAskVerify}, false, false, "", "", ""},
		{"not understood", us, []Input{say(IntentUnknown)}, []ActKind{ActClarifyIdentity}, false, false, "", "", ""},
		{"identify without answer", us, []Input{say(IntentIdentify)}, []ActKind{ActClarifyIdentity}, false, false, "", "", ""},
		{"three not understood", us, []Input{say(IntentUnknown), say(IntentUnknown), say(IntentUnknown)}, []ActKind{ActMisunderstoodHandoff}, false, true, OutcomeEscalated, ReasonMisunderstood, ReasonMisunderstood},
		{"understood message resets count", us, []Input{say(IntentUnknown), say(IntentUnknown), say(IntentAffirm), say(IntentUnknown)}, []ActKind{ActClarifyIdentity}, false, false, "", "", ""},
		{"callback later", us, []Input{say(IntentCallbackLater)}, []ActKind{ActCallbackAck}, false, true, OutcomeNone, ReasonCallbackLater, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, res := run(t, tt.acct, append([]Input{start()}, tt.in...)...)
			last := res[len(res)-1]
			if got := kinds(last); !slices.Equal(got, tt.wantActs) {
				t.Fatalf("acts = %v, want %v", got, tt.wantActs)
			}
			if st.Verified != tt.verified || st.Ended != tt.ended || last.Ended != tt.ended {
				t.Fatalf("verified=%v ended=%v (result %v), want %v %v", st.Verified, st.Ended, last.Ended, tt.verified, tt.ended)
			}
			if tt.outcome == "" {
				if last.Outcome != nil {
					t.Fatalf("outcome = %+v, want none", last.Outcome)
				}
			} else if last.Outcome == nil || last.Outcome.Type != tt.outcome || last.Outcome.Reason != tt.reason {
				t.Fatalf("outcome = %+v, want %s/%s", last.Outcome, tt.outcome, tt.reason)
			}
			if tt.escalated == "" {
				if last.Escalation != nil {
					t.Fatalf("escalation = %+v", last.Escalation)
				}
			} else if last.Escalation == nil || last.Escalation.Reason != tt.escalated {
				t.Fatalf("escalation = %+v, want %s", last.Escalation, tt.escalated)
			}
		})
	}
}

func TestVerifiedDisclosesBalance(t *testing.T) {
	a := acctUS()
	_, res := run(t, a, start(), dobOf(a))
	acts := res[1].Acts
	mm := acts[1]
	if mm.Kind != ActMiniMiranda || !mm.Facts.Disclosure || !mm.Facts.Verified {
		t.Fatalf("mini-miranda = %+v", mm)
	}
	bal := acts[2]
	if bal.Amount != usd(24000) || bal.Date != date("2026-11-13") || bal.Count != 9 {
		t.Fatalf("balance = %+v", bal)
	}
	ask := acts[3]
	if ask.Date != date("2026-12-06") || ask.Count != 6 || ask.Days != 0 {
		t.Fatalf("ask_resolution = %+v", ask)
	}
	if want := []string{"pay_now", "ptp", "plan"}; !slices.Equal(ask.Facts.Offers, want) {
		t.Fatalf("offers = %v, want %v", ask.Facts.Offers, want)
	}
	cn := acctCN()
	_, res = run(t, cn, start(), dobOf(cn))
	ask = lastAct(t, res[1])
	if ask.Days != 7 || !slices.Contains(ask.Facts.Offers, "extension") || !slices.Contains(ask.Facts.Counts, 7) {
		t.Fatalf("cn ask_resolution = %+v", ask)
	}
	// 860.00 / 100.00 minimum installment caps the plan at 6 (policy max).
	if ask.Count != 6 {
		t.Fatalf("cn max installments = %d", ask.Count)
	}
}

func TestDaysPastDue(t *testing.T) {
	a := acctUS()
	tests := []struct {
		name string
		due  compliance.Date
		dpd  int
		want int
	}{
		{"from due date", date("2026-11-13"), 3, 9},
		{"no due date uses import", compliance.Date{}, 5, 5},
		{"not yet due", date("2026-11-30"), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.Debt.DueDate, a.Debt.DaysPastDue = tt.due, tt.dpd
			e := engine{acct: &a, in: Input{Today: today}}
			if got := e.daysPastDue(); got != tt.want {
				t.Fatalf("daysPastDue = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAccountFlags(t *testing.T) {
	tests := []struct {
		name   string
		set    func(*Account)
		reason string
	}{
		{"attorney", func(a *Account) { a.Attorney = true }, ReasonAttorney},
		{"bankruptcy", func(a *Account) { a.Bankruptcy = true }, ReasonBankruptcy},
		{"deceased", func(a *Account) { a.Deceased = true }, ReasonDeceased},
		{"dispute", func(a *Account) { a.Dispute = true }, ReasonDispute},
		{"attorney wins over dispute", func(a *Account) { a.Dispute, a.Attorney = true, true }, ReasonAttorney},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := acctUS()
			tt.set(&a)
			st, res := run(t, a, start(), dobOf(a))
			r := res[1]
			if got, want := kinds(r), []ActKind{ActVerified, ActAccountFlagHandoff}; !slices.Equal(got, want) {
				t.Fatalf("acts = %v, want %v", got, want)
			}
			if r.Escalation == nil || r.Escalation.Reason != tt.reason || r.Outcome == nil || r.Outcome.Type != OutcomeEscalated {
				t.Fatalf("result = %+v", r)
			}
			if !st.Ended {
				t.Fatal("not ended")
			}
			// A hand-back does not open negotiation on a flagged account.
			_, r = Step(testFlow(), a, st, Input{Kind: EventHandBack, Today: today})
			if got := kinds(r); !slices.Equal(got, []ActKind{ActWelcomeBack, ActAccountFlagHandoff}) {
				t.Fatalf("hand back acts = %v", got)
			}
		})
	}
}

func TestIntentsAfterVerification(t *testing.T) {
	tests := []struct {
		name     string
		p        Parse
		act      ActKind
		outcome  OutcomeType
		reason   string
		escalate string
		priority int
	}{
		{"dispute", Parse{Intent: IntentDispute}, ActDisputeAck, OutcomeDispute, ReasonDispute, ReasonDispute, 3},
		{"cease", Parse{Intent: IntentCease}, ActCeaseAllAck, OutcomeCease, ReasonCease, "", 0},
		{"attorney", Parse{Intent: IntentAttorney}, ActAttorneyAck, OutcomeEscalated, ReasonAttorney, ReasonAttorney, 3},
		{"bankruptcy", Parse{Intent: IntentBankruptcy}, ActBankruptcyAck, OutcomeEscalated, ReasonBankruptcy, ReasonBankruptcy, 3},
		{"hardship", Parse{Intent: IntentHardship}, ActHardshipAck, OutcomeEscalated, ReasonHardship, ReasonHardship, 2},
		{"human", Parse{Intent: IntentHuman}, ActHumanHandoff, OutcomeEscalated, ReasonHumanRequested, ReasonHumanRequested, 3},
		{"complaint", Parse{Intent: IntentComplaint}, ActComplaintAck, OutcomeEscalated, ReasonComplaint, ReasonComplaint, 2},
		{"abuse", Parse{Intent: IntentAbuse}, ActAbuseAck, OutcomeEscalated, ReasonAbuse, ReasonAbuse, 2},
		{"distress", Parse{Intent: IntentDistress}, ActDistressSupport, OutcomeEscalated, ReasonDistress, ReasonDistress, 1},
		{"distress beside a promise", Parse{Intent: IntentPromise, Date: today.AddDays(2), Alts: []Intent{IntentDistress}}, ActDistressSupport, OutcomeEscalated, ReasonDistress, ReasonDistress, 1},
		{"already paid", Parse{Intent: IntentAlreadyPaid}, ActAlreadyPaidAck, OutcomeDispute, ReasonDispute, ReasonDispute, 3},
		{"callback later", Parse{Intent: IntentCallbackLater}, ActCallbackAck, OutcomeNone, ReasonCallbackLater, "", 0},
		{"wrong party late", Parse{Intent: IntentWrongParty}, ActThirdParty, OutcomeWrongParty, ReasonThirdParty, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := acctUS()
			st := verifiedState(t, a)
			st, r := Step(testFlow(), a, st, msg(tt.p))
			checkFacts(t, st, r)
			if got := kinds(r); !slices.Equal(got, []ActKind{tt.act}) {
				t.Fatalf("acts = %v, want [%s]", got, tt.act)
			}
			if r.Outcome == nil || r.Outcome.Type != tt.outcome || r.Outcome.Reason != tt.reason {
				t.Fatalf("outcome = %+v", r.Outcome)
			}
			if tt.escalate == "" {
				if r.Escalation != nil {
					t.Fatalf("escalation = %+v", r.Escalation)
				}
			} else if r.Escalation == nil || r.Escalation.Reason != tt.escalate || r.Escalation.Priority != tt.priority {
				t.Fatalf("escalation = %+v, want %s/%d", r.Escalation, tt.escalate, tt.priority)
			}
			if !r.Ended || !st.Ended || st.Stage != StageClosed {
				t.Fatalf("not ended: %+v", st)
			}
		})
	}
}

func TestHardshipWithPlanNegotiates(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	_, r := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 3, Alts: []Intent{IntentHardship}}))
	if got := kinds(r); !slices.Equal(got, []ActKind{ActConfirmPlan}) {
		t.Fatalf("acts = %v", got)
	}
}

func TestPromise(t *testing.T) {
	us, cn := acctUS(), acctCN()
	tests := []struct {
		name       string
		acct       Account
		p          Parse
		act        ActKind
		amount     compliance.Money
		date       compliance.Date
		wantStage  Stage
		wantCounts bool
	}{
		{"full balance by a date", us, Parse{Intent: IntentPromise, Date: today.AddDays(5)}, ActConfirmPTP, usd(24000), today.AddDays(5), StageConfirm, false},
		{"latest day is allowed", us, Parse{Intent: IntentPromise, Date: today.AddDays(14)}, ActConfirmPTP, usd(24000), today.AddDays(14), StageConfirm, false},
		{"a day past the limit", us, Parse{Intent: IntentPromise, Date: today.AddDays(15)}, ActCounterPTPDate, usd(24000), today.AddDays(14), StageConfirm, true},
		{"a past date", us, Parse{Intent: IntentPromise, Date: today.AddDays(-1)}, ActCounterPTPDate, usd(24000), today.AddDays(14), StageConfirm, true},
		{"partial at the minimum percent", us, Parse{Intent: IntentPromise, Date: today.AddDays(3), Amount: usd(6000)}, ActConfirmPTP, usd(6000), today.AddDays(3), StageConfirm, false},
		{"partial below the minimum percent", us, Parse{Intent: IntentPromise, Date: today.AddDays(3), Amount: usd(5999)}, ActCounterPTPAmount, usd(6000), today.AddDays(3), StageConfirm, true},
		{"below minimum and too late", us, Parse{Intent: IntentPromise, Date: today.AddDays(40), Amount: usd(100)}, ActCounterPTPDate, usd(6000), today.AddDays(14), StageConfirm, true},
		{"more than owed is the balance", us, Parse{Intent: IntentPromise, Date: today.AddDays(3), Amount: usd(99900)}, ActConfirmPTP, usd(24000), today.AddDays(3), StageConfirm, false},
		{"bare amount takes the debt currency", cn, Parse{Intent: IntentPromise, Date: today.AddDays(3), Amount: compliance.Money{Minor: 50000}}, ActConfirmPTP, cny(50000), today.AddDays(3), StageConfirm, false},
		{"below the minimum amount", cn, Parse{Intent: IntentPromise, Date: today.AddDays(3), Amount: cny(10000)}, ActCounterPTPAmount, cny(20000), today.AddDays(3), StageConfirm, true},
		{"date alone is a promise", cn, Parse{Date: today.AddDays(2)}, ActConfirmPTP, cny(86000), today.AddDays(2), StageConfirm, false},
		{"no date asks for one", us, Parse{Intent: IntentPromise}, ActAskPromiseDate, compliance.Money{}, today.AddDays(14), StageNegotiate, false},
		{"amount without date asks for one", us, Parse{Intent: IntentPromise, Amount: usd(10000)}, ActAskPromiseDate, usd(10000), today.AddDays(14), StageNegotiate, false},
		{"negated date is no proposal", us, Parse{Intent: IntentPromise, Date: today.AddDays(3), Negated: true}, ActAskPromiseDate, compliance.Money{}, today.AddDays(14), StageNegotiate, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := verifiedState(t, tt.acct)
			st, r := Step(testFlow(), tt.acct, st, msg(tt.p))
			checkFacts(t, st, r)
			act := lastAct(t, r)
			if act.Kind != tt.act || act.Amount != tt.amount || act.Date != tt.date {
				t.Fatalf("act = %s %v %v, want %s %v %v", act.Kind, act.Amount, act.Date, tt.act, tt.amount, tt.date)
			}
			if st.Stage != tt.wantStage {
				t.Fatalf("stage = %s, want %s", st.Stage, tt.wantStage)
			}
			if r.Outcome != nil {
				t.Fatalf("recorded before confirmation: %+v", r.Outcome)
			}
			if tt.wantStage == StageConfirm {
				if st.Pending == nil || st.Pending.Amount != tt.amount || st.Pending.Date != tt.date || st.Pending.Counter != tt.wantCounts {
					t.Fatalf("pending = %+v", st.Pending)
				}
				if !tt.wantCounts && st.OffPolicy != 0 || tt.wantCounts && st.OffPolicy != 1 {
					t.Fatalf("off policy = %d", st.OffPolicy)
				}
			} else if st.Pending != nil {
				t.Fatalf("pending = %+v", st.Pending)
			}
		})
	}
}

func TestPromiseDraftCompletes(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	st, _ = Step(testFlow(), a, st, msg(Parse{Intent: IntentPromise, Amount: usd(10000)}))
	// The borrower answers the date question with a bare date.
	st, r := Step(testFlow(), a, st, msg(Parse{Date: today.AddDays(4)}))
	act := lastAct(t, r)
	if act.Kind != ActConfirmPTP || act.Amount != usd(10000) || act.Date != today.AddDays(4) {
		t.Fatalf("act = %+v", act)
	}
	if st.Draft != nil {
		t.Fatalf("draft left: %+v", st.Draft)
	}
}

func TestPlan(t *testing.T) {
	us, cn := acctUS(), acctCN()
	first := today.AddDays(7)
	tests := []struct {
		name    string
		acct    Account
		p       Parse
		act     ActKind
		amounts []int64 // minor units of each installment
		first   compliance.Date
	}{
		{"three even", us, Parse{Intent: IntentPlan, Installments: 3}, ActConfirmPlan, []int64{8000, 8000, 8000}, first},
		{"remainder on the last", cn, Parse{Intent: IntentPlan, Installments: 7 - 1}, ActConfirmPlan, []int64{14333, 14333, 14333, 14333, 14333, 14335}, today.AddDays(5)},
		{"count alone is a plan", us, Parse{Installments: 4}, ActConfirmPlan, []int64{6000, 6000, 6000, 6000}, first},
		{"chosen first date", us, Parse{Intent: IntentPlan, Installments: 2, Date: today.AddDays(2)}, ActConfirmPlan, []int64{12000, 12000}, today.AddDays(2)},
		{"too many", us, Parse{Intent: IntentPlan, Installments: 12}, ActCounterPlanCount, []int64{4000, 4000, 4000, 4000, 4000, 4000}, first},
		{"first date too late", us, Parse{Intent: IntentPlan, Installments: 2, Date: today.AddDays(20)}, ActCounterPlanDate, []int64{12000, 12000}, first},
		{"first date in the past", us, Parse{Intent: IntentPlan, Installments: 2, Date: today.AddDays(-2)}, ActCounterPlanDate, []int64{12000, 12000}, first},
		{"too many and too late", us, Parse{Intent: IntentPlan, Installments: 9, Date: today.AddDays(30)}, ActCounterPlanCount, []int64{4000, 4000, 4000, 4000, 4000, 4000}, first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := verifiedState(t, tt.acct)
			st, r := Step(testFlow(), tt.acct, st, msg(tt.p))
			checkFacts(t, st, r)
			act := lastAct(t, r)
			if act.Kind != tt.act {
				t.Fatalf("act = %s, want %s", act.Kind, tt.act)
			}
			if act.Count != len(tt.amounts) || len(act.Installments) != len(tt.amounts) {
				t.Fatalf("count = %d, installments %d, want %d", act.Count, len(act.Installments), len(tt.amounts))
			}
			var sum int64
			every := tt.acct.Policy.InstallmentEveryDays
			for i, in := range act.Installments {
				if in.Amount.Minor != tt.amounts[i] {
					t.Errorf("installment %d = %d, want %d", i, in.Amount.Minor, tt.amounts[i])
				}
				if want := tt.first.AddDays(i * every); in.DueDate != want {
					t.Errorf("installment %d due %v, want %v", i, in.DueDate, want)
				}
				if in.Amount.Minor < tt.acct.Policy.MinInstallment.Minor {
					t.Errorf("installment %d below minimum", i)
				}
				sum += in.Amount.Minor
			}
			if sum != tt.acct.Debt.AmountDue.Minor || act.Amount != tt.acct.Debt.AmountDue {
				t.Fatalf("sum = %d, act amount %v, want %v", sum, act.Amount, tt.acct.Debt.AmountDue)
			}
			if st.Stage != StageConfirm || st.Pending == nil || st.Pending.Kind != ProposalPlan {
				t.Fatalf("state = %+v", st)
			}
		})
	}
}

func TestPlanMinInstallmentCapsCount(t *testing.T) {
	a := acctUS()
	a.Debt.AmountDue = usd(10000) // 100.00 at 20.00 minimum: at most 5
	st := verifiedState(t, a)
	st, r := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 6}))
	act := lastAct(t, r)
	if act.Kind != ActCounterPlanCount || act.Count != 5 {
		t.Fatalf("act = %s count %d", act.Kind, act.Count)
	}
	_ = st
}

func TestPlanUnavailable(t *testing.T) {
	a := acctSmall() // 30.00 at 20.00 minimum: no plan of 2
	st := verifiedState(t, a)
	ask := Act{}
	_, res := run(t, a, start(), dobOf(a))
	ask = lastAct(t, res[1])
	if ask.Count != 0 || slices.Contains(ask.Facts.Offers, "plan") {
		t.Fatalf("plan offered on a small balance: %+v", ask)
	}
	st, r := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 2}))
	act := lastAct(t, r)
	if act.Kind != ActPlanUnavailable || act.Amount != usd(3000) || act.Date != today.AddDays(14) {
		t.Fatalf("act = %+v", act)
	}
	if st.Pending == nil || st.Pending.Kind != ProposalPTP {
		t.Fatalf("pending = %+v", st.Pending)
	}
}

func TestPlanAskCountThenAnswer(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	st, r := Step(testFlow(), a, st, say(IntentPlan))
	if act := lastAct(t, r); act.Kind != ActAskPlanCount || act.Count != 6 {
		t.Fatalf("act = %+v", act)
	}
	if st.Stage != StageNegotiate || st.Draft == nil {
		t.Fatalf("state = %+v", st)
	}
	// A date while the count is open is the plan's first date.
	st, r = Step(testFlow(), a, st, msg(Parse{Date: today.AddDays(3)}))
	if act := lastAct(t, r); act.Kind != ActAskPlanCount {
		t.Fatalf("act = %s", act.Kind)
	}
	st, r = Step(testFlow(), a, st, msg(Parse{Installments: 2}))
	act := lastAct(t, r)
	if act.Kind != ActConfirmPlan || act.Installments[0].DueDate != today.AddDays(3) {
		t.Fatalf("act = %+v", act)
	}
	// One payment is a promise.
	st = verifiedState(t, a)
	_, r = Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 1, Date: today.AddDays(2)}))
	if act := lastAct(t, r); act.Kind != ActConfirmPTP || act.Date != today.AddDays(2) {
		t.Fatalf("act = %+v", act)
	}
}

func TestNegatedPlanAsksCount(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	st, r := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 3, Negated: true}))
	if got := kinds(r); !slices.Equal(got, []ActKind{ActAskPlanCount}) || st.Pending != nil {
		t.Fatalf("acts = %v pending %+v", got, st.Pending)
	}
	st = verifiedState(t, a)
	_, r = Step(testFlow(), a, st, msg(Parse{Intent: IntentPayNow, Negated: true}))
	if got := kinds(r); !slices.Equal(got, []ActKind{ActCannotPayAck, ActAskResolution}) {
		t.Fatalf("acts = %v", got)
	}
}

func TestConfirmation(t *testing.T) {
	a := acctUS()
	d := today.AddDays(5)
	pending := func(t *testing.T) State {
		st := verifiedState(t, a)
		st, _ = Step(testFlow(), a, st, msg(Parse{Intent: IntentPromise, Date: d}))
		return st
	}
	t.Run("yes records", func(t *testing.T) {
		st, r := Step(testFlow(), a, pending(t), say(IntentAffirm))
		checkFacts(t, st, r)
		if r.Outcome == nil || r.Outcome.Type != OutcomePTP || r.Outcome.Amount != usd(24000) || r.Outcome.DueDate != d {
			t.Fatalf("outcome = %+v", r.Outcome)
		}
		act := lastAct(t, r)
		if act.Kind != ActClosePTP || act.Link != "https://pay.example.com/a-1?amount=240.00" {
			t.Fatalf("close = %+v", act)
		}
		if !r.Ended || !st.Ended || st.Pending != nil || st.Stage != StageClosed {
			t.Fatalf("state = %+v", st)
		}
	})
	t.Run("yes with the same date records", func(t *testing.T) {
		_, r := Step(testFlow(), a, pending(t), msg(Parse{Intent: IntentAffirm, Date: d}))
		if r.Outcome == nil || r.Outcome.Type != OutcomePTP {
			t.Fatalf("outcome = %+v", r.Outcome)
		}
	})
	t.Run("yes with another date re-reads", func(t *testing.T) {
		st, r := Step(testFlow(), a, pending(t), msg(Parse{Intent: IntentAffirm, Date: d.AddDays(1)}))
		if r.Outcome != nil || lastAct(t, r).Kind != ActConfirmPTP || st.Pending.Date != d.AddDays(1) {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("yes to another kind of offer re-negotiates", func(t *testing.T) {
		st, r := Step(testFlow(), a, pending(t), msg(Parse{Intent: IntentPlan, Alts: []Intent{IntentAffirm}}))
		if r.Outcome != nil || lastAct(t, r).Kind != ActAskPlanCount || st.Pending != nil {
			t.Fatalf("acts = %v outcome %+v", kinds(r), r.Outcome)
		}
	})
	t.Run("yes with a promise intent records", func(t *testing.T) {
		_, r := Step(testFlow(), a, pending(t), msg(Parse{Intent: IntentPromise, Alts: []Intent{IntentAffirm}, Date: d}))
		if r.Outcome == nil || r.Outcome.Type != OutcomePTP {
			t.Fatalf("outcome = %+v", r.Outcome)
		}
	})
	t.Run("no returns to negotiation", func(t *testing.T) {
		st, r := Step(testFlow(), a, pending(t), say(IntentDeny))
		if got := kinds(r); !slices.Equal(got, []ActKind{ActAskAlternative}) || r.Outcome != nil {
			t.Fatalf("acts = %v outcome %+v", got, r.Outcome)
		}
		if st.Stage != StageIntent || st.Pending != nil {
			t.Fatalf("state = %+v", st)
		}
	})
	t.Run("anything else re-asks", func(t *testing.T) {
		st, r := Step(testFlow(), a, pending(t), say(IntentUnknown))
		if got := kinds(r); !slices.Equal(got, []ActKind{ActNeedYesNo, ActConfirmPTP}) || r.Outcome != nil {
			t.Fatalf("acts = %v", got)
		}
		if st.Stage != StageConfirm || st.Misunderstood != 1 {
			t.Fatalf("state = %+v", st)
		}
	})
	t.Run("greeting is not a yes", func(t *testing.T) {
		_, r := Step(testFlow(), a, pending(t), say(IntentGreet))
		if r.Outcome != nil {
			t.Fatalf("recorded on a greeting")
		}
	})
	t.Run("yes and no together is not a yes", func(t *testing.T) {
		_, r := Step(testFlow(), a, pending(t), msg(Parse{Intent: IntentAffirm, Alts: []Intent{IntentDeny}}))
		if r.Outcome != nil {
			t.Fatalf("recorded on yes+no")
		}
	})
	t.Run("balance question re-reads", func(t *testing.T) {
		_, r := Step(testFlow(), a, pending(t), say(IntentAskBalance))
		if got := kinds(r); !slices.Equal(got, []ActKind{ActBalance, ActConfirmPTP}) {
			t.Fatalf("acts = %v", got)
		}
	})
	t.Run("how to pay gives the link", func(t *testing.T) {
		_, r := Step(testFlow(), a, pending(t), say(IntentAskHowToPay))
		if got := kinds(r); !slices.Equal(got, []ActKind{ActPaymentLink, ActConfirmPTP}) {
			t.Fatalf("acts = %v", got)
		}
		if l := r.Acts[0]; l.Link != "https://pay.example.com/a-1?amount=240.00" || l.Amount != usd(24000) {
			t.Fatalf("link = %+v", l)
		}
	})
	t.Run("three unclear answers escalate", func(t *testing.T) {
		st := pending(t)
		var r Result
		for range 3 {
			st, r = Step(testFlow(), a, st, say(IntentUnknown))
		}
		if r.Escalation == nil || r.Escalation.Reason != ReasonMisunderstood || r.Outcome.Type != OutcomeEscalated {
			t.Fatalf("result = %+v", r)
		}
	})
}

func TestAcceptEachKind(t *testing.T) {
	us, cn := acctUS(), acctCN()
	tests := []struct {
		name    string
		acct    Account
		p       Parse
		close   ActKind
		outcome Outcome
	}{
		{"pay now", us, Parse{Intent: IntentPayNow}, ActClosePayNow, Outcome{Type: OutcomePayNow, Amount: usd(24000), DueDate: today}},
		{"plan", us, Parse{Intent: IntentPlan, Installments: 2}, ActClosePlan, Outcome{Type: OutcomePlan, Amount: usd(24000), DueDate: today.AddDays(7),
			Installments: []Installment{{usd(12000), today.AddDays(7)}, {usd(12000), today.AddDays(21)}}}},
		{"extension", cn, Parse{Intent: IntentExtension}, ActClosePTP, Outcome{Type: OutcomePTP, Reason: ReasonExtension, Amount: cny(86000), DueDate: today.AddDays(7)}},
		{"extension refused, counter taken", us, Parse{Intent: IntentExtension}, ActClosePTP, Outcome{Type: OutcomePTP, Amount: usd(24000), DueDate: today.AddDays(14)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res := run(t, tt.acct, start(), dobOf(tt.acct), msg(tt.p), say(IntentAffirm))
			r := res[3]
			if got := kinds(r); !slices.Equal(got, []ActKind{tt.close}) {
				t.Fatalf("acts = %v", got)
			}
			if !reflect.DeepEqual(*r.Outcome, tt.outcome) {
				t.Fatalf("outcome = %+v, want %+v", *r.Outcome, tt.outcome)
			}
		})
	}
}

func TestExtension(t *testing.T) {
	cn, us := acctCN(), acctUS()
	st := verifiedState(t, cn)
	_, r := Step(testFlow(), cn, st, say(IntentExtension))
	act := lastAct(t, r)
	if act.Kind != ActConfirmExtension || act.Days != 7 || act.Date != today.AddDays(7) || !slices.Equal(act.Facts.Offers, []string{"extension"}) {
		t.Fatalf("act = %+v", act)
	}
	st = verifiedState(t, us)
	st, r = Step(testFlow(), us, st, say(IntentExtension))
	act = lastAct(t, r)
	if act.Kind != ActExtensionUnavailable || slices.Contains(act.Facts.Offers, "extension") || st.OffPolicy != 1 {
		t.Fatalf("act = %+v", act)
	}
}

func TestOffPolicyEscalates(t *testing.T) {
	a := acctUS()
	late := msg(Parse{Intent: IntentPromise, Date: today.AddDays(30)})
	st, res := run(t, a, start(), dobOf(a), late, say(IntentDeny), late, say(IntentDeny), late)
	if got := kinds(res[2]); !slices.Equal(got, []ActKind{ActCounterPTPDate}) {
		t.Fatalf("first ask: %v", got)
	}
	if got := kinds(res[4]); !slices.Equal(got, []ActKind{ActCounterPTPDate}) {
		t.Fatalf("second ask: %v", got)
	}
	r := res[6]
	if got := kinds(r); !slices.Equal(got, []ActKind{ActOffPolicyHandoff}) {
		t.Fatalf("third ask: %v", got)
	}
	if r.Escalation == nil || r.Escalation.Reason != ReasonOffPolicy || !st.Ended {
		t.Fatalf("result = %+v", r)
	}
	if len(st.Offers) != 2 || !st.Offers[0].Counter {
		t.Fatalf("offers = %+v", st.Offers)
	}
}

func TestNegotiationMisc(t *testing.T) {
	a := acctUS()
	tests := []struct {
		name string
		in   Input
		want []ActKind
	}{
		{"ask balance restates", say(IntentAskBalance), []ActKind{ActBalance, ActAskResolution}},
		{"how to pay", say(IntentAskHowToPay), []ActKind{ActPaymentLink, ActAskResolution}},
		{"cannot pay asks why", say(IntentCannotPay), []ActKind{ActCannotPayAck, ActAskReason}},
		{"no", say(IntentDeny), []ActKind{ActCannotPayAck, ActAskResolution}},
		{"hello", say(IntentGreet), []ActKind{ActAskResolution}},
		{"unclear", say(IntentUnknown), []ActKind{ActClarifyChoice}},
		{"unclear yes", say(IntentAffirm), []ActKind{ActClarifyChoice}},
		{"pay now", say(IntentPayNow), []ActKind{ActConfirmPayNow}},
		{"pay now as alternative", msg(Parse{Intent: IntentAffirm, Alts: []Intent{IntentPayNow}}), []ActKind{ActConfirmPayNow}},
		{"timeout", Input{Kind: EventTimeout, Today: today}, []ActKind{ActStillThere}},
		{"last timeout", Input{Kind: EventTimeout, Today: today, Final: true}, []ActKind{ActSilenceGoodbye}},
		{"resume", Input{Kind: EventResume, Today: today}, []ActKind{ActWelcomeBack, ActAskResolution}},
		{"a call's resume restates the recording notice", Input{Kind: EventResume, Today: today, Spoken: true}, []ActKind{ActWelcomeBack, ActRecordingNotice, ActAskResolution}},
		{"a spoken message restates nothing", Input{Kind: EventMessage, Parse: Parse{Intent: IntentAskBalance}, Today: today, Spoken: true}, []ActKind{ActBalance, ActAskResolution}},
		{"start again is a resume", start(), []ActKind{ActWelcomeBack, ActAskResolution}},
		{"unknown event", Input{Kind: "bogus", Today: today}, []ActKind{}},
		{"zero kind is a message", Input{Parse: Parse{Intent: IntentAskBalance}, Today: today}, []ActKind{ActBalance, ActAskResolution}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := verifiedState(t, a)
			st2, r := Step(testFlow(), a, st, tt.in)
			checkFacts(t, st2, r)
			if got := kinds(r); !slices.Equal(got, tt.want) {
				t.Fatalf("acts = %v, want %v", got, tt.want)
			}
			if r.Outcome != nil || r.Ended {
				t.Fatalf("result = %+v", r)
			}
		})
	}
}

func TestEndedAndHandBack(t *testing.T) {
	a := acctUS()
	st, _ := run(t, a, start(), dobOf(a), say(IntentHuman))
	if !st.Ended {
		t.Fatal("not ended")
	}
	for _, in := range []Input{say(IntentPromise), {Kind: EventResume, Today: today}} {
		st2, r := Step(testFlow(), a, st, in)
		if got := kinds(r); !slices.Equal(got, []ActKind{ActConversationClosed}) || !st2.Ended {
			t.Fatalf("after end %s: %v", in.Kind, got)
		}
	}
	if _, r := Step(testFlow(), a, st, Input{Kind: EventTimeout, Today: today}); len(r.Acts) != 0 {
		t.Fatalf("timeout after end: %v", kinds(r))
	}
	st, r := Step(testFlow(), a, st, Input{Kind: EventHandBack, Today: today})
	if got := kinds(r); !slices.Equal(got, []ActKind{ActWelcomeBack, ActAskResolution}) {
		t.Fatalf("hand back: %v", got)
	}
	if st.Ended || st.Stage != StageIntent {
		t.Fatalf("state = %+v", st)
	}
	_, r = Step(testFlow(), a, st, msg(Parse{Intent: IntentPromise, Date: today.AddDays(1)}))
	if lastAct(t, r).Kind != ActConfirmPTP {
		t.Fatalf("after hand back: %v", kinds(r))
	}
	// Handed back before verification: verify again.
	st, _ = run(t, a, start(), say(IntentHuman))
	st, r = Step(testFlow(), a, st, Input{Kind: EventHandBack, Today: today})
	if got := kinds(r); !slices.Equal(got, []ActKind{ActWelcomeBack, ActAskVerify}) || st.Stage != StageVerify {
		t.Fatalf("hand back unverified: %v %s", got, st.Stage)
	}
}

// Step must not write through the state it was given: the runtime may
// keep it (to retry on a store conflict).
func TestStepDoesNotMutateInput(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	st, _ = Step(testFlow(), a, st, msg(Parse{Intent: IntentPromise, Date: today.AddDays(30)}))
	st, _ = Step(testFlow(), a, st, say(IntentDeny))
	st.Offers = slices.Grow(st.Offers, 8) // spare capacity tempts an in-place append
	before, _ := json.Marshal(st)
	keep := st.Offers[:cap(st.Offers)]
	s1, r1 := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 20}))
	s2, r2 := Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 20}))
	after, _ := json.Marshal(st)
	if string(before) != string(after) {
		t.Fatalf("input state changed:\n%s\n%s", before, after)
	}
	if keep[len(st.Offers)].Kind != "" {
		t.Fatalf("wrote into the input's spare capacity: %+v", keep[len(st.Offers)])
	}
	if !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(r1, r2) {
		t.Fatal("same input, different output")
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	a := acctCN()
	st, _ := run(t, a, start(), dobOf(a), msg(Parse{Intent: IntentPlan, Installments: 3}))
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st, back) {
		t.Fatalf("round trip:\n%+v\n%+v", st, back)
	}
	// The restored state carries on exactly like the original.
	_, r1 := Step(testFlow(), a, st, say(IntentAffirm))
	_, r2 := Step(testFlow(), a, back, say(IntentAffirm))
	if !reflect.DeepEqual(r1, r2) || r1.Outcome == nil || r1.Outcome.Type != OutcomePlan {
		t.Fatalf("results differ or no plan: %+v %+v", r1, r2)
	}
}

func TestPaymentLink(t *testing.T) {
	a := acctUS()
	a.ID = "a 1&x"
	tests := []struct {
		url, want string
		amount    bool
	}{
		{"", "", false},
		{"https://pay.example.com/", "https://pay.example.com/", false},
		{"https://pay.example.com/{account}", "https://pay.example.com/a+1%26x", false},
		{"https://p.example/?a={account}&amt={amount}", "https://p.example/?a=a+1%26x&amt=240.05", true},
	}
	for _, tt := range tests {
		a.Policy.PaymentURL = tt.url
		e := engine{acct: &a}
		got, amt := e.link(usd(24005))
		if got != tt.want || amt != tt.amount {
			t.Errorf("link(%q) = %q %v, want %q %v", tt.url, got, amt, tt.want, tt.amount)
		}
	}
}

func TestMajorString(t *testing.T) {
	for minor, want := range map[int64]string{0: "0.00", 5: "0.05", 10: "0.10", 24000: "240.00", -150: "-1.50", 123456789: "1234567.89"} {
		if got := majorString(usd(minor)); got != want {
			t.Errorf("majorString(%d) = %q, want %q", minor, got, want)
		}
	}
}

func TestUnknownPackFallsBack(t *testing.T) {
	a := acctUS()
	a.Policy.Pack = "xx"
	_, res := run(t, a, start(), dobOf(a))
	if !slices.Contains(kinds(res[1]), ActMiniMiranda) {
		t.Fatalf("fallback pack not applied: %v", kinds(res[1]))
	}
}

// A flow that was never loaded still discloses the AI and ends rather than
// loops: limits below one act as one.
func TestZeroFlowStillDisclosesAI(t *testing.T) {
	a := acctUS()
	st, r := Step(Flow{}, a, NewState(), start())
	if got := kinds(r); !slices.Equal(got, []ActKind{ActGreeting, ActAskVerify}) {
		t.Fatalf("acts = %v", got)
	}
	st, r = Step(Flow{}, a, st, msg(Parse{IDLast4: "0000"}))
	if !r.Ended || r.Outcome == nil || r.Outcome.Reason != ReasonVerificationFailed {
		t.Fatalf("result = %+v", r)
	}
	_ = st
}

// An identity answer that also asks for something gets the request
// answered right after the disclosures.
func TestIdentityWithRequest(t *testing.T) {
	a := acctUS()
	tests := []struct {
		name string
		p    Parse
		want []ActKind
	}{
		{"plan", Parse{Intent: IntentIdentify, DOB: a.DOB, Alts: []Intent{IntentPlan}, Installments: 3},
			[]ActKind{ActVerified, ActMiniMiranda, ActBalance, ActConfirmPlan}},
		{"date only", Parse{Intent: IntentIdentify, IDLast4: "4417", Date: today.AddDays(3)},
			[]ActKind{ActVerified, ActMiniMiranda, ActBalance, ActConfirmPTP}},
		{"dispute", Parse{Intent: IntentDispute, Alts: []Intent{IntentIdentify}, DOB: a.DOB},
			[]ActKind{ActVerified, ActMiniMiranda, ActBalance, ActDisputeAck}},
		{"courtesy yes", Parse{Intent: IntentIdentify, Alts: []Intent{IntentAffirm, IntentGreet}, DOB: a.DOB},
			[]ActKind{ActVerified, ActMiniMiranda, ActBalance, ActAskResolution}},
		{"wrong answer ignores request", Parse{Intent: IntentIdentify, Alts: []Intent{IntentPlan}, DOB: a.DOB.AddDays(2), Installments: 3},
			[]ActKind{ActVerifyRetry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, res := run(t, a, start(), msg(tt.p))
			if got := kinds(res[1]); !slices.Equal(got, tt.want) {
				t.Fatalf("acts = %v, want %v", got, tt.want)
			}
			_ = st
		})
	}
	// A flagged account is not negotiated with, whatever was asked.
	f := acctUS()
	f.Bankruptcy = true
	_, res := run(t, f, start(), msg(Parse{Intent: IntentIdentify, DOB: f.DOB, Alts: []Intent{IntentPlan}, Installments: 3}))
	if got := kinds(res[1]); !slices.Equal(got, []ActKind{ActVerified, ActAccountFlagHandoff}) {
		t.Fatalf("flagged: %v", got)
	}
}

func TestBareNumberAnswersPlanCount(t *testing.T) {
	flow := testFlow()
	acct := acctUS()
	st := NewState()
	today := compliance.Date{Year: 2026, Month: 11, Day: 22}
	st, _ = Step(flow, acct, st, Input{Kind: EventStart, Today: today})
	st, _ = Step(flow, acct, st, Input{Kind: EventMessage, Today: today, Parse: Parse{Intent: IntentIdentify, DOB: acct.DOB}})
	st, res := Step(flow, acct, st, Input{Kind: EventMessage, Today: today, Parse: Parse{Intent: IntentPlan}})
	if len(res.Acts) == 0 || res.Acts[len(res.Acts)-1].Kind != ActAskPlanCount {
		t.Fatalf("want ask_plan_count, got %+v", res.Acts)
	}
	st, res = Step(flow, acct, st, Input{Kind: EventMessage, Today: today, Parse: Parse{Amount: compliance.Money{Minor: 300, Currency: "USD"}}})
	if st.Pending == nil || st.Pending.Kind != ProposalPlan || len(st.Pending.Installments) != 3 {
		t.Fatalf("a bare 3 after ask_plan_count: pending %+v, acts %+v", st.Pending, res.Acts)
	}
}

// A claim to have paid is a dispute saved on the account; beside a way to
// pay ("I paid half, I'll pay the rest Friday") it is not.
func TestPaidClaimIsADispute(t *testing.T) {
	a := acctUS()
	for _, tt := range []struct {
		name    string
		p       Parse
		dispute bool
	}{
		{"paid already", Parse{Intent: IntentAlreadyPaid}, true},
		{"beside a promise", Parse{Intent: IntentAlreadyPaid, Alts: []Intent{IntentPromise}}, false},
		{"beside a date", Parse{Intent: IntentAlreadyPaid, Date: today.AddDays(3)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := verifiedState(t, a)
			_, r := Step(testFlow(), a, st, msg(tt.p))
			saved := slices.ContainsFunc(r.Statements, func(s Statement) bool { return s.Kind == StatementDispute })
			if saved != tt.dispute {
				t.Fatalf("dispute saved %v, want %v: %+v", saved, tt.dispute, r)
			}
			if tt.dispute && (r.Outcome == nil || r.Outcome.Type != OutcomeDispute || r.Escalation == nil || r.Escalation.Reason != ReasonDispute) {
				t.Fatalf("outcome %+v escalation %+v", r.Outcome, r.Escalation)
			}
		})
	}
}

// A stop request heard before verification is read back once the speaker
// is verified; anything but a no or a new request keeps it, and it is
// saved.
func TestPendingCeaseStands(t *testing.T) {
	a := acctUS()
	for _, tt := range []struct {
		name   string
		answer Parse
		cease  bool
	}{
		{"yes", Parse{Intent: IntentAffirm}, true},
		{"unclear", Parse{Intent: IntentUnknown}, true},
		{"no", Parse{Intent: IntentDeny}, false},
		{"a way to pay", Parse{Intent: IntentPromise, Date: today.AddDays(3)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := run(t, a, start(), msg(Parse{Intent: IntentCease}))
			st, r := Step(testFlow(), a, st, dobOf(a))
			if !slices.Contains(kinds(r), ActConfirmCease) {
				t.Fatalf("acts after verification %v", kinds(r))
			}
			_, r = Step(testFlow(), a, st, msg(tt.answer))
			saved := slices.ContainsFunc(r.Statements, func(s Statement) bool { return s.Kind == StatementCease })
			if saved != tt.cease || (tt.cease && (r.Outcome == nil || r.Outcome.Type != OutcomeCease)) {
				t.Fatalf("cease saved %v, want %v: %+v", saved, tt.cease, r)
			}
		})
	}
}

// TestPromiseTodayIsPayNow: the whole balance promised for today ("paying
// the whole thing tonight") is read back as paying now, as part of it is.
func TestPromiseTodayIsPayNow(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	st, r := Step(testFlow(), a, st, msg(Parse{Intent: IntentPromise, Date: today}))
	if act := lastAct(t, r); act.Kind != ActConfirmPayNow || act.Amount != usd(24000) {
		t.Fatalf("act = %s %v, want %s %v", act.Kind, act.Amount, ActConfirmPayNow, usd(24000))
	}
	if st.Pending == nil || st.Pending.Kind != ProposalPayNow || st.Pending.Date != today {
		t.Fatalf("pending = %+v", st.Pending)
	}
	if _, r = Step(testFlow(), a, st, msg(Parse{Intent: IntentAffirm})); r.Outcome == nil || r.Outcome.Type != OutcomePayNow {
		t.Fatalf("outcome = %+v", r.Outcome)
	}
}

// TestPlanReadBackThenBareDate: a day said after a plan was read back is
// not the whole balance on that day; the bot asks for each payment. With
// the plan refused ("不分了 那下周五全还") it is a promise again.
func TestPlanReadBackThenBareDate(t *testing.T) {
	a := acctUS()
	planned := func(t *testing.T) State {
		st := verifiedState(t, a)
		st, _ = Step(testFlow(), a, st, msg(Parse{Intent: IntentPlan, Installments: 3}))
		if st.Stage != StageConfirm || st.Pending == nil || st.Pending.Kind != ProposalPlan {
			t.Fatalf("no plan read back: %+v", st.Pending)
		}
		return st
	}
	st, r := Step(testFlow(), a, planned(t), msg(Parse{Intent: IntentPromise, Date: today.AddDays(3)}))
	if act := lastAct(t, r); act.Kind != ActClarifySchedule || st.Pending != nil {
		t.Fatalf("act %s pending %+v, want clarify_schedule and nothing pending", act.Kind, st.Pending)
	}
	st, r = Step(testFlow(), a, planned(t), msg(Parse{Intent: IntentPromise, Alts: []Intent{IntentDeny}, Date: today.AddDays(3)}))
	if act := lastAct(t, r); act.Kind != ActConfirmPTP || st.Pending == nil || st.Pending.Kind != ProposalPTP {
		t.Fatalf("act %s pending %+v, want a promise read back", act.Kind, st.Pending)
	}
}

// TestDistressBeforeThirdParty: a message in crisis goes to a person even
// when it also reads as someone else speaking.
func TestDistressBeforeThirdParty(t *testing.T) {
	a := acctUS()
	st := verifiedState(t, a)
	_, r := Step(testFlow(), a, st, msg(Parse{Intent: IntentDistress, Alts: []Intent{IntentWrongParty}, Party: PartyThirdParty}))
	if r.Escalation == nil || r.Escalation.Reason != ReasonDistress {
		t.Fatalf("escalation %+v, want distress", r.Escalation)
	}
}
