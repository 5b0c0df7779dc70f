package record

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/speech"
)

const rate = 8000

// Recorder collects both legs of a call on one timeline: each frame is
// placed at the sample its time stamp says, gaps are silence, so the legs
// line up and mix. Legs are held as μ-law (8 kB per second per leg).
// It is safe for the call's reader and writer goroutines at once.
type Recorder struct {
	mu      sync.Mutex
	start   time.Time
	running bool
	paused  bool
	legs    [2][]byte
	enc     []byte
}

// Leg names a side of the call.
type Leg int

const (
	LegCaller Leg = iota
	LegBot
)

// NewRecorder returns a recorder that records nothing until Start.
func NewRecorder() *Recorder { return &Recorder{} }

// Start begins recording at at (after the recording notice).
func (r *Recorder) Start(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		r.running, r.start = true, at
	}
}

// Pause and Resume bracket what must not be kept (card digits): paused
// time is recorded as silence on both legs.
func (r *Recorder) Pause() {
	r.mu.Lock()
	r.paused = true
	r.mu.Unlock()
}

func (r *Recorder) Resume() {
	r.mu.Lock()
	r.paused = false
	r.mu.Unlock()
}

// Frame records a 20 ms, 8 kHz frame of leg that began at at.
func (r *Recorder) Frame(leg Leg, frame []int16, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running || at.Before(r.start) || r.paused {
		return
	}
	off := int(at.Sub(r.start) * rate / time.Second)
	l := r.legs[leg]
	// A frame that arrives late against the timeline (jitter) is placed
	// after what is there rather than over it.
	for len(l) < off {
		l = append(l, audio.UlawSilence)
	}
	r.enc = audio.EncodeUlaw(r.enc[:0], frame)
	r.legs[leg] = append(l, r.enc...)
}

// Caller records a frame of the caller's leg.
func (r *Recorder) Caller(frame []int16, at time.Time) { r.Frame(LegCaller, frame, at) }

// Bot records a frame of the bot's leg.
func (r *Recorder) Bot(frame []int16, at time.Time) { r.Frame(LegBot, frame, at) }

// Recording names the stored files of one call.
type Recording struct {
	Caller, Bot, Mix string
	Duration         time.Duration
}

// Close writes the legs and their mix as 16-bit WAV files named
// prefix-caller.wav, prefix-bot.wav and prefix-mix.wav, and returns their
// keys. A recorder never started writes nothing.
func (r *Recorder) Close(ctx context.Context, b Blob, prefix string) (Recording, error) {
	r.mu.Lock()
	legs := r.legs
	running := r.running
	r.legs = [2][]byte{}
	r.mu.Unlock()
	if !running {
		return Recording{}, nil
	}
	n := max(len(legs[0]), len(legs[1]))
	pcm := [2][]int16{}
	for i := range legs {
		pcm[i] = audio.DecodeUlaw(make([]int16, 0, n), legs[i])
		for len(pcm[i]) < n {
			pcm[i] = append(pcm[i], 0)
		}
	}
	mix := make([]int16, n)
	for i := range mix {
		s := int32(pcm[0][i]) + int32(pcm[1][i])
		mix[i] = int16(max(-32768, min(32767, s)))
	}
	rec := Recording{Caller: prefix + "-caller.wav", Bot: prefix + "-bot.wav", Mix: prefix + "-mix.wav", Duration: time.Duration(n) * time.Second / rate}
	for _, f := range []struct {
		key string
		pcm []int16
	}{{rec.Caller, pcm[0]}, {rec.Bot, pcm[1]}, {rec.Mix, mix}} {
		var buf bytes.Buffer
		if err := speech.WriteWAV(&buf, speech.Audio{PCM: f.pcm, Rate: rate}); err != nil {
			return Recording{}, err
		}
		if err := b.Put(ctx, f.key, &buf); err != nil {
			return Recording{}, fmt.Errorf("recording: %w", err)
		}
	}
	return rec, nil
}
