package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/logmask"
	"github.com/collectagent/collectagent/store"
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
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

// chat is GET /v1/chat?token=...: every refusal (token, origin, unknown
// conversation) is an HTTP error before the upgrade.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if s.isDraining() {
		s.writeError(w, r, ErrShuttingDown)
		return
	}
	if err := s.checkOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	claims, err := s.tokens.verify(r.URL.Query().Get("token"), s.clock.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, ErrNotWebSocket)
		return
	}
	// Admission comes before any store read, so refusing is cheap.
	release, wait, err := s.admit.admit(claims.Conversation, clientIP(r))
	if err != nil {
		retryAfter(w, wait)
		s.writeError(w, r, err)
		return
	}
	defer release()
	// The connection outlives the request's context once hijacked; turns
	// get their own deadlines.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	sess, err := s.rt.Open(ctx, claims.Conversation)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("open conversation: %w", err))
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has written the HTTP error.
		s.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	c := &chatConn{
		s:       s,
		ws:      ws,
		log:     s.log.With("conversation", claims.Conversation, "channel", claims.Channel, "account", logmask.Ref(claims.Account)),
		seen:    make(map[int64]bool),
		seenIDs: make(map[string]bool),
	}
	if !s.track(c) {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
		ws.Close()
		return
	}
	defer s.untrack(c)
	c.run(ctx, sess)
}

// chatConn is one borrower's WebSocket. Its reader goroutine (run) owns the
// bot.Session; writes from the reader, the pinger, the handoff link and
// Shutdown are serialised by wmu.
type chatConn struct {
	s   *Server
	ws  *websocket.Conn
	log *slog.Logger

	wmu       sync.Mutex // serialises writes; guards closeSent, seen, seenIDs, status, statusVer
	closeSent bool
	// seen and seenIDs are the turns (by sequence) and bridge messages
	// (by id) already shown: a replay or a redelivery shows nothing twice.
	seen      map[int64]bool
	seenIDs   map[string]bool
	status    HandoffStatusFrame // the last status shown
	statusVer int64              // the conversation version it came from

	// link is the handoff bridge while the conversation is (or was) with
	// a person; owned by the reader. stale is set by the link when another
	// node changed the conversation: the reader reloads the session before
	// its next turn.
	link  *link
	stale atomic.Bool
	// ctx lives as long as the connection (turns have shorter ones).
	ctx context.Context

	stmu     sync.Mutex // guards busy and draining
	busy     bool       // a turn is in progress
	draining bool       // Shutdown asked this connection to go away
}

func (c *chatConn) run(ctx context.Context, sess *bot.Session) {
	cfg := c.s.cfg
	c.ctx = ctx
	defer c.ws.Close()
	c.ws.SetReadLimit(cfg.MaxFrame)
	// Deadlines are I/O deadlines on the socket and use the wall clock.
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.ws.SetPongHandler(func(string) error {
		if c.isDraining() {
			return nil
		}
		return c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	})

	stopPing := make(chan struct{})
	var pingWG sync.WaitGroup
	pingWG.Add(1)
	go func() { defer pingWG.Done(); c.pingLoop(stopPing) }()
	defer func() { close(stopPing); pingWG.Wait() }()
	defer func() {
		if c.link != nil {
			c.link.stop()
		}
	}()

	c.log.Info("chat connected")
	if !c.beginTurn() {
		c.finish()
		return
	}
	err := c.greet(ctx, sess)
	c.endTurn()
	if err != nil {
		c.log.Error("chat greeting failed", "err", err)
		c.sendError(err, "")
		c.closeWith(websocket.CloseInternalServerErr, "conversation unavailable")
		c.finish()
		return
	}
	if c.isDraining() {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
		c.finish()
		return
	}
	c.follow(ctx, sess)

	limiter := newBucket(cfg.RatePerSecond, cfg.RateBurst, c.s.clock.Now())
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			c.logReadEnd(err)
			return
		}
		if !limiter.allow(c.s.clock.Now()) {
			c.sendError(ErrRateLimited, "")
			continue
		}
		if mt != websocket.TextMessage {
			c.sendError(fmt.Errorf("%w: binary frame", ErrBadFrame), "")
			continue
		}
		f, err := ParseClientFrame(data)
		if err != nil {
			c.sendError(err, f.ID)
			continue
		}
		if !c.beginTurn() {
			c.closeWith(websocket.CloseGoingAway, "server shutting down")
			c.finish()
			return
		}
		fatal := c.turn(ctx, sess, f)
		c.endTurn()
		if fatal != nil {
			c.closeWith(websocket.CloseTryAgainLater, "reconnect")
			c.finish()
			return
		}
		if c.isDraining() {
			c.closeWith(websocket.CloseGoingAway, "server shutting down")
			c.finish()
			return
		}
	}
}

// greet replays the conversation so far, lets the bot speak first on a new
// conversation, and reports the status.
func (c *chatConn) greet(ctx context.Context, sess *bot.Session) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.TurnTimeout)
	defer cancel()
	hist, err := sess.History(ctx)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	for _, r := range hist {
		if err := c.writeMessage(MessageFrame{Type: FrameMessage, From: r.From, Name: r.Name, Text: r.Text, Seq: r.Seq}, ""); err != nil {
			return nil // the client went away; the reader will notice
		}
	}
	out, err := sess.Start(ctx)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if len(out.Replies) == 0 && len(hist) == 0 {
		// Another connection greeted first: show its greeting, read back
		// with the session (writeMessage drops what was shown).
		more, _ := sess.History(ctx)
		out.Replies = more
	}
	c.deliver(out, sess)
	return nil
}

// turn handles one borrower message. It returns an error only when the
// connection must close (the conversation moved on elsewhere).
func (c *chatConn) turn(ctx context.Context, sess *bot.Session, f ClientFrame) error {
	if sess.Status().Mode == store.ModeEnded {
		c.sendError(bot.ErrEnded, f.ID)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.TurnTimeout)
	defer cancel()
	if c.stale.Swap(false) {
		// Another node (an agent's) changed the conversation.
		if err := sess.Reload(ctx); err != nil {
			c.sendError(err, f.ID)
			return nil
		}
	}
	before := sess.Status().Mode
	start := time.Now()
	out, err := sess.Handle(ctx, bot.Message{Text: f.Text, MessageID: f.ID})
	if c.s.observer != nil {
		conv := sess.Conversation()
		c.s.observer.ObserveTurn(conv.Channel, conv.Locale, time.Since(start), err == nil)
	}
	if err != nil {
		c.sendError(err, f.ID)
		if errors.Is(err, store.ErrConflict) {
			return err
		}
		return nil
	}
	c.deliver(out, sess)
	c.afterTurn(ctx, sess, before, out)
	return nil
}

// deliver writes a turn's replies, then its status.
func (c *chatConn) deliver(out bot.Output, sess *bot.Session) {
	for _, r := range out.Replies {
		if c.writeMessage(MessageFrame{Type: FrameMessage, From: r.From, Name: r.Name, Text: r.Text, Seq: r.Seq}, "") != nil {
			return
		}
	}
	st := out.Status
	c.writeStatus(HandoffStatusFrame{Type: FrameStatus, Mode: st.Mode, Stage: st.Stage, Outcome: st.Outcome}, sess.Conversation().Version, true)
}

// afterTurn follows the handoff after a turn: a borrower's message the bot
// only recorded (a person holds, or is about to hold, the conversation)
// goes to the agent's side of the bridge; a new escalation that cannot
// reach the queue right now is said so honestly.
func (c *chatConn) afterTurn(ctx context.Context, sess *bot.Session, before string, out bot.Output) {
	b := c.s.bridge
	if b == nil {
		return
	}
	mode := out.Status.Mode
	waiting := mode == store.ModeWaitingAgent || mode == store.ModeAgent
	if waiting && before == store.ModeBot && !b.Connected() {
		text := unqueuedNotice[sess.Conversation().Locale]
		if text == "" {
			text = unqueuedNotice["en-US"]
		}
		_ = c.writeMessage(MessageFrame{Type: FrameMessage, From: bot.FromSystem, Text: text}, "")
	}
	c.follow(ctx, sess)
	if c.link == nil || !waiting || len(out.Replies) > 0 {
		return
	}
	hist, _ := sess.History(ctx)
	for i := len(hist) - 1; i >= 0; i-- {
		if r := hist[i]; r.From == bot.FromBorrower {
			c.link.forward(handoff.Message{ID: replyID(sess.ID(), r.Seq), Type: handoff.TypeMessage, From: bot.FromBorrower, Text: r.Text})
			return
		}
	}
}

// follow starts the handoff link once the conversation is with (or
// waiting for) a person, and asks it to show the queue position.
func (c *chatConn) follow(ctx context.Context, sess *bot.Session) {
	b := c.s.bridge
	if b == nil {
		return
	}
	if c.link == nil {
		switch sess.Status().Mode {
		case store.ModeWaitingAgent, store.ModeAgent:
		default:
			return
		}
		c.link = b.startLink(c.ctx, c, sess.ID())
		return
	}
	c.link.kick()
}

// writeMessage writes a message frame unless its turn (seq) or bridge
// message (id) was shown already.
func (c *chatConn) writeMessage(f MessageFrame, id string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if (f.Seq > 0 && c.seen[f.Seq]) || (id != "" && c.seenIDs[id]) {
		return nil
	}
	if err := c.writeLocked(f); err != nil {
		return err
	}
	if f.Seq > 0 {
		c.seen[f.Seq] = true
	}
	if id != "" {
		c.seenIDs[id] = true
	}
	return nil
}

// writeStatus writes a status frame of conversation version ver. A turn's
// status (force) is always written; the link's only when it is newer than
// the last shown and says something else.
func (c *chatConn) writeStatus(f HandoffStatusFrame, ver int64, force bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if force && f.Mode == store.ModeWaitingAgent && c.status.Mode == store.ModeWaitingAgent && f.QueuePosition == 0 {
		// A turn while waiting keeps the place last shown; the link
		// corrects it if the queue moved.
		f.QueuePosition = c.status.QueuePosition
	}
	if !force && (ver < c.statusVer || f == c.status) {
		return
	}
	if c.writeLocked(f) == nil {
		c.status, c.statusVer = f, max(c.statusVer, ver)
	}
}

// shownStatus is the last status shown and its conversation version.
func (c *chatConn) shownStatus() (HandoffStatusFrame, int64) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.status, c.statusVer
}

// sendError reports err to the client as an error frame.
func (c *chatConn) sendError(err error, id string) {
	a := classify(err)
	if a.Status >= 500 {
		c.log.Error("chat turn failed", "err", err)
	} else {
		c.log.Debug("chat frame rejected", "code", a.Code, "err", err)
	}
	_ = c.write(ErrorFrame{Type: FrameError, Code: a.Code, Message: a.Message, ID: id})
}

// write sends one JSON frame under the write mutex.
func (c *chatConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(v)
}

func (c *chatConn) writeLocked(v any) error {
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

func (c *chatConn) pingLoop(stop <-chan struct{}) {
	t := time.NewTicker(c.s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.wmu.Lock()
			var err error
			if !c.closeSent {
				err = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.cfg.WriteWait))
			}
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (c *chatConn) beginTurn() bool {
	c.stmu.Lock()
	defer c.stmu.Unlock()
	if c.draining {
		return false
	}
	c.busy = true
	return true
}

func (c *chatConn) endTurn() {
	c.stmu.Lock()
	c.busy = false
	c.stmu.Unlock()
}

func (c *chatConn) isDraining() bool {
	c.stmu.Lock()
	defer c.stmu.Unlock()
	return c.draining
}

// goAway is Shutdown's request: an idle connection is closed now; a busy
// one after its turn's replies are delivered (the reader checks draining).
func (c *chatConn) goAway() {
	c.stmu.Lock()
	c.draining = true
	busy := c.busy
	c.stmu.Unlock()
	if !busy {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
		_ = c.ws.SetReadDeadline(time.Now().Add(c.s.cfg.CloseGrace))
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
