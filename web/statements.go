package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

// What a borrower stated about their rights (cease, dispute, validation,
// attorney, bankruptcy), as the lender reads and clears it:
//
//	GET  /v1/accounts/{id}/statements
//	POST /v1/accounts/{id}/statements/{sid}/clear   {"reason": "..."}

// StatementOut is one statement as the API shows it.
type StatementOut struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"`
	Active         bool            `json:"active"`
	Channels       []string        `json:"channels,omitempty"` // a cease limited to these; none: every channel
	Details        json.RawMessage `json:"details,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	TurnSeq        int64           `json:"turn_seq,omitempty"`
	Channel        string          `json:"channel"`
	At             time.Time       `json:"at"`
	ClearedAt      *time.Time      `json:"cleared_at,omitempty"`
	ClearedBy      string          `json:"cleared_by,omitempty"`
	ClearReason    string          `json:"clear_reason,omitempty"`
}

func statementOut(s store.Statement) StatementOut {
	return StatementOut{
		ID: s.ID, Kind: s.Kind, Active: s.Active(), Channels: s.Channels, Details: s.Details,
		ConversationID: s.ConversationID, TurnSeq: s.TurnSeq, Channel: s.Channel, At: s.At,
		ClearedAt: s.ClearedAt, ClearedBy: s.ClearedBy, ClearReason: s.ClearReason,
	}
}

// ClearStatementRequest is the body of POST .../clear.
type ClearStatementRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) getStatements(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.accountExists(r, id); err != nil {
		s.writeError(w, r, fmt.Errorf("statements: %w", err))
		return
	}
	sts, err := s.store.ListStatements(r.Context(), id)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("list statements: %w", err))
		return
	}
	out := make([]StatementOut, 0, len(sts))
	for _, st := range sts {
		out = append(out, statementOut(st))
	}
	writeJSON(w, http.StatusOK, map[string]any{"statements": out})
}

func (s *Server) clearStatement(w http.ResponseWriter, r *http.Request) {
	var req ClearStatementRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.rt.ClearStatement(r.Context(), r.PathValue("id"), r.PathValue("sid"), keyName(r), req.Reason)
	switch {
	case errors.Is(err, bot.ErrDone):
		writeJSON(w, http.StatusConflict, map[string]any{"error": apiError{Code: CodeConflict, Message: "the statement is cleared already"}})
		return
	case errors.Is(err, bot.ErrInvalid):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": apiError{Code: CodeInvalid, Message: refusalText(err), Field: "reason"}})
		return
	case err != nil:
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"statement": statementOut(st)})
}

// keyName names the API key of a request in the audit trail without
// revealing it: "api:" and the first bytes of its SHA-256.
func keyName(r *http.Request) string {
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return "api:" + hex.EncodeToString(sum[:6])
}
