package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAI speaks and listens through any OpenAI-compatible audio API
// (/v1/audio/transcriptions and /v1/audio/speech).
type OpenAI struct {
	Client *openai.Client
	// STTModel is the transcription model; whisper-1 when empty.
	STTModel string
	// TTSModel and Voice choose the speech model and voice; tts-1 and
	// alloy when empty.
	TTSModel string
	Voice    string
	// MaxTTSBytes bounds a speech response; 16 MiB when zero.
	MaxTTSBytes int64
}

// openAIPCMRate is the rate of the API's "pcm" response format: raw 24 kHz
// 16-bit little-endian mono.
const openAIPCMRate = 24000

// Transcribe uploads a as a WAV file and asks for verbose JSON, whose
// segments carry log-probabilities for a confidence.
func (o *OpenAI) Transcribe(ctx context.Context, a Audio, h Hints) (Transcript, error) {
	var wav bytes.Buffer
	if err := WriteWAV(&wav, a); err != nil {
		return Transcript{}, err
	}
	model := o.STTModel
	if model == "" {
		model = openai.Whisper1
	}
	lang, _, _ := strings.Cut(h.Lang, "-")
	resp, err := o.Client.CreateTranscription(ctx, openai.AudioRequest{
		Model:    model,
		FilePath: "utterance.wav",
		Reader:   &wav,
		Language: lang,
		Prompt:   hintPrompt(h.Expect),
		Format:   openai.AudioResponseFormatVerboseJSON,
	})
	if err != nil {
		return Transcript{}, fmt.Errorf("transcription: %w", err)
	}
	conf := 1.0
	if len(resp.Segments) > 0 {
		var lp float64
		for _, s := range resp.Segments {
			lp += s.AvgLogprob
		}
		conf = math.Exp(lp / float64(len(resp.Segments)))
	}
	return Transcript{Text: strings.TrimSpace(resp.Text), Confidence: conf}, nil
}

// hintPrompt gives a transcription model the vocabulary of the stage.
func hintPrompt(e Expect) string {
	var parts []string
	if e.YesNo {
		parts = append(parts, "yes or no")
	}
	if e.Date {
		parts = append(parts, "a date")
	}
	if e.Amount {
		parts = append(parts, "an amount in dollars")
	}
	if e.Count {
		parts = append(parts, "a number of payments")
	}
	if e.Digits {
		parts = append(parts, "digits")
	}
	parts = append(parts, e.Phrases...)
	return strings.Join(parts, ", ")
}

// Synthesize asks for raw PCM, which needs no decoder.
func (o *OpenAI) Synthesize(ctx context.Context, text, lang string) (Audio, error) {
	model, voice := o.TTSModel, o.Voice
	if model == "" {
		model = string(openai.TTSModel1)
	}
	if voice == "" {
		voice = string(openai.VoiceAlloy)
	}
	resp, err := o.Client.CreateSpeech(ctx, openai.CreateSpeechRequest{
		Model:          openai.SpeechModel(model),
		Input:          text,
		Voice:          openai.SpeechVoice(voice),
		ResponseFormat: openai.SpeechResponseFormatPcm,
	})
	if err != nil {
		return Audio{}, fmt.Errorf("speech: %w", err)
	}
	defer resp.Close()
	limit := o.MaxTTSBytes
	if limit == 0 {
		limit = 16 << 20
	}
	raw, err := io.ReadAll(io.LimitReader(resp, limit+1))
	if err != nil {
		return Audio{}, fmt.Errorf("speech: %w", err)
	}
	if int64(len(raw)) > limit {
		return Audio{}, fmt.Errorf("speech: response over %d bytes: %w", limit, ErrBadAudio)
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return Audio{PCM: pcm, Rate: openAIPCMRate}, nil
}
