package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// CallbackChannel is the channel a callback is placed on: a person calls
// the borrower back.
const CallbackChannel = compliance.ChannelVoice

// Callback is what OfferCallback decided, also written into the
// escalation's packet under "callback" for the agents' task list.
type Callback struct {
	// At is the earliest time the contact rules allow a call; zero when
	// no call may be placed (no consent, do-not-contact, a flag), in which
	// case a person follows up in the chat.
	At      time.Time `json:"at,omitzero"`
	Channel Channel   `json:"channel"`
	// Reason is the contact rule that decided the time ("ok",
	// "outside_hours", "attempt_cap", ...), or why no call may be placed.
	Reason  string    `json:"reason"`
	Source  string    `json:"source,omitempty"`
	Offered time.Time `json:"offered_at"`
}

// OfferCallback is what happens when nobody claimed the conversation's
// escalation within the SLA: the borrower is offered a call back at the
// earliest time the compliance pack's contact rules allow (voice channel,
// the borrower's time zone, consent, do-not-contact, flags and the
// account's recent contact attempts, Pack.MayContact); the open escalation
// is marked "expired" with the callback in its packet (a task for agents);
// an audit event records it. The conversation keeps waiting for a person.
//
// It is idempotent: once the escalation carries a callback, calling again
// sends nothing. It fails with ErrWrongMode unless the conversation is
// waiting for an agent. Any node may call it: it commits through the store.
func (s *Session) OfferCallback(ctx context.Context) (Output, error) {
	var (
		open []store.Escalation
		cb   Callback
	)
	out, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		if s.conv.Mode != store.ModeWaitingAgent {
			return Output{}, nil, fmt.Errorf("%w: the conversation is %s", ErrWrongMode, s.conv.Mode)
		}
		es, err := s.rt.deps.Store.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.conv.ID})
		if err != nil {
			return Output{}, nil, fmt.Errorf("callback: escalations: %w", err)
		}
		open = open[:0]
		for _, e := range es {
			switch e.Status {
			case "initiated", "queued":
				open = append(open, e)
			case "expired":
				if hasCallback(e.Packet) {
					// Offered already (a redelivered expiry).
					return Output{Status: s.Status()}, nil, nil
				}
				open = append(open, e)
			}
		}
		if len(open) == 0 {
			return Output{}, nil, fmt.Errorf("%w: no open escalation", ErrWrongMode)
		}
		r := s.newRecord()
		cb = s.callbackTime(ctx, r.now)
		text := s.callbackText(cb)
		ids := make([]string, len(open))
		for i, e := range open {
			ids[i] = e.ID
		}
		if err := r.addAudit("handoff.callback", map[string]any{
			"escalations": ids, "callback_at": cb.At, "channel": cb.Channel, "reason": cb.Reason, "source": cb.Source,
		}); err != nil {
			return Output{}, nil, err
		}
		r.turn(FromBot, "", text, "", map[string]any{"act": "callback_offer"})
		return r.commit(nil)
	})
	if err != nil || len(out.Replies) == 0 {
		return out, err
	}
	for _, e := range open {
		if err := s.markCallback(ctx, e, cb); err != nil {
			// The offer and its audit event are committed; the task is
			// retried by the next expiry or a sweep of the store.
			return out, err
		}
	}
	return out, nil
}

// callbackTime asks the pack when the borrower may be called, from the
// account as the store has it now: a statement made in this very
// conversation (an attorney, a bankruptcy, a stop request) already stops
// the call.
func (s *Session) callbackTime(ctx context.Context, now time.Time) Callback {
	cb := Callback{Channel: CallbackChannel, Offered: now.UTC()}
	a, err := s.rt.deps.Store.GetAccount(ctx, s.conv.AccountID)
	if err != nil {
		s.log.Warn("callback: account unavailable", "err", err)
		cb.Reason = "account_unavailable"
		return cb
	}
	req, err := s.rt.contactRequest(ctx, a, CallbackChannel, s.conv.DebtID, now, s.loc)
	if err != nil {
		// Without the statements and attempts the rules cannot be
		// checked: no call.
		s.log.Warn("callback: contact state unavailable", "err", err)
		cb.Reason = "attempts_unavailable"
		return cb
	}
	d := s.guard.Pack().MayContact(req)
	cb.Reason, cb.Source = d.Reason, d.Source
	switch {
	case d.Allowed:
		cb.At = now.UTC()
	case !d.NextAllowed.IsZero():
		cb.At = d.NextAllowed.UTC()
	}
	return cb
}

// callbackText renders the offer and passes it through the guard: the day
// is stated only to a verified borrower (the guard allows no date before
// verification), and a text the guard stops loses its date.
func (s *Session) callbackText(cb Callback) string {
	loc := s.acct.Locale
	if cb.At.IsZero() {
		return s.notice(respond.NoticeCallbackChat, "")
	}
	undated := s.notice(respond.NoticeCallbackUndated, "")
	if !s.state.Verified {
		return undated
	}
	day := compliance.DateOf(cb.At.In(s.loc))
	text, err := s.rt.render.Notice(respond.NoticeCallbackDated, loc, s.channel, respond.NoticeData{Date: respond.NoticeDate(loc, s.channel, day)})
	if err != nil {
		s.log.Error("notice failed", "notice", respond.NoticeCallbackDated, "err", err)
		return undated
	}
	dec := s.guard.Check(compliance.Utterance{
		Text: text, Locale: loc, Channel: s.channel, Stage: string(s.state.Stage), Source: compliance.SourceTemplate,
		Facts: compliance.Facts{Verified: true, Creditor: s.acct.Debt.Creditor, Dates: []compliance.Date{day}},
	})
	if !dec.Allowed {
		s.log.Warn("callback day stopped by the guard; offering without it", "violations", len(dec.Violations))
		return undated
	}
	return text
}

// markCallback records the callback on an escalation: status "expired",
// the callback in the packet.
func (s *Session) markCallback(ctx context.Context, e store.Escalation, cb Callback) error {
	p := map[string]any{}
	if len(e.Packet) > 0 {
		if err := json.Unmarshal(e.Packet, &p); err != nil {
			p = map[string]any{}
		}
	}
	p["callback"] = cb
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("callback packet: %w", err)
	}
	e.Packet, e.Status, e.UpdatedAt = b, "expired", s.rt.deps.Clock.Now().UTC()
	if err := s.rt.deps.Store.UpdateEscalation(ctx, e); err != nil {
		return fmt.Errorf("callback: update escalation %s: %w", e.ID, err)
	}
	return nil
}

// hasCallback reports whether a packet already carries a callback.
func hasCallback(packet json.RawMessage) bool {
	var p struct {
		Callback *Callback `json:"callback"`
	}
	return len(packet) > 0 && json.Unmarshal(packet, &p) == nil && p.Callback != nil
}
