package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/redact"
	"github.com/collectagent/collectagent/store"
)

// consoleFrame is what the console's WebSocket sends: "hello" once,
// "queue" after each change of the board, "message" for each bridge
// message of the conversation watched, "lease" when the claim lapsed.
type consoleFrame struct {
	Type    string           `json:"type"`
	Queue   *queueView       `json:"queue,omitempty"`
	Message *handoff.Message `json:"message,omitempty"`
	// Conversation and ReadOnly answer the hello.
	Conversation string `json:"conversation,omitempty"`
	ReadOnly     bool   `json:"read_only,omitempty"`
	Text         string `json:"text,omitempty"`
}

// ws is GET /v1/agent/ws?token=...[&case=ID | &conversation=ID][&after=SEQ].
// It streams queue changes to every signed-in user. With a case it also
// streams that conversation's bridge: the borrower's messages to the agent
// holding the case (who renews the claim while connected), both sides
// read-only to a supervisor. after resumes from a bridge sequence, so a
// console that reconnects replays what it missed; without it the stream
// starts now (the page loads the transcript from the store).
func (c *console) ws(w http.ResponseWriter, r *http.Request) {
	if c.s.isDraining() {
		c.writeError(w, r, ErrShuttingDown)
		return
	}
	if err := c.s.checkOrigin(r); err != nil {
		c.writeError(w, r, err)
		return
	}
	a, err := c.session(r.Context(), consoleToken(r))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	tok := consoleToken(r)
	q := r.URL.Query()
	var (
		convID, caseID string
		readOnly       bool
	)
	switch {
	case q.Get("case") != "":
		k, err := c.getCase(r.Context(), q.Get("case"))
		if err != nil {
			c.writeError(w, r, err)
			return
		}
		mine := k.Status == handoff.StatusAccepted && k.AgentID == a.User
		if !mine && !a.supervisor() {
			c.writeError(w, r, ErrNotClaimant)
			return
		}
		convID, caseID, readOnly = k.Packet.ConversationID, k.ID, !mine
	case q.Get("conversation") != "":
		if !a.supervisor() {
			c.writeError(w, r, ErrRole)
			return
		}
		convID, readOnly = q.Get("conversation"), true
		if _, err := c.s.store.GetConversation(r.Context(), convID); err != nil {
			c.writeError(w, r, err)
			return
		}
	}
	from := handoff.FromNow()
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			c.writeError(w, r, &ValidationError{Fields: []FieldError{{Field: "after", Message: "a bridge sequence number"}}})
			return
		}
		from = handoff.FromSeq(n + 1)
	}
	if !websocket.IsWebSocketUpgrade(r) {
		c.writeError(w, r, ErrNotWebSocket)
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()

	// Callbacks only post into msgs; the loop below is the one writer.
	msgs := make(chan handoff.Message, 256)
	var sub *handoff.Subscription
	if convID != "" {
		side := handoff.SideBorrower
		if readOnly {
			side = handoff.SideBoth
		}
		sub, err = c.node.Bridge().Subscribe(ctx, convID, side, from, func(m handoff.Message) {
			select {
			case msgs <- m:
			case <-ctx.Done():
			}
		})
		if err != nil {
			c.writeError(w, r, fmt.Errorf("subscribe: %w", err))
			return
		}
		defer sub.Stop()
	}
	changes, stopChanges := c.q.Changes()
	defer stopChanges()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		c.log.Debug("console websocket upgrade failed", "err", err)
		return
	}
	defer ws.Close()
	log := c.log.With("user", a.User, "conversation", convID)
	log.Info("console connected", "read_only", readOnly)
	defer log.Info("console disconnected")

	cfg := c.s.cfg
	ws.SetReadLimit(cfg.MaxFrame)
	_ = ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(cfg.PongWait)) })
	// The reader only keeps the connection's control frames flowing; the
	// console acts through the HTTP API.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()

	write := func(f consoleFrame) bool {
		_ = ws.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
		if err := ws.WriteJSON(f); err != nil {
			log.Debug("console write failed", "err", err)
			return false
		}
		return true
	}
	qv := c.queueOf(a)
	if !write(consoleFrame{Type: "hello", Conversation: convID, ReadOnly: readOnly, Queue: &qv}) {
		return
	}

	// The claim is a lease: the holder's open console renews it, so a
	// console that dies lets the case go back to the queue after AckWait.
	renewEvery := c.node.Config().AckWait / 3
	renew := time.NewTicker(max(renewEvery, 50*time.Millisecond))
	defer renew.Stop()
	ping := time.NewTicker(cfg.PingInterval)
	defer ping.Stop()
	drain := time.NewTicker(500 * time.Millisecond)
	defer drain.Stop()
	for {
		select {
		case <-gone:
			return
		case m := <-msgs:
			if m.Type == handoff.TypeMessage {
				// Shown as stored, not as published (see storedTurn).
				t, ok := storedTurn(ctx, c.s.store, convID, m)
				if !ok {
					log.Warn("bridge message names no stored turn; dropped", "id", m.ID)
					continue
				}
				m.From, m.Name, m.Text = t.From, bot.TurnName(t), redact.Turn(t.From, t.Text, t.Meta, "", c.s.clock.Now())
			}
			if !write(consoleFrame{Type: "message", Message: &m}) {
				return
			}
		case <-changes:
			qv := c.queueOf(a)
			if !write(consoleFrame{Type: "queue", Queue: &qv}) {
				return
			}
		case <-renew.C:
			if caseID == "" || readOnly {
				continue
			}
			if _, err := c.q.Renew(ctx, a.User, caseID); err != nil {
				log.Info("claim lapsed", "case", caseID, "err", err)
				if !write(consoleFrame{Type: "lease", Text: "lost"}) {
					return
				}
				caseID = ""
			}
		case <-ping.C:
			_ = ws.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
			if err := ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-drain.C:
			// A signed-out or revoked session (on any node) ends the
			// console's live view too.
			if _, err := c.session(ctx, tok); errors.Is(err, ErrAgentRevoked) || errors.Is(err, ErrAgentExpired) || errors.Is(err, ErrAgentToken) {
				log.Info("console session ended", "err", err)
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, CodeRevoked), time.Now().Add(cfg.WriteWait))
				return
			}
			if c.s.isDraining() {
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(cfg.WriteWait))
				return
			}
		}
	}
}

// storedTurn reads back the turn a bridge message names, so what is shown
// is what the store holds (guarded and audited when it was committed),
// never the text the message carried. ok is false when the message names
// no stored turn of the conversation.
func storedTurn(ctx context.Context, st store.Store, convID string, m handoff.Message) (store.Turn, bool) {
	seq := handoff.TurnSeq(convID, m.ID)
	if seq <= 0 {
		return store.Turn{}, false
	}
	ts, err := st.ListTurns(ctx, convID)
	if err != nil {
		return store.Turn{}, false
	}
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Seq == seq {
			return ts[i], true
		}
	}
	return store.Turn{}, false
}
