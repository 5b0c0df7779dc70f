package accounts

import (
	"fmt"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// MaxPerRequest bounds one request (POST /v1/accounts, an eval suite).
const MaxPerRequest = 10000

// Request is a batch of accounts, upserted all or nothing. Amounts are
// major units (240.00); they become minor units once, in ToStore.
type Request struct {
	Accounts []Account `json:"accounts" validate:"required,min=1,max=10000,dive"`
}

// Account is one borrower with their debts, as a lender sends it.
type Account struct {
	ID           string             `json:"id" validate:"required,max=64,printascii"`
	Name         string             `json:"name" validate:"required,max=200"`
	DateOfBirth  string             `json:"date_of_birth" validate:"required_without=IDLast4,omitempty,datetime=2006-01-02"`
	IDLast4      string             `json:"id_last4" validate:"omitempty,idlast4"`
	Locale       string             `json:"locale" validate:"required,oneof=en-US zh-CN"`
	Timezone     string             `json:"timezone" validate:"required,timezone"`
	Phone        string             `json:"phone" validate:"omitempty,e164"`
	Email        string             `json:"email" validate:"omitempty,email"`
	Portfolio    string             `json:"portfolio,omitempty" validate:"omitempty,max=64"`
	Consent      store.Consent      `json:"consent"`
	DoNotContact store.DoNotContact `json:"do_not_contact"`
	Flags        store.Flags        `json:"flags"`
	Debts        []Debt             `json:"debts" validate:"required,min=1,max=100,dive"`
}

// Debt is one debt of an account.
type Debt struct {
	ID          string  `json:"id" validate:"required,max=64,printascii"`
	Creditor    string  `json:"creditor" validate:"required,max=200"`
	AmountDue   float64 `json:"amount_due" validate:"gt=0,cents"`
	Currency    string  `json:"currency" validate:"required,iso4217"`
	DueDate     string  `json:"due_date" validate:"required,datetime=2006-01-02"`
	DaysPastDue int     `json:"days_past_due" validate:"min=0,max=3650"`
	MinPayment  float64 `json:"min_payment,omitempty" validate:"min=0,cents,ltefield=AmountDue"`
}

// Validate checks a request: field rules, then what a field rule cannot
// see (repeated ids, spreadsheet formulas). The error is a
// *ValidationError naming row and field ("accounts[3].debts[0].due_date").
func Validate(req Request) error {
	if err := validateStruct(req); err != nil {
		return err
	}
	ve := &ValidationError{}
	accts := make(map[string]int, len(req.Accounts))
	debts := make(map[string]int)
	for i, a := range req.Accounts {
		if j, dup := accts[a.ID]; dup {
			ve.Fields = append(ve.Fields, FieldError{Field: fmt.Sprintf("accounts[%d].id", i), Message: fmt.Sprintf("repeats accounts[%d].id", j)})
		}
		accts[a.ID] = i
		for _, f := range [...]struct{ name, v string }{{"id", a.ID}, {"name", a.Name}, {"portfolio", a.Portfolio}} {
			if msg := formulaLead(f.v); msg != "" {
				ve.Fields = append(ve.Fields, FieldError{Field: fmt.Sprintf("accounts[%d].%s", i, f.name), Message: msg})
			}
		}
		for k, d := range a.Debts {
			for _, f := range [...]struct{ name, v string }{{"id", d.ID}, {"creditor", d.Creditor}} {
				if msg := formulaLead(f.v); msg != "" {
					ve.Fields = append(ve.Fields, FieldError{Field: fmt.Sprintf("accounts[%d].debts[%d].%s", i, k, f.name), Message: msg})
				}
			}
			if _, dup := debts[d.ID]; dup {
				ve.Fields = append(ve.Fields, FieldError{Field: fmt.Sprintf("accounts[%d].debts[%d].id", i, k), Message: "repeats another debt's id"})
			}
			debts[d.ID] = i
		}
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

// formulaLead says why s would be a formula when a spreadsheet opens an
// export of it (OWASP "CSV injection"): free text may not start with
// =, +, -, @, a tab or a carriage return. Empty when s is safe.
func formulaLead(s string) string {
	if s == "" {
		return ""
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return fmt.Sprintf("starts with %q: a spreadsheet would read it as a formula", s[:1])
	}
	return ""
}

// ToStore converts a validated request to store records, amounts in minor
// units.
func (req Request) ToStore() []store.Account {
	out := make([]store.Account, 0, len(req.Accounts))
	for _, a := range req.Accounts {
		sa := store.Account{
			ID: a.ID, Name: a.Name, DateOfBirth: a.DateOfBirth, IDLast4: a.IDLast4,
			Locale: a.Locale, Timezone: a.Timezone, Phone: a.Phone, Email: a.Email,
			Portfolio: a.Portfolio, Consent: a.Consent, DoNotContact: a.DoNotContact, Flags: a.Flags,
		}
		for _, d := range a.Debts {
			sa.Debts = append(sa.Debts, store.Debt{
				ID: d.ID, AccountID: a.ID, Creditor: d.Creditor,
				AmountMinor:     compliance.MoneyFromMajor(d.AmountDue, d.Currency).Minor,
				Currency:        d.Currency,
				DueDate:         d.DueDate,
				DaysPastDue:     d.DaysPastDue,
				MinPaymentMinor: compliance.MoneyFromMajor(d.MinPayment, d.Currency).Minor,
			})
		}
		out = append(out, sa)
	}
	return out
}
