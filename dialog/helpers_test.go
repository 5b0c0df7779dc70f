package dialog

import (
	"slices"
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

// testFlow mirrors prompts/flow.json; the prompts tests check that the
// shipped data parses, these tests pin the engine's behaviour to known data.
func testFlow() Flow {
	return Flow{
		Limits: Limits{VerifyAttempts: 3, Misunderstandings: 3, OffPolicyAsks: 3, AccountVerifyAttempts: 5},
		Priorities: map[string]int{
			ReasonDistress: 1, ReasonAbuse: 2, ReasonComplaint: 2, ReasonHardship: 2,
			ReasonAttorney: 3, ReasonBankruptcy: 3, ReasonDeceased: 3, ReasonDispute: 3,
			ReasonHumanRequested: 3, ReasonOffPolicy: 4, ReasonMisunderstood: 4,
			ReasonRightsUnclear: 3,
		},
		Packs: map[string]PackFlow{
			"us": {OnStart: []ActKind{ActGreeting, ActRecordingNotice}, OnCallResume: []ActKind{ActRecordingNotice}, OnVerified: []ActKind{ActMiniMiranda}, CeaseByChannel: true,
				AnswerUnverified: []Topic{TopicWho, TopicBot, TopicLegit}},
			"cn": {OnStart: []ActKind{ActGreeting, ActRecordingNotice}, AnswerUnverified: []Topic{TopicWho, TopicBot, TopicLegit}},
		},
		FallbackPack: "us",
		AskReason:    true,
	}
}

func date(s string) compliance.Date {
	d, err := compliance.ParseISODate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func usd(minor int64) compliance.Money { return compliance.Money{Minor: minor, Currency: "USD"} }
func cny(minor int64) compliance.Money { return compliance.Money{Minor: minor, Currency: "CNY"} }

// today is the borrower's local date in every test.
var today = date("2026-11-22")

func acctUS() Account {
	return Account{
		ID: "a-1", Name: "Maria Lopez", DOB: date("1988-07-21"), IDLast4: "4417", Locale: "en-US",
		Debt: Debt{ID: "a-1-d1", Creditor: "Demo Finance", AmountDue: usd(24000),
			DueDate: date("2026-11-13"), DaysPastDue: 9},
		Policy: Policy{
			MaxDaysToPromise: 14, MinPromisePercent: 25, MaxInstallments: 6,
			MinInstallment: usd(2000), FirstInstallmentWithin: 7, InstallmentEveryDays: 14,
			Pack: "us", PaymentURL: "https://pay.example.com/{account}?amount={amount}",
		},
	}
}

func acctCN() Account {
	return Account{
		ID: "c-1", Name: "王芳", DOB: date("1990-03-08"), IDLast4: "345X", Locale: "zh-CN",
		Debt: Debt{ID: "c-1-d1", Creditor: "示例消费金融", AmountDue: cny(86000),
			DueDate: date("2026-11-10"), DaysPastDue: 12},
		Policy: Policy{
			MaxDaysToPromise: 10, MinPromiseAmount: cny(20000), MaxInstallments: 6,
			MinInstallment: cny(10000), FirstInstallmentWithin: 5, InstallmentEveryDays: 30,
			AllowExtension: true, ExtensionDays: 7, Pack: "cn",
			PaymentURL: "https://pay.example.cn/r/{account}",
		},
	}
}

// acctSmall's balance is too small to split under its policy.
func acctSmall() Account {
	a := acctUS()
	a.ID = "a-2"
	a.Debt.AmountDue = usd(3000)
	return a
}

func start() Input { return Input{Kind: EventStart, Today: today} }

func msg(p Parse) Input { return Input{Kind: EventMessage, Parse: p, Today: today} }

func say(i Intent) Input { return msg(Parse{Intent: i}) }

func dobOf(a Account) Input { return msg(Parse{Intent: IntentIdentify, DOB: a.DOB}) }

// run feeds inputs through Step from a new state and returns the final
// state and every result.
func run(t testing.TB, a Account, ins ...Input) (State, []Result) {
	t.Helper()
	st := NewState()
	var res []Result
	for _, in := range ins {
		var r Result
		st, r = Step(testFlow(), a, st, in)
		checkFacts(t, st, r)
		res = append(res, r)
	}
	return st, res
}

// verifiedState is a conversation that has passed verification.
func verifiedState(t testing.TB, a Account) State {
	t.Helper()
	st, _ := run(t, a, start(), dobOf(a))
	if !st.Verified {
		t.Fatal("not verified")
	}
	return st
}

func kinds(r Result) []ActKind {
	out := make([]ActKind, len(r.Acts))
	for i, a := range r.Acts {
		out[i] = a.Kind
	}
	return out
}

func lastAct(t testing.TB, r Result) Act {
	t.Helper()
	if len(r.Acts) == 0 {
		t.Fatal("no acts")
	}
	return r.Acts[len(r.Acts)-1]
}

// checkFacts asserts the invariants every act must keep: the figures it
// carries are among its facts, and before verification it carries no debt
// figure at all.
func checkFacts(t testing.TB, st State, r Result) {
	t.Helper()
	for _, a := range r.Acts {
		f := a.Facts
		if !f.Verified && (len(f.Amounts) > 0 || len(f.Dates) > 0 || len(f.Offers) > 0) {
			t.Errorf("%s: debt facts before verification: %+v", a.Kind, f)
		}
		if !f.Verified && (!a.Amount.IsZero() || !a.Date.IsZero() || len(a.Installments) > 0) {
			t.Errorf("%s: debt figures before verification", a.Kind)
		}
		if !a.Amount.IsZero() && !slices.Contains(f.Amounts, a.Amount) {
			t.Errorf("%s: amount %v not in facts %v", a.Kind, a.Amount, f.Amounts)
		}
		if !a.Date.IsZero() && !slices.Contains(f.Dates, a.Date) {
			t.Errorf("%s: date %v not in facts %v", a.Kind, a.Date, f.Dates)
		}
		if a.Count != 0 && !slices.Contains(f.Counts, a.Count) {
			t.Errorf("%s: count %d not in facts %v", a.Kind, a.Count, f.Counts)
		}
		if a.Days != 0 && !slices.Contains(f.Counts, a.Days) {
			t.Errorf("%s: days %d not in facts %v", a.Kind, a.Days, f.Counts)
		}
		for _, in := range a.Installments {
			if !slices.Contains(f.Amounts, in.Amount) || !slices.Contains(f.Dates, in.DueDate) {
				t.Errorf("%s: installment %+v not in facts", a.Kind, in)
			}
		}
		if disclosureKinds[a.Kind] != f.Disclosure {
			t.Errorf("%s: Disclosure = %v", a.Kind, f.Disclosure)
		}
	}
	if r.Outcome != nil && (st.Outcome == nil || st.Outcome.Type != r.Outcome.Type) {
		t.Errorf("result outcome %+v not in state %+v", r.Outcome, st.Outcome)
	}
	if r.Ended != st.Ended && r.Ended {
		t.Errorf("result ended but state not")
	}
}
