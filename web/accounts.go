package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// MaxAccountsPerRequest bounds one POST /v1/accounts.
const MaxAccountsPerRequest = 10000

// AccountsRequest is the body of POST /v1/accounts. Amounts are major
// units (240.00); they become minor units once, here at the edge.
type AccountsRequest struct {
	Accounts []AccountIn `json:"accounts" validate:"required,min=1,max=10000,dive"`
}

// AccountIn is one borrower with their debts, as the API takes it.
type AccountIn struct {
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
	Debts        []DebtIn           `json:"debts" validate:"required,min=1,max=100,dive"`
}

// DebtIn is one debt as the API takes it.
type DebtIn struct {
	ID          string  `json:"id" validate:"required,max=64,printascii"`
	Creditor    string  `json:"creditor" validate:"required,max=200"`
	AmountDue   float64 `json:"amount_due" validate:"gt=0,cents"`
	Currency    string  `json:"currency" validate:"required,iso4217"`
	DueDate     string  `json:"due_date" validate:"required,datetime=2006-01-02"`
	DaysPastDue int     `json:"days_past_due" validate:"min=0,max=3650"`
	MinPayment  float64 `json:"min_payment,omitempty" validate:"min=0,cents,ltefield=AmountDue"`
}

// ValidateAccounts checks a request: field rules, then what a field rule
// cannot see (repeated ids). Errors name row and field
// ("accounts[3].debts[0].due_date").
func ValidateAccounts(req AccountsRequest) error {
	if err := validateRequest(req); err != nil {
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
		for name, v := range map[string]string{"id": a.ID, "name": a.Name, "portfolio": a.Portfolio} {
			if msg := formulaLead(v); msg != "" {
				ve.Fields = append(ve.Fields, FieldError{Field: fmt.Sprintf("accounts[%d].%s", i, name), Message: msg})
			}
		}
		for k, d := range a.Debts {
			for name, v := range map[string]string{"id": d.ID, "creditor": d.Creditor} {
				if msg := formulaLead(v); msg != "" {
					ve.Fields = append(ve.Fields, FieldError{Field: fmt.Sprintf("accounts[%d].debts[%d].%s", i, k, name), Message: msg})
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
func (req AccountsRequest) ToStore() []store.Account {
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

// Major is an amount in minor units that JSON-encodes as a major-unit
// number with two decimals (24000 → 240.00), exactly, with no float.
type Major int64

// MarshalJSON implements json.Marshaler.
func (m Major) MarshalJSON() ([]byte, error) {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Appendf(nil, "%s%d.%02d", sign, v/100, v%100), nil
}

// accountOut is an account as the API returns it.
type accountOut struct {
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	DateOfBirth  string             `json:"date_of_birth,omitempty"`
	IDLast4      string             `json:"id_last4,omitempty"`
	Locale       string             `json:"locale"`
	Timezone     string             `json:"timezone"`
	Phone        string             `json:"phone,omitempty"`
	Email        string             `json:"email,omitempty"`
	Portfolio    string             `json:"portfolio,omitempty"`
	Consent      store.Consent      `json:"consent"`
	DoNotContact store.DoNotContact `json:"do_not_contact"`
	Flags        store.Flags        `json:"flags"`
	Debts        []debtOut          `json:"debts"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

type debtOut struct {
	ID          string `json:"id"`
	Creditor    string `json:"creditor"`
	AmountDue   Major  `json:"amount_due"`
	Currency    string `json:"currency"`
	DueDate     string `json:"due_date"`
	DaysPastDue int    `json:"days_past_due"`
	MinPayment  Major  `json:"min_payment"`
}

func toAccountOut(a store.Account) accountOut {
	o := accountOut{
		ID: a.ID, Name: a.Name, DateOfBirth: a.DateOfBirth, IDLast4: a.IDLast4,
		Locale: a.Locale, Timezone: a.Timezone, Phone: a.Phone, Email: a.Email,
		Portfolio: a.Portfolio, Consent: a.Consent, DoNotContact: a.DoNotContact, Flags: a.Flags,
		Debts: []debtOut{}, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	for _, d := range a.Debts {
		o.Debts = append(o.Debts, debtOut{
			ID: d.ID, Creditor: d.Creditor, AmountDue: Major(d.AmountMinor), Currency: d.Currency,
			DueDate: d.DueDate, DaysPastDue: d.DaysPastDue, MinPayment: Major(d.MinPaymentMinor),
		})
	}
	return o
}

func (s *Server) postAccounts(w http.ResponseWriter, r *http.Request) {
	var req AccountsRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := ValidateAccounts(req); err != nil {
		s.writeError(w, r, err)
		return
	}
	accts := req.ToStore()
	if err := s.store.UpsertAccounts(r.Context(), accts); err != nil {
		s.writeError(w, r, fmt.Errorf("upsert accounts: %w", err))
		return
	}
	// The batch is sealed onto the import chain; should that fail, the
	// client's retry upserts and seals it again.
	if err := audit.SealImport(r.Context(), s.store, accts, "api", keyName(r), s.clock.Now()); err != nil {
		s.writeError(w, r, fmt.Errorf("upsert accounts: %w", err))
		return
	}
	s.log.Info("accounts upserted", "count", len(req.Accounts))
	writeJSON(w, http.StatusOK, map[string]int{"upserted": len(req.Accounts)})
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.GetAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, fmt.Errorf("get account: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, toAccountOut(a))
}

type promiseOut struct {
	ID             string    `json:"id"`
	AccountID      string    `json:"account_id"`
	DebtID         string    `json:"debt_id"`
	ConversationID string    `json:"conversation_id"`
	Amount         Major     `json:"amount"`
	Currency       string    `json:"currency"`
	DueDate        string    `json:"due_date"`
	Status         string    `json:"status"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

type planOut struct {
	ID             string           `json:"id"`
	AccountID      string           `json:"account_id"`
	DebtID         string           `json:"debt_id"`
	ConversationID string           `json:"conversation_id"`
	Currency       string           `json:"currency"`
	Total          Major            `json:"total"`
	Installments   []installmentOut `json:"installments"`
	Status         string           `json:"status"`
	CreatedBy      string           `json:"created_by"`
	CreatedAt      time.Time        `json:"created_at"`
}

type installmentOut struct {
	Amount  Major  `json:"amount"`
	DueDate string `json:"due_date"`
}

// accountExists turns "no promises" for an unknown account into a 404.
func (s *Server) accountExists(r *http.Request, id string) error {
	_, err := s.store.GetAccount(r.Context(), id)
	return err
}

func (s *Server) getPromises(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.accountExists(r, id); err != nil {
		s.writeError(w, r, fmt.Errorf("promises: %w", err))
		return
	}
	ps, err := s.store.ListPromises(r.Context(), id)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("list promises: %w", err))
		return
	}
	out := make([]promiseOut, 0, len(ps))
	for _, p := range ps {
		out = append(out, promiseOut{
			ID: p.ID, AccountID: p.AccountID, DebtID: p.DebtID, ConversationID: p.ConversationID,
			Amount: Major(p.AmountMinor), Currency: p.Currency, DueDate: p.DueDate,
			Status: p.Status, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"promises": out})
}

func (s *Server) getPlans(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.accountExists(r, id); err != nil {
		s.writeError(w, r, fmt.Errorf("plans: %w", err))
		return
	}
	ps, err := s.store.ListPlans(r.Context(), id)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("list plans: %w", err))
		return
	}
	out := make([]planOut, 0, len(ps))
	for _, p := range ps {
		po := planOut{
			ID: p.ID, AccountID: p.AccountID, DebtID: p.DebtID, ConversationID: p.ConversationID,
			Currency: p.Currency, Total: Major(p.TotalMinor), Installments: []installmentOut{},
			Status: p.Status, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt,
		}
		for _, in := range p.Installments {
			po.Installments = append(po.Installments, installmentOut{Amount: Major(in.AmountMinor), DueDate: in.DueDate})
		}
		out = append(out, po)
	}
	writeJSON(w, http.StatusOK, map[string]any{"plans": out})
}
