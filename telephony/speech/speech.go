// Package speech turns a caller's audio into text and the bot's text into
// audio, behind two small interfaces with interchangeable providers:
// espeak-ng and pocketsphinx run as processes (offline, found at start),
// any OpenAI-compatible audio API over HTTP, and instant fakes for tests
// and benchmarks.
//
// It knows nothing of calls or conversations: a recogniser gets audio and
// what the current stage expects, a synthesiser gets text and a language.
package speech

import (
	"context"
	"errors"
)

// Audio is mono signed 16-bit PCM at Rate Hz.
type Audio struct {
	PCM  []int16
	Rate int
}

// Transcript is what a recogniser heard.
type Transcript struct {
	Text string
	// Confidence is the recogniser's own score in [0, 1]; 1 when the
	// provider gives none.
	Confidence float64
}

// Hints say what the current stage of the conversation expects, so a
// grammar-based recogniser listens for just that and an API recogniser can
// be prompted with it.
type Hints struct {
	// Lang is a BCP 47 tag: en-US, zh-CN.
	Lang   string
	Expect Expect
}

// Expect lists the kinds of answer the stage accepts.
type Expect struct {
	YesNo  bool
	Date   bool
	Amount bool
	Count  bool
	Digits bool
	// Identity: the answer is identity data (a birth date, ID digits). It
	// never leaves the machine: a remote recogniser is not given it.
	Identity bool
	// Phrases are the stage's intents as the caller might say them
	// ("i want to pay", "talk to a person").
	Phrases []string
}

// Recognizer transcribes one utterance.
type Recognizer interface {
	Transcribe(ctx context.Context, a Audio, h Hints) (Transcript, error)
}

// Synthesizer speaks text in lang at its own rate; callers resample.
type Synthesizer interface {
	Synthesize(ctx context.Context, text, lang string) (Audio, error)
}

var (
	// ErrUnsupportedLang: the provider has no model or voice for the language.
	ErrUnsupportedLang = errors.New("speech: language not supported by this provider")
	// ErrNotInstalled: the engine's program or model is missing.
	ErrNotInstalled = errors.New("speech: engine not installed")
	// ErrBadAudio: audio the provider returned or was given is not usable.
	ErrBadAudio = errors.New("speech: unusable audio")
)
