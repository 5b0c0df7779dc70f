package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/logmask"
)

var upgrader = websocket.Upgrader{
	// Reads go through a 1 KiB buffer of the connection's own (a
	// borrower's frame is a few hundred bytes; a larger one is read past
	// the buffer), not the HTTP server's 4 KiB one, which goes with the
	// handler; writes borrow a buffer from the pool for the length of a
	// message, so an idle chat holds none.
	ReadBufferSize:  1024,
	WriteBufferPool: new(sync.Pool),
	// Origins are checked before the upgrade (checkOrigin), where a refusal
	// can be a JSON 403.
	CheckOrigin: func(*http.Request) bool { return true },
}

// checkOrigin allows requests without an Origin (non-browser clients such
// as a lender's app), the server's own origin, and configured origins.
func (s *Server) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("origin %q: %w", origin, ErrOrigin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return nil
		}
	}
	return fmt.Errorf("origin %q: %w", origin, ErrOrigin)
}

// liveRequest is a borrower's WebSocket request that passed the checks
// every live channel makes before its upgrade, with its conversation open
// on the live layer.
type liveRequest struct {
	claims tokenClaims
	conn   *live.Conn
	// ctx outlives the request's once the socket is hijacked (turns get
	// their own deadlines); cancel ends it.
	ctx    context.Context
	cancel context.CancelFunc
	// done closes the conversation's live connection, ends ctx and
	// releases the admission; the handler defers it.
	done func()
}

// openLive makes the checks of GET /v1/chat and /v1/voice, every refusal a
// JSON HTTP error before the upgrade: not draining, the origin, the
// session token, a WebSocket upgrade, then the channel's own check (nil:
// none; it may set headers such as Retry-After), then admission, which
// comes before any store read so refusing is cheap; then it opens the
// conversation on the live layer. ok is false when it answered already.
func (s *Server) openLive(w http.ResponseWriter, r *http.Request, check func(http.ResponseWriter, tokenClaims) error) (lr liveRequest, ok bool) {
	if s.isDraining() {
		s.writeError(w, r, ErrShuttingDown)
		return lr, false
	}
	if err := s.checkOrigin(r); err != nil {
		s.writeError(w, r, err)
		return lr, false
	}
	claims, err := s.tokens.verify(r.URL.Query().Get("token"), s.clock.Now())
	if err != nil {
		s.writeError(w, r, err)
		return lr, false
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, ErrNotWebSocket)
		return lr, false
	}
	if check != nil {
		if err := check(w, claims); err != nil {
			s.writeError(w, r, err)
			return lr, false
		}
	}
	release, wait, err := s.admit.admit(claims.Conversation, clientIP(r))
	if err != nil {
		retryAfter(w, wait)
		s.writeError(w, r, err)
		return lr, false
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	conn, err := s.live.Open(ctx, claims.Conversation)
	if err != nil {
		cancel()
		release()
		s.writeError(w, r, fmt.Errorf("open conversation: %w", err))
		return lr, false
	}
	return liveRequest{claims: claims, conn: conn, ctx: ctx, cancel: cancel, done: func() {
		// Stop following the handoff before the socket closes.
		conn.Close()
		cancel()
		release()
	}}, true
}

// chat is GET /v1/chat?token=...: every refusal (token, origin, unknown
// conversation) is an HTTP error before the upgrade.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	lr, ok := s.openLive(w, r, nil)
	if !ok {
		return
	}
	claims := lr.claims
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has written the HTTP error.
		s.log.Debug("websocket upgrade failed", "err", err)
		lr.done()
		return
	}
	c := &chatConn{
		s:   s,
		ws:  ws,
		log: s.log.With("conversation", claims.Conversation, "channel", claims.Channel, "account", logmask.Ref(claims.Account)),
	}
	if !s.track(c) {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
		ws.Close()
		lr.done()
		return
	}
	// The chat goes on in a goroutine of its own and the handler returns:
	// the HTTP server's connection goroutine goes, with the stack its
	// request grew and the buffers it held for a response that will not
	// come (its 4 KiB writer and the response's 2 KiB). The socket is
	// hijacked, so the server no longer tracks it; s.track does.
	go func() {
		defer lr.done()
		defer s.untrack(c)
		c.run(lr.ctx, lr.conn)
	}()
}

// chatConn is one borrower's WebSocket: the read loop, ping/pong, and the
// frames of live.Output. Everything else about the conversation (turns,
// replay, de-duplication, status order, the handoff, the drain) is the
// live.Conn's. Writes from the reader, the pinger and the live layer are
// serialised by wmu.
type chatConn struct {
	s   *Server
	ws  *websocket.Conn
	log *slog.Logger

	wmu       sync.Mutex // serialises writes; guards closeSent
	closeSent bool
	draining  atomic.Bool // the live layer asked this connection to go away
}

func (c *chatConn) run(ctx context.Context, conn *live.Conn) {
	cfg := c.s.cfg
	defer c.ws.Close()
	c.ws.SetReadLimit(cfg.MaxFrame)
	// Deadlines are I/O deadlines on the socket and use the wall clock.
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.ws.SetPongHandler(func(string) error {
		if c.draining.Load() {
			return nil
		}
		return c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	})

	defer c.startPings(cfg.PingInterval)()
	// Stop following the handoff before the socket closes.
	defer conn.Close()

	c.log.Info("chat connected")
	if err := onOwnStack(c.log, func() error { return conn.Start(ctx, c) }); err != nil {
		if !errors.Is(err, live.ErrDraining) {
			c.closeWith(websocket.CloseInternalServerErr, "conversation unavailable")
		}
		c.finish()
		return
	}

	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			c.logReadEnd(err)
			return
		}
		if mt != websocket.TextMessage {
			conn.Refuse("", fmt.Errorf("%w: binary frame", ErrBadFrame))
			continue
		}
		f, err := ParseClientFrame(data)
		if err != nil {
			conn.Refuse(f.ID, err)
			continue
		}
		if err := onOwnStack(c.log, func() error { return conn.Handle(ctx, f.Text, f.ID) }); err != nil {
			if errors.Is(err, live.ErrReconnect) {
				c.closeWith(websocket.CloseTryAgainLater, "reconnect")
			}
			c.finish()
			return
		}
	}
}

// onOwnStack runs a turn on a goroutine of its own and waits for it. A
// turn's calls (understanding, the guard, the store) grow the stack of the
// goroutine they run on to 32 KiB and more, and the runtime shrinks a
// stack only at a garbage collection, by half each time: run on the
// reader, they would leave every idle chat holding that stack. Here the
// turn's stack goes with its goroutine and the reader's stays at the
// minimum while it waits for the next frame. Starting a goroutine costs
// about a microsecond against a turn's milliseconds.
//
// A panic in the turn is recovered here, as net/http recovers one in a
// handler: the conversation ends with an error, the server goes on.
func onOwnStack(log *slog.Logger, turn func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("chat turn panicked", "panic", p, "stack", string(debug.Stack()))
				done <- fmt.Errorf("chat turn panicked: %v", p)
			}
		}()
		done <- turn()
	}()
	return <-done
}

// Reply writes a message frame (live.Output).
func (c *chatConn) Reply(m live.Message) error {
	return c.write(MessageFrame{Type: FrameMessage, From: m.From, Name: m.Name, Text: m.Text, Seq: m.Seq})
}

// Status writes a status frame (live.Output).
func (c *chatConn) Status(st live.Status) error {
	return c.write(HandoffStatusFrame{Type: FrameStatus, Mode: st.Mode, Stage: st.Stage, Outcome: st.Outcome, QueuePosition: st.QueuePosition})
}

// Reject writes an error frame (live.Output).
func (c *chatConn) Reject(clientID string, err error) error {
	a := classify(err)
	if a.Status >= 500 {
		c.log.Error("chat turn failed", "err", err)
	} else {
		c.log.Debug("chat frame rejected", "code", a.Code, "err", err)
	}
	return c.write(ErrorFrame{Type: FrameError, Code: a.Code, Message: a.Message, ID: clientID})
}

// GoAway closes the connection with 1001 (live.Output): the server is
// draining. The reader sees the client's close reply, or the grace ends.
func (c *chatConn) GoAway(reason string) {
	c.draining.Store(true)
	c.closeWith(websocket.CloseGoingAway, reason)
	_ = c.ws.SetReadDeadline(time.Now().Add(c.s.cfg.CloseGrace))
}

// write sends one JSON frame under the write mutex.
func (c *chatConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrShuttingDown
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteWait))
	return c.ws.WriteJSON(v)
}

// closeWith sends a close frame once.
func (c *chatConn) closeWith(code int, text string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return
	}
	c.closeSent = true
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(c.s.cfg.WriteWait))
}

// finish waits briefly for the client's close reply so the close is clean.
func (c *chatConn) finish() {
	_ = c.ws.SetReadDeadline(time.Now().Add(c.s.cfg.CloseGrace))
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

// startPings pings the client every interval from a timer rather than a
// goroutine of its own, so an idle chat holds no stack for it. The pings
// stop at the first failed write, or when the returned stop is called;
// stop returns once no ping is being sent.
func (c *chatConn) startPings(every time.Duration) (stop func()) {
	var (
		mu      sync.Mutex // held while a ping is sent; guards stopped
		stopped bool
		t       *time.Timer
	)
	ping := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		c.wmu.Lock()
		var err error
		if !c.closeSent {
			err = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.cfg.WriteWait))
		}
		c.wmu.Unlock()
		if err == nil {
			t.Reset(every)
		}
	}
	mu.Lock()
	t = time.AfterFunc(every, ping)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

func (c *chatConn) logReadEnd(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		c.log.Info("chat closed", "code", ce.Code)
	case errors.Is(err, websocket.ErrReadLimit):
		c.log.Info("chat closed: frame too large", "limit", c.s.cfg.MaxFrame)
	default:
		c.log.Info("chat ended", "err", err)
	}
}
