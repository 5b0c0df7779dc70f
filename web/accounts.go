package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/store"
)

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
	var req accounts.Request
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := accounts.Validate(req); err != nil {
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
	ID             string           `json:"id"`
	AccountID      string           `json:"account_id"`
	DebtID         string           `json:"debt_id"`
	ConversationID string           `json:"conversation_id"`
	Amount         Major            `json:"amount"`
	Currency       string           `json:"currency"`
	DueDate        string           `json:"due_date"`
	Status         store.DealStatus `json:"status"`
	CreatedBy      string           `json:"created_by"`
	CreatedAt      time.Time        `json:"created_at"`
}

type planOut struct {
	ID             string           `json:"id"`
	AccountID      string           `json:"account_id"`
	DebtID         string           `json:"debt_id"`
	ConversationID string           `json:"conversation_id"`
	Currency       string           `json:"currency"`
	Total          Major            `json:"total"`
	Installments   []installmentOut `json:"installments"`
	Status         store.DealStatus `json:"status"`
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
