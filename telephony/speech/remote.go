package speech

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/internal/breaker"
)

// RemoteConfig bounds a remote speech API the way the text model is
// bounded. The time budget of one request is the call's provider timeout
// (call.Config.ProviderTimeout); past it, or when the API fails or the
// breaker is open, the local engine serves that utterance instead, or
// nothing does (the caller is asked again, and may key the answer).
type RemoteConfig struct {
	// Breaker stops calling an API that keeps failing, for each direction.
	Breaker breaker.Config `yaml:"breaker"`
}

// DefaultRemote opens the breaker after 3 consecutive failures, for 30 s.
func DefaultRemote() RemoteConfig {
	return RemoteConfig{Breaker: breaker.Config{Failures: 3, OpenFor: 30 * time.Second}}
}

// ErrIdentityKeptLocal: the utterance answers an identity question, which
// is never sent to a remote recogniser, and no local one hears the
// language. The caller keys the answer instead.
var ErrIdentityKeptLocal = errors.New("speech: identity answers are not sent to a remote recogniser")

// ErrBreakerOpen: the remote API failed too often lately and is not being
// called for a while.
var ErrBreakerOpen = errors.New("speech: remote API paused after repeated failures")

// Local is a local engine and the languages it handles.
type Local struct {
	STT   Recognizer // nil: none
	Langs []string   // the recogniser's languages; "*" for any
	TTS   Synthesizer
}

func (l Local) hears(lang string) bool {
	if l.STT == nil {
		return false
	}
	for _, x := range l.Langs {
		if x == "*" || x == lang {
			return true
		}
	}
	return false
}

// RemoteRecognizer puts remote behind a breaker, falls back on the local
// recogniser, and keeps identity answers (Expect.Identity: a birth date,
// ID digits) on the machine: they go to the local recogniser or nowhere.
type RemoteRecognizer struct {
	remote Recognizer
	local  Local
	br     *breaker.Breaker
}

// NewRemoteRecognizer guards remote; clk drives the breaker.
func NewRemoteRecognizer(remote Recognizer, local Local, cfg RemoteConfig, clk clock.Clock) *RemoteRecognizer {
	return &RemoteRecognizer{remote: remote, local: local, br: breaker.New(cfg.Breaker, clk)}
}

// Transcribe implements Recognizer.
func (g *RemoteRecognizer) Transcribe(ctx context.Context, a Audio, h Hints) (Transcript, error) {
	if h.Expect.Identity {
		if !g.local.hears(h.Lang) {
			return Transcript{}, ErrIdentityKeptLocal
		}
		return g.local.STT.Transcribe(ctx, a, h)
	}
	if !g.br.Allow() {
		return g.fallback(ctx, a, h, ErrBreakerOpen)
	}
	t, err := g.remote.Transcribe(ctx, a, h)
	g.br.Done(outcome(ctx, err))
	if err != nil {
		return g.fallback(ctx, a, h, err)
	}
	return t, nil
}

func (g *RemoteRecognizer) fallback(ctx context.Context, a Audio, h Hints, cause error) (Transcript, error) {
	if ctx.Err() != nil || !g.local.hears(h.Lang) {
		return Transcript{}, cause
	}
	t, err := g.local.STT.Transcribe(ctx, a, h)
	if err != nil {
		return Transcript{}, fmt.Errorf("%w; local recogniser: %w", cause, err)
	}
	return t, nil
}

// Breaker reports the breaker's state and how often it opened.
func (g *RemoteRecognizer) Breaker() (breaker.State, uint64) { return g.br.Snapshot() }

// RemoteSynthesizer puts remote behind a breaker and falls back on the
// local synthesiser, so a call is not left silent by a failing API.
type RemoteSynthesizer struct {
	remote Synthesizer
	local  Synthesizer // nil: none (the call shows captions only)
	br     *breaker.Breaker
}

// NewRemoteSynthesizer guards remote; clk drives the breaker.
func NewRemoteSynthesizer(remote, local Synthesizer, cfg RemoteConfig, clk clock.Clock) *RemoteSynthesizer {
	return &RemoteSynthesizer{remote: remote, local: local, br: breaker.New(cfg.Breaker, clk)}
}

// Synthesize implements Synthesizer.
func (g *RemoteSynthesizer) Synthesize(ctx context.Context, text, lang string) (Audio, error) {
	if !g.br.Allow() {
		return g.fallback(ctx, text, lang, ErrBreakerOpen)
	}
	a, err := g.remote.Synthesize(ctx, text, lang)
	g.br.Done(outcome(ctx, err))
	if err != nil {
		return g.fallback(ctx, text, lang, err)
	}
	return a, nil
}

func (g *RemoteSynthesizer) fallback(ctx context.Context, text, lang string, cause error) (Audio, error) {
	if ctx.Err() != nil || g.local == nil {
		return Audio{}, cause
	}
	a, err := g.local.Synthesize(ctx, text, lang)
	if err != nil {
		return Audio{}, fmt.Errorf("%w; local synthesiser: %w", cause, err)
	}
	return a, nil
}

// Breaker reports the breaker's state and how often it opened.
func (g *RemoteSynthesizer) Breaker() (breaker.State, uint64) { return g.br.Snapshot() }

// outcome is how a remote call ended for the breaker: the caller giving
// up first shows nothing about the API.
func outcome(ctx context.Context, err error) breaker.Outcome {
	switch {
	case err == nil:
		return breaker.Success
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return breaker.Neutral
	default:
		return breaker.Failure
	}
}
