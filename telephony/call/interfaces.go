// Package call is the call controller: one goroutine per call that owns
// its turn-taking state (listening, thinking, speaking, paused for a
// possible interruption), fed by the transport's media reader and a single
// writer/pacer through channels.
//
// It turns the caller's speech and keypad into Inputs for a Conversation
// and speaks the Conversation's Replies. It knows no transport (a
// Transport writes frames and messages) and no conversation runtime (the
// live layer satisfies Conversation and may push Events at any time).
package call

import (
	"context"
	"time"

	"github.com/collectagent/collectagent/telephony/speech"
)

// Conversation is what a call talks to. Turn is called from one goroutine
// at a time per call and may take as long as the conversation needs; the
// call keeps listening meanwhile.
type Conversation interface {
	Turn(ctx context.Context, in Input) (Reply, error)
}

// InputKind says what happened on the call.
type InputKind int

const (
	// Start: the call connected; the reply is the greeting (the AI and
	// recording notices, marked Uninterruptible).
	Start InputKind = iota
	// Speech: the caller said Text.
	Speech
	// Digits: the caller keyed Digits.
	Digits
	// Silence: the caller said nothing for the silence timeout after the
	// bot finished. Final means the call ends after this reply.
	Silence
	// TimeLimit: the call reached its maximum length; the call ends after
	// this reply.
	TimeLimit
)

func (k InputKind) String() string {
	switch k {
	case Start:
		return "start"
	case Speech:
		return "speech"
	case Digits:
		return "digits"
	case Silence:
		return "silence"
	case TimeLimit:
		return "time-limit"
	}
	return "unknown"
}

// Input is one turn of the caller's side.
type Input struct {
	Kind InputKind
	// Text and Confidence are the recogniser's, for Speech.
	Text       string
	Confidence float64
	// Digits are the keys pressed, for Digits ("#" ends an entry and is
	// not included).
	Digits string
	// Silences counts consecutive silence timeouts, for Silence.
	Silences int
	Final    bool
	// At is when the caller finished (end of speech, last key), and
	// Duration how long the utterance lasted, for Speech.
	At       time.Time
	Duration time.Duration
	// Unheard lists reply segments the caller cut off or never heard
	// because they barged in; the conversation decides whether to repeat
	// them (a required disclosure must be).
	Unheard []Segment
	// SpokenDuringNotice is true when the caller said this while an
	// uninterruptible segment played.
	SpokenDuringNotice bool
	// KeypadOnly is set on Start when the call cannot hear speech (no
	// recogniser for the language), so the conversation says so.
	KeypadOnly bool
}

// Segment is one piece of a reply, spoken in order.
type Segment struct {
	Text string
	// Uninterruptible segments (required disclosures) play in full; what
	// the caller says meanwhile is kept and answered afterwards.
	Uninterruptible bool
	// StartsRecording marks the recording notice: recording of both legs
	// begins once it has played.
	StartsRecording bool
	// Who says it, for the caption: "" is the bot; "agent" is a person
	// who took the conversation over, "system" a notice.
	Who string
}

// Reply is the conversation's answer to one Input.
type Reply struct {
	Segments []Segment
	// Expect is what the next answer should be, for the recogniser.
	Expect speech.Expect
	// End hangs up after the segments have played.
	End bool
	// Status is the conversation's status after the turn when it
	// changed, for the caller's app ("" when unchanged).
	Status string
	// Link is a payment link the reply's words promise to send: shown
	// in the caller's app, never read out.
	Link string
	// Hold says the conversation is with a person, or waiting for one:
	// the caller's silence ends nothing (the reply to a final Silence
	// does not hang up, and the re-prompts start again). Their words
	// reach the person through the conversation; Events bring the
	// person's.
	Hold bool
}

// Event is something the conversation says outside a turn: an agent's
// words, a status change, the end of the conversation.
type Event struct {
	Segments []Segment
	Status   string
	// Link is a payment link the words promise to send: shown in the
	// caller's app, never read out.
	Link string
	End  bool
}

// MessageKind says what a Message carries to the caller's app.
type MessageKind int

const (
	// Caption: one side's words (Who is "bot", "agent", "system" or
	// "caller").
	Caption MessageKind = iota
	// Status: the conversation's status (e.g. waiting for a person).
	Status
	// Hangup: the call is over; Text says why.
	Hangup
	// Link: a payment link for the caller's app to show (Text).
	Link
)

// Message goes to the caller's app over the transport's side channel.
type Message struct {
	Kind MessageKind
	Who  string
	Text string
	At   time.Time
}

// Transport is what the call needs from its medium. WriteFrame is called
// only from the call's writer goroutine, once per 20 ms; Send from the
// call's own goroutine. Neither may block for long.
type Transport interface {
	// WriteFrame sends one 20 ms frame of 8 kHz linear PCM.
	WriteFrame(frame []int16) error
	Send(m Message)
}

// Recorder keeps the call's audio. Caller is called from the call's
// goroutine, Bot from its writer: implementations must allow both at once.
type Recorder interface {
	Start(at time.Time)
	Caller(frame []int16, at time.Time)
	Bot(frame []int16, at time.Time)
}
