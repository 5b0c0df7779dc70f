package audio

import (
	"math"
	"time"
)

// VAD decides whether one 20 ms frame holds speech. Implementations keep
// state across frames (noise floor, model state); one call owns one VAD.
// A model VAD (Silero over ONNX) can satisfy the same interface later; the
// energy detector is the default and costs well under a microsecond.
type VAD interface {
	Speech(frame []int16) bool
}

// EnergyVAD flags a frame as speech when its mean power is above both an
// absolute floor (MinLevel) and the tracked noise floor by Margin. The noise
// floor follows quiet frames quickly and loud ones slowly, so a steady
// background hum stops counting as speech within a second or so.
type EnergyVAD struct {
	minPower  float64
	margin    float64
	noise     float64
	primed    bool
	lastPower float64
}

// EnergyConfig sets the detector's levels, in dB relative to full scale.
type EnergyConfig struct {
	// MinLevelDB is the quietest frame that may count as speech;
	// -45 dBFS when zero.
	MinLevelDB float64
	// MarginDB is how far above the noise floor speech must be; 10 dB when
	// zero.
	MarginDB float64
}

// NewEnergyVAD returns an energy detector.
func NewEnergyVAD(c EnergyConfig) *EnergyVAD {
	if c.MinLevelDB == 0 {
		c.MinLevelDB = -45
	}
	if c.MarginDB == 0 {
		c.MarginDB = 10
	}
	full := float64(math.MaxInt16) * float64(math.MaxInt16)
	return &EnergyVAD{
		minPower: full * math.Pow(10, c.MinLevelDB/10),
		margin:   math.Pow(10, c.MarginDB/10),
	}
}

// Speech reports whether frame is speech.
func (v *EnergyVAD) Speech(frame []int16) bool {
	if len(frame) == 0 {
		return false
	}
	var sum int64
	for _, s := range frame {
		x := int64(s)
		sum += x * x
	}
	p := float64(sum) / float64(len(frame))
	v.lastPower = p
	if !v.primed {
		// Start from a floor that lets the absolute level decide: a call
		// may open with the caller already talking.
		v.primed = true
		v.noise = v.minPower / v.margin
	}
	speech := p > v.minPower && p > v.noise*v.margin
	if p < v.noise {
		v.noise = 0.7*v.noise + 0.3*p
	} else if !speech {
		v.noise = 0.95*v.noise + 0.05*p
	} else {
		v.noise = 0.999*v.noise + 0.001*p
	}
	return speech
}

// LevelDB returns the last frame's mean power in dBFS (for logs and tests).
func (v *EnergyVAD) LevelDB() float64 {
	full := float64(math.MaxInt16) * float64(math.MaxInt16)
	if v.lastPower <= 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(v.lastPower/full)
}

// Endpointing holds the turn-taking parameters, in the terms of the
// reference frameworks (LiveKit: 0.5 s minimum endpointing delay, 0.5 s
// minimum interruption; Pipecat: 0.6 s speech timeout).
type Endpointing struct {
	// EndOfTurn is the silence after speech that ends the caller's turn.
	EndOfTurn time.Duration `yaml:"end_of_turn" validate:"gte=0"`
	// MinSpeech is the continuous speech that makes an utterance start
	// (and, while the bot speaks, pauses playback for a possible
	// interruption). Shorter bursts (a click, a cough) are ignored.
	MinSpeech time.Duration `yaml:"min_speech" validate:"gte=0"`
	// Commit is the speech duration that turns a possible interruption
	// into a real one even before any words are recognised.
	Commit time.Duration `yaml:"commit" validate:"gte=0"`
	// Backchannel is the longest utterance that may be a backchannel
	// ("uh-huh", 嗯) while the bot speaks; such an utterance resumes the
	// bot unless its words say otherwise.
	Backchannel time.Duration `yaml:"backchannel" validate:"gte=0"`
}

// DefaultEndpointing returns the defaults: a 600 ms end of turn (Pipecat's
// speech timeout), 120 ms minimum speech, 500 ms commit (LiveKit's minimum
// interruption duration) and 700 ms backchannels.
func DefaultEndpointing() Endpointing {
	return Endpointing{
		EndOfTurn:   600 * time.Millisecond,
		MinSpeech:   120 * time.Millisecond,
		Commit:      500 * time.Millisecond,
		Backchannel: 700 * time.Millisecond,
	}
}

// EndpointEvent is what an Endpointer reports for a frame.
type EndpointEvent int

const (
	// NoEvent: nothing changed.
	NoEvent EndpointEvent = iota
	// SpeechStart: MinSpeech of continuous speech; the utterance began
	// MinSpeech ago.
	SpeechStart
	// SpeechCommit: the utterance has lasted Commit.
	SpeechCommit
	// SpeechEnd: EndOfTurn of silence followed the utterance.
	SpeechEnd
)

// Endpointer turns per-frame speech decisions into utterance events.
type Endpointer struct {
	cfg       Endpointing
	voiced    time.Duration // continuous voiced run before an utterance starts
	inSpeech  bool
	committed bool
	speech    time.Duration // voiced time within the utterance
	silence   time.Duration // trailing silence within the utterance
}

// NewEndpointer returns an endpointer with cfg.
func NewEndpointer(cfg Endpointing) *Endpointer { return &Endpointer{cfg: cfg} }

// Config returns the parameters in use.
func (e *Endpointer) Config() Endpointing { return e.cfg }

// InSpeech reports whether an utterance is under way.
func (e *Endpointer) InSpeech() bool { return e.inSpeech }

// SpeechDuration is the voiced time of the current (or last) utterance.
func (e *Endpointer) SpeechDuration() time.Duration { return e.speech }

// Reset forgets any utterance in progress.
func (e *Endpointer) Reset() { *e = Endpointer{cfg: e.cfg} }

// Push feeds one frame's decision (each frame lasting FrameDuration).
func (e *Endpointer) Push(speech bool) EndpointEvent {
	if !e.inSpeech {
		if !speech {
			e.voiced = 0
			return NoEvent
		}
		e.voiced += FrameDuration
		if e.voiced < e.cfg.MinSpeech && e.cfg.MinSpeech > 0 {
			return NoEvent
		}
		e.inSpeech, e.committed = true, false
		e.speech, e.silence = e.voiced, 0
		e.voiced = 0
		if e.cfg.Commit > 0 && e.speech >= e.cfg.Commit {
			e.committed = true
		}
		return SpeechStart
	}
	if speech {
		e.speech += FrameDuration
		e.silence = 0
		if !e.committed && e.speech >= e.cfg.Commit {
			e.committed = true
			return SpeechCommit
		}
		return NoEvent
	}
	e.silence += FrameDuration
	if e.silence >= e.cfg.EndOfTurn {
		e.inSpeech = false
		return SpeechEnd
	}
	return NoEvent
}
