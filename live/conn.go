package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/ratelimit"
	"github.com/collectagent/collectagent/store"
)

// goAwayReason is what a draining connection is told.
const goAwayReason = "server shutting down"

// Conn is one borrower's live connection to a conversation. One goroutine
// (the channel's reader) calls Start, then Handle and Refuse; it owns the
// bot.Session. The handoff follower and Drain reach the Output from other
// goroutines, serialised with the reader's by omu. Close may be called
// from anywhere, once the reader is done with the Conn.
type Conn struct {
	h    *Hub
	sess *bot.Session
	log  *slog.Logger
	// ctx lives as long as the connection (turns have shorter ones).
	ctx    context.Context
	cancel context.CancelFunc

	omu sync.Mutex // serialises calls to out; guards out, gone, seen, seenIDs, status, statusVer
	out Output
	// gone is set once GoAway was called: nothing is shown after it.
	gone bool
	// seen and seenIDs are the turns (by sequence) and bridge messages
	// (by id) already shown: a replay or a redelivery shows nothing twice.
	seen      map[int64]bool
	seenIDs   map[string]bool
	status    Status // the last status shown
	statusVer int64  // the conversation version it came from

	// limiter paces the borrower's messages; owned by the reader. nil
	// paces nothing.
	limiter *ratelimit.Bucket

	// link is the handoff bridge while the conversation is (or was) with
	// a person; owned by the reader. stale is set by the link when another
	// node changed the conversation: the reader reloads the session before
	// its next turn.
	link  *link
	stale atomic.Bool
	// resumed is set by Start when the conversation had turns before
	// this connection (owned by the reader).
	resumed bool

	stmu       sync.Mutex // guards busy, draining, registered
	busy       bool       // a turn is in progress
	draining   bool       // Drain asked this connection to go away
	registered bool

	closeOnce sync.Once
}

// ID is the conversation's id.
func (c *Conn) ID() string { return c.sess.ID() }

// Conversation is the conversation's stored header as of the last turn.
// Only the reader may call it.
func (c *Conn) Conversation() store.Conversation { return c.sess.Conversation() }

// Start shows the conversation on out: the turns so far (a reconnecting
// client's replay), the bot's first words on a new conversation, then the
// status; then it follows the handoff when a person holds, or is about to
// hold, the conversation. It returns ErrDraining when the hub is shutting
// down (out.GoAway was called), or the greeting's failure (out.Reject was
// called with it, clientID ""): the channel ends the connection either way.
func (c *Conn) Start(ctx context.Context, out Output) error {
	c.omu.Lock()
	if c.out != nil {
		c.omu.Unlock()
		return ErrStarted
	}
	c.out = out
	c.omu.Unlock()
	if !c.h.register(c) {
		c.goAway()
		return ErrDraining
	}
	c.stmu.Lock()
	c.registered = true
	c.stmu.Unlock()
	if !c.beginTurn() {
		return ErrDraining
	}
	err := c.greet(ctx)
	c.endTurn()
	if err != nil {
		c.log.Error("greeting failed", "err", err)
		c.reject("", err)
		return err
	}
	if c.isDraining() {
		c.goAway()
		return ErrDraining
	}
	c.follow()
	return nil
}

// Handle turns one borrower message into a turn and shows its replies and
// status. clientMsgID, when set, makes the message idempotent: a client
// retrying after a reconnect is not answered twice. A message that is
// not handled (paced, empty, after the end, ...) is reported with
// Output.Reject and Handle returns nil: the connection goes on. A non-nil
// error ends the connection: ErrDraining (Output.GoAway was called) or
// an error wrapping ErrReconnect.
func (c *Conn) Handle(ctx context.Context, text, clientMsgID string) error {
	return c.borrowerTurn(ctx, clientMsgID, func(ctx context.Context) (bot.Output, error) {
		return c.sess.Handle(ctx, bot.Message{Text: text, MessageID: clientMsgID})
	})
}

// Keypad is Handle for keys the borrower pressed (a call's DTMF, an
// on-screen keypad): "1" is yes and "2" no on a yes-or-no question,
// otherwise the digits are the answer. Keys other than digits, "*" and
// "#" are rejected (bot.ErrInvalid).
func (c *Conn) Keypad(ctx context.Context, keys, clientMsgID string) error {
	return c.borrowerTurn(ctx, clientMsgID, func(ctx context.Context) (bot.Output, error) {
		return c.sess.Keypad(ctx, keys, clientMsgID)
	})
}

// borrowerTurn paces, runs and shows one borrower turn.
func (c *Conn) borrowerTurn(ctx context.Context, id string, step func(context.Context) (bot.Output, error)) error {
	if c.limiter != nil && !c.limiter.Allow(c.h.clock.Now()) {
		c.reject("", ErrRateLimited)
		return nil
	}
	return c.inTurn(func() error { return c.turn(ctx, id, step) })
}

// Idle tells the conversation that the borrower said nothing for the
// channel's silence timeout (the channel keeps the timer: a chat may
// never call it, a call does after a few seconds): the bot asks whether
// they are still there or, when final (the channel gives up next, a call
// hangs up), says goodbye, and the replies and status are shown. Nothing
// is said on an ended conversation or while a person holds it. Errors
// are as Handle's; a failed silence turn is logged, not shown.
func (c *Conn) Idle(ctx context.Context, final bool) error {
	return c.inTurn(func() error { return c.silence(ctx, final) })
}

// Refuse reports a message the channel could not read (a malformed frame,
// say) with Output.Reject. It counts against the pace like any message:
// past it, the rejection is ErrRateLimited (clientID "").
func (c *Conn) Refuse(clientMsgID string, err error) {
	if c.limiter != nil && !c.limiter.Allow(c.h.clock.Now()) {
		c.reject("", ErrRateLimited)
		return
	}
	c.reject(clientMsgID, err)
}

// Close ends the connection: it stops following the handoff and leaves
// the hub. The Output is not called after Close returns. Idempotent.
func (c *Conn) Close() {
	c.closeOnce.Do(func() {
		if c.link != nil {
			c.link.stop()
		}
		c.cancel()
		c.omu.Lock()
		c.gone = true
		c.omu.Unlock()
		c.stmu.Lock()
		reg := c.registered
		c.stmu.Unlock()
		if reg {
			c.h.unregister(c)
		}
	})
}

// greet replays the conversation so far, lets the bot speak first on a new
// conversation, and reports the status.
func (c *Conn) greet(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	sess := c.sess
	hist, err := sess.History(ctx)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	c.resumed = len(hist) > 0
	for _, r := range hist {
		if err := c.showMessage(c.message(r), ""); err != nil {
			return nil // the client went away; the reader will notice
		}
	}
	out, err := sess.Start(ctx)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if len(out.Replies) == 0 && len(hist) == 0 {
		// Another connection greeted first: show its greeting, read back
		// with the session (showMessage drops what was shown).
		more, _ := sess.History(ctx)
		out.Replies = more
	}
	c.deliver(out)
	return nil
}

// turn handles one borrower message. It returns an error only when the
// connection must close (the conversation moved on elsewhere).
func (c *Conn) turn(ctx context.Context, id string, step func(context.Context) (bot.Output, error)) error {
	sess := c.sess
	if sess.Status().Mode == store.ModeEnded {
		c.reject(id, bot.ErrEnded)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	if c.stale.Swap(false) {
		// Another node (an agent's) changed the conversation.
		if err := sess.Reload(ctx); err != nil {
			c.reject(id, err)
			return nil
		}
	}
	before := sess.Status().Mode
	start := time.Now()
	out, err := step(ctx)
	if c.h.obs != nil {
		conv := sess.Conversation()
		c.h.obs.ObserveTurn(conv.Channel, conv.Locale, time.Since(start), err == nil)
	}
	if err != nil {
		c.reject(id, err)
		if errors.Is(err, store.ErrConflict) {
			return err
		}
		return nil
	}
	c.deliver(out)
	c.afterTurn(ctx, before, out)
	return nil
}

// silence runs one silence turn. It returns an error only when the
// connection must close (the conversation moved on elsewhere).
func (c *Conn) silence(ctx context.Context, final bool) error {
	return c.botTurn(ctx, "silence", func(ctx context.Context) (bot.Output, error) { return c.sess.Silence(ctx, final) })
}

// botTurn runs a turn the bot takes on its own (a silence, a welcome
// back) and shows it: nothing on an ended conversation; the session
// reloaded first when another node changed it. It returns an error only
// when the connection must close (the conversation moved on elsewhere);
// other failures are logged under what.
func (c *Conn) botTurn(ctx context.Context, what string, step func(context.Context) (bot.Output, error)) error {
	if c.sess.Status().Mode == store.ModeEnded {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	if c.stale.Swap(false) {
		if err := c.sess.Reload(ctx); err != nil {
			c.log.Warn(what+": reload", "err", err)
			return nil
		}
	}
	out, err := step(ctx)
	switch {
	case errors.Is(err, store.ErrConflict):
		return err
	case errors.Is(err, bot.ErrEnded):
		return nil
	case err != nil:
		c.log.Warn(what+" turn failed", "err", err)
		return nil
	}
	c.deliver(out)
	return nil
}

// message is a bot reply as shown.
func (c *Conn) message(r bot.Reply) Message {
	m := Message{Seq: r.Seq, From: r.From, Name: r.Name, Text: r.Text, Act: r.Act, Disclosure: r.Disclosure, Link: r.Link}
	if r.Seq > 0 {
		m.ID = handoff.ReplyID(c.sess.ID(), r.Seq)
	}
	return m
}

// deliver shows a turn's replies, then its status.
func (c *Conn) deliver(out bot.Output) {
	for _, r := range out.Replies {
		if c.showMessage(c.message(r), "") != nil {
			return
		}
	}
	st := out.Status
	c.showStatus(Status{Mode: st.Mode, Stage: st.Stage, Outcome: st.Outcome}, c.sess.Conversation().Version, true)
}

// afterTurn follows the handoff after a turn: a borrower's message the bot
// only recorded (a person holds, or is about to hold, the conversation)
// goes to the agent's side of the bridge; a new escalation that cannot
// reach the queue right now is said so honestly.
func (c *Conn) afterTurn(ctx context.Context, before string, out bot.Output) {
	b := c.h.br
	if b == nil {
		return
	}
	sess := c.sess
	mode := out.Status.Mode
	waiting := mode == store.ModeWaitingAgent || mode == store.ModeAgent
	if waiting && before == store.ModeBot && !b.Connected() {
		_ = c.showMessage(Message{From: bot.FromSystem, Text: sess.UnqueuedNotice()}, "")
	}
	c.follow()
	if c.link == nil || !waiting || len(out.Replies) > 0 {
		return
	}
	hist, _ := sess.History(ctx)
	for i := len(hist) - 1; i >= 0; i-- {
		if r := hist[i]; r.From == bot.FromBorrower {
			c.link.forward(handoff.Message{ID: handoff.ReplyID(sess.ID(), r.Seq), Type: handoff.TypeMessage, From: bot.FromBorrower, Text: r.Text})
			return
		}
	}
}

// follow starts the handoff link once the conversation is with (or
// waiting for) a person, and asks it to show the queue position.
func (c *Conn) follow() {
	b := c.h.br
	if b == nil {
		return
	}
	if c.link == nil {
		switch c.sess.Status().Mode {
		case store.ModeWaitingAgent, store.ModeAgent:
		default:
			return
		}
		c.link = b.startLink(c.ctx, c, c.sess.ID())
		return
	}
	c.link.kick()
}

// showMessage shows a message unless its turn (seq) or bridge message
// (id) was shown already.
func (c *Conn) showMessage(m Message, id string) error {
	c.omu.Lock()
	defer c.omu.Unlock()
	if (m.Seq > 0 && c.seen[m.Seq]) || (id != "" && c.seenIDs[id]) {
		return nil
	}
	if c.gone {
		return ErrDraining
	}
	if err := c.out.Reply(m); err != nil {
		return err
	}
	if m.Seq > 0 {
		c.seen[m.Seq] = true
	}
	if id != "" {
		c.seenIDs[id] = true
	}
	return nil
}

// showStatus shows a status of conversation version ver. A turn's status
// (force) is always shown; the link's only when it is newer than the last
// shown and says something else.
func (c *Conn) showStatus(s Status, ver int64, force bool) {
	c.omu.Lock()
	defer c.omu.Unlock()
	if force && s.Mode == store.ModeWaitingAgent && c.status.Mode == store.ModeWaitingAgent && s.QueuePosition == 0 {
		// A turn while waiting keeps the place last shown; the link
		// corrects it if the queue moved.
		s.QueuePosition = c.status.QueuePosition
	}
	if !force && (ver < c.statusVer || s == c.status) {
		return
	}
	if c.gone {
		return
	}
	if c.out.Status(s) == nil {
		c.status, c.statusVer = s, max(c.statusVer, ver)
	}
}

// shownStatus is the last status shown and its conversation version.
func (c *Conn) shownStatus() (Status, int64) {
	c.omu.Lock()
	defer c.omu.Unlock()
	return c.status, c.statusVer
}

// reject reports a message that was not handled.
func (c *Conn) reject(id string, err error) {
	c.omu.Lock()
	defer c.omu.Unlock()
	if c.gone {
		return
	}
	_ = c.out.Reject(id, err)
}

// goAway tells the channel to end the connection, once.
func (c *Conn) goAway() {
	c.omu.Lock()
	defer c.omu.Unlock()
	if c.gone {
		return
	}
	c.gone = true
	c.out.GoAway(goAwayReason)
}

// inTurn runs a turn in the connection's turn slot: refused with
// ErrDraining when the node is draining (before or after the turn, which
// Output.GoAway then announces), and a fatal error of the turn (the
// conversation moved on elsewhere) wrapped in ErrReconnect.
func (c *Conn) inTurn(turn func() error) error {
	if !c.beginTurn() {
		c.goAway()
		return ErrDraining
	}
	fatal := turn()
	c.endTurn()
	if fatal != nil {
		return fmt.Errorf("%w: %w", ErrReconnect, fatal)
	}
	if c.isDraining() {
		c.goAway()
		return ErrDraining
	}
	return nil
}

func (c *Conn) beginTurn() bool {
	c.stmu.Lock()
	defer c.stmu.Unlock()
	if c.draining {
		return false
	}
	c.busy = true
	return true
}

func (c *Conn) endTurn() {
	c.stmu.Lock()
	c.busy = false
	c.stmu.Unlock()
}

func (c *Conn) isDraining() bool {
	c.stmu.Lock()
	defer c.stmu.Unlock()
	return c.draining
}

// drain is the hub's request: an idle connection is told to go away now;
// a busy one after its turn's replies are shown (Handle checks draining).
func (c *Conn) drain() {
	c.stmu.Lock()
	c.draining = true
	busy := c.busy
	c.stmu.Unlock()
	if !busy {
		c.goAway()
	}
}
