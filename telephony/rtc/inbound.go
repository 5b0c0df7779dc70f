package rtc

import (
	"errors"
	"io"
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/dtmf"
)

// inbound reads one remote audio track: PCMU frames go through the
// playout buffer (reordered, duplicates dropped, losses concealed) to
// onFrame; telephone-events go through the detector to onDigit, each key
// once. Both callbacks run on the reader goroutine.
type inbound struct {
	pcmuPT   uint8
	eventPTs map[uint8]bool
	playout  *audio.Playout
	det      dtmf.Detector
	pcm      []int16
	onFrame  func([]int16) error
	onDigit  func(rune) error
	// Opus, when negotiated: decoded frames go to onWide, or their 8 kHz
	// half to onFrame when onWide is nil.
	opusPT uint8
	opus   *opusIn
	onWide func(narrow, wide []int16) error
	// counters, read after the reader ends
	frames, digits, badEvents, badPackets int
}

func newInbound(codecs []webrtc.RTPCodecParameters, onFrame func([]int16) error, onDigit func(rune) error) *inbound {
	in := &inbound{
		pcmuPT:   ptPCMU,
		eventPTs: map[uint8]bool{},
		playout:  audio.NewPlayout(160, 3),
		pcm:      make([]int16, 0, 160),
		onFrame:  onFrame,
		onDigit:  onDigit,
	}
	for _, c := range codecs {
		if isTelephoneEvent(c) {
			in.eventPTs[uint8(c.PayloadType)] = true
		}
		if strings.EqualFold(c.MimeType, mimeOpus) && in.opus == nil {
			if o, err := newOpusIn(); err == nil {
				in.opusPT, in.opus = uint8(c.PayloadType), o
			}
		}
	}
	return in
}

var silence160 = make([]int16, 160)

// handle processes one RTP packet's fields.
func (in *inbound) handle(pt uint8, seq uint16, ts uint32, payload []byte) error {
	switch {
	case in.eventPTs[pt]:
		// The event replaces audio in the stream's sequence space: fill
		// its slot with silence so the playout buffer does not wait for it.
		in.playout.Push(seq, silence160)
		d, ok, err := in.det.Feed(ts, payload)
		if err != nil {
			in.badEvents++
		} else if ok {
			in.digits++
			if err := in.onDigit(d); err != nil {
				return err
			}
		}
	case in.opus != nil && pt == in.opusPT:
		return in.opus.push(seq, payload, func(narrow, wide []int16) error {
			in.frames++
			if in.onWide != nil {
				return in.onWide(narrow, wide)
			}
			return in.onFrame(narrow)
		})
	case pt == in.pcmuPT:
		if len(payload) > 160 {
			payload = payload[:160]
		}
		in.pcm = audio.DecodeUlaw(in.pcm[:0], payload)
		in.playout.Push(seq, in.pcm)
	default:
		return nil
	}
	for {
		f, _, ok := in.playout.Pop()
		if !ok {
			return nil
		}
		in.frames++
		if err := in.onFrame(f); err != nil {
			return err
		}
	}
}

// read runs until the track ends or a callback fails. It reads every
// packet into one buffer and one rtp.Packet (pion's ReadRTP allocates
// both for each packet, 50 a second per call); handle is done with the
// payload before the next read. A packet that does not parse is dropped.
func (in *inbound) read(t *webrtc.TrackRemote) error {
	buf := make([]byte, maxRTPPacket)
	var p rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if p.Unmarshal(buf[:n]) != nil {
			in.badPackets++
			continue
		}
		if err := in.handle(p.PayloadType, p.SequenceNumber, p.Timestamp, p.Payload); err != nil {
			return err
		}
	}
}

// maxRTPPacket is the largest RTP packet read: an Ethernet MTU.
const maxRTPPacket = 1500
