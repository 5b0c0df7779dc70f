package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/store"
)

// Legal holds and a borrower's erasure request, for the lender's systems
// (API key):
//
//	GET  /v1/accounts/{id}/holds
//	POST /v1/accounts/{id}/holds                  {"reason": "..."}
//	POST /v1/accounts/{id}/holds/{hid}/release    {"reason": "..."}
//	POST /v1/accounts/{id}/erasure                {"reason": "..."}
//
// Each change is sealed on the account's audit chain with the API key's
// name (keyName) as who made it.

// HoldOut is a legal hold as the API shows it.
type HoldOut struct {
	ID            string     `json:"id"`
	Active        bool       `json:"active"`
	Reason        string     `json:"reason"`
	PlacedBy      string     `json:"placed_by"`
	PlacedAt      time.Time  `json:"placed_at"`
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
}

func holdOut(h store.Hold) HoldOut {
	return HoldOut{ID: h.ID, Active: h.Active(), Reason: h.Reason, PlacedBy: h.PlacedBy, PlacedAt: h.PlacedAt,
		ReleasedAt: h.ReleasedAt, ReleasedBy: h.ReleasedBy, ReleaseReason: h.ReleaseReason}
}

// ReasonRequest is the body of a hold, a release or an erasure.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// writeRetentionError maps the retention service's errors.
func (s *Server) writeRetentionError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fielderr.Error
	switch {
	case errors.Is(err, retention.ErrInvalid) && errors.As(err, &fe):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": apiError{Code: CodeInvalid, Message: fe.Problem, Field: fe.Field}})
	case errors.Is(err, retention.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": apiError{Code: CodeNotFound, Message: "not found"}})
	case errors.Is(err, retention.ErrHeld):
		writeJSON(w, http.StatusConflict, map[string]any{"error": apiError{Code: CodeLegalHold, Message: "the account is under a legal hold: release it first"}})
	case errors.Is(err, retention.ErrDone):
		writeJSON(w, http.StatusConflict, map[string]any{"error": apiError{Code: CodeConflict, Message: "the hold is released already"}})
	default:
		s.writeError(w, r, err)
	}
}

func (s *Server) getHolds(w http.ResponseWriter, r *http.Request) {
	hs, err := s.retention.Holds(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeRetentionError(w, r, err)
		return
	}
	out := make([]HoldOut, 0, len(hs))
	for _, h := range hs {
		out = append(out, holdOut(h))
	}
	writeJSON(w, http.StatusOK, map[string]any{"holds": out})
}

func (s *Server) postHold(w http.ResponseWriter, r *http.Request) {
	var req ReasonRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.retention.PlaceHold(r.Context(), r.PathValue("id"), keyName(r), req.Reason)
	if err != nil {
		s.writeRetentionError(w, r, err)
		return
	}
	s.log.Info("legal hold placed", "hold", h.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"hold": holdOut(h)})
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request) {
	var req ReasonRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.retention.ReleaseHold(r.Context(), r.PathValue("id"), r.PathValue("hid"), keyName(r), req.Reason)
	if err != nil {
		s.writeRetentionError(w, r, err)
		return
	}
	s.log.Info("legal hold released", "hold", h.ID)
	writeJSON(w, http.StatusOK, map[string]any{"hold": holdOut(h)})
}

func (s *Server) postErasure(w http.ResponseWriter, r *http.Request) {
	var req ReasonRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.retention.Erase(r.Context(), r.PathValue("id"), keyName(r), req.Reason)
	if err != nil {
		s.writeRetentionError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"erasure": e})
}
