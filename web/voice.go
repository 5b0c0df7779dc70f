package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/logmask"
	"github.com/collectagent/collectagent/telephony/rtc"
	"github.com/collectagent/collectagent/telephony/voice"
)

// voiceCall is GET /v1/voice?token=...: WebRTC signalling over a
// WebSocket (frames in docs/api.md). The token, origin and capacity
// checks are the chat's, made before the upgrade, so every refusal is a
// JSON HTTP error; after the upgrade the signalling protocol has its own
// error frames.
func (s *Server) voiceCall(w http.ResponseWriter, r *http.Request) {
	if s.voice == nil {
		s.writeError(w, r, ErrVoiceOff)
		return
	}
	lr, ok := s.openLive(w, r, func(w http.ResponseWriter, claims tokenClaims) error {
		if claims.Channel != "voice" {
			// The token's conversation was begun (and its consent
			// checked) for another channel.
			return fmt.Errorf("a %s session on /v1/voice: %w", claims.Channel, bot.ErrNotAllowed)
		}
		if s.voice.Full() {
			retryAfter(w, 5*time.Second)
			return ErrCallsFull
		}
		return nil
	})
	if !ok {
		return
	}
	defer lr.done()
	lc, ctx, cancel := lr.conn, lr.ctx, lr.cancel
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	defer ws.Close()
	if !s.trackCall(cancel) {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(s.cfg.WriteWait))
		return
	}
	defer s.untrackCall()
	ws.SetReadLimit(rtc.MaxSignalFrame)
	conv := lc.Conversation()
	log := s.log.With("conversation", conv.ID, "channel", "voice", "account", logmask.Ref(conv.AccountID))
	log.Info("call connected")
	conn := &signalConn{ws: ws, wait: s.cfg.WriteWait}
	stop := context.AfterFunc(ctx, func() { conn.close() })
	defer stop()
	res, err := s.voice.Serve(ctx, conn, lc, voice.Call{ConversationID: conv.ID, Lang: conv.Locale})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Info("call signalling ended", "err", err)
	}
	log.Info("call closed", "ended", res.Stats.Ended, "recording", res.Recording.Mix)
	conn.closeWith(websocket.CloseNormalClosure, "call ended")
}

// signalConn is the signalling WebSocket as rtc.MessageConn: one reader,
// writes serialised under a mutex.
type signalConn struct {
	ws   *websocket.Conn
	wait time.Duration

	mu     sync.Mutex
	closed bool
}

func (c *signalConn) Read(ctx context.Context) ([]byte, error) {
	mt, b, err := c.ws.ReadMessage()
	if err != nil {
		if errors.Is(err, websocket.ErrReadLimit) {
			return nil, fmt.Errorf("%w: %v", rtc.ErrFrameTooLarge, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if mt != websocket.TextMessage {
		return nil, fmt.Errorf("%w: binary frame", rtc.ErrMalformed)
	}
	return b, nil
}

func (c *signalConn) Write(ctx context.Context, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return io.ErrClosedPipe
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.wait))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// closeWith says goodbye once; close drops the connection, which ends a
// Read in progress.
func (c *signalConn) closeWith(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(c.wait))
}

func (c *signalConn) close() {
	c.closeWith(websocket.CloseGoingAway, "server shutting down")
	_ = c.ws.NetConn().Close()
}

// trackCall registers a call so Shutdown can end it; it fails once
// draining started.
func (s *Server) trackCall(cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.calls = append(s.calls, cancel)
	s.handlers.Add(1)
	return true
}

func (s *Server) untrackCall() { s.handlers.Done() }

// callGoodbyeGrace is how long a draining server lets its calls say
// goodbye (live's GoAway) before it cuts them.
const callGoodbyeGrace = 10 * time.Second

// endCalls ends the calls in progress (Shutdown, after the goodbye's
// grace): a call cannot be handed to another node mid-sentence; the
// borrower calls again and the conversation resumes where it stopped.
func (s *Server) endCalls() {
	s.mu.Lock()
	calls := s.calls
	s.calls = nil
	s.mu.Unlock()
	for _, cancel := range calls {
		cancel()
	}
}

// getRecordings is GET /v1/conversations/{id}/recordings.
func (s *Server) getRecordings(w http.ResponseWriter, r *http.Request) {
	if s.voice == nil {
		s.writeError(w, r, ErrVoiceOff)
		return
	}
	id := r.PathValue("id")
	if _, err := s.store.GetConversation(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	files, err := s.voice.Recordings(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, RecordingsResponse{Recordings: files})
}

// RecordingsResponse lists a conversation's call recordings.
type RecordingsResponse struct {
	Recordings []voice.RecordingFile `json:"recordings"`
}

// getRecording is GET /v1/conversations/{id}/recordings/{name}: a WAV
// file.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	if s.voice == nil {
		s.writeError(w, r, ErrVoiceOff)
		return
	}
	rc, err := s.voice.OpenRecording(r.Context(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "audio/wav")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc)
}
