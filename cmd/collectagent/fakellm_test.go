package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// fakeModel is an OpenAI-compatible chat completions server on httptest
// that speaks the real wire format: forced function calls (or a
// json_schema answer in the content) for understanding and summaries,
// server-sent events for phrasing. A "delegating" model understands by
// running the rules on what it was sent (the masked message) and phrases
// by streaming the original message back; a failing one answers 500 to
// everything. It records what it was sent.
type fakeModel struct {
	t     testing.TB
	srv   *httptest.Server
	rules *understand.Rules
	fail  bool
	// lie, when set, is put before every phrased text: a model that
	// claims what the engine never said. lies, when set, are put before
	// the phrased texts in turn.
	lie    string
	lies   []string
	phrase int // phrase requests answered

	mu    sync.Mutex
	ops   map[string]int // requests by operation
	auths map[string]bool
	raw   []string // request bodies
}

func newFakeModel(t testing.TB, fail bool) *fakeModel {
	return newLyingModel(t, fail, "")
}

// newLyingModel is a fake model that puts lie before every phrased text.
func newLyingModel(t testing.TB, fail bool, lie string) *fakeModel {
	t.Helper()
	f := &fakeModel{t: t, rules: understand.NewRules(), fail: fail, lie: lie, ops: map[string]int{}, auths: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL to configure ("http://127.0.0.1:port/v1").
func (f *fakeModel) URL() string { return f.srv.URL + "/v1" }

func (f *fakeModel) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[op]
}

func (f *fakeModel) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.ops {
		n += c
	}
	return n
}

func (f *fakeModel) sentAuth(h string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths[h]
}

func (f *fakeModel) bodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.raw...)
}

func (f *fakeModel) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		f.t.Errorf("fake model: not a chat completion request: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	op := "phrase"
	switch fn := structuredName(req); fn {
	case "record_parse":
		op = "understand"
	case "record_summary":
		op = "summarize"
	}
	f.mu.Lock()
	f.ops[op]++
	f.auths[r.Header.Get("Authorization")] = true
	f.raw = append(f.raw, string(raw))
	f.mu.Unlock()
	if f.fail {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error":{"message":"model down","type":"server_error","code":null}}`)
		return
	}
	user := ""
	for _, m := range req.Messages {
		if m.Role == openai.ChatMessageRoleUser {
			user = m.Content
		}
	}
	switch op {
	case "understand":
		args, err := f.understand(user)
		if err != nil {
			f.t.Errorf("fake model: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		answer(w, req, "record_parse", args)
	case "summarize":
		answer(w, req, "record_summary", `{"situation":"The borrower explained their situation in the chat.","summary":"The borrower talked with the assistant and the conversation was handed over."}`)
	default:
		if !req.Stream {
			f.t.Errorf("fake model: a phrase request that does not stream")
		}
		lie := f.lie
		f.mu.Lock()
		if len(f.lies) > 0 {
			lie = f.lies[f.phrase%len(f.lies)]
		}
		f.phrase++
		f.mu.Unlock()
		streamBack(w, lie+between(user, "<original_message>\n", "\n</original_message>"))
	}
}

// structuredName is the function (or JSON schema) the request forces.
func structuredName(req openai.ChatCompletionRequest) string {
	if req.ResponseFormat != nil && req.ResponseFormat.JSONSchema != nil {
		return req.ResponseFormat.JSONSchema.Name
	}
	if len(req.Tools) > 0 && req.Tools[0].Function != nil {
		return req.Tools[0].Function.Name
	}
	return ""
}

var contextRe = regexp.MustCompile(`locale=([^;]+); today=(\d{4}-\d{2}-\d{2}) \(\w+\); currency=([^;]+); conversation stage=([^.]+)\.`)

var placeholderRe = regexp.MustCompile(`\[(DOB|ID4)_\d+\]`)

// understand answers an understanding request with what the rules make
// of the message it was sent, slots quoted from that message.
func (f *fakeModel) understand(user string) (string, error) {
	m := contextRe.FindStringSubmatch(user)
	if m == nil {
		return "", fmt.Errorf("no context line in %q", user)
	}
	today, err := compliance.ParseISODate(m[2])
	if err != nil {
		return "", err
	}
	text := between(user, "<borrower_message>\n", "\n</borrower_message>")
	p, err := f.rules.Understand(context.Background(), understand.Request{
		Text: text, Locale: m[1], Today: today, Currency: m[3], Stage: dialog.Stage(m[4]),
	})
	if err != nil {
		return "", err
	}
	intent := string(p.Intent)
	if intent == "" {
		intent = "unknown"
	}
	// The model sees identity answers as placeholders and says so.
	if p.Intent == dialog.IntentUnknown && placeholderRe.MatchString(text) {
		intent = string(dialog.IntentIdentify)
	}
	alts := []string{}
	for _, a := range p.Alts {
		alts = append(alts, string(a))
	}
	sentiment := p.Sentiment
	if sentiment == "" {
		sentiment = "neutral"
	}
	out := map[string]any{
		"intent": intent, "alts": alts, "negated": p.Negated, "sentiment": sentiment, "confidence": 0.95,
		"date": nil, "date_text": nil, "amount": nil, "amount_text": nil, "installments": nil, "installments_text": nil,
	}
	quote := text
	if utf8.RuneCountInString(quote) > 120 {
		quote = ""
	}
	if !p.Date.IsZero() && quote != "" {
		out["date"], out["date_text"] = p.Date.String(), quote
	}
	if !p.Amount.IsZero() && quote != "" {
		out["amount"], out["amount_text"] = float64(p.Amount.Minor)/100, quote
	}
	if p.Installments > 0 && quote != "" {
		out["installments"], out["installments_text"] = p.Installments, quote
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// between returns the text between open and end, unescaped.
func between(s, open, end string) string {
	_, rest, _ := strings.Cut(s, open)
	in, _, _ := strings.Cut(rest, end)
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(in)
}

// answer writes a structured answer: a forced function call, or the JSON
// in the content when the request asked for a json_schema format.
func answer(w http.ResponseWriter, req openai.ChatCompletionRequest, fn, args string) {
	msg := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant}
	finish := openai.FinishReasonToolCalls
	if req.ResponseFormat != nil {
		msg.Content, finish = args, openai.FinishReasonStop
	} else {
		msg.ToolCalls = []openai.ToolCall{{ID: "call_1", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: fn, Arguments: args}}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(openai.ChatCompletionResponse{
		ID: "chatcmpl-1", Object: "chat.completion", Created: 1, Model: "fake-model",
		Choices: []openai.ChatCompletionChoice{{Message: msg, FinishReason: finish}},
		Usage:   openai.Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120},
	})
}

// streamBack streams text as server-sent events in pieces, then the usage
// and [DONE].
func streamBack(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	event := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	chunk := func(d openai.ChatCompletionStreamChoiceDelta, finish openai.FinishReason) openai.ChatCompletionStreamResponse {
		return openai.ChatCompletionStreamResponse{ID: "chatcmpl-s", Object: "chat.completion.chunk", Created: 1, Model: "fake-model",
			Choices: []openai.ChatCompletionStreamChoice{{Delta: d, FinishReason: finish}}}
	}
	event(chunk(openai.ChatCompletionStreamChoiceDelta{Role: openai.ChatMessageRoleAssistant}, ""))
	rs := []rune(text)
	for i := 0; i < len(rs); i += 16 {
		event(chunk(openai.ChatCompletionStreamChoiceDelta{Content: string(rs[i:min(i+16, len(rs))])}, ""))
	}
	event(chunk(openai.ChatCompletionStreamChoiceDelta{}, openai.FinishReasonStop))
	event(openai.ChatCompletionStreamResponse{ID: "chatcmpl-s", Object: "chat.completion.chunk", Model: "fake-model",
		Choices: []openai.ChatCompletionStreamChoice{}, Usage: &openai.Usage{PromptTokens: 80, CompletionTokens: 30, TotalTokens: 110}})
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}
