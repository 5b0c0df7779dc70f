package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/clock"
)

// Deps are a node's collaborators.
type Deps struct {
	Logger *slog.Logger // nil discards
	Clock  clock.Clock  // nil is the system clock
}

// Node is one process's handle on the handoff streams: it publishes
// escalations and events, bridges messages and serves the queue. Every
// method is safe for concurrent use.
type Node struct {
	cfg   Config
	names names
	nc    *nats.Conn
	js    jetstream.JetStream
	cases jetstream.KeyValue
	log   *slog.Logger
	clock clock.Clock

	mu     sync.Mutex
	closed bool
	queues []*Queue
}

// opTimeout bounds one JetStream call made without a caller's context
// (inside consumer callbacks).
const opTimeout = 5 * time.Second

// drainTimeout bounds System.Close's wait for the connection to drain.
const drainTimeout = 5 * time.Second

// Open validates cfg, then creates or updates the streams, the case
// bucket and the intake consumer (idempotent: every node calls it at
// start). The caller keeps ownership of nc.
func Open(ctx context.Context, nc *nats.Conn, cfg Config, deps Deps) (*Node, error) {
	cfg = cfg.WithDefaults()
	if cfg.URL == "" && cfg.StoreDir == "" {
		// The embedded server's directory does not matter to a node.
		cfg.StoreDir = "-"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = clock.System{}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStream, err)
	}
	n := &Node{cfg: cfg, names: namesFor(cfg.Prefix), nc: nc, js: js, log: deps.Logger.With("component", "handoff"), clock: deps.Clock}
	if err := n.setup(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// Ensure creates whatever of the node's streams, case bucket and intake
// consumer the server lacks (it lost its data, say) and reports whether
// anything was missing. Queues call it after every reconnect; the store
// is the source of truth for what the recreated streams should hold
// (cmd/collectagent publishes open escalations again).
func (n *Node) Ensure(ctx context.Context) (recreated bool, err error) {
	if _, err := n.js.Stream(ctx, n.names.handoff); errors.Is(err, jetstream.ErrStreamNotFound) {
		recreated = true
	}
	if _, err := n.js.KeyValue(ctx, n.names.cases); errors.Is(err, jetstream.ErrBucketNotFound) {
		recreated = true
	}
	if err := n.setup(ctx); err != nil {
		return recreated, err
	}
	if recreated {
		n.log.Warn("NATS had lost the handoff's streams or case board; recreated them")
	}
	return recreated, nil
}

func (n *Node) setup(ctx context.Context) error {
	c, nm := n.cfg, n.names
	streams := []jetstream.StreamConfig{{
		// One message per escalation until an intake takes it into the
		// case bucket and acknowledges it.
		Name:        nm.handoff,
		Description: "escalations waiting to be taken into the case board",
		Subjects:    []string{nm.handoffSubj},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		Duplicates:  c.DedupeWindow,
		Discard:     jetstream.DiscardOld,
	}, {
		Name:        nm.conv,
		Description: "live messages between borrowers and agents, kept for replay",
		Subjects:    []string{nm.convSubj},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		MaxAge:      c.BridgeMaxAge,
		Duplicates:  c.DedupeWindow,
	}, {
		Name:        nm.events,
		Description: "lifecycle and analytics events",
		Subjects:    []string{nm.eventsSubj},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		MaxAge:      c.EventsMaxAge,
		Duplicates:  c.DedupeWindow,
	}}
	for _, sc := range streams {
		if _, err := n.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("%w: stream %s: %w", ErrStream, sc.Name, err)
		}
	}
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      nm.cases,
		Description: "the case board: one key per escalation",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		// No per-key TTLs (servers before 2.11 lack them): the SLA
		// watcher drops finished cases after FinishedTTL.
	})
	if err != nil {
		return fmt.Errorf("%w: bucket %s: %w", ErrStream, nm.cases, err)
	}
	if n.cases == nil {
		// A KeyValue handle names its bucket; the one made at Open serves
		// a recreated bucket too.
		n.cases = kv
	}
	_, err = n.js.CreateOrUpdateConsumer(ctx, nm.handoff, jetstream.ConsumerConfig{
		Durable:       nm.intake,
		Description:   "takes escalations into the case board",
		FilterSubject: nm.handoffSubj,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("%w: consumer %s: %w", ErrStream, nm.intake, err)
	}
	return nil
}

// Config returns the node's configuration, defaults applied.
func (n *Node) Config() Config { return n.cfg }

// Conn returns the node's NATS connection.
func (n *Node) Conn() *nats.Conn { return n.nc }

// JetStream returns the node's JetStream handle.
func (n *Node) JetStream() jetstream.JetStream { return n.js }

// EventSubject is the subject of an event kind ("handoff.accepted"), for
// callers that watch NATS directly.
func (n *Node) EventSubject(kind string) string { return n.names.eventSubject(kind) }

// EscalationSubject is the subject escalations of a priority go to.
func (n *Node) EscalationSubject(priority int) string { return n.names.handoffSubject(priority) }

// ConversationSubject is the subject of one side of a conversation.
func (n *Node) ConversationSubject(convID string, side Side) string {
	return n.names.convSubject(convID, side)
}

// Close stops the node's queues. It does not close the connection.
// Idempotent.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	qs := n.queues
	n.queues = nil
	n.mu.Unlock()
	var errs []error
	for _, q := range qs {
		errs = append(errs, q.Close())
	}
	return errors.Join(errs...)
}

func (n *Node) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// Destroy deletes the node's streams and bucket with everything in them:
// for tests and for tearing down a prefix on a shared server.
func (n *Node) Destroy(ctx context.Context) error { return Destroy(ctx, n.js, n.cfg.Prefix) }

// Destroy deletes a prefix's streams and bucket, those that exist.
func Destroy(ctx context.Context, js jetstream.JetStream, prefix string) error {
	nm := namesFor(prefix)
	var errs []error
	for _, s := range []string{nm.handoff, nm.conv, nm.events} {
		if err := js.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	if err := js.DeleteKeyValue(ctx, nm.cases); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// System is a node with its connection and, when no URL is configured,
// its embedded server: what `serve` starts.
type System struct {
	*Node
	Server *server.Server // nil with an external server
	once   sync.Once
	err    error
}

// Start runs the embedded server when cfg.URL is empty, connects, and
// opens the node.
func Start(ctx context.Context, cfg Config, deps Deps) (*System, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var srv *server.Server
	if cfg.URL == "" {
		var err error
		if srv, err = StartEmbedded(cfg, deps.Logger); err != nil {
			return nil, err
		}
	}
	nc, err := Connect(ctx, cfg, srv, deps.Logger)
	if err != nil {
		if srv != nil {
			srv.Shutdown()
		}
		return nil, err
	}
	node, err := Open(ctx, nc, cfg, deps)
	if err != nil {
		nc.Close()
		if srv != nil {
			srv.Shutdown()
		}
		return nil, err
	}
	return &System{Node: node, Server: srv}, nil
}

// ClientURL is the URL other nodes can connect to: the embedded server's
// when it listens on TCP, else the configured URL, else "".
func (s *System) ClientURL() string {
	if s.Server != nil {
		if s.cfg.Port == 0 {
			return ""
		}
		return s.Server.ClientURL()
	}
	return s.cfg.URL
}

// Close stops the queues, drains the connection and shuts the embedded
// server down. Idempotent.
func (s *System) Close() error {
	s.once.Do(func() {
		s.err = s.Node.Close()
		if err := s.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			s.err = errors.Join(s.err, err)
		}
		// Drain is asynchronous: wait for it, bounded.
		deadline := time.Now().Add(drainTimeout)
		for !s.nc.IsClosed() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		s.nc.Close()
		if s.Server != nil {
			s.Server.Shutdown()
			s.Server.WaitForShutdown()
		}
	})
	return s.err
}
