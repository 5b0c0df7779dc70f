package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/store"
)

// Event is the JSON body of every message on <prefix>.events.<kind>.
type Event struct {
	Kind string          `json:"kind"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// Lifecycle event kinds, published on <prefix>.events.handoff.<name>.
const (
	EventQueued     = "handoff.queued"      // taken into the case board
	EventAccepted   = "handoff.accepted"    // an agent claimed the case
	EventReleased   = "handoff.released"    // the agent put it back in the queue
	EventRequeued   = "handoff.requeued"    // the agent's claim lapsed
	EventCompleted  = "handoff.completed"   // the agent closed the conversation
	EventHandedBack = "handoff.handed_back" // the bot takes over again
	EventExpired    = "handoff.expired"     // nobody claimed it within the SLA
	EventFailed     = "handoff.failed"      // cancelled, or the packet was unreadable
)

// CaseEvent is the data of a lifecycle event.
type CaseEvent struct {
	EscalationID   string                 `json:"escalation_id"`
	ConversationID string                 `json:"conversation_id"`
	AccountRef     string                 `json:"account_ref"`
	Reason         string                 `json:"reason"`
	Priority       int                    `json:"priority"`
	Status         store.EscalationStatus `json:"status"`
	Resolution     string                 `json:"resolution,omitempty"`
	AgentID        string                 `json:"agent_id,omitempty"`
	Note           string                 `json:"note,omitempty"`
	QueuedAt       time.Time              `json:"queued_at"`
	// WaitedMS is how long the case had waited for an agent.
	WaitedMS int64 `json:"waited_ms"`
}

// ParseEvent decodes an event body.
func ParseEvent(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("%w: event: %w", ErrInvalid, err)
	}
	if !eventKind.MatchString(e.Kind) {
		return Event{}, fmt.Errorf("%w: event kind %q", ErrInvalid, e.Kind)
	}
	return e, nil
}

// publishEvent stores an event on the events stream. A non-empty msgID
// makes a retried publish a no-op.
func (n *Node) publishEvent(ctx context.Context, kind, msgID string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("%w: event %s data: %w", ErrInvalid, kind, err)
	}
	m, err := n.eventMsg(kind, n.clock.Now(), raw)
	if err != nil {
		return err
	}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	if _, err := n.js.PublishMsg(ctx, m, opts...); err != nil {
		return fmt.Errorf("%w: event %s: %w", ErrPublish, kind, err)
	}
	return nil
}

// eventMsg is the message of an event of kind at at with data raw.
func (n *Node) eventMsg(kind string, at time.Time, raw json.RawMessage) (*nats.Msg, error) {
	if !eventKind.MatchString(kind) || len(kind) > maxTokenLn {
		return nil, fmt.Errorf("%w: event kind %q is not subject tokens", ErrInvalid, kind)
	}
	body, err := json.Marshal(Event{Kind: kind, At: at.UTC(), Data: raw})
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: %w", ErrInvalid, kind, err)
	}
	m := &nats.Msg{Subject: n.names.eventSubject(kind), Data: body, Header: nats.Header{}}
	m.Header.Set(headerKind, kind)
	return m, nil
}

// headerKind names the event kind, for consumers that filter on headers.
const headerKind = "Collect-Event"

// caseEvent emits a lifecycle event for a case; failures are logged (the
// case board is the record, events are for observers).
func (n *Node) caseEvent(kind string, c Case, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	ev := CaseEvent{
		EscalationID: c.ID, ConversationID: c.Packet.ConversationID, AccountRef: c.Packet.AccountRef,
		Reason: c.Packet.Reason, Priority: c.Packet.Priority, Status: c.Status, Resolution: c.Resolution,
		AgentID: c.AgentID, Note: c.Note, QueuedAt: c.QueuedAt,
	}
	if !c.WaitingSince.IsZero() {
		end := n.clock.Now()
		if !c.ClaimedAt.IsZero() && c.Status != StatusQueued {
			end = c.ClaimedAt
		}
		ev.WaitedMS = max(end.Sub(c.WaitingSince).Milliseconds(), 0)
	}
	id := fmt.Sprintf("%s-%s-%d", c.ID, kind, rev)
	if err := n.publishEvent(ctx, kind, id, ev); err != nil {
		n.log.Warn("case event not published", "kind", kind, "escalation", c.ID, "err", err)
	}
}

// OnCaseEvents hands every lifecycle event to fn, in order and at least
// once, through the durable consumer named durable on the events stream:
// nodes that pass the same name share the work, each event going to one
// of them. An event is acknowledged when fn returns nil; an error hands it
// back after AckWait. Its typical fn records the case's status in the
// store (idempotent: a redelivered event writes the same status again).
// fn runs on one goroutine; stop ends the delivery and waits for it.
func (n *Node) OnCaseEvents(ctx context.Context, durable string, fn func(context.Context, Event, CaseEvent) error) (stop func(), err error) {
	if err := checkToken("consumer name", durable); err != nil {
		return nil, err
	}
	cons, err := n.js.CreateOrUpdateConsumer(ctx, n.names.events, jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   "handoff lifecycle events, in order",
		FilterSubject: n.names.prefix + ".events.handoff.>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       n.cfg.AckWait,
		MaxDeliver:    -1,
		// One at a time keeps a case's events in order.
		MaxAckPending: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: consumer %s: %w", ErrStream, durable, err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		ev, err := ParseEvent(msg.Data())
		var ce CaseEvent
		if err == nil {
			err = json.Unmarshal(ev.Data, &ce)
		}
		if err != nil {
			n.log.Warn("unreadable case event dropped", "subject", msg.Subject(), "err", err)
			_ = msg.Term()
			return
		}
		octx, ocancel := context.WithTimeout(runCtx, opTimeout)
		defer ocancel()
		if err := fn(octx, ev, ce); err != nil {
			n.log.Warn("case event not handled; redelivering", "kind", ev.Kind, "escalation", ce.EscalationID, "err", err)
			_ = msg.NakWithDelay(min(n.cfg.AckWait, time.Second))
			return
		}
		_ = msg.Ack()
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !errors.Is(err, jetstream.ErrNoHeartbeat) {
			n.log.Debug("case events consume", "err", err)
		}
	}))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: consume %s: %w", ErrStream, durable, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			cc.Stop()
			select {
			case <-cc.Closed():
			case <-time.After(opTimeout):
			}
			cancel()
		})
	}, nil
}
