package accounts

import (
	"errors"
	"testing"

	"github.com/collectagent/collectagent/store"
)

func sample(id string) Account {
	return Account{
		ID: id, Name: "Maria Lopez", DateOfBirth: "1988-07-21", Locale: "en-US", Timezone: "America/Chicago",
		Consent: store.Consent{Chat: true},
		Debts:   []Debt{{ID: id + "-d1", Creditor: "Demo Finance", AmountDue: 240, Currency: "USD", DueDate: "2026-11-13", DaysPastDue: 9, MinPayment: 50}},
	}
}

// TestValidateNamesField: every rule names the field at fault by its JSON
// path, and the error is typed.
func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Account)
		field  string
	}{
		{"bad due date", func(a *Account) { a.Debts[0].DueDate = "13/11/2026" }, "accounts[1].debts[0].due_date"},
		{"three decimals", func(a *Account) { a.Debts[0].AmountDue = 240.001 }, "accounts[1].debts[0].amount_due"},
		{"bad zone", func(a *Account) { a.Timezone = "Mars/Olympus" }, "accounts[1].timezone"},
		{"local zone", func(a *Account) { a.Timezone = "Local" }, "accounts[1].timezone"},
		{"bad id last 4", func(a *Account) { a.IDLast4 = "12a4" }, "accounts[1].id_last4"},
		{"no identity", func(a *Account) { a.DateOfBirth, a.IDLast4 = "", "" }, "accounts[1].date_of_birth"},
		{"duplicate account", func(a *Account) { a.ID = "ok-1" }, "accounts[1].id"},
		{"duplicate debt", func(a *Account) { a.Debts[0].ID = "ok-1-d1" }, "accounts[1].debts[0].id"},
		{"formula portfolio", func(a *Account) { a.Portfolio = "=1+1" }, "accounts[1].portfolio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := sample("bad-1")
			tt.mutate(&bad)
			err := Validate(Request{Accounts: []Account{sample("ok-1"), bad}})
			var ve *ValidationError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Fields[0].Field != tt.field {
				t.Fatalf("err = %v, want a *ValidationError on %s", err, tt.field)
			}
		})
	}
	if err := Validate(Request{Accounts: []Account{sample("ok-1"), sample("ok-2")}}); err != nil {
		t.Fatalf("good request: %v", err)
	}
}

func TestToStoreMinorUnits(t *testing.T) {
	got := Request{Accounts: []Account{sample("a")}}.ToStore()
	if len(got) != 1 || got[0].Debts[0].AmountMinor != 24000 || got[0].Debts[0].MinPaymentMinor != 5000 || got[0].Debts[0].AccountID != "a" {
		t.Fatalf("ToStore = %+v", got)
	}
}
