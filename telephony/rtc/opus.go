package rtc

import (
	"github.com/pion/opus"
)

// Browsers prefer Opus. We never send it (the bot speaks PCMU, which
// needs no encoder), but we accept it: decoded in pure Go at 16 kHz it
// gives the offline recogniser the wideband audio its model needs, where
// 8 kHz PCMU gives it nothing (docs/voice.md).
const (
	ptOpus    = 111
	mimeOpus  = "audio/opus"
	opusFrame = 320 // 20 ms at 16 kHz
)

// opusIn decodes one Opus stream into 20 ms frames at 16 kHz and 8 kHz.
// Packets are decoded in arrival order; late and repeated ones are
// dropped (Opus decoding is stateful, so a reorder buffer would have to
// hold packets, not audio).
type opusIn struct {
	dec     opus.Decoder
	out     []int16 // decode buffer: up to 120 ms at 16 kHz, stereo
	pending []int16 // decoded 16 kHz samples not yet framed
	narrow  []int16
	last    uint16
	started bool
	prev    int16 // the previous wide sample, for the half-band filter
	// counters, read after the reader ends
	late, bad int
}

func newOpusIn() (*opusIn, error) {
	d, err := opus.NewDecoderWithOutput(16000, 1)
	if err != nil {
		return nil, err
	}
	return &opusIn{dec: d, out: make([]int16, 16000*120/1000*2), narrow: make([]int16, opusFrame/2)}, nil
}

// push decodes one packet and calls emit for each whole 20 ms frame.
func (o *opusIn) push(seq uint16, payload []byte, emit func(narrow, wide []int16) error) error {
	if o.started && int16(seq-o.last) <= 0 {
		o.late++
		return nil
	}
	o.started, o.last = true, seq
	n, err := o.dec.DecodeToInt16(payload, o.out)
	if err != nil {
		o.bad++
		return nil
	}
	o.pending = append(o.pending, o.out[:n]...)
	for len(o.pending) >= opusFrame {
		wide := o.pending[:opusFrame]
		// 16 → 8 kHz: a [1 2 1]/4 half-band low-pass, then every other
		// sample. Enough for the VAD, the recording and a caption's
		// worth of narrowband audio.
		for i := range o.narrow {
			a, b, c := int32(o.prev), int32(wide[2*i]), int32(wide[2*i+1])
			o.narrow[i] = int16((a + 2*b + c) / 4)
			o.prev = wide[2*i+1]
		}
		if err := emit(o.narrow, wide); err != nil {
			return err
		}
		o.pending = o.pending[opusFrame:]
	}
	if len(o.pending) == 0 {
		o.pending = o.pending[:0:0]
	}
	return nil
}
