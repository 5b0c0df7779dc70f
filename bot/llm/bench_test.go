package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	openai "github.com/sashabaranov/go-openai"
)

// instantServer answers every request at once with pre-encoded bytes, so
// what a benchmark measures is collectagent's side of the call (masking,
// request building, HTTP on loopback, decoding, re-validation), not a model.
func instantServer(b *testing.B, body []byte, contentType string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchConfig(url string, mode Mode) Config {
	cfg := Defaults()
	cfg.Mode, cfg.BaseURL, cfg.Model, cfg.APIKey = mode, url+"/v1", "fake-model", testKey
	return cfg
}

func benchClient(b *testing.B, cfg Config) *Client {
	c, err := New(cfg, Deps{Rules: testRules, HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// reportQuantiles adds p50 and p99 of per-op times to the benchmark.
func reportQuantiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

var benchReq = understand.Request{
	Text:   "I get paid on the 5th, so I could send 120 on the 8th and the rest later, call me at 312-555-0100",
	Locale: "en-US", Today: today, Currency: "USD", Stage: "negotiate",
}

func benchUnderstand(b *testing.B, c *Client, wantSource string) {
	ctx := bot.WithTurnInfo(context.Background(), bot.TurnInfo{Channel: "chat", AmountDue: usd(24000)})
	p, err := c.Understand(ctx, benchReq)
	if err != nil || p.Source != wantSource {
		b.Fatalf("parse %+v, %v: want source %s", p, err, wantSource)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := c.Understand(ctx, benchReq); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

// BenchmarkUnderstandRules is the rules path through a Client: the
// baseline the other two are measured against.
func BenchmarkUnderstandRules(b *testing.B) {
	benchUnderstand(b, benchClient(b, Defaults()), understand.Source)
}

// BenchmarkUnderstandLLM is the whole LLM path against a server that
// answers instantly: its time is the overhead beyond the model's own.
func BenchmarkUnderstandLLM(b *testing.B) {
	args := parseArgs(map[string]any{"intent": "promise", "date": "2026-12-08", "date_text": "the 8th", "amount": 120, "amount_text": "120", "confidence": 0.85})
	body, _ := json.Marshal(openai.ChatCompletionResponse{
		ID: "x", Object: "chat.completion", Model: "fake-model", Usage: usage(),
		Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: "assistant",
			ToolCalls: []openai.ToolCall{{ID: "c", Type: "function", Function: openai.FunctionCall{Name: fnParse, Arguments: args}}}}}},
	})
	srv := instantServer(b, body, "application/json")
	benchUnderstand(b, benchClient(b, benchConfig(srv.URL, ModeLLM)), SourceLLM)
}

// cannedTransport answers every request in memory: no socket, no server
// goroutine. What is left is collectagent's and go-openai's own work.
type cannedTransport struct {
	body        []byte
	contentType string
}

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {t.contentType}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)), Request: r,
	}, nil
}

// BenchmarkUnderstandLLMInMemory is the LLM path with the network taken
// out: masking, request building and encoding, response decoding,
// re-validation by the rules' parsers, breaker and counters.
func BenchmarkUnderstandLLMInMemory(b *testing.B) {
	args := parseArgs(map[string]any{"intent": "promise", "date": "2026-12-08", "date_text": "the 8th", "amount": 120, "amount_text": "120", "confidence": 0.85})
	body, _ := json.Marshal(openai.ChatCompletionResponse{
		ID: "x", Object: "chat.completion", Model: "fake-model", Usage: usage(),
		Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: "assistant",
			ToolCalls: []openai.ToolCall{{ID: "c", Type: "function", Function: openai.FunctionCall{Name: fnParse, Arguments: args}}}}}},
	})
	c, err := New(benchConfig("http://model.invalid", ModeLLM), Deps{Rules: testRules,
		HTTPClient: &http.Client{Transport: cannedTransport{body: body, contentType: "application/json"}}})
	if err != nil {
		b.Fatal(err)
	}
	benchUnderstand(b, c, SourceLLM)
}

// BenchmarkUnderstandBreakerOpen is a turn under a dead endpoint once the
// breaker has opened: it should cost what the rules cost.
func BenchmarkUnderstandBreakerOpen(b *testing.B) {
	srv := instantServer(b, []byte(`{"error":{"message":"down"}}`), "application/json")
	cfg := benchConfig(srv.URL, ModeLLM)
	cfg.Breaker = BreakerConfig{Failures: 1, OpenFor: time.Hour}
	cfg.Retry.MaxAttempts = 1
	c := benchClient(b, cfg)
	_, _ = c.Understand(context.Background(), benchReq) // the failure that opens it
	if c.BreakerState() != BreakerOpen {
		b.Fatalf("breaker %v", c.BreakerState())
	}
	benchUnderstand(b, c, understand.Source)
}

// BenchmarkPhraseLLM is phrasing over SSE against an instant server, with
// the guard's check (bot.PhraseAct).
func BenchmarkPhraseLLM(b *testing.B) {
	var sse []byte
	for _, p := range splitEvery("Got it, Maria. $240.00 by Nov 27, 2026 — does that work for you?", 6) {
		chunk, _ := json.Marshal(openai.ChatCompletionStreamResponse{ID: "s", Object: "chat.completion.chunk", Model: "fake-model",
			Choices: []openai.ChatCompletionStreamChoice{{Delta: openai.ChatCompletionStreamChoiceDelta{Content: p}}}})
		sse = fmt.Appendf(sse, "data: %s\n\n", chunk)
	}
	sse = append(sse, "data: [DONE]\n\n"...)
	srv := instantServer(b, sse, "text/event-stream")
	c := benchClient(b, benchConfig(srv.URL, ModeLLM))
	ctx := bot.WithTurnInfo(context.Background(), bot.TurnInfo{Channel: "chat"})
	req := confirmEN()
	if r := bot.PhraseAct(ctx, c, guardUS, req); r.Source != "model" {
		b.Fatalf("result %+v (%v)", r, r.Err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		bot.PhraseAct(ctx, c, guardUS, req)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

// BenchmarkMask is the masking of one message, without and with PII.
func BenchmarkMask(b *testing.B) {
	o := maskOpts{today: today, mask: true, names: []string{"Maria Lopez"}}
	for _, bc := range []struct{ name, text string }{
		{"plain", "money's tight till the 5th but I'll sort it, maybe 240 then"},
		{"pii", benchReq.Text},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				newMasker().mask(bc.text, o)
			}
		})
	}
}

// constPhraser answers every request with the same text, instantly.
type constPhraser string

func (p constPhraser) Phrase(context.Context, bot.PhraseRequest) (string, error) {
	return string(p), nil
}

// BenchmarkPhraseActChecks is what PhraseAct adds on top of the model: the
// guard, the dropped-figure and the claim checks on a 300-character reply.
func BenchmarkPhraseActChecks(b *testing.B) {
	text := "Thanks for sticking with this, Maria. I know money is tight right now, so let's keep it simple: " +
		"you'll pay $240.00 by November 27, 2026, and that takes care of the balance on this account. " +
		"If anything changes before then, just message us here. Does that plan work for you?"
	req := confirmEN()
	ctx := context.Background()
	if r := bot.PhraseAct(ctx, constPhraser(text), guardUS, req); r.Source != "model" {
		b.Fatalf("result %+v", r)
	}
	b.ReportAllocs()
	for b.Loop() {
		bot.PhraseAct(ctx, constPhraser(text), guardUS, req)
	}
}
