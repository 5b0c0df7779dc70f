package speech

import (
	"context"
	"math"
	"sync"
	"unicode/utf8"
)

// FakeRecognizer returns scripted transcripts in order, instantly, and
// records the hints it was given. With the script exhausted it returns an
// empty transcript.
type FakeRecognizer struct {
	mu     sync.Mutex
	script []Transcript
	hints  []Hints
	// Func, when set, decides the transcript instead of the script.
	Func func(a Audio, h Hints) Transcript
}

// NewFakeRecognizer returns a recogniser that hears texts in order.
func NewFakeRecognizer(texts ...string) *FakeRecognizer {
	f := &FakeRecognizer{}
	for _, t := range texts {
		f.script = append(f.script, Transcript{Text: t, Confidence: 1})
	}
	return f
}

// Transcribe pops the next scripted transcript.
func (f *FakeRecognizer) Transcribe(ctx context.Context, a Audio, h Hints) (Transcript, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hints = append(f.hints, h)
	if f.Func != nil {
		return f.Func(a, h), nil
	}
	if len(f.script) == 0 {
		return Transcript{}, nil
	}
	t := f.script[0]
	f.script = f.script[1:]
	return t, nil
}

// Hints returns the hints of every call so far.
func (f *FakeRecognizer) Hints() []Hints {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Hints(nil), f.hints...)
}

// FakeSynthesizer speaks instantly: a 400 Hz tone at 8 kHz lasting
// PerChar for each character of text, so longer replies play longer.
type FakeSynthesizer struct {
	// PerCharMs is the tone length per character in ms; 60 when zero.
	PerCharMs int
}

// Synthesize returns the tone.
func (f FakeSynthesizer) Synthesize(ctx context.Context, text, lang string) (Audio, error) {
	per := f.PerCharMs
	if per == 0 {
		per = 60
	}
	n := utf8.RuneCountInString(text) * per * 8
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*400*float64(i)/8000))
	}
	return Audio{PCM: pcm, Rate: 8000}, nil
}
