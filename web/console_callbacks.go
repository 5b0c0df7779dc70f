package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

// CodeDone is the console's code for a callback task finished already.
const CodeDone = "done"

// callbackListLimit bounds the callback tasks read per request.
const callbackListLimit = 500

// callbackView is a callback task as the console lists it: an escalation
// nobody claimed within the SLA, for which the borrower was offered a
// call back (bot.Session.OfferCallback).
type callbackView struct {
	ID             string      `json:"id"`
	ConversationID string      `json:"conversation_id"`
	Account        accountView `json:"account"`
	Reason         string      `json:"reason"`
	Priority       int         `json:"priority"`
	// CallbackAt is when the contact rules first allow the call; empty
	// when no call may be placed and a person follows up in the chat.
	CallbackAt string `json:"callback_at,omitempty"`
	Channel    string `json:"channel"`
	// Rule is the contact rule that set the time ("ok", "outside_hours",
	// "attempt_cap", "no_consent", ...).
	Rule           string `json:"rule"`
	OfferedAt      string `json:"offered_at"`
	Locale         string `json:"locale"`
	WaitingSince   string `json:"waiting_since"`
	WaitingSeconds int64  `json:"waiting_seconds"`
	// due orders the list: the callback time, or the offer's time for a
	// follow-up in the chat.
	due time.Time
}

// callbacks is GET /v1/agent/callbacks, for agents and supervisors: the
// callback tasks not yet done, the earliest call first.
func (c *console) callbacks(w http.ResponseWriter, r *http.Request, _ agentCtx) {
	ctx := r.Context()
	es, err := c.s.store.ListEscalations(ctx, store.EscalationFilter{Status: "expired", Limit: callbackListLimit})
	if err != nil {
		c.writeError(w, r, fmt.Errorf("callbacks: %w", err))
		return
	}
	now := c.s.clock.Now()
	out := []callbackView{}
	for _, e := range es {
		cb, done, ok := bot.CallbackTask(e.Packet)
		if !ok || done {
			continue
		}
		v, err := c.callbackView(ctx, e, cb, now)
		if err != nil {
			c.writeError(w, r, err)
			return
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b callbackView) int { return a.due.Compare(b.due) })
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": out})
}

func (c *console) callbackView(ctx context.Context, e store.Escalation, cb bot.Callback, now time.Time) (callbackView, error) {
	cv, err := c.s.store.GetConversation(ctx, e.ConversationID)
	if err != nil {
		return callbackView{}, fmt.Errorf("callback %s: conversation: %w", e.ID, err)
	}
	acct, err := c.s.store.GetAccount(ctx, cv.AccountID)
	if err != nil {
		return callbackView{}, fmt.Errorf("callback %s: account: %w", e.ID, err)
	}
	v := callbackView{
		ID: e.ID, ConversationID: e.ConversationID, Account: maskAccount(acct, cv.DebtID), Reason: e.Reason,
		Priority: e.Priority, Channel: string(cb.Channel), Rule: cb.Reason, OfferedAt: cb.Offered.UTC().Format(time.RFC3339),
		Locale: cv.Locale, WaitingSince: e.CreatedAt.UTC().Format(time.RFC3339), due: cb.Offered,
	}
	if v.Locale == "" {
		v.Locale = acct.Locale
	}
	if !cb.At.IsZero() {
		v.CallbackAt, v.due = cb.At.UTC().Format(time.RFC3339), cb.At
	}
	if now.After(e.CreatedAt) {
		v.WaitingSeconds = int64(now.Sub(e.CreatedAt) / time.Second)
	}
	return v, nil
}

// callbackDoneReq is the body of POST /v1/agent/callbacks/{id}/done.
type callbackDoneReq struct {
	Result string `json:"result"`
	Note   string `json:"note"`
}

// callbackDone is POST /v1/agent/callbacks/{id}/done: an agent or a
// supervisor finished a callback task. The escalation becomes "completed"
// with the agent and the result in its packet, audited on the
// conversation's chain; a second completion is 409.
func (c *console) callbackDone(w http.ResponseWriter, r *http.Request, a agentCtx) {
	var req callbackDoneReq
	if r.ContentLength != 0 {
		if err := c.s.decodeJSON(w, r, &req); err != nil {
			c.writeError(w, r, err)
			return
		}
	}
	if req.Result == "" {
		req.Result = bot.CallbackReached
	}
	var fields []FieldError
	switch req.Result {
	case bot.CallbackReached, bot.CallbackNoAnswer, bot.CallbackCancelled:
	default:
		fields = append(fields, FieldError{Field: "result", Message: "one of reached, no_answer, cancelled"})
	}
	if len([]rune(req.Note)) > bot.MaxCallbackNoteRunes {
		fields = append(fields, FieldError{Field: "note", Message: fmt.Sprintf("at most %d characters", bot.MaxCallbackNoteRunes)})
	}
	if len(fields) > 0 {
		c.writeError(w, r, &ValidationError{Fields: fields})
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	e, err := c.findCallback(ctx, id)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	sess, err := c.s.rt.Open(ctx, e.ConversationID)
	if err != nil {
		c.writeError(w, r, fmt.Errorf("callback %s: %w", id, err))
		return
	}
	done, err := sess.CompleteCallback(ctx, a.bot(), id, req.Result, req.Note)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.log.Info("callback done", "escalation", id, "conversation", e.ConversationID, "agent", a.User, "result", req.Result)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": done.ID, "conversation_id": done.ConversationID, "status": done.Status, "agent_id": done.AgentID, "result": req.Result,
	})
}

// findCallback returns the escalation of a callback task: an open one, or
// bot.ErrDone for one finished already, or bot.ErrNotFound.
func (c *console) findCallback(ctx context.Context, id string) (store.Escalation, error) {
	for _, status := range []string{"expired", "completed"} {
		es, err := c.s.store.ListEscalations(ctx, store.EscalationFilter{Status: status})
		if err != nil {
			return store.Escalation{}, fmt.Errorf("callback %s: %w", id, err)
		}
		for _, e := range es {
			if e.ID != id {
				continue
			}
			_, done, ok := bot.CallbackTask(e.Packet)
			switch {
			case !ok:
				return store.Escalation{}, fmt.Errorf("callback %s: %w", id, bot.ErrNotFound)
			case done || status == "completed":
				return store.Escalation{}, fmt.Errorf("callback %s: %w", id, bot.ErrDone)
			}
			return e, nil
		}
	}
	return store.Escalation{}, fmt.Errorf("callback %s: %w", id, bot.ErrNotFound)
}
