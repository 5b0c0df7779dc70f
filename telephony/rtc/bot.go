package rtc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/call"
)

// Frame is what goes over the data channel, both ways: captions, status
// and hangup to the caller; keys from the caller's on-screen keypad.
type Frame struct {
	Type string `json:"type"` // caption, status, hangup, link; key
	Who  string `json:"who,omitempty"`
	Text string `json:"text,omitempty"`
	Key  string `json:"key,omitempty"`
}

// maxFrame bounds a data-channel message we accept.
const maxFrame = 1024

// Bot is the answering side of one call: a peer connection whose audio
// and data channel feed a call.Controller. It is the controller's
// Transport.
type Bot struct {
	pc    *webrtc.PeerConnection
	track *AudioTrack
	ctrl  *call.Controller
	log   *slog.Logger
	enc   []byte // writer goroutine only

	mu      sync.Mutex
	dc      *webrtc.DataChannel
	open    bool
	backlog []string

	readers sync.WaitGroup
}

// Answer sets up a Bot for a caller's offer and returns it with the
// answer (ICE gathering complete, so no trickle is needed). newCall
// builds the call's controller around the bot's transport.
func Answer(api *webrtc.API, cfg Config, offer webrtc.SessionDescription, log *slog.Logger, newCall func(call.Transport) *call.Controller) (*Bot, webrtc.SessionDescription, error) {
	return answer(api, cfg, offer, log, newCall, nil)
}

// answer answers offer; with onCandidate set it returns at once and
// trickles the local candidates through it (nil ends them).
func answer(api *webrtc.API, cfg Config, offer webrtc.SessionDescription, log *slog.Logger, newCall func(call.Transport) *call.Controller, onCandidate func(*webrtc.ICECandidateInit)) (*Bot, webrtc.SessionDescription, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: cfg.ICEServers})
	if err != nil {
		return nil, webrtc.SessionDescription{}, fmt.Errorf("answer: %w", err)
	}
	b := &Bot{pc: pc, track: NewAudioTrack("bot-audio", "collectagent"), log: log, enc: make([]byte, 0, 160)}
	b.ctrl = newCall(b)
	fail := func(err error) (*Bot, webrtc.SessionDescription, error) {
		pc.Close()
		return nil, webrtc.SessionDescription{}, fmt.Errorf("answer: %w", err)
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if t.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		in := newInbound(r.GetParameters().Codecs, b.ctrl.Audio, b.ctrl.Digit)
		in.onWide = b.ctrl.AudioWide
		b.readers.Add(1)
		go func() {
			defer b.readers.Done()
			if err := in.read(t); err != nil && err != call.ErrClosed {
				b.log.Debug("audio reader ended", "err", err)
			}
		}()
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		b.mu.Lock()
		b.dc = dc
		b.mu.Unlock()
		dc.OnOpen(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.open = true
			for _, s := range b.backlog {
				dc.SendText(s)
			}
			b.backlog = nil
		})
		dc.OnMessage(func(m webrtc.DataChannelMessage) { b.onData(m) })
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		// Disconnected may recover (ICE restarts on its own); failed and
		// closed do not.
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			b.ctrl.Hangup()
		}
	})
	if err := pc.SetRemoteDescription(offer); err != nil {
		return fail(err)
	}
	sender, err := pc.AddTrack(b.track)
	if err != nil {
		return fail(err)
	}
	b.readers.Add(1)
	go func() {
		defer b.readers.Done()
		// RTCP must be read for pion to process it; we use none of it.
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	if onCandidate != nil {
		pc.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c == nil {
				onCandidate(nil)
				return
			}
			init := c.ToJSON()
			onCandidate(&init)
		})
		if err := pc.SetLocalDescription(ans); err != nil {
			return fail(err)
		}
		return b, ans, nil
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(err)
	}
	<-gathered
	return b, *pc.LocalDescription(), nil
}

// AddCandidate adds a remote ICE candidate (trickle).
func (b *Bot) AddCandidate(c webrtc.ICECandidateInit) error { return b.pc.AddICECandidate(c) }

// Controller returns the call's controller.
func (b *Bot) Controller() *call.Controller { return b.ctrl }

// Run runs the call until it ends, then closes the connection.
func (b *Bot) Run(ctx context.Context) error {
	err := b.ctrl.Run(ctx)
	b.drain()
	b.pc.Close()
	b.readers.Wait()
	return err
}

// drain gives the data channel up to a second to deliver what is queued
// (the hangup frame) before the connection closes.
func (b *Bot) drain() {
	b.mu.Lock()
	dc, open := b.dc, b.open
	b.mu.Unlock()
	if !open || dc.ReadyState() != webrtc.DataChannelStateOpen {
		return
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for range 100 {
		if dc.BufferedAmount() == 0 {
			return
		}
		<-t.C
	}
}

func (b *Bot) onData(m webrtc.DataChannelMessage) {
	if !m.IsString || len(m.Data) > maxFrame {
		return
	}
	var f Frame
	if err := json.Unmarshal(m.Data, &f); err != nil || f.Type != "key" {
		return
	}
	r, n := utf8.DecodeRuneInString(f.Key)
	if n != len(f.Key) || n == 0 {
		return
	}
	if _, err := codeOf(r); err != nil {
		return
	}
	b.ctrl.Digit(r)
}

// WriteFrame sends one frame of the bot's voice.
func (b *Bot) WriteFrame(pcm []int16) error {
	b.enc = audio.EncodeUlaw(b.enc[:0], pcm)
	return b.track.WriteFrame(b.enc)
}

// Send passes a message to the caller's app, holding it until the data
// channel opens.
func (b *Bot) Send(m call.Message) {
	f := Frame{Who: m.Who, Text: m.Text}
	switch m.Kind {
	case call.Caption:
		f.Type = "caption"
	case call.Status:
		f.Type = "status"
	case call.Hangup:
		f.Type = "hangup"
	case call.Link:
		f.Type = "link"
	}
	raw, _ := json.Marshal(f)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		if len(b.backlog) < 100 {
			b.backlog = append(b.backlog, string(raw))
		}
		return
	}
	if err := b.dc.SendText(string(raw)); err != nil {
		b.log.Debug("data channel send failed", "err", err)
	}
}
