package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/compliance"
	openai "github.com/sashabaranov/go-openai"
)

// fakeServer is an OpenAI-compatible chat completions endpoint on
// httptest, scripted per test: each request takes the next reply of the
// script (the last one repeats). It records what it was sent.
type fakeServer struct {
	t       testing.TB
	srv     *httptest.Server
	key     string
	release chan struct{} // closed at cleanup: stalled handlers return

	mu     sync.Mutex
	script []reply
	reqs   []sent
}

// sent is one request as the server saw it.
type sent struct {
	Raw  []byte
	Req  openai.ChatCompletionRequest
	Auth string
}

// User returns the request's user message.
func (s sent) User() string {
	for _, m := range s.Req.Messages {
		if m.Role == openai.ChatMessageRoleUser {
			return m.Content
		}
	}
	return ""
}

// System returns the request's system message.
func (s sent) System() string {
	for _, m := range s.Req.Messages {
		if m.Role == openai.ChatMessageRoleSystem {
			return m.Content
		}
	}
	return ""
}

type reply func(w http.ResponseWriter, r *http.Request, f *fakeServer)

const testKey = "sk-test-0123456789abcdef"

func newFake(t testing.TB, script ...reply) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, key: testKey, release: make(chan struct{}), script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.release)
		f.srv.Close()
	})
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		f.t.Errorf("fake server: request is not a chat completion request: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, sent{Raw: raw, Req: req, Auth: r.Header.Get("Authorization")})
	var rep reply
	switch {
	case len(f.script) == 0:
		rep = status(http.StatusInternalServerError)
	case len(f.script) == 1:
		rep = f.script[0]
	default:
		rep = f.script[0]
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	rep(w, r, f)
}

// setScript replaces the remaining script.
func (f *fakeServer) setScript(script ...reply) {
	f.mu.Lock()
	f.script = script
	f.mu.Unlock()
}

// sent returns the requests so far.
func (f *fakeServer) sent() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.reqs...)
}

func (f *fakeServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fakeServer) last() sent {
	f.t.Helper()
	s := f.sent()
	if len(s) == 0 {
		f.t.Fatal("nothing was sent")
	}
	return s[len(s)-1]
}

func usage() openai.Usage {
	return openai.Usage{PromptTokens: 120, CompletionTokens: 30, TotalTokens: 150}
}

// toolCall answers with a forced function call carrying args.
func toolCall(args string) reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		writeJSON(w, openai.ChatCompletionResponse{
			ID: "chatcmpl-1", Object: "chat.completion", Created: 1, Model: "fake-model",
			Choices: []openai.ChatCompletionChoice{{
				Index: 0,
				Message: openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, ToolCalls: []openai.ToolCall{{
					ID: "call_1", Type: openai.ToolTypeFunction,
					Function: openai.FunctionCall{Name: fnParse, Arguments: args},
				}}},
				FinishReason: openai.FinishReasonToolCalls,
			}},
			Usage: usage(),
		})
	}
}

// content answers with a plain message.
func content(text string) reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		writeJSON(w, openai.ChatCompletionResponse{
			ID: "chatcmpl-2", Object: "chat.completion", Created: 1, Model: "fake-model",
			Choices: []openai.ChatCompletionChoice{{
				Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: text},
				FinishReason: openai.FinishReasonStop,
			}},
			Usage: usage(),
		})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// status answers with an OpenAI error body.
func status(code int) reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"message":"status %d","type":"server_error","code":null}}`, code)
	}
}

// stall answers nothing until the client gives up.
func stall() reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
	}
}

// stream answers as server-sent events, one content chunk per piece, a
// usage chunk and [DONE]. With breakAfter >= 0 the connection is cut after
// that many chunks.
func stream(pieces []string, breakAfter int) reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		fl := w.(http.Flusher)
		event := func(v any) {
			b, _ := json.Marshal(v)
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
		}
		chunk := func(delta openai.ChatCompletionStreamChoiceDelta, finish openai.FinishReason) openai.ChatCompletionStreamResponse {
			return openai.ChatCompletionStreamResponse{
				ID: "chatcmpl-s", Object: "chat.completion.chunk", Created: 1, Model: "fake-model",
				Choices: []openai.ChatCompletionStreamChoice{{Index: 0, Delta: delta, FinishReason: finish}},
			}
		}
		event(chunk(openai.ChatCompletionStreamChoiceDelta{Role: openai.ChatMessageRoleAssistant}, ""))
		for i, p := range pieces {
			if breakAfter >= 0 && i == breakAfter {
				panic(http.ErrAbortHandler) // cut the connection mid-stream
			}
			event(chunk(openai.ChatCompletionStreamChoiceDelta{Content: p}, ""))
		}
		event(chunk(openai.ChatCompletionStreamChoiceDelta{}, openai.FinishReasonStop))
		u := usage()
		event(openai.ChatCompletionStreamResponse{ID: "chatcmpl-s", Object: "chat.completion.chunk", Model: "fake-model", Choices: []openai.ChatCompletionStreamChoice{}, Usage: &u})
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}
}

// stallStream sends the role chunk, then nothing until the client gives up.
func stallStream() reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"id":"s","object":"chat.completion.chunk","model":"fake-model","choices":[{"index":0,"delta":{"role":"assistant"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
	}
}

func newClock() *clock.Fake { return clock.NewFake(time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)) }

var testRules = understand.NewRules()

// today is the borrower's date in every test: a Sunday.
var today = compliance.Date{Year: 2026, Month: 11, Day: 22}

// testConfig is a model configuration pointed at f.
func testConfig(f *fakeServer, mode Mode) Config {
	cfg := Defaults()
	cfg.Mode = mode
	cfg.BaseURL = f.srv.URL + "/v1"
	cfg.Model = "fake-model"
	cfg.APIKey = f.key
	cfg.Retry.Backoff = 5 * time.Millisecond
	cfg.Retry.MinAttempt = 5 * time.Millisecond
	return cfg
}

func newTestClient(t testing.TB, cfg Config, clk clock.Clock) *Client {
	t.Helper()
	if clk == nil {
		clk = newClock()
	}
	c, err := New(cfg, Deps{Rules: testRules, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func reqEN(text string) understand.Request {
	return understand.Request{Text: text, Locale: "en-US", Today: today, Currency: "USD", Stage: "negotiate"}
}

func reqZH(text string) understand.Request {
	return understand.Request{Text: text, Locale: "zh-CN", Today: today, Currency: "CNY", Stage: "negotiate"}
}

// parseArgs writes a model parse as the function's arguments.
func parseArgs(fields map[string]any) string {
	base := map[string]any{
		"intent": "unknown", "alts": []string{}, "negated": false,
		"date": nil, "date_text": nil, "amount": nil, "amount_text": nil,
		"installments": nil, "installments_text": nil, "sentiment": "neutral", "confidence": 0.9,
	}
	for k, v := range fields {
		base[k] = v
	}
	b, _ := json.Marshal(base)
	return string(b)
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t testing.TB, total time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(total)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

func containsAny(s string, subs ...string) string {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return x
		}
	}
	return ""
}

// echo streams back the original message it was asked to rephrase, after
// prefix: a faithful model.
func echo(prefix string) reply {
	return func(w http.ResponseWriter, r *http.Request, f *fakeServer) {
		u := f.last().User()
		_, rest, _ := strings.Cut(u, "<original_message>\n")
		orig, _, _ := strings.Cut(rest, "\n</original_message>")
		orig = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(orig)
		stream(splitEvery(prefix+orig, 11), -1)(w, r, f)
	}
}
