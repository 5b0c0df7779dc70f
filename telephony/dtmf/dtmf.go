// Package dtmf reads and writes RFC 4733 telephone-events, the RTP form of
// keypad digits (formerly RFC 2833), and turns a stream of them into
// digits pressed, each reported once.
//
// It knows RTP packets, not calls: the transport hands it the packets of
// the negotiated telephone-event payload type.
package dtmf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrShortPayload: a telephone-event payload is not a whole number of
	// 4-byte event blocks.
	ErrShortPayload = errors.New("dtmf: telephone-event payload is not a multiple of 4 bytes")
	// ErrNotDigit: an event code or character is not one of the 16 DTMF
	// digits.
	ErrNotDigit = errors.New("dtmf: not a DTMF digit")
)

// Event is one telephone-event block (RFC 4733 section 2.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	|     event     |E|R| volume    |          duration             |
type Event struct {
	Code uint8
	End  bool
	// Volume is the power level in -dBm0 (0 to 63).
	Volume uint8
	// Duration is in RTP timestamp units since the event's timestamp.
	Duration uint16
}

// Parse reads the event blocks of a telephone-event payload. A payload
// may carry several blocks (redundant copies of earlier events, section
// 2.6); the last one is the current event.
func Parse(payload []byte) ([]Event, error) {
	if len(payload) == 0 || len(payload)%4 != 0 {
		return nil, fmt.Errorf("parse %d bytes: %w", len(payload), ErrShortPayload)
	}
	out := make([]Event, 0, len(payload)/4)
	for b := payload; len(b) >= 4; b = b[4:] {
		out = append(out, Event{
			Code:     b[0],
			End:      b[1]&0x80 != 0,
			Volume:   b[1] & 0x3F,
			Duration: binary.BigEndian.Uint16(b[2:4]),
		})
	}
	return out, nil
}

// Marshal appends e's 4-byte block to dst. The reserved bit is zero.
func (e Event) Marshal(dst []byte) []byte {
	b1 := e.Volume & 0x3F
	if e.End {
		b1 |= 0x80
	}
	return append(dst, e.Code, b1, byte(e.Duration>>8), byte(e.Duration))
}

const digits = "0123456789*#ABCD"

// Digit returns the keypad character of event code c (section 3.2).
func Digit(c uint8) (rune, error) {
	if int(c) >= len(digits) {
		return 0, fmt.Errorf("event %d: %w", c, ErrNotDigit)
	}
	return rune(digits[c]), nil
}

// Code returns the event code of keypad character d.
func Code(d rune) (uint8, error) {
	for i, c := range digits {
		if c == d || (d >= 'a' && d <= 'd' && c == d-'a'+'A') {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("%q: %w", d, ErrNotDigit)
}

// Packet is one RTP packet's worth of a digit being sent: its payload,
// whether it carries the marker bit (the first packet of an event), and
// the RTP timestamp, which stays the event's start for every packet.
type Packet struct {
	Payload   []byte
	Marker    bool
	Timestamp uint32
}

// Build returns the packets that send digit d starting at RTP timestamp ts
// at clock rate Hz: one every 20 ms while the key is held, with growing
// durations, then three identical end packets, as section 2.5.1.4
// recommends so that one lost end packet does not lose the digit.
func Build(d rune, ts uint32, rate int, hold time.Duration, volume uint8) ([]Packet, error) {
	code, err := Code(d)
	if err != nil {
		return nil, err
	}
	step := rate / 50
	total := int(hold.Seconds() * float64(rate))
	if total < step {
		total = step
	}
	if total > 0xFFFF {
		total = 0xFFFF
	}
	var out []Packet
	for dur := step; dur < total; dur += step {
		e := Event{Code: code, Volume: volume, Duration: uint16(dur)}
		out = append(out, Packet{Payload: e.Marshal(nil), Marker: len(out) == 0, Timestamp: ts})
	}
	end := Event{Code: code, End: true, Volume: volume, Duration: uint16(total)}
	for range 3 {
		out = append(out, Packet{Payload: end.Marshal(nil), Marker: len(out) == 0, Timestamp: ts})
	}
	return out, nil
}

// Detector reports each digit once, however many packets carry it. The
// packets of one event share an RTP timestamp (section 2.5.1.1), so a
// timestamp seen before is the same key press: its progress updates and
// its repeated end packets are dropped. A digit is reported on the first
// packet of its event, so the caller hears a reaction while still
// holding the key; a press whose start packets were all lost is reported
// on its first end packet.
type Detector struct {
	seen    bool
	lastTS  uint32
	lastEnd bool
}

// Feed handles one telephone-event packet's payload and RTP timestamp and
// returns the digit it starts, if any.
func (d *Detector) Feed(ts uint32, payload []byte) (digit rune, ok bool, err error) {
	evs, err := Parse(payload)
	if err != nil {
		return 0, false, err
	}
	cur := evs[len(evs)-1]
	if d.seen && ts == d.lastTS {
		d.lastEnd = d.lastEnd || cur.End
		return 0, false, nil
	}
	r, err := Digit(cur.Code)
	if err != nil {
		// Not a keypad event (tones, flash): keep its timestamp so its
		// repeats are ignored too, but report nothing.
		d.seen, d.lastTS, d.lastEnd = true, ts, cur.End
		return 0, false, nil
	}
	d.seen, d.lastTS, d.lastEnd = true, ts, cur.End
	return r, true, nil
}
