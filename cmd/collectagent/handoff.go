package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/casework"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
)

// NATSConfig and HandoffConfig are the nats and handoff sections of the
// configuration; package handoff owns them.
type (
	NATSConfig    = handoff.NATSConfig
	HandoffConfig = handoff.CaseConfig
)

func defaultHandoffConfig() HandoffConfig { return handoff.DefaultCaseConfig() }

// handoffOf builds the handoff package's configuration.
func handoffOf(cfg *Config) handoff.Config {
	return handoff.NodeConfig(cfg.NATS, cfg.Handoff, filepath.Join(cfg.Data, "nats"))
}

// describeNATS is the start-up line about NATS.
func describeNATS(hc handoff.Config, sys *handoff.System) string {
	if sys.Server != nil {
		if u := sys.ClientURL(); u != "" {
			return fmt.Sprintf("handoff: embedded NATS with JetStream (store %s), other nodes join at %s, prefix %q", hc.StoreDir, u, hc.Prefix)
		}
		return fmt.Sprintf("handoff: embedded NATS with JetStream (store %s), prefix %q", hc.StoreDir, hc.Prefix)
	}
	return fmt.Sprintf("handoff: NATS at %s, prefix %q", handoff.SafeURL(hc.URL), hc.Prefix)
}

// handoffNode is serve's handoff: NATS (embedded or external), the node,
// its queue, and the case work (package casework).
type handoffNode struct {
	cfg   handoff.Config
	sys   *handoff.System // nil when the caller owns NATS (tests)
	node  *handoff.Node
	queue *handoff.Queue
	pub   *handoff.FailFastPublisher
	sla   handoff.SLAFunc
	clock clock.Clock
	log   *slog.Logger

	// requeueEvery paces the pass that publishes what a crashed node left
	// in the store unpublished (0: none).
	requeueEvery time.Duration

	work  *casework.Worker
	relay *handoff.Relay
	once  sync.Once
}

// startHandoff starts NATS and the node; run starts the work that needs
// the runtime.
func startHandoff(ctx context.Context, cfg *Config, clk clock.Clock, log *slog.Logger) (*handoffNode, error) {
	hc := handoffOf(cfg)
	sla, err := cfg.Handoff.SLAFunc()
	if err != nil {
		return nil, fmt.Errorf("handoff.business_hours: %w", err)
	}
	hlog := log.With("component", "handoff")
	sys, err := handoff.Start(ctx, hc, handoff.Deps{Logger: hlog, Clock: clk})
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	q, err := sys.StartQueue(ctx, handoff.QueueOptions{})
	if err != nil {
		sys.Close()
		return nil, fmt.Errorf("handoff queue: %w", err)
	}
	h := newHandoffNode(sys.Node, q, sla, cfg.Handoff.PublishTimeout, clk, hlog)
	h.requeueEvery = cfg.Handoff.RequeueEvery
	h.sys = sys
	return h, nil
}

// newHandoffNode wraps an open node and its queue.
func newHandoffNode(n *handoff.Node, q *handoff.Queue, sla handoff.SLAFunc, publishTimeout time.Duration, clk clock.Clock, log *slog.Logger) *handoffNode {
	return &handoffNode{
		cfg: n.Config(), node: n, queue: q, sla: sla, clock: clk, log: log,
		pub: n.NewFailFastPublisher(publishTimeout),
	}
}

// Publisher is the runtime's publisher.
func (h *handoffNode) Publisher() bot.Publisher { return h.pub }

// Relay starts the relay publishing st's event outbox; Close stops it.
func (h *handoffNode) Relay(st store.Store) bot.EventRelay {
	h.relay = h.node.StartRelay(st, handoff.RelayOptions{})
	return h.relay
}

// run starts the case work: the SLA watcher, the callback offers on
// expiry, the requeues. Close stops it.
func (h *handoffNode) run(rt *bot.Runtime, st store.Store, br *live.Bridge) error {
	var d casework.Deliverer
	if br != nil {
		d = br
	}
	w, err := casework.Start(casework.Config{SLA: h.sla, RequeueEvery: h.requeueEvery},
		casework.Deps{Node: h.node, Queue: h.queue, Runtime: rt, Store: st, Publisher: h.pub, Deliverer: d, Clock: h.clock, Logger: h.log})
	if err != nil {
		return fmt.Errorf("handoff: %w", err)
	}
	h.work = w
	return nil
}

// Close stops the case work, then the node, its connection and the
// embedded server. Idempotent.
func (h *handoffNode) Close() error {
	var err error
	h.once.Do(func() {
		if h.relay != nil {
			_ = h.relay.Close() // what it could not publish waits in the store
		}
		if h.work != nil {
			h.work.Close()
		}
		if h.sys != nil {
			err = h.sys.Close()
		} else {
			err = h.queue.Close()
		}
	})
	return err
}
