package rtc

import (
	"errors"
	"io"

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
	// counters, read after the reader ends
	frames, digits, badEvents int
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

// read runs until the track ends or a callback fails.
func (in *inbound) read(t *webrtc.TrackRemote) error {
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := in.handle(p.PayloadType, p.SequenceNumber, p.Timestamp, p.Payload); err != nil {
			return err
		}
	}
}
