package rtc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/call"
)

// The signalling protocol: JSON text frames over any message connection
// (the HTTP layer upgrades GET /v1/voice after its token and origin
// checks and hands the connection here).
//
//	caller → bot: {"type":"offer","sdp":"v=0…"} first, then
//	              {"type":"candidate","candidate":{…}} (trickle ICE),
//	              {"type":"bye"}
//	bot → caller: {"type":"config","ice_servers":[{"urls":[…],"username":…,"credential":…}]}
//	              first, as soon as the call is admitted (the STUN/TURN servers
//	              the caller's peer connection is to use, from Config.ICEServers;
//	              [] when none), then {"type":"answer","sdp":"…"},
//	              {"type":"candidate",…}, {"type":"error","code":"…","message":"…"},
//	              {"type":"bye","reason":"…"}
//
// Each error code names a sentinel below; the connection closes after one.

// MaxSignalFrame bounds one signalling frame; an SDP offer from a browser
// is a few kilobytes.
const MaxSignalFrame = 64 << 10

var (
	ErrFrameTooLarge = errors.New("frame too large")
	ErrMalformed     = errors.New("malformed frame")
	ErrUnknownFrame  = errors.New("unknown frame type")
	ErrExpectedOffer = errors.New("the first frame must be an offer")
	ErrBadSDP        = errors.New("malformed SDP")
	// ErrBusy: the node is at its call limit.
	ErrBusy = errors.New("too many calls on this node")
)

// Signal is one signalling frame.
type Signal struct {
	Type      string                   `json:"type"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Code      string                   `json:"code,omitempty"`
	Message   string                   `json:"message,omitempty"`
	Reason    string                   `json:"reason,omitempty"`
	// ICEServers is the config frame's (bot → caller only).
	ICEServers []webrtc.ICEServer `json:"ice_servers,omitempty"`
}

// ConfigSignal is the first frame to a caller: the ICE servers its peer
// connection is to use. An empty list is sent as [].
func ConfigSignal(cfg Config) Signal {
	servers := cfg.ICEServers
	if servers == nil {
		servers = []webrtc.ICEServer{}
	}
	return Signal{Type: "config", ICEServers: servers}
}

// MarshalJSON keeps the config frame's ice_servers even when empty.
func (s Signal) MarshalJSON() ([]byte, error) {
	type plain Signal
	if s.Type != "config" {
		return json.Marshal(plain(s))
	}
	return json.Marshal(struct {
		Type       string             `json:"type"`
		ICEServers []webrtc.ICEServer `json:"ice_servers"`
	}{s.Type, s.ICEServers})
}

// ParseSignal reads and validates a frame from the caller.
func ParseSignal(b []byte) (Signal, error) {
	if len(b) > MaxSignalFrame {
		return Signal{}, ErrFrameTooLarge
	}
	var s Signal
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Signal{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Signal{}, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if s.ICEServers != nil {
		return Signal{}, fmt.Errorf("%w: ice_servers come from the server", ErrMalformed)
	}
	switch s.Type {
	case "offer":
		var sd sdp.SessionDescription
		if err := sd.UnmarshalString(s.SDP); err != nil {
			return Signal{}, fmt.Errorf("%w: %v", ErrBadSDP, err)
		}
		if len(sd.MediaDescriptions) == 0 {
			return Signal{}, fmt.Errorf("%w: no media", ErrBadSDP)
		}
	case "candidate":
		if s.Candidate == nil {
			return Signal{}, fmt.Errorf("%w: candidate frame without a candidate", ErrMalformed)
		}
	case "bye":
	default:
		return Signal{}, fmt.Errorf("%w: %q", ErrUnknownFrame, s.Type)
	}
	return s, nil
}

// errorCode maps an error to the code the caller sees.
func errorCode(err error) string {
	for _, e := range []struct {
		err  error
		code string
	}{
		{ErrFrameTooLarge, "frame_too_large"}, {ErrMalformed, "malformed"}, {ErrUnknownFrame, "unknown_frame"},
		{ErrExpectedOffer, "expected_offer"}, {ErrBadSDP, "bad_sdp"}, {ErrBusy, "busy"}, {ErrNoPCMU, "no_pcmu"},
	} {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return "internal"
}

// MessageConn is a message-oriented connection (a WebSocket). Read is
// called from one goroutine, Write from several: implementations must
// serialise writes (one write mutex, as livekit's wsprotocol has). Read
// must return once ctx is done or the connection is closed; the HTTP
// layer closes the connection after Serve returns.
type MessageConn interface {
	Read(ctx context.Context) ([]byte, error)
	Write(ctx context.Context, b []byte) error
}

// Limiter caps the calls on one node.
type Limiter struct {
	mu   sync.Mutex
	max  int
	busy int
}

// NewLimiter allows max simultaneous calls (0: no limit).
func NewLimiter(max int) *Limiter { return &Limiter{max: max} }

func (l *Limiter) acquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.busy >= l.max {
		return false
	}
	l.busy++
	return true
}

func (l *Limiter) release() {
	l.mu.Lock()
	l.busy--
	l.mu.Unlock()
}

// InUse returns the calls in progress.
func (l *Limiter) InUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.busy
}

// Serve runs one call's signalling on conn: it waits for the offer,
// answers, trickles candidates both ways and runs the call until it ends,
// then says bye. Protocol errors are sent as error frames and returned.
func Serve(ctx context.Context, conn MessageConn, api *webrtc.API, cfg Config, lim *Limiter, log *slog.Logger, newCall func(call.Transport) *call.Controller) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	send := func(s Signal) error {
		b, _ := json.Marshal(s)
		return conn.Write(ctx, b)
	}
	refuse := func(err error) error {
		send(Signal{Type: "error", Code: errorCode(err), Message: err.Error()})
		return err
	}
	if lim != nil {
		if !lim.acquire() {
			return refuse(ErrBusy)
		}
		defer lim.release()
	}
	// The caller builds its peer connection with the configured STUN and
	// TURN servers before it offers.
	if err := send(ConfigSignal(cfg)); err != nil {
		return err
	}
	raw, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	first, err := ParseSignal(raw)
	if err != nil {
		return refuse(err)
	}
	if first.Type != "offer" {
		return refuse(ErrExpectedOffer)
	}
	// Candidates found before the answer is out wait for it.
	var mu sync.Mutex
	var answered bool
	var early []*webrtc.ICECandidateInit
	trickle := func(c *webrtc.ICECandidateInit) {
		mu.Lock()
		defer mu.Unlock()
		if !answered {
			early = append(early, c)
			return
		}
		if c != nil {
			send(Signal{Type: "candidate", Candidate: c})
		}
	}
	bot, ans, err := answer(api, cfg, webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: first.SDP}, log, newCall, trickle)
	if err != nil {
		if !errors.Is(err, ErrNoPCMU) {
			err = fmt.Errorf("%w: %v", ErrBadSDP, err)
		}
		return refuse(err)
	}
	mu.Lock()
	err = send(Signal{Type: "answer", SDP: ans.SDP})
	answered = true
	for _, c := range early {
		if c != nil {
			send(Signal{Type: "candidate", Candidate: c})
		}
	}
	mu.Unlock()
	if err != nil {
		bot.pc.Close()
		return err
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- bot.Run(callCtx) }()
	// Read the caller's frames until the call ends.
	readErr := make(chan error, 1)
	go func() {
		for {
			raw, err := conn.Read(callCtx)
			if err != nil {
				readErr <- err
				return
			}
			s, err := ParseSignal(raw)
			if err != nil {
				readErr <- err
				return
			}
			switch s.Type {
			case "candidate":
				if err := bot.AddCandidate(*s.Candidate); err != nil {
					log.Debug("bad remote candidate", "err", err)
				}
			case "bye":
				readErr <- nil
				return
			case "offer":
				readErr <- fmt.Errorf("%w: renegotiation is not supported", ErrUnknownFrame)
				return
			}
		}
	}()
	select {
	case err := <-done:
		send(Signal{Type: "bye", Reason: bot.Controller().Stats().Ended})
		return err
	case err := <-readErr:
		bot.Controller().Hangup()
		<-done
		if err != nil {
			return refuse(err)
		}
		return nil
	}
}
