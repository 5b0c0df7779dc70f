package speech

import (
	"fmt"

	"github.com/collectagent/collectagent/clock"

	openai "github.com/sashabaranov/go-openai"
)

// Config chooses the providers.
type Config struct {
	// STT is "auto" (pocketsphinx when installed, else none), "pocketsphinx",
	// "openai" or "none" (keypad only).
	STT string `yaml:"stt" validate:"omitempty,oneof=auto pocketsphinx openai none"`
	// TTS is "auto" (espeak-ng when installed), "espeak", "openai" or "none".
	TTS    string       `yaml:"tts" validate:"omitempty,oneof=auto espeak openai none"`
	OpenAI OpenAIConfig `yaml:"openai"`
	// Remote bounds the OpenAI-compatible API when it is chosen: a
	// breaker per direction, the local engines as the fallback, identity
	// answers kept on the machine. Zero: DefaultRemote.
	Remote RemoteConfig `yaml:"remote"`
}

// OpenAIConfig points at an OpenAI-compatible audio API.
type OpenAIConfig struct {
	BaseURL  string `yaml:"base_url"`
	APIKey   string `yaml:"api_key"`
	STTModel string `yaml:"stt_model"`
	TTSModel string `yaml:"tts_model"`
	Voice    string `yaml:"voice"`
}

// Providers are what New chose; a nil field means that direction is not
// available (speech in: keypad only).
type Providers struct {
	STT Recognizer
	TTS Synthesizer
	// Found is what Detect saw, for the start-up log.
	Found Installed
	// STTLangs lists the languages the recogniser handles ("*" for any).
	STTLangs []string
}

// New builds the providers cfg asks for, failing when an engine asked for
// by name is missing (auto falls back quietly, and Found says why).
func New(cfg Config, in Installed) (Providers, error) {
	p := Providers{Found: in}
	var client *openai.Client
	if cfg.STT == "openai" || cfg.TTS == "openai" {
		oc := openai.DefaultConfig(cfg.OpenAI.APIKey)
		if cfg.OpenAI.BaseURL != "" {
			oc.BaseURL = cfg.OpenAI.BaseURL
		}
		client = openai.NewClientWithConfig(oc)
	}
	oa := &OpenAI{Client: client, STTModel: cfg.OpenAI.STTModel, TTSModel: cfg.OpenAI.TTSModel, Voice: cfg.OpenAI.Voice}
	remote := cfg.Remote
	if remote.Breaker.Failures == 0 {
		remote = DefaultRemote()
	}
	var local Local
	if in.Sphinx != "" && in.SphinxModel != "" {
		local.STT, local.Langs = &Sphinx{Path: in.Sphinx, Model: in.SphinxModel}, []string{"en-US"}
	}
	if in.Espeak != "" {
		local.TTS = Espeak{Path: in.Espeak}
	}
	switch cfg.STT {
	case "", "auto", "pocketsphinx":
		if local.STT != nil {
			p.STT, p.STTLangs = local.STT, local.Langs
		} else if cfg.STT == "pocketsphinx" {
			return Providers{}, fmt.Errorf("stt pocketsphinx (%s): %w", in, ErrNotInstalled)
		}
	case "openai":
		p.STT, p.STTLangs = NewRemoteRecognizer(oa, local, remote, clock.System{}), []string{"*"}
	case "none":
	default:
		return Providers{}, fmt.Errorf("stt %q: unknown provider", cfg.STT)
	}
	switch cfg.TTS {
	case "", "auto", "espeak":
		if local.TTS != nil {
			p.TTS = local.TTS
		} else if cfg.TTS == "espeak" {
			return Providers{}, fmt.Errorf("tts espeak (%s): %w", in, ErrNotInstalled)
		}
	case "openai":
		p.TTS = NewRemoteSynthesizer(oa, local.TTS, remote, clock.System{})
	case "none":
	default:
		return Providers{}, fmt.Errorf("tts %q: unknown provider", cfg.TTS)
	}
	return p, nil
}

// Hears reports whether the recogniser handles lang.
func (p Providers) Hears(lang string) bool {
	for _, l := range p.STTLangs {
		if l == "*" || l == lang {
			return true
		}
	}
	return false
}
