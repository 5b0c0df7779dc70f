package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/handoff/packet"
	"github.com/collectagent/collectagent/store"
)

// Results of a callback task (CompleteCallback).
const (
	CallbackReached   = "reached"   // the borrower was reached
	CallbackNoAnswer  = "no_answer" // the call went unanswered
	CallbackCancelled = "cancelled" // no call will be placed
)

// MaxCallbackNoteRunes bounds an agent's note on a done callback.
const MaxCallbackNoteRunes = 1000

// CallbackDone is how an agent finished a callback task, written into the
// escalation's packet under "callback_done" next to the callback.
type CallbackDone struct {
	AgentID string    `json:"agent_id"`
	Result  string    `json:"result"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// auditCallbackDone is the audit kind of a done callback task.
const auditCallbackDone = "handoff.callback_done"

// CompleteCallback marks the callback task of escalation escalationID (an
// escalation of this conversation, "expired" with a callback in its
// packet, see OfferCallback) done by an agent with a result and an
// optional note: an audit event on the conversation's chain, then the
// escalation "completed" with the agent and CallbackDone in its packet
// (the rest of the packet kept). It returns the updated escalation.
//
// It fails with ErrNotFound when the conversation has no such callback
// task, and with ErrDone when the task is done already. The audit event
// is the record of completion: it commits with the conversation's
// version, so of two agents finishing the same task at once on any nodes
// exactly one succeeds. The conversation's mode is not changed.
func (s *Session) CompleteCallback(ctx context.Context, a Agent, escalationID, result, note string) (store.Escalation, error) {
	if err := checkAgent(a); err != nil {
		return store.Escalation{}, err
	}
	switch result {
	case CallbackReached, CallbackNoAnswer, CallbackCancelled:
	default:
		return store.Escalation{}, refuse(ErrInvalid, "callback result %q", result)
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxCallbackNoteRunes {
		return store.Escalation{}, refuse(ErrInvalid, "note longer than %d characters", MaxCallbackNoteRunes)
	}
	var (
		e    store.Escalation
		done CallbackDone
	)
	_, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		var err error
		if e, err = s.callbackTask(ctx, escalationID); err != nil {
			return Output{}, nil, err
		}
		r := s.newRecord()
		done = CallbackDone{AgentID: a.ID, Result: result, Note: note, At: r.now.UTC()}
		if err := r.addAudit(auditCallbackDone, map[string]any{
			"escalation": e.ID, "agent_id": a.ID, "result": result,
		}); err != nil {
			return Output{}, nil, err
		}
		return r.commit(nil)
	})
	if err != nil {
		return store.Escalation{}, err
	}
	if err := s.markCallbackDone(ctx, &e, done); err != nil {
		// The audit event stands: the next attempt finds it and repairs
		// the store's record.
		return store.Escalation{}, err
	}
	return e, nil
}

// callbackTask returns the open callback task escalationID of the
// conversation. A task whose completion is audited but whose escalation
// is not yet marked (a crash in between) is marked now, and is ErrDone.
func (s *Session) callbackTask(ctx context.Context, escalationID string) (store.Escalation, error) {
	es, err := s.rt.deps.Store.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.conv.ID})
	if err != nil {
		return store.Escalation{}, fmt.Errorf("callback task: escalations: %w", err)
	}
	var (
		e     store.Escalation
		found bool
	)
	for _, x := range es {
		if x.ID == escalationID {
			e, found = x, true
			break
		}
	}
	if !found || !hasCallback(e.Packet) {
		return store.Escalation{}, fmt.Errorf("%w: callback task %s", ErrNotFound, escalationID)
	}
	if e.Status != store.EscalationExpired || callbackDone(e.Packet) {
		return store.Escalation{}, fmt.Errorf("%w: callback task %s is %s", ErrDone, escalationID, e.Status)
	}
	done, ok, err := s.auditedDone(ctx, escalationID)
	if err != nil {
		return store.Escalation{}, err
	}
	if ok {
		if err := s.markCallbackDone(ctx, &e, done); err != nil {
			s.log.Warn("callback task: repair failed", "escalation", escalationID, "err", err)
		}
		return store.Escalation{}, fmt.Errorf("%w: callback task %s", ErrDone, escalationID)
	}
	return e, nil
}

// auditedDone looks for the audit event completing escalationID on the
// conversation's chain.
func (s *Session) auditedDone(ctx context.Context, escalationID string) (CallbackDone, bool, error) {
	evs, err := s.rt.deps.Store.ListAudit(ctx, s.conv.ID)
	if err != nil {
		return CallbackDone{}, false, fmt.Errorf("callback task: audit: %w", err)
	}
	for _, ev := range evs {
		if ev.Kind != auditCallbackDone {
			continue
		}
		var d struct {
			Escalation string `json:"escalation"`
			AgentID    string `json:"agent_id"`
			Result     string `json:"result"`
		}
		if json.Unmarshal(ev.Data, &d) == nil && d.Escalation == escalationID {
			return CallbackDone{AgentID: d.AgentID, Result: d.Result, At: ev.At}, true, nil
		}
	}
	return CallbackDone{}, false, nil
}

// markCallbackDone records done on the escalation: status "completed",
// the agent, done in the packet next to what it held.
func (s *Session) markCallbackDone(ctx context.Context, e *store.Escalation, done CallbackDone) error {
	var p packet.Packet
	if len(e.Packet) > 0 {
		if err := json.Unmarshal(e.Packet, &p); err != nil {
			return fmt.Errorf("callback task %s: packet: %w", e.ID, err)
		}
	}
	b, err := json.Marshal(done)
	if err != nil {
		return fmt.Errorf("callback task %s: %w", e.ID, err)
	}
	p.CallbackDone = b
	pk, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("callback task %s: packet: %w", e.ID, err)
	}
	e.Packet, e.Status, e.AgentID, e.UpdatedAt = pk, store.EscalationCompleted, done.AgentID, s.rt.deps.Clock.Now().UTC()
	if err := s.rt.deps.Store.UpdateEscalation(ctx, *e); err != nil {
		return fmt.Errorf("callback task: update escalation %s: %w", e.ID, err)
	}
	return nil
}

// callbackDone reports whether a packet records a done callback task.
func callbackDone(raw json.RawMessage) bool {
	var p struct {
		Done *CallbackDone `json:"callback_done"`
	}
	return len(raw) > 0 && json.Unmarshal(raw, &p) == nil && p.Done != nil
}

// CallbackTask reads the callback of an escalation's packet: ok is false
// when the packet has none, done tells whether an agent finished it.
func CallbackTask(raw json.RawMessage) (cb Callback, done bool, ok bool) {
	var p struct {
		Callback *Callback     `json:"callback"`
		Done     *CallbackDone `json:"callback_done"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil || p.Callback == nil {
		return Callback{}, false, false
	}
	return *p.Callback, p.Done != nil, true
}
