package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/logmask"
	"github.com/collectagent/collectagent/ratelimit"
)

// Config paces and bounds a hub's connections.
type Config struct {
	// TurnTimeout bounds one turn (and the greeting), store and model
	// calls included.
	TurnTimeout time.Duration
	// RatePerSecond and RateBurst pace each connection's borrower
	// messages (a token bucket); a message over the pace is rejected
	// with ErrRateLimited. Zero RatePerSecond paces nothing.
	RatePerSecond float64
	RateBurst     int
}

// Observer receives a measurement per borrower turn (the metrics package
// satisfies it).
type Observer interface {
	ObserveTurn(channel, locale string, d time.Duration, ok bool)
}

// Deps are a hub's collaborators, wired by cmd/collectagent.
type Deps struct {
	Runtime *bot.Runtime
	// Bridge follows the handoff over NATS; nil: no handoff (a
	// conversation waiting for a person shows its status only).
	Bridge   *Bridge
	Clock    clock.Clock  // nil means the system clock
	Logger   *slog.Logger // nil discards
	Observer Observer     // nil records nothing
}

// Hub holds a node's live connections: it opens them and drains them on
// shutdown. It is safe for concurrent use.
type Hub struct {
	cfg   Config
	rt    *bot.Runtime
	br    *Bridge
	clock clock.Clock
	log   *slog.Logger
	obs   Observer

	mu       sync.Mutex // guards conns, draining
	conns    map[*Conn]struct{}
	draining bool
	gone     *sync.Cond // signalled when a connection is closed
}

// New returns a hub.
func New(cfg Config, d Deps) (*Hub, error) {
	if d.Runtime == nil {
		return nil, fmt.Errorf("%w: a runtime is required", ErrBadConfig)
	}
	if cfg.TurnTimeout <= 0 {
		return nil, fmt.Errorf("%w: TurnTimeout must be positive", ErrBadConfig)
	}
	if cfg.RatePerSecond < 0 || (cfg.RatePerSecond > 0 && cfg.RateBurst < 1) {
		return nil, fmt.Errorf("%w: RatePerSecond must not be negative, RateBurst at least 1 when pacing", ErrBadConfig)
	}
	h := &Hub{cfg: cfg, rt: d.Runtime, br: d.Bridge, clock: d.Clock, log: d.Logger, obs: d.Observer, conns: map[*Conn]struct{}{}}
	if h.clock == nil {
		h.clock = clock.System{}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.gone = sync.NewCond(&h.mu)
	return h, nil
}

// Bridge is the hub's handoff bridge; nil without a handoff.
func (h *Hub) Bridge() *Bridge { return h.br }

// Open resumes the conversation for a new connection. Nothing is shown
// yet (Start does): a channel can still refuse the client in its own
// terms when Open fails (bot.ErrNotFound for an unknown conversation).
// ctx bounds the open only; the connection lives until Close.
func (h *Hub) Open(ctx context.Context, conversationID string) (*Conn, error) {
	sess, err := h.rt.Open(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	conv := sess.Conversation()
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &Conn{
		h: h, sess: sess, ctx: cctx, cancel: cancel,
		log:     h.log.With("conversation", conv.ID, "channel", conv.Channel, "account", logmask.Ref(conv.AccountID)),
		seen:    make(map[int64]bool),
		seenIDs: make(map[string]bool),
	}
	if h.cfg.RatePerSecond > 0 {
		c.limiter = ratelimit.New(h.cfg.RatePerSecond, h.cfg.RateBurst, h.clock.Now())
	}
	return c, nil
}

// register adds a started connection; false once draining.
func (h *Hub) register(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *Hub) unregister(c *Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.gone.Broadcast()
}

// Len is the number of started connections not yet closed.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Draining reports whether Drain was called.
func (h *Hub) Draining() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.draining
}

// Drain starts the shutdown: no connection starts any more; an idle one
// is told to go away now, a busy one once its turn's replies are shown.
// It does not wait (Shutdown does). Idempotent.
func (h *Hub) Drain() {
	h.mu.Lock()
	h.draining = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}
}

// Shutdown drains the hub and waits until every connection is closed, or
// ctx ends (its error is returned then).
func (h *Hub) Shutdown(ctx context.Context) error {
	h.Drain()
	stop := context.AfterFunc(ctx, func() {
		h.mu.Lock()
		h.gone.Broadcast()
		h.mu.Unlock()
	})
	defer stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.conns) > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("live drain: %w", ctx.Err())
		}
		h.gone.Wait()
	}
	return nil
}
