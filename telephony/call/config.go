package call

import (
	"log/slog"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/speech"
)

// Config is one call's behaviour.
type Config struct {
	// Lang is the conversation's locale (en-US, zh-CN).
	Lang        string
	Endpointing audio.Endpointing
	// ResumeAfter is how long playback stays paused for a possible
	// interruption that neither commits nor ends (LiveKit: 2 s).
	ResumeAfter time.Duration
	// Silence is how long the caller may stay silent after the bot
	// finished before a re-prompt; SilencePrompts re-prompts precede the
	// goodbye.
	Silence        time.Duration
	SilencePrompts int
	// MaxDuration is the longest a call may last.
	MaxDuration time.Duration
	// DigitTimeout ends a keypad entry that has no "#".
	DigitTimeout time.Duration
	// ProviderTimeout bounds one recogniser or synthesiser call, and
	// TurnTimeout one conversation turn: a hung provider must not leave
	// the caller in silence (the call carries on without the transcript,
	// shows the text without audio, or ends on a stuck conversation).
	ProviderTimeout time.Duration
	TurnTimeout     time.Duration
	// InputQueue is the depth of the media channels; 0 makes the media
	// reader wait for the controller (tests), production uses 50 (1 s).
	InputQueue int
}

// DefaultConfig returns the defaults.
func DefaultConfig(lang string) Config {
	return Config{
		Lang:            lang,
		Endpointing:     audio.DefaultEndpointing(),
		ResumeAfter:     2 * time.Second,
		Silence:         8 * time.Second,
		SilencePrompts:  1,
		MaxDuration:     15 * time.Minute,
		DigitTimeout:    3 * time.Second,
		ProviderTimeout: 10 * time.Second,
		TurnTimeout:     20 * time.Second,
		InputQueue:      50,
	}
}

// Deps are what a call uses.
type Deps struct {
	Conversation Conversation
	Transport    Transport
	// STT may be nil: the call is keypad only.
	STT speech.Recognizer
	// TTS may be nil: replies are captions only.
	TTS speech.Synthesizer
	VAD audio.VAD
	// Recorder may be nil: nothing is recorded.
	Recorder Recorder
	// Pacer sends the call's frames with every other call's on the node;
	// nil gives the call a pacer of its own.
	Pacer *Pacer
	Clock clock.TimerClock
	Log   *slog.Logger
}
