// Package voice is the voice channel: it connects a WebRTC call
// (telephony/rtc, telephony/call) to a borrower's conversation. It turns
// what the caller says and keys into conversation turns and the
// conversation's replies into speech, and keeps the call's recording.
//
// It knows the conversation only through the live layer: a call is a
// live.Conn user that implements live.Output (Conn), never the store,
// never NATS. The HTTP layer checks the caller's token and origin, opens
// the live connection and hands both to Serve with an upgraded
// WebSocket.
package voice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/call"
	"github.com/collectagent/collectagent/telephony/record"
	"github.com/collectagent/collectagent/telephony/rtc"
	"github.com/collectagent/collectagent/telephony/speech"
)

var (
	// ErrBusy: the node is at its call limit.
	ErrBusy = rtc.ErrBusy
	// ErrNoRecording: no such recording, or recording is off.
	ErrNoRecording = errors.New("voice: no such recording")
)

// Config is the voice channel's configuration (the root config's
// "voice").
type Config struct {
	// MaxCalls caps the calls of this node; one more is refused with a
	// clear "busy" (0: no limit).
	MaxCalls int `yaml:"max_calls" validate:"min=0"`
	// RTC holds the STUN/TURN servers offered to the peer connection.
	RTC    rtc.Config    `yaml:"rtc"`
	Speech speech.Config `yaml:"speech"`
	// EndOfTurn is the silence after which the caller's turn is over.
	EndOfTurn time.Duration `yaml:"end_of_turn" validate:"omitempty,min=100ms,max=5s"`
	// Silence is how long the caller may say nothing before "are you
	// still there?"; one re-prompt, then a goodbye.
	Silence time.Duration `yaml:"silence" validate:"omitempty,min=1s"`
	// MaxDuration is the longest a call may last.
	MaxDuration time.Duration `yaml:"max_duration" validate:"omitempty,min=10s"`
	// OnHandoff is what a call does when the conversation is escalated
	// to a person, until a person can join the audio: "captions" keeps
	// it open (the person's words are spoken and captioned, the caller's
	// speech reaches them as chat turns), "callback" ends it with the
	// offer of a call back.
	OnHandoff string `yaml:"on_handoff" validate:"omitempty,oneof=captions callback"`
	// Record keeps both legs and their mix (WAV) after the recording
	// notice. How long they are kept is retention.recordings.
	Record bool `yaml:"record"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxCalls: 100, Speech: speech.Config{STT: "auto", TTS: "auto", Remote: speech.DefaultRemote()}, EndOfTurn: 600 * time.Millisecond, Silence: 8 * time.Second,
		MaxDuration: 15 * time.Minute, OnHandoff: HandoffCallback, Record: true}
}

// WithDefaults fills zero fields from DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.EndOfTurn == 0 {
		c.EndOfTurn = d.EndOfTurn
	}
	if c.Silence == 0 {
		c.Silence = d.Silence
	}
	if c.MaxDuration == 0 {
		c.MaxDuration = d.MaxDuration
	}
	if c.OnHandoff == "" {
		c.OnHandoff = d.OnHandoff
	}
	return c
}

// Deps are the channel's collaborators.
type Deps struct {
	// Providers are the speech engines (speech.New).
	Providers speech.Providers
	// Blob keeps recordings; nil records nothing.
	Blob  record.Blob
	Clock clock.TimerClock
	Log   *slog.Logger
}

// Service takes calls on one node.
type Service struct {
	cfg Config
	d   Deps
	api *webrtc.API
	lim *rtc.Limiter
	log *slog.Logger
	// pacer sends every call's frames from one ticker per CPU.
	pacer *call.Pacer
}

// New builds the channel.
func New(cfg Config, d Deps) (*Service, error) {
	cfg = cfg.WithDefaults()
	api, err := rtc.NewAPI(cfg.RTC)
	if err != nil {
		return nil, fmt.Errorf("voice: %w", err)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, d: d, api: api, lim: rtc.NewLimiter(cfg.MaxCalls), log: d.Log, pacer: call.NewPacer(d.Clock, 0)}, nil
}

// Full reports whether the node is at its call limit, so the HTTP layer
// can refuse before upgrading.
func (s *Service) Full() bool { return s.cfg.MaxCalls > 0 && s.lim.InUse() >= s.cfg.MaxCalls }

// InUse returns the calls in progress.
func (s *Service) InUse() int { return s.lim.InUse() }

// Engines says which speech engines the calls use, for the start-up log.
func (s *Service) Engines() string {
	in, out := "none (keypad only)", "none (captions only)"
	if s.d.Providers.STT != nil {
		in = fmt.Sprintf("%T for %s", s.d.Providers.STT, strings.Join(s.d.Providers.STTLangs, ","))
	}
	if s.d.Providers.TTS != nil {
		out = fmt.Sprintf("%T", s.d.Providers.TTS)
	}
	return fmt.Sprintf("speech in: %s; speech out: %s; installed: %s", strings.TrimPrefix(in, "*speech."), strings.TrimPrefix(strings.TrimPrefix(out, "*speech."), "speech."), s.d.Providers.Found)
}

// Call names the call being served.
type Call struct {
	ConversationID string
	// Lang is the conversation's locale (en-US, zh-CN).
	Lang string
}

// Result is what a call left behind.
type Result struct {
	Stats     call.Stats
	Recording record.Recording
}

// Serve runs one call's signalling and media on conn until it ends; lc
// is the borrower's live connection to the conversation, opened and not
// yet started (the call starts it and is its Output). The caller closes
// lc after Serve returns.
func (s *Service) Serve(ctx context.Context, conn rtc.MessageConn, lc Conn, c Call) (Result, error) {
	log := s.log.With("conversation", c.ConversationID, "channel", "voice")
	conv := newConversation(lc, s.cfg.OnHandoff)
	var rec *record.Recorder
	if s.cfg.Record && s.d.Blob != nil {
		rec = record.NewRecorder()
	}
	start := s.d.Clock.Now()
	var ctrl *call.Controller
	err := rtc.Serve(ctx, conn, s.api, s.cfg.RTC, s.lim, log, func(tr call.Transport) *call.Controller {
		ctrl = call.New(s.callConfig(c.Lang), s.callDeps(c.Lang, conv, tr, rec, log))
		conv.attach(ctrl)
		return ctrl
	})
	var res Result
	if ctrl != nil {
		res.Stats = ctrl.Stats()
	}
	if rec != nil {
		// The call is over: its own context may be too.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		r, rerr := rec.Close(sctx, s.d.Blob, RecordingPrefix(c.ConversationID, start))
		if rerr != nil {
			log.Error("saving the recording failed", "err", rerr)
		}
		res.Recording = r
	}
	log.Info("call ended", "reason", res.Stats.Ended, "recorded", res.Recording.Mix != "")
	return res, err
}

func (s *Service) callConfig(lang string) call.Config {
	cc := call.DefaultConfig(lang)
	cc.Endpointing.EndOfTurn = s.cfg.EndOfTurn
	cc.Silence = s.cfg.Silence
	cc.MaxDuration = s.cfg.MaxDuration
	return cc
}

func (s *Service) callDeps(lang string, conv call.Conversation, tr call.Transport, rec *record.Recorder, log *slog.Logger) call.Deps {
	d := call.Deps{Conversation: conv, Transport: tr, TTS: s.d.Providers.TTS, Clock: s.d.Clock, Log: log,
		VAD: audio.NewEnergyVAD(audio.EnergyConfig{}), Pacer: s.pacer}
	if s.d.Providers.STT != nil && s.d.Providers.Hears(lang) {
		d.STT = s.d.Providers.STT
	}
	if rec != nil {
		d.Recorder = rec
	}
	return d
}

// RecordingPrefix is where a call's recording is kept: under the day it
// started and its conversation (the layout retention.BlobRecordings
// reads), its files named by the start, e.g.
// 2026/12/03/<conversation>/20261203T150405.000Z-mix.wav.
func RecordingPrefix(conversationID string, start time.Time) string {
	start = start.UTC()
	return path.Join(start.Format("2006/01/02"), conversationID, start.Format(stampLayout))
}

const stampLayout = "20060102T150405.000Z"

// RecordingFile is one stored file of a conversation's calls.
type RecordingFile struct {
	// Name is "<call start>-<leg>.wav", leg being caller, bot or mix.
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// Recordings lists the recordings of a conversation, oldest call first.
func (s *Service) Recordings(ctx context.Context, conversationID string) ([]RecordingFile, error) {
	if s.d.Blob == nil {
		return nil, nil
	}
	infos, err := s.d.Blob.List(ctx, "")
	if err != nil {
		return nil, err
	}
	out := []RecordingFile{}
	for _, in := range infos {
		dir, name := path.Split(in.Key)
		if path.Base(dir) != conversationID || !strings.HasSuffix(name, ".wav") {
			continue
		}
		out = append(out, RecordingFile{Name: name, Size: in.Size, Modified: in.Modified})
	}
	return out, nil
}

// OpenRecording opens one file listed by Recordings.
func (s *Service) OpenRecording(ctx context.Context, conversationID, name string) (io.ReadCloser, error) {
	stamp, _, ok := strings.Cut(name, "-")
	t, err := time.Parse(stampLayout, stamp)
	if s.d.Blob == nil || !ok || err != nil || strings.ContainsAny(name, "/\\") {
		return nil, fmt.Errorf("%q: %w", name, ErrNoRecording)
	}
	r, err := s.d.Blob.Get(ctx, path.Join(t.Format("2006/01/02"), conversationID, name))
	if errors.Is(err, record.ErrNotFound) || errors.Is(err, record.ErrBadKey) {
		return nil, fmt.Errorf("%s: %w", name, ErrNoRecording)
	}
	return r, err
}
