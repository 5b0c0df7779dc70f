package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

// SessionRequest is the body of POST /v1/sessions.
type SessionRequest struct {
	AccountID string `json:"account_id" validate:"required,max=64"`
	Channel   string `json:"channel" validate:"omitempty,oneof=chat voice"`
}

// SessionResponse is what POST /v1/sessions returns: a token for
// GET /v1/chat?token=...
type SessionResponse struct {
	Token          string    `json:"token"`
	ConversationID string    `json:"conversation_id"`
	ExpiresAt      time.Time `json:"expires_at"`
}

func (s *Server) postSession(w http.ResponseWriter, r *http.Request) {
	var req SessionRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.mintSession(w, r, req)
}

// mintSession begins a conversation and returns its signed token.
func (s *Server) mintSession(w http.ResponseWriter, r *http.Request, req SessionRequest) {
	if err := validateRequest(req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Channel == "" {
		req.Channel = string(bot.ChannelChat)
	}
	if s.isDraining() {
		s.writeError(w, r, ErrShuttingDown)
		return
	}
	if err := s.checkConversationBound(r, req.AccountID); err != nil {
		retryAfter(w, time.Hour)
		s.writeError(w, r, err)
		return
	}
	ch, err := bot.ParseChannel(req.Channel)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("%w: %w", ErrInvalid, err))
		return
	}
	// The borrower opens the chat from the app.
	conv, err := s.rt.Begin(r.Context(), req.AccountID, ch, bot.ByBorrower)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("begin conversation: %w", err))
		return
	}
	exp := s.clock.Now().Add(s.cfg.TokenTTL).Truncate(time.Second)
	tok, err := s.tokens.mint(tokenClaims{Conversation: conv.ID, Account: conv.AccountID, Channel: req.Channel, Expires: exp.Unix()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("session minted", "conversation", conv.ID, "channel", req.Channel)
	writeJSON(w, http.StatusCreated, SessionResponse{Token: tok, ConversationID: conv.ID, ExpiresAt: exp.UTC()})
}

// checkConversationBound refuses a new conversation when the account began
// MaxConversationsPerDay in the last 24 hours (read through the account's
// index, newest first, never more rows than the bound).
func (s *Server) checkConversationBound(r *http.Request, accountID string) error {
	n := s.cfg.MaxConversationsPerDay
	cs, err := s.store.ListConversations(r.Context(), store.ConversationFilter{AccountID: accountID, Limit: n})
	if err != nil {
		return fmt.Errorf("count conversations: %w", err)
	}
	if len(cs) < n {
		return nil
	}
	if since := s.clock.Now().Add(-24 * time.Hour); cs[n-1].CreatedAt.After(since) {
		return fmt.Errorf("account %s: %w", accountID, ErrTooManyConversations)
	}
	return nil
}
