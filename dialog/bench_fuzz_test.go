package dialog

import (
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

// BenchmarkStep measures one negotiation turn: a promise read back.
func BenchmarkStep(b *testing.B) {
	a := acctUS()
	f := testFlow()
	st := verifiedState(b, a)
	in := msg(Parse{Intent: IntentPromise, Date: today.AddDays(5)})
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Step(f, a, st, in)
	}
}

// BenchmarkStepPlan measures the heaviest turn: a plan built and read back.
func BenchmarkStepPlan(b *testing.B) {
	a := acctCN()
	f := testFlow()
	st := verifiedState(b, a)
	in := msg(Parse{Intent: IntentPlan, Installments: 6})
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Step(f, a, st, in)
	}
}

var fuzzIntents = []Intent{
	IntentUnknown, IntentAffirm, IntentDeny, IntentGreet, IntentIdentify, IntentPayNow,
	IntentPromise, IntentPlan, IntentExtension, IntentCannotPay, IntentHardship, IntentDispute,
	IntentCease, IntentAttorney, IntentBankruptcy, IntentWrongParty, IntentHuman, IntentComplaint,
	IntentAbuse, IntentDistress, IntentAskBalance, IntentAskHowToPay, IntentAlreadyPaid, IntentCallbackLater,
}

var fuzzEvents = []EventKind{EventMessage, EventMessage, EventMessage, EventStart, EventResume, EventHandBack, EventTimeout}

// FuzzStep drives the engine with arbitrary turns (whatever understanding,
// rules or a model, might produce) and checks the invariants: no panic,
// no debt figure before verification, figures always among the facts,
// nothing recorded without an explicit yes to a read-back inside policy.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 4, 1, 0, 0, 0, 6, 5, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{0, 4, 1, 0, 0, 0, 7, 0, 3, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{0, 4, 2, 0, 0, 0, 6, 90, 0, 0, 0, 2, 0, 0, 0, 0, 7, 0, 40, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		accts := []Account{acctUS(), acctCN(), acctSmall()}
		a := accts[int(len(data))%len(accts)]
		flow := testFlow()
		st := NewState()
		for len(data) >= 5 {
			ev := fuzzEvents[int(data[0])%len(fuzzEvents)]
			p := Parse{Intent: fuzzIntents[int(data[1])%len(fuzzIntents)]}
			if data[2]&1 != 0 {
				p.DOB = a.DOB
			}
			if data[2]&2 != 0 {
				p.IDLast4 = "9999"
			}
			if data[2]&4 != 0 {
				p.Negated = true
			}
			if data[2]&8 != 0 {
				p.Alts = []Intent{fuzzIntents[int(data[3])%len(fuzzIntents)]}
			}
			if data[3] != 0 {
				p.Date = today.AddDays(int(int8(data[3])))
			}
			p.Installments = int(data[4] % 40)
			if data[4] > 200 {
				p.Amount = compliance.Money{Minor: int64(data[4]) * 500}
			}
			data = data[5:]
			in := Input{Kind: ev, Parse: p, Today: today}
			prev := st
			var r Result
			st, r = Step(flow, a, st, in)
			checkFacts(t, st, r)
			if r.Outcome != nil {
				switch r.Outcome.Type {
				case OutcomePTP, OutcomePlan, OutcomePayNow:
					if prev.Stage != StageConfirm || prev.Pending == nil || !p.Has(IntentAffirm) {
						t.Fatalf("recorded %s without a yes to a read-back", r.Outcome.Type)
					}
					checkInPolicy(t, a, *r.Outcome)
				}
			}
			if st.Verified && !prev.Verified && (p.DOB != a.DOB || in.Kind != EventMessage) {
				t.Fatalf("verified without the right answer")
			}
		}
	})
}

func checkInPolicy(t *testing.T, a Account, o Outcome) {
	t.Helper()
	pol := a.Policy
	due := a.Debt.AmountDue
	switch o.Type {
	case OutcomePTP:
		limit := pol.MaxDaysToPromise
		if o.Reason == ReasonExtension {
			limit = pol.ExtensionDays
		}
		if o.DueDate.Before(today) || o.DueDate.After(today.AddDays(limit)) {
			t.Fatalf("promise date %v outside policy", o.DueDate)
		}
		e := engine{acct: &a}
		if o.Amount.Minor < e.minPromise().Minor || o.Amount.Minor > due.Minor {
			t.Fatalf("promise amount %v outside policy", o.Amount)
		}
	case OutcomePlan:
		n := len(o.Installments)
		if n < 2 || n > pol.MaxInstallments {
			t.Fatalf("plan of %d", n)
		}
		var sum int64
		for _, in := range o.Installments {
			if in.Amount.Minor < pol.MinInstallment.Minor {
				t.Fatalf("installment %v below minimum", in.Amount)
			}
			sum += in.Amount.Minor
		}
		if sum != due.Minor {
			t.Fatalf("plan sums to %d, want %d", sum, due.Minor)
		}
		if f := o.Installments[0].DueDate; f.Before(today) || f.After(today.AddDays(pol.FirstInstallmentWithin)) {
			t.Fatalf("first installment %v outside policy", f)
		}
	}
}
