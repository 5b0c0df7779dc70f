package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
)

// NATSConfig says where NATS is: an embedded server with JetStream stored
// under --data (the default), or an external server or cluster.
type NATSConfig struct {
	// URL of an external server or cluster (comma-separated seeds);
	// COLLECT_NATS_URL or --nats-url. Empty runs the embedded server.
	URL string `yaml:"url"`
	// Port the embedded server listens on for other nodes: 0 (default)
	// only in-process, -1 a free port.
	Port int `yaml:"port"`
	// Prefix of every subject, stream and bucket (default "collect").
	Prefix string `yaml:"prefix"`
	// Replicas of every stream and KV bucket: 1 (default) on one server,
	// 3 on a three-node cluster (COLLECT_NATS_REPLICAS).
	Replicas int `yaml:"replicas"`
	// Auth authenticates to the server (one of user and password, token,
	// nkey seed file, credentials file; secrets are best given as
	// COLLECT_NATS_PASSWORD / COLLECT_NATS_TOKEN); an embedded server that
	// listens on a port requires the user and password or token of every
	// node. TLS encrypts the connection to an external server.
	Auth handoff.AuthConfig `yaml:"auth"`
	TLS  handoff.TLSConfig  `yaml:"tls"`
}

// HandoffConfig times the escalation queue.
type HandoffConfig struct {
	// SLA is how long a case may wait for an agent in business hours
	// before the borrower is offered a callback (default 2m; negative
	// never expires).
	SLA time.Duration `yaml:"sla"`
	// OffHoursSLA applies outside business hours (default 0: at once).
	OffHoursSLA time.Duration `yaml:"off_hours_sla"`
	// BusinessHours are the agents' hours, "09:00-18:00", Monday to
	// Friday in Timezone. Empty: always business hours.
	BusinessHours string `yaml:"business_hours"`
	Timezone      string `yaml:"timezone"`
	// AckWait is how long an agent's claim lives without a renewal.
	AckWait time.Duration `yaml:"ack_wait"`
	// PublishTimeout bounds a publish from a borrower's turn, so an
	// unreachable NATS never stalls a conversation (default 2s).
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// RequeueEvery is how often a node publishes again the escalations
	// the store holds as queued but the case board lacks: those of a node
	// that crashed between committing an escalation and publishing it
	// (default 10s; 0 turns the pass off, leaving it to restarts and
	// reconnects).
	RequeueEvery time.Duration `yaml:"requeue_every"`
}

func defaultHandoffConfig() HandoffConfig {
	return HandoffConfig{SLA: handoff.DefaultSLA, AckWait: handoff.DefaultAckWait, PublishTimeout: 2 * time.Second, RequeueEvery: 10 * time.Second}
}

// businessHours is a parsed HandoffConfig.BusinessHours.
type businessHours struct {
	start, end int // minutes of the day
	loc        *time.Location
}

func parseBusinessHours(spec, tz string) (*businessHours, error) {
	if spec == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, fmt.Errorf("want HH:MM-HH:MM, got %q", spec)
	}
	mins := func(s string) (int, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("want HH:MM-HH:MM, got %q", spec)
		}
		return t.Hour()*60 + t.Minute(), nil
	}
	start, err := mins(a)
	if err != nil {
		return nil, err
	}
	end, err := mins(b)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, fmt.Errorf("%q ends before it starts", spec)
	}
	loc := time.UTC
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("timezone %q: %w", tz, err)
		}
	}
	return &businessHours{start: start, end: end, loc: loc}, nil
}

func (b *businessHours) open(t time.Time) bool {
	if b == nil {
		return true
	}
	lt := t.In(b.loc)
	if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= b.start && m < b.end
}

// slaFunc is the SLA of a case at a time: SLA in business hours,
// OffHoursSLA outside them.
func (h HandoffConfig) slaFunc() (handoff.SLAFunc, error) {
	bh, err := parseBusinessHours(h.BusinessHours, h.Timezone)
	if err != nil {
		return nil, err
	}
	return func(_ handoff.Case, now time.Time) time.Duration {
		if bh.open(now) {
			return h.SLA
		}
		return h.OffHoursSLA
	}, nil
}

// handoffConfigErrors names the fields of a bad NATS or handoff section.
func handoffConfigErrors(n NATSConfig, h HandoffConfig) []string {
	var msgs []string
	if n.Port < -1 || n.Port > 65535 {
		msgs = append(msgs, "nats.port: must be -1..65535")
	}
	if n.Replicas < 0 || n.Replicas > 5 {
		msgs = append(msgs, "nats.replicas: must be 1..5")
	}
	if n.Replicas > 1 && n.URL == "" {
		msgs = append(msgs, "nats.replicas: more than 1 needs a NATS cluster (nats.url)")
	}
	if _, err := h.slaFunc(); err != nil {
		msgs = append(msgs, "handoff.business_hours: "+err.Error())
	}
	if h.AckWait < 100*time.Millisecond {
		msgs = append(msgs, "handoff.ack_wait: must be at least 100ms")
	}
	if h.RequeueEvery < 0 {
		msgs = append(msgs, "handoff.requeue_every: must not be negative")
	}
	if h.PublishTimeout <= 0 {
		msgs = append(msgs, "handoff.publish_timeout: must be positive")
	}
	hc := handoff.Config{URL: n.URL, StoreDir: "-", Auth: n.Auth, TLS: n.TLS}.WithDefaults()
	if err := hc.Validate(); err != nil {
		msg := strings.TrimPrefix(err.Error(), handoff.ErrConfig.Error()+": ")
		switch {
		case strings.HasPrefix(msg, "Auth:"):
			msgs = append(msgs, "nats.auth:"+strings.TrimPrefix(msg, "Auth:"))
		case strings.HasPrefix(msg, "TLS:"):
			msgs = append(msgs, "nats.tls:"+strings.TrimPrefix(msg, "TLS:"))
		}
	}
	return msgs
}

// handoffOf builds the handoff package's configuration.
func handoffOf(cfg *Config) handoff.Config {
	hc := handoff.DefaultConfig()
	hc.URL = cfg.NATS.URL
	hc.Port = cfg.NATS.Port
	hc.Replicas = cfg.NATS.Replicas
	if cfg.NATS.Prefix != "" {
		hc.Prefix = cfg.NATS.Prefix
	}
	hc.StoreDir = filepath.Join(cfg.Data, "nats")
	hc.SLA = cfg.Handoff.SLA
	hc.AckWait = cfg.Handoff.AckWait
	hc.Name = "collectagent"
	hc.Auth, hc.TLS = cfg.NATS.Auth, cfg.NATS.TLS
	return hc
}

// describeNATS is the start-up line about NATS.
func describeNATS(hc handoff.Config, sys *handoff.System) string {
	if sys.Server != nil {
		if u := sys.ClientURL(); u != "" {
			return fmt.Sprintf("handoff: embedded NATS with JetStream (store %s), other nodes join at %s, prefix %q", hc.StoreDir, u, hc.Prefix)
		}
		return fmt.Sprintf("handoff: embedded NATS with JetStream (store %s), prefix %q", hc.StoreDir, hc.Prefix)
	}
	return fmt.Sprintf("handoff: NATS at %s, prefix %q", safeNATSURL(hc.URL), hc.Prefix)
}

// safeNATSURL drops credentials from NATS URLs.
func safeNATSURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if sch := strings.Index(p, "://"); sch >= 0 && sch < at {
				p = p[:sch+3] + p[at+1:]
			} else {
				p = p[at+1:]
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// failFastPublisher is the runtime's Publisher on NATS: it refuses at once
// while the connection is down and bounds each publish, so a borrower's
// turn never waits on the broker. The store keeps a refused escalation
// "queued"; the requeuer publishes it again once NATS is back.
type failFastPublisher struct {
	pub     *handoff.Publisher
	nc      *nats.Conn
	timeout time.Duration
	log     *slog.Logger
}

var errNATSDown = errors.New("nats not connected")

func (p *failFastPublisher) PublishEscalation(ctx context.Context, e store.Escalation) error {
	if !p.nc.IsConnected() {
		return fmt.Errorf("%w: escalation %s: %w", handoff.ErrPublish, e.ID, errNATSDown)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.pub.PublishEscalation(ctx, e)
}

func (p *failFastPublisher) PublishEvent(ctx context.Context, kind string, data any) error {
	if !p.nc.IsConnected() {
		return fmt.Errorf("%w: event %s: %w", handoff.ErrPublish, kind, errNATSDown)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.pub.PublishEvent(ctx, kind, data)
}

// handoffNode is serve's handoff: NATS (embedded or external), the node,
// its queue and SLA watcher, the callback offers and the requeuer.
type handoffNode struct {
	cfg   handoff.Config
	sys   *handoff.System // nil when the caller owns NATS (tests)
	node  *handoff.Node
	queue *handoff.Queue
	pub   *failFastPublisher
	sla   handoff.SLAFunc
	clock bot.Clock
	log   *slog.Logger

	// requeueEvery paces the pass that publishes what a crashed node left
	// in the store unpublished (0: none).
	requeueEvery time.Duration

	cancel context.CancelFunc
	wg     sync.WaitGroup
	stops  []func()
	once   sync.Once
}

// startHandoff starts NATS and the node; run starts the work that needs
// the runtime.
func startHandoff(ctx context.Context, cfg *Config, clock bot.Clock, log *slog.Logger) (*handoffNode, error) {
	hc := handoffOf(cfg)
	sla, err := cfg.Handoff.slaFunc()
	if err != nil {
		return nil, fmt.Errorf("handoff.business_hours: %w", err)
	}
	hlog := log.With("component", "handoff")
	sys, err := handoff.Start(ctx, hc, handoff.Deps{Logger: hlog, Clock: clock})
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	q, err := sys.StartQueue(ctx, handoff.QueueOptions{})
	if err != nil {
		sys.Close()
		return nil, fmt.Errorf("handoff queue: %w", err)
	}
	h := newHandoffNode(sys.Node, q, sla, cfg.Handoff.PublishTimeout, clock, hlog)
	h.requeueEvery = cfg.Handoff.RequeueEvery
	h.sys = sys
	return h, nil
}

// newHandoffNode wraps an open node and its queue.
func newHandoffNode(n *handoff.Node, q *handoff.Queue, sla handoff.SLAFunc, publishTimeout time.Duration, clock bot.Clock, log *slog.Logger) *handoffNode {
	return &handoffNode{
		cfg: n.Config(), node: n, queue: q, sla: sla, clock: clock, log: log,
		pub: &failFastPublisher{pub: n.Publisher(), nc: n.Conn(), timeout: publishTimeout, log: log},
	}
}

// Publisher is the runtime's publisher.
func (h *handoffNode) Publisher() bot.Publisher { return h.pub }

// run starts the SLA watcher, the callback offers on expiry and the
// requeuer. Close stops them.
func (h *handoffNode) run(rt *bot.Runtime, st store.Store, br *live.Bridge) error {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	w := h.queue.SLAWatcher(handoff.SLAOptions{SLA: h.sla})
	h.wg.Add(1)
	go func() { defer h.wg.Done(); _ = w.Run(ctx) }()

	stop, err := h.node.OnCaseEvents(ctx, "callbacks", func(ctx context.Context, ev handoff.Event, ce handoff.CaseEvent) error {
		return h.onCaseEvent(ctx, rt, st, br, ev, ce)
	})
	if err != nil {
		cancel()
		h.wg.Wait()
		return fmt.Errorf("handoff events: %w", err)
	}
	h.stops = append(h.stops, stop)

	nc := h.node.Conn()
	if h.requeueEvery > 0 {
		// Another node may have died between committing an escalation
		// and publishing it; this node's connection never dropped, so
		// the reconnect pass below would not see it. Publishing is
		// idempotent by escalation id.
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			tick := time.NewTicker(h.requeueEvery)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if !nc.IsConnected() {
					continue
				}
				n, err := requeue(ctx, st, h.pub, h.queue, h.log)
				switch {
				case err != nil:
					h.log.Debug("periodic requeue failed", "err", err)
				case n > 0:
					h.log.Info("escalations left unpublished by a node published from the store", "count", n)
				}
			}
		}()
	}
	changed := nc.StatusChanged(nats.CONNECTED)
	h.stops = append(h.stops, func() { nc.RemoveStatusListener(changed) })
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		// At start (escalations a previous run could not publish) and
		// after every reconnect; a failed pass (JetStream still
		// recovering) is retried while connected.
		var retry <-chan time.Time
		for {
			// The server may have lost its data: recreate the streams
			// and the board, then put back what the store says is open.
			_, err := h.node.Ensure(ctx)
			if err == nil {
				err = reclaim(ctx, rt, st, br, h.queue, h.log)
			}
			n := 0
			if err == nil {
				n, err = requeue(ctx, st, h.pub, h.queue, h.log)
			}
			retry = nil
			switch {
			case err != nil:
				h.log.Warn("requeue from the store failed", "err", err)
				retry = time.After(h.cfg.ReconnectWait)
			case n > 0:
				h.log.Info("escalations published again from the store", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changed:
				if !ok {
					return
				}
			case <-retry:
			}
		}
	}()
	return nil
}

// onCaseEvent offers a callback when a case expired, puts the conversation
// back to waiting when an agent's claim lapsed or was released (any node
// may: both commit through the store and reach the borrower over the
// bridge), and records a failed case in the store.
func (h *handoffNode) onCaseEvent(ctx context.Context, rt *bot.Runtime, st store.Store, br *live.Bridge, ev handoff.Event, ce handoff.CaseEvent) error {
	switch ev.Kind {
	case handoff.EventExpired:
		sess, err := rt.Open(ctx, ce.ConversationID)
		if err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				return nil
			}
			return err
		}
		out, err := sess.OfferCallback(ctx)
		if errors.Is(err, bot.ErrWrongMode) {
			return nil // a person joined meanwhile, or the conversation ended
		}
		if err != nil {
			return err
		}
		if len(out.Replies) > 0 {
			if err := br.Deliver(ctx, ce.ConversationID, out); err != nil {
				// Recorded; the borrower sees it on reconnecting.
				h.log.Warn("callback offer not delivered live", "err", err)
			}
		}
	case handoff.EventRequeued, handoff.EventReleased:
		// The agent's claim lapsed (a console died) or the agent put the
		// case back: the borrower is waiting for a person again.
		sess, err := rt.Open(ctx, ce.ConversationID)
		if err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				return nil
			}
			return err
		}
		out, err := sess.Requeue(ctx, "")
		if err != nil {
			return err
		}
		if len(out.Replies) > 0 {
			if err := br.Deliver(ctx, ce.ConversationID, out); err != nil {
				h.log.Warn("requeue notice not delivered live", "err", err)
			}
		}
	case handoff.EventFailed:
		es, err := st.ListEscalations(ctx, store.EscalationFilter{ConversationID: ce.ConversationID})
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.ID == ce.EscalationID && (e.Status == "queued" || e.Status == "initiated") {
				e.Status, e.UpdatedAt = "failed", h.clock.Now().UTC()
				if err := st.UpdateEscalation(ctx, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reclaim puts back in the queue the conversations an agent held whose
// case is no longer on the board (the NATS server lost its data): the
// borrower is told they wait for a person again, the escalation is queued
// in the store, and requeue publishes it.
func reclaim(ctx context.Context, rt *bot.Runtime, st store.Store, br *live.Bridge, q *handoff.Queue, log *slog.Logger) error {
	es, err := st.ListEscalations(ctx, store.EscalationFilter{Status: "accepted"})
	if err != nil {
		return fmt.Errorf("list claimed escalations: %w", err)
	}
	for _, e := range es {
		if _, err := q.Get(ctx, e.ID); err == nil {
			continue
		} else if !errors.Is(err, handoff.ErrNotFound) {
			return fmt.Errorf("board: %w", err)
		}
		sess, err := rt.Open(ctx, e.ConversationID)
		if err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				continue
			}
			return err
		}
		out, err := sess.Requeue(ctx, "")
		if err != nil {
			return fmt.Errorf("requeue %s: %w", e.ConversationID, err)
		}
		log.Warn("a claimed case was lost from the board; back in the queue", "escalation", e.ID)
		if len(out.Replies) > 0 && br != nil {
			if err := br.Deliver(ctx, e.ConversationID, out); err != nil {
				log.Warn("requeue notice not delivered live", "err", err)
			}
		}
	}
	return nil
}

// requeue publishes again the escalations the store holds as queued, whose
// conversation still waits for a person, and that are not on the case
// board (their publish failed while NATS was down). Publishing is
// idempotent by escalation id, so a case that is on its way is not doubled.
func requeue(ctx context.Context, st store.Store, pub bot.Publisher, q *handoff.Queue, log *slog.Logger) (int, error) {
	es, err := st.ListEscalations(ctx, store.EscalationFilter{Status: "queued"})
	if err != nil {
		return 0, fmt.Errorf("list queued escalations: %w", err)
	}
	n := 0
	for _, e := range es {
		if _, err := q.Get(ctx, e.ID); err == nil {
			continue
		} else if !errors.Is(err, handoff.ErrNotFound) {
			return n, fmt.Errorf("board: %w", err)
		}
		c, err := st.GetConversation(ctx, e.ConversationID)
		if err != nil || c.Mode != store.ModeWaitingAgent {
			continue
		}
		if err := pub.PublishEscalation(ctx, e); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Close stops the watcher, the event consumer and the requeuer, then the
// node, its connection and the embedded server. Idempotent.
func (h *handoffNode) Close() error {
	var err error
	h.once.Do(func() {
		if h.cancel != nil {
			h.cancel()
		}
		for _, stop := range h.stops {
			stop()
		}
		h.wg.Wait()
		if h.sys != nil {
			err = h.sys.Close()
		} else {
			err = h.queue.Close()
		}
	})
	return err
}
