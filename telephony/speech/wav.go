package speech

import (
	"encoding/binary"
	"fmt"
	"io"
)

// WriteWAV writes a as a 16-bit PCM mono WAV file.
func WriteWAV(w io.Writer, a Audio) error {
	data := uint32(len(a.PCM) * 2)
	h := make([]byte, 44, 44+len(a.PCM)*2)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(a.Rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(a.Rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	for _, s := range a.PCM {
		h = binary.LittleEndian.AppendUint16(h, uint16(s))
	}
	_, err := w.Write(h)
	return err
}

// ReadWAV reads a 16-bit PCM mono WAV file. Streams written to a pipe
// (espeak-ng --stdout) carry a placeholder data size; everything after the
// data header is taken as samples.
func ReadWAV(b []byte) (Audio, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Audio{}, fmt.Errorf("read wav: not RIFF/WAVE: %w", ErrBadAudio)
	}
	var a Audio
	var fmtSeen bool
	p := b[12:]
	for len(p) >= 8 {
		id, size := string(p[0:4]), binary.LittleEndian.Uint32(p[4:8])
		body := p[8:]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return Audio{}, fmt.Errorf("read wav: short fmt chunk: %w", ErrBadAudio)
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels := binary.LittleEndian.Uint16(body[2:])
			bits := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || bits != 16 {
				return Audio{}, fmt.Errorf("read wav: format %d, %d channels, %d bits; want PCM mono 16-bit: %w", format, channels, bits, ErrBadAudio)
			}
			a.Rate = int(binary.LittleEndian.Uint32(body[4:]))
			fmtSeen = true
		case "data":
			if !fmtSeen {
				return Audio{}, fmt.Errorf("read wav: data before fmt: %w", ErrBadAudio)
			}
			n := uint64(size)
			if n > uint64(len(body)) || size == 0 || size == 0xFFFFFFFF {
				n = uint64(len(body))
			}
			body = body[:n&^1]
			a.PCM = make([]int16, len(body)/2)
			for i := range a.PCM {
				a.PCM[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return a, nil
		}
		adv := uint64(size) + uint64(size&1)
		if adv > uint64(len(body)) {
			break
		}
		p = body[adv:]
	}
	return Audio{}, fmt.Errorf("read wav: no data chunk: %w", ErrBadAudio)
}
