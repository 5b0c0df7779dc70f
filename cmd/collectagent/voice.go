package main

import (
	"fmt"
	"log/slog"

	"github.com/collectagent/collectagent/telephony/record"
	"github.com/collectagent/collectagent/telephony/speech"
	"github.com/collectagent/collectagent/telephony/voice"
)

// newVoice builds the voice channel: the speech engines found on this
// machine (or configured), recordings under data/recordings.
func newVoice(cfg Config, log *slog.Logger) (*voice.Service, error) {
	providers, err := speech.New(cfg.Voice.Speech, speech.Detect())
	if err != nil {
		return nil, fmt.Errorf("voice: %w", err)
	}
	svc, err := voice.New(cfg.Voice, voice.Deps{
		Providers: providers,
		Blob:      record.Dir{Root: cfg.recordingsDir()},
		Log:       log.With("component", "voice"),
	})
	if err != nil {
		return nil, err
	}
	log.Info("voice calls", "engines", svc.Engines())
	return svc, nil
}
