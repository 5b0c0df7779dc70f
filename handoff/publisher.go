package handoff

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/collectagent/collectagent/store"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Publisher publishes the runtime's escalations and events; it satisfies
// bot.Publisher.
type Publisher struct{ n *Node }

// Publisher returns the node's publisher.
func (n *Node) Publisher() *Publisher { return &Publisher{n: n} }

// PublishEscalation queues an escalation on <prefix>.handoff.<priority>
// and returns once JetStream has stored it. The escalation id is the
// message id: publishing the same escalation again (a retry from the
// store) within the dedupe window stores nothing new, and while the case
// is on the board (until FinishedTTL after it finished) the intake does
// not take a second case with the same id.
func (p *Publisher) PublishEscalation(ctx context.Context, e store.Escalation) error {
	pk, err := PacketOf(e)
	if err != nil {
		return err
	}
	body, err := json.Marshal(pk)
	if err != nil {
		return fmt.Errorf("%w: escalation %s: %w", ErrInvalid, e.ID, err)
	}
	m := &nats.Msg{Subject: p.n.names.handoffSubject(pk.Priority), Data: body, Header: nats.Header{}}
	if _, err := p.n.js.PublishMsg(ctx, m, jetstream.WithMsgID(e.ID)); err != nil {
		return fmt.Errorf("%w: escalation %s: %w", ErrPublish, e.ID, err)
	}
	return nil
}

// PublishEvent publishes data as JSON on <prefix>.events.<kind>, wrapped
// in an Event. kind is dot-separated subject tokens ("ptp.created").
func (p *Publisher) PublishEvent(ctx context.Context, kind string, data any) error {
	return p.n.publishEvent(ctx, kind, "", data)
}
