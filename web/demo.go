package web

import (
	"fmt"
	"net/http"
)

// Demo endpoints exist only when Config.Demo is set: they let the chat page
// list borrowers and mint a session without an API key. They expose what a
// demo user needs to pass verification, so they must never be on in
// production.

type demoAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Locale      string `json:"locale"`
	DateOfBirth string `json:"date_of_birth,omitempty"`
	IDLast4     string `json:"id_last4,omitempty"`
	AmountDue   Major  `json:"amount_due"`
	Currency    string `json:"currency"`
	DaysPastDue int    `json:"days_past_due"`
}

const demoListLimit = 50

func (s *Server) demoAccounts(w http.ResponseWriter, r *http.Request) {
	accts, err := s.store.ListAccounts(r.Context(), "", demoListLimit)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("list demo accounts: %w", err))
		return
	}
	out := make([]demoAccount, 0, len(accts))
	for _, a := range accts {
		if !s.isDemo(a.ID) {
			continue
		}
		d := demoAccount{ID: a.ID, Name: a.Name, Locale: a.Locale, DateOfBirth: a.DateOfBirth, IDLast4: a.IDLast4}
		if len(a.Debts) > 0 {
			d.AmountDue, d.Currency, d.DaysPastDue = Major(a.Debts[0].AmountMinor), a.Debts[0].Currency, a.Debts[0].DaysPastDue
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

func (s *Server) demoSession(w http.ResponseWriter, r *http.Request) {
	var req SessionRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.isDemo(req.AccountID) {
		s.writeError(w, r, fmt.Errorf("demo session for %q: %w", req.AccountID, ErrNotDemo))
		return
	}
	s.mintSession(w, r, req)
}

func (s *Server) isDemo(id string) bool { return s.demo == nil || s.demo[id] }
