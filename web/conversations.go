package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/redact"
	"github.com/collectagent/collectagent/store"
)

// ConversationOut is GET /v1/conversations/{id}.
type ConversationOut struct {
	ID         string     `json:"id"`
	AccountID  string     `json:"account_id"`
	DebtID     string     `json:"debt_id"`
	Channel    string     `json:"channel"`
	Locale     string     `json:"locale"`
	Mode       string     `json:"mode"`
	Stage      string     `json:"stage"`
	Outcome    OutcomeOut `json:"outcome"`
	Transcript []TurnOut  `json:"transcript"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
}

// OutcomeOut is a conversation's outcome, amounts in major units.
type OutcomeOut struct {
	Type         string           `json:"type"`
	Reason       string           `json:"reason,omitempty"`
	Amount       *Major           `json:"amount,omitempty"`
	Currency     string           `json:"currency,omitempty"`
	DueDate      string           `json:"due_date,omitempty"`
	Installments []installmentOut `json:"installments,omitempty"`
}

// TurnOut is one transcript line.
type TurnOut struct {
	Seq  int64     `json:"seq"`
	From string    `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// outcomeOut converts the stored outcome (dialog.Outcome JSON) for the API.
func outcomeOut(c store.Conversation) (OutcomeOut, error) {
	o := OutcomeOut{Type: c.OutcomeType}
	if len(c.Outcome) > 0 && string(c.Outcome) != "null" {
		var d dialog.Outcome
		if err := json.Unmarshal(c.Outcome, &d); err != nil {
			return OutcomeOut{}, fmt.Errorf("conversation %s outcome: %w", c.ID, err)
		}
		if d.Type != "" {
			o.Type = string(d.Type)
		}
		o.Reason = d.Reason
		if !d.Amount.IsZero() {
			m := Major(d.Amount.Minor)
			o.Amount, o.Currency = &m, d.Amount.Currency
		}
		o.DueDate = d.DueDate.String()
		for _, in := range d.Installments {
			o.Installments = append(o.Installments, installmentOut{Amount: Major(in.Amount.Minor), DueDate: in.DueDate.String()})
			if o.Currency == "" {
				o.Currency = in.Amount.Currency
			}
		}
	}
	if o.Type == "" {
		o.Type = string(dialog.OutcomeNone)
	}
	return o, nil
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.store.GetConversation(r.Context(), id)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("get conversation: %w", err))
		return
	}
	turns, err := s.store.ListTurns(r.Context(), id)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("list turns: %w", err))
		return
	}
	oc, err := outcomeOut(c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ConversationOut{
		ID: c.ID, AccountID: c.AccountID, DebtID: c.DebtID, Channel: c.Channel, Locale: c.Locale,
		Mode: c.Mode, Stage: c.Stage, Outcome: oc, Transcript: make([]TurnOut, 0, len(turns)),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, EndedAt: c.EndedAt,
	}
	for _, t := range turns {
		// Verification answers and identity numbers are withheld; the
		// store keeps them for the audit.
		text := redact.Turn(t.From, t.Text, t.Meta, c.Locale, s.clock.Now())
		out.Transcript = append(out.Transcript, TurnOut{Seq: t.Seq, From: t.From, Text: text, At: t.At})
	}
	writeJSON(w, http.StatusOK, out)
}
