package dialog

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseFlow(t *testing.T) {
	good, err := json.Marshal(testFlow())
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFlow(good)
	if err != nil {
		t.Fatalf("ParseFlow(good) = %v", err)
	}
	if f.Limits != testFlow().Limits || f.Priorities[ReasonDistress] != 1 {
		t.Fatalf("parsed = %+v", f)
	}

	mutate := func(fn func(*Flow)) []byte {
		f := testFlow()
		fn(&f)
		b, _ := json.Marshal(f)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not json", []byte("{"), "parse flow"},
		{"unknown field", []byte(`{"limitz":{}}`), "unknown field"},
		{"zero verify attempts", mutate(func(f *Flow) { f.Limits.VerifyAttempts = 0 }), "verify_attempts"},
		{"zero misunderstandings", mutate(func(f *Flow) { f.Limits.Misunderstandings = 0 }), "misunderstandings"},
		{"zero off-policy", mutate(func(f *Flow) { f.Limits.OffPolicyAsks = 0 }), "off_policy_asks"},
		{"missing priority", mutate(func(f *Flow) { delete(f.Priorities, ReasonAbuse) }), `"abuse"`},
		{"bad priority", mutate(func(f *Flow) { f.Priorities[ReasonAbuse] = 0 }), "escalation_priority.abuse"},
		{"no packs", mutate(func(f *Flow) { f.Packs = nil }), "packs"},
		{"bad fallback", mutate(func(f *Flow) { f.FallbackPack = "eu" }), "fallback_pack"},
		{"no greeting", mutate(func(f *Flow) {
			f.Packs["cn"] = PackFlow{OnStart: []ActKind{ActRecordingNotice}}
		}), "greeting"},
		{"non-disclosure act", mutate(func(f *Flow) {
			f.Packs["us"] = PackFlow{OnStart: []ActKind{ActGreeting}, OnVerified: []ActKind{ActBalance}}
		}), "not a disclosure"},
		{"unknown act at start", mutate(func(f *Flow) {
			f.Packs["us"] = PackFlow{OnStart: []ActKind{ActGreeting, "hello"}}
		}), "not a disclosure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFlow(tt.data)
			if !errors.Is(err, ErrInvalidFlow) {
				t.Fatalf("err = %v, want ErrInvalidFlow", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestValidatePolicy(t *testing.T) {
	if err := ValidatePolicy(acctUS().Policy); err != nil {
		t.Fatalf("us policy: %v", err)
	}
	if err := ValidatePolicy(acctCN().Policy); err != nil {
		t.Fatalf("cn policy: %v", err)
	}
	tests := []struct {
		field string
		set   func(*Policy)
	}{
		{"max_days_to_promise", func(p *Policy) { p.MaxDaysToPromise = -1 }},
		{"max_days_to_promise", func(p *Policy) { p.MaxDaysToPromise = 91 }},
		{"min_promise_percent", func(p *Policy) { p.MinPromisePercent = 101 }},
		{"min_promise_amount", func(p *Policy) { p.MinPromiseAmount = usd(-1) }},
		{"max_installments", func(p *Policy) { p.MaxInstallments = 0 }},
		{"max_installments", func(p *Policy) { p.MaxInstallments = 37 }},
		{"min_installment", func(p *Policy) { p.MinInstallment = usd(-5) }},
		{"first_installment_within_days", func(p *Policy) { p.FirstInstallmentWithin = 61 }},
		{"installment_every_days", func(p *Policy) { p.InstallmentEveryDays = 0 }},
		{"extension_days", func(p *Policy) { p.ExtensionDays = 61 }},
		{"extension_days", func(p *Policy) { p.AllowExtension, p.ExtensionDays = true, 0 }},
		{"pack", func(p *Policy) { p.Pack = "eu" }},
		{"payment_url", func(p *Policy) { p.PaymentURL = "https://x/ y" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			p := acctUS().Policy
			tt.set(&p)
			err := ValidatePolicy(p)
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want ErrInvalidPolicy naming %s", err, tt.field)
			}
		})
	}
}

func TestMinPromise(t *testing.T) {
	tests := []struct {
		name    string
		due     int64
		amount  int64
		percent int
		minPay  int64
		want    int64
	}{
		{"percent rounds up", 10001, 0, 25, 0, 2501},
		{"amount wins", 24000, 10000, 25, 0, 10000},
		{"percent wins", 24000, 1000, 25, 0, 6000},
		{"full balance only", 24000, 0, 100, 0, 24000},
		{"never above balance", 5000, 10000, 0, 0, 5000},
		{"no minimum is one cent", 24000, 0, 0, 0, 1},
		{"debt minimum payment wins", 24000, 1000, 0, 5000, 5000},
		{"percent above debt minimum", 24000, 0, 25, 5000, 6000},
		{"debt minimum never above balance", 3000, 0, 0, 5000, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := acctUS()
			a.Debt.AmountDue = usd(tt.due)
			a.Policy.MinPromiseAmount = usd(tt.amount)
			a.Policy.MinPromisePercent = tt.percent
			a.Debt.MinPayment = usd(tt.minPay)
			e := engine{acct: &a}
			if got := e.minPromise(); got != usd(tt.want) {
				t.Fatalf("minPromise = %v, want %d", got, tt.want)
			}
		})
	}
}

func TestActKindsUnique(t *testing.T) {
	seen := map[ActKind]bool{}
	for _, k := range ActKinds() {
		if seen[k] {
			t.Errorf("duplicate act kind %q", k)
		}
		seen[k] = true
	}
	for k := range disclosureKinds {
		if !seen[k] {
			t.Errorf("disclosure %q not in ActKinds", k)
		}
	}
}

// FuzzParseFlow: flow data is reviewed, but a lender may ship its own; no
// input may panic, and whatever parses must be usable by Step.
func FuzzParseFlow(f *testing.F) {
	good, _ := json.Marshal(testFlow())
	f.Add(good)
	f.Add([]byte(`{"limits":{"verify_attempts":1,"misunderstandings":1,"off_policy_asks":1},"packs":{"x":{"on_start":["greeting"]}},"fallback_pack":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := ParseFlow(data)
		if err != nil {
			return
		}
		a := acctUS()
		st, r := Step(fl, a, NewState(), start())
		if len(r.Acts) == 0 || r.Acts[0].Kind != ActGreeting && !slices.Contains(kinds(r), ActGreeting) {
			t.Fatalf("no greeting: %v", kinds(r))
		}
		_, _ = Step(fl, a, st, dobOf(a))
	})
}
