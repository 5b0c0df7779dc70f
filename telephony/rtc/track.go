package rtc

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/dtmf"
)

// AudioTrack is a local PCMU track that can also send RFC 4733
// telephone-events on the same RTP stream. pion's static tracks overwrite
// the payload type of every packet, so events need a track of their own
// making: one sequence-number and timestamp space, two payload types.
type AudioTrack struct {
	id, stream string

	mu      sync.Mutex
	w       webrtc.TrackLocalWriter
	ssrc    uint32
	eventPT uint8
	hasEv   bool
	// The audio codec bound: PCMU (8 kHz clock) or, for a track made
	// with NewOpusTrack when the peer accepts it, Opus (48 kHz clock).
	wantOpus bool
	pt       uint8
	rate     int
	seq      uint16
	ts       uint32
	digits   []dtmf.Packet
}

// NewAudioTrack returns an unbound track.
func NewAudioTrack(id, stream string) *AudioTrack {
	return &AudioTrack{id: id, stream: stream, seq: uint16(time.Now().UnixNano()), ts: uint32(time.Now().UnixNano() >> 8), pt: ptPCMU, rate: 8000}
}

// NewOpusTrack returns an unbound track that sends Opus packets (already
// encoded) when the peer accepts Opus, as a browser does; WriteFrame then
// takes one 20 ms Opus packet.
func NewOpusTrack(id, stream string) *AudioTrack {
	t := NewAudioTrack(id, stream)
	t.wantOpus = true
	return t
}

// Bind picks PCMU and the 8 kHz telephone-event from the negotiated codecs.
func (t *AudioTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var pcmu, op *webrtc.RTPCodecParameters
	events := map[uint32]uint8{}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range ctx.CodecParameters() {
		switch {
		case strings.EqualFold(c.MimeType, webrtc.MimeTypePCMU) && pcmu == nil:
			c := c
			pcmu = &c
		case strings.EqualFold(c.MimeType, mimeOpus) && op == nil:
			c := c
			op = &c
		case isTelephoneEvent(c):
			events[c.ClockRate] = uint8(c.PayloadType)
		}
	}
	if t.wantOpus && op != nil {
		t.pt, t.rate = uint8(op.PayloadType), 48000
		t.eventPT, t.hasEv = events[48000]
		t.w = ctx.WriteStream()
		t.ssrc = uint32(ctx.SSRC())
		return *op, nil
	}
	if pcmu == nil {
		return webrtc.RTPCodecParameters{}, ErrNoPCMU
	}
	t.pt, t.rate = ptPCMU, 8000
	t.eventPT, t.hasEv = events[8000]
	t.w = ctx.WriteStream()
	t.ssrc = uint32(ctx.SSRC())
	return *pcmu, nil
}

// Unbind forgets the stream.
func (t *AudioTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *AudioTrack) ID() string                { return t.id }
func (t *AudioTrack) RID() string               { return "" }
func (t *AudioTrack) StreamID() string          { return t.stream }
func (t *AudioTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// QueueDigit schedules digit d: while its packets go out (one per
// WriteFrame call, in place of audio) the audio is not sent. It reports
// false when the peer did not negotiate telephone-events.
func (t *AudioTrack) QueueDigit(d rune, hold time.Duration) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.hasEv {
		return false, nil
	}
	// Each queued packet takes one 20 ms slot; the event starts after them.
	start := t.ts + uint32(t.rate/50*len(t.digits))
	pkts, err := dtmf.Build(d, start, t.rate, hold, 10)
	if err != nil {
		return false, err
	}
	t.digits = append(t.digits, pkts...)
	return true, nil
}

// WriteFrame sends one 20 ms frame of μ-law audio (or one Opus packet
// on an Opus track), or the next queued telephone-event packet in its
// place. Before the track is bound it drops the frame.
func (t *AudioTrack) WriteFrame(ulaw []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	step := uint32(t.rate / 50)
	if t.w == nil {
		t.ts += step
		return nil
	}
	h := rtp.Header{Version: 2, SequenceNumber: t.seq, SSRC: t.ssrc}
	payload := ulaw
	if len(t.digits) > 0 {
		p := t.digits[0]
		t.digits = t.digits[1:]
		h.PayloadType, h.Marker, h.Timestamp = t.eventPT, p.Marker, p.Timestamp
		payload = p.Payload
	} else {
		h.PayloadType, h.Timestamp = t.pt, t.ts
	}
	t.seq++
	t.ts += step
	_, err := t.w.WriteRTP(&h, payload)
	return err
}

func codeOf(r rune) (uint8, error) { return dtmf.Code(r) }
