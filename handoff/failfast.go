package handoff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/store"
)

// FailFastPublisher is the runtime's Publisher on NATS: it refuses at once
// while the connection is down and bounds each publish, so a borrower's
// turn never waits on the broker. The store keeps a refused escalation
// "queued"; a requeuer publishes it again once NATS is back.
type FailFastPublisher struct {
	pub     *Publisher
	nc      *nats.Conn
	timeout time.Duration
}

// NewFailFastPublisher bounds each of the node's publishes by timeout.
func (n *Node) NewFailFastPublisher(timeout time.Duration) *FailFastPublisher {
	return &FailFastPublisher{pub: n.Publisher(), nc: n.Conn(), timeout: timeout}
}

var errNATSDown = errors.New("nats not connected")

func (p *FailFastPublisher) PublishEscalation(ctx context.Context, e store.Escalation) error {
	if !p.nc.IsConnected() {
		return fmt.Errorf("%w: escalation %s: %w", ErrPublish, e.ID, errNATSDown)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.pub.PublishEscalation(ctx, e)
}

func (p *FailFastPublisher) PublishEvent(ctx context.Context, kind string, data any) error {
	if !p.nc.IsConnected() {
		return fmt.Errorf("%w: event %s: %w", ErrPublish, kind, errNATSDown)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.pub.PublishEvent(ctx, kind, data)
}
