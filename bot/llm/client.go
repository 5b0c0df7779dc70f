package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/internal/breaker"
	"github.com/collectagent/collectagent/prompts"
	openai "github.com/sashabaranov/go-openai"
)

// Deps are a Client's collaborators.
type Deps struct {
	// Rules understands when the model is not asked or fails, and its
	// parsers re-validate the model's slots. Nil compiles the embedded
	// lexicons.
	Rules *understand.Rules
	// Clock drives the breaker and latency figures; nil is the system clock.
	Clock clock.Clock
	// Logger gets one line per fallback, never message text or PII.
	Logger *slog.Logger
	// HTTPClient carries the calls; nil is a client with no timeout of its
	// own (budgets are contexts).
	HTTPClient *http.Client
}

// Client talks to one OpenAI-compatible endpoint. It is an Understander
// (bot.Understander), a Phraser (bot.Phraser) and a Summarizer
// (bot.Summarizer), and is safe for concurrent use.
type Client struct {
	cfg   Config
	oa    *openai.Client
	rules *understand.Rules
	clock clock.Clock
	log   *slog.Logger
	// One breaker per operation: a dead endpoint opens them all within a
	// few calls, while a request only one operation gets refused (a server
	// that rejects streaming options, say) does not take understanding down.
	br      map[string]*breaker.Breaker
	st      *stats
	version string

	sysUnderstand, sysPhrase, sysSummarize string
	parseSchema, summarySchema             json.RawMessage
	intents                                map[string]bool // the schema's intent enum
}

// New validates cfg and returns a Client. With mode rules it still
// returns a working Client: Understand then answers from the rules and
// Phrase and Summarize decline.
func New(cfg Config, deps Deps) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Rules == nil {
		r, err := understand.Compile()
		if err != nil {
			return nil, fmt.Errorf("%w: rules: %w", ErrConfig, err)
		}
		deps.Rules = r
	}
	if deps.Clock == nil {
		deps.Clock = clock.System{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{}
	}
	c := &Client{
		cfg: cfg, rules: deps.Rules, clock: deps.Clock, st: newStats(), version: prompts.LLMVersion(),
		br: map[string]*breaker.Breaker{
			OpUnderstand: breaker.New(cfg.Breaker, deps.Clock),
			OpPhrase:     breaker.New(cfg.Breaker, deps.Clock),
			OpSummarize:  breaker.New(cfg.Breaker, deps.Clock),
		},
	}
	c.log = deps.Logger.With("component", "llm", "model", cfg.Model)
	files := map[string]*string{
		prompts.LLMUnderstandSystem: &c.sysUnderstand,
		prompts.LLMPhraseSystem:     &c.sysPhrase,
		prompts.LLMSummarizeSystem:  &c.sysSummarize,
	}
	for name, dst := range files {
		b, err := prompts.LLMFile(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		*dst = string(b)
	}
	var err error
	if c.parseSchema, err = loadSchema(prompts.LLMParseSchema); err != nil {
		return nil, err
	}
	if c.summarySchema, err = loadSchema(prompts.LLMSummarySchema); err != nil {
		return nil, err
	}
	if c.intents, err = schemaIntents(c.parseSchema); err != nil {
		return nil, err
	}
	if cfg.Enabled() {
		var oc openai.ClientConfig
		if cfg.APIType == "azure" {
			oc = openai.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
			if cfg.APIVersion != "" {
				oc.APIVersion = cfg.APIVersion
			}
		} else {
			oc = openai.DefaultConfig(cfg.APIKey)
			oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
		}
		oc.HTTPClient = deps.HTTPClient
		c.oa = openai.NewClientWithConfig(oc)
	}
	return c, nil
}

func loadSchema(name string) (json.RawMessage, error) {
	b, err := prompts.LLMFile(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var probe map[string]any
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: schema %s: %w", ErrConfig, name, err)
	}
	return json.RawMessage(b), nil
}

// schemaIntents reads the intent enum of the parse schema: the model may
// name no intent outside it.
func schemaIntents(schema json.RawMessage) (map[string]bool, error) {
	var s struct {
		Properties struct {
			Intent struct {
				Enum []string `json:"enum"`
			} `json:"intent"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(schema, &s); err != nil || len(s.Properties.Intent.Enum) == 0 {
		return nil, fmt.Errorf("%w: parse schema has no intent enum", ErrConfig)
	}
	m := make(map[string]bool, len(s.Properties.Intent.Enum))
	for _, i := range s.Properties.Intent.Enum {
		m[i] = true
	}
	return m, nil
}

// Config returns the client's configuration (its String hides the key).
func (c *Client) Config() Config { return c.cfg }

// PromptVersion identifies the prompts and schemas in use (prompts.LLMVersion).
func (c *Client) PromptVersion() string { return c.version }

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	s := c.st.snapshot()
	s.Model, s.PromptVersion, s.Mode = c.cfg.Model, c.version, c.cfg.Mode
	s.Breakers = make(map[string]string, len(c.br))
	for op, b := range c.br {
		state, opens := b.Snapshot()
		s.Breakers[op] = state.String()
		s.BreakerOpens += opens
	}
	s.Breaker = s.Breakers[OpUnderstand]
	return s
}

// String renders Stats as JSON: a Client is an expvar.Var.
func (c *Client) String() string { return c.Stats().String() }

// BreakerState returns the state of the understanding breaker now.
func (c *Client) BreakerState() BreakerState { return c.BreakerStateOf(OpUnderstand) }

// BreakerStateOf returns the state of an operation's breaker now.
func (c *Client) BreakerStateOf(op string) BreakerState {
	b, ok := c.br[op]
	if !ok {
		return BreakerClosed
	}
	s, _ := b.Snapshot()
	return s
}

// ReportGuard counts a guard check of phrased text (bot.GuardReporter).
func (c *Client) ReportGuard(_ dialog.ActKind, replaced bool) { c.st.guard(replaced) }

// callInfo is what one call (its attempts included) cost.
type callInfo struct {
	latency    time.Duration
	firstToken time.Duration
	attempts   int
	tokensIn   int
	tokensOut  int
}

// begin asks the breaker for a call. When it refuses, the fallback is
// counted and recorded on the turn's trace.
func (c *Client) begin(ctx context.Context, op string, act string) bool {
	if c.oa == nil {
		return false
	}
	if c.br[op].Allow() {
		return true
	}
	c.st.fallback(FallbackBreakerOpen)
	bot.TurnInfoFrom(ctx).Trace.Add(bot.ModelCall{Op: op, Act: act, Model: c.cfg.Model, PromptVersion: c.version, Fallback: FallbackBreakerOpen})
	return false
}

// finish closes a call the breaker let through: breaker, counters, trace
// and log. It returns the fallback reason ("" on success).
func (c *Client) finish(ctx context.Context, op, act string, info callInfo, err error, dropped []string) string {
	reason := ""
	o := breaker.Success
	if err != nil {
		reason = fallbackReason(err)
		o = breaker.Failure
		if reason == FallbackCanceled {
			o = breaker.Neutral
		}
	}
	c.br[op].Done(o)
	c.st.record(op, info.latency, info.attempts, info.tokensIn, info.tokensOut, err == nil)
	if reason != "" {
		c.st.fallback(reason)
		c.log.Warn("model call fell back", "op", op, "act", act, "reason", reason, "attempts", info.attempts, "latency", info.latency)
	}
	c.st.droppedSlots(len(dropped))
	bot.TurnInfoFrom(ctx).Trace.Add(bot.ModelCall{
		Op: op, Act: act, Model: c.cfg.Model, PromptVersion: c.version,
		Latency: info.latency, FirstToken: info.firstToken, TokensIn: info.tokensIn, TokensOut: info.tokensOut,
		Attempts: info.attempts, Fallback: reason, Dropped: dropped,
	})
	return reason
}

// fallbackReason maps an error to a fallback reason.
func fallbackReason(err error) string {
	switch {
	case errors.Is(err, errFigure):
		return FallbackFigure
	case errors.Is(err, ErrTimeout):
		return FallbackTimeout
	case errors.Is(err, ErrRateLimited):
		return FallbackRateLimited
	case errors.Is(err, ErrServer):
		return FallbackServer
	case errors.Is(err, ErrRequest):
		return FallbackRequest
	case errors.Is(err, ErrStreamBroken):
		return FallbackStream
	case errors.Is(err, ErrPlaceholder):
		return FallbackPlaceholder
	case errors.Is(err, ErrBadOutput):
		return FallbackBadOutput
	case errors.Is(err, context.Canceled):
		return FallbackCanceled
	case errors.Is(err, ErrTransport):
		return FallbackTransport
	}
	return FallbackBadOutput
}

// classify turns a go-openai or transport error into one of ours. parent
// is the caller's context: when it ended, the caller gave up.
func classify(parent, call context.Context, err error) error {
	if err == nil {
		return nil
	}
	if parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", context.Canceled, err)
	}
	if call.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	status := 0
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	switch {
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", ErrRateLimited, err)
	case status >= 500:
		return fmt.Errorf("%w: %w", ErrServer, err)
	case status >= 400:
		return fmt.Errorf("%w: %w", ErrRequest, err)
	}
	var ne net.Error
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se), errors.As(err, &te), errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		return fmt.Errorf("%w: %w", ErrBadOutput, err)
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return fmt.Errorf("%w: %w", ErrTransport, err)
}

func retryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrServer) || errors.Is(err, ErrTransport)
}

// withRetry runs attempt until it succeeds, fails for good, or the budget
// left (deadline of call) cannot cover another backoff and attempt.
func (c *Client) withRetry(parent, call context.Context, info *callInfo, attempt func() error) error {
	backoff := c.cfg.Retry.Backoff
	for {
		info.attempts++
		err := classify(parent, call, attempt())
		if err == nil {
			return nil
		}
		if !retryable(err) || info.attempts >= c.cfg.Retry.MaxAttempts {
			return err
		}
		if dl, ok := call.Deadline(); ok && time.Until(dl) < backoff+c.cfg.Retry.MinAttempt {
			return err
		}
		if backoff > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-call.Done():
				t.Stop()
				return classify(parent, call, call.Err())
			case <-t.C:
			}
		}
		backoff *= 2
	}
}

// complete makes one non-streaming call within budget.
func (c *Client) complete(ctx context.Context, budget time.Duration, req openai.ChatCompletionRequest, info *callInfo) (openai.ChatCompletionResponse, error) {
	start := c.clock.Now()
	call, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var resp openai.ChatCompletionResponse
	err := c.withRetry(ctx, call, info, func() error {
		var err error
		resp, err = c.oa.CreateChatCompletion(call, req)
		return err
	})
	info.latency = c.clock.Now().Sub(start)
	if err != nil {
		return resp, err
	}
	info.tokensIn, info.tokensOut = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	return resp, nil
}

// stream makes one streaming call: the first token must arrive within
// firstToken and the whole answer within total. It returns the text.
func (c *Client) stream(ctx context.Context, firstToken, total time.Duration, req openai.ChatCompletionRequest, info *callInfo) (string, error) {
	start := c.clock.Now()
	defer func() { info.latency = c.clock.Now().Sub(start) }()
	call, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	var gotFirst, firstLate atomic.Bool
	timer := time.AfterFunc(firstToken, func() {
		if !gotFirst.Load() {
			firstLate.Store(true)
			cancel()
		}
	})
	defer timer.Stop()

	req.Stream = true
	if c.cfg.StreamUsage {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	var st *openai.ChatCompletionStream
	err := c.withRetry(ctx, call, info, func() error {
		var err error
		st, err = c.oa.CreateChatCompletionStream(call, req)
		return err
	})
	if err != nil {
		if firstLate.Load() {
			return "", fmt.Errorf("%w: no first token within %s", ErrTimeout, firstToken)
		}
		return "", err
	}
	defer st.Close()
	var b strings.Builder
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if firstLate.Load() {
				return "", fmt.Errorf("%w: no first token within %s", ErrTimeout, firstToken)
			}
			if e := classify(ctx, call, err); errors.Is(e, ErrTimeout) || errors.Is(e, context.Canceled) {
				return "", e
			}
			return "", fmt.Errorf("%w: after %d bytes: %w", ErrStreamBroken, b.Len(), err)
		}
		if chunk.Usage != nil {
			info.tokensIn, info.tokensOut = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
		for _, ch := range chunk.Choices {
			if ch.Delta.Content == "" {
				continue
			}
			if !gotFirst.Load() {
				gotFirst.Store(true)
				info.firstToken = c.clock.Now().Sub(start)
			}
			b.WriteString(ch.Delta.Content)
			if b.Len() > maxPhraseBytes {
				return "", fmt.Errorf("%w: runaway text", ErrBadOutput)
			}
		}
	}
	if firstLate.Load() && !gotFirst.Load() {
		return "", fmt.Errorf("%w: no first token within %s", ErrTimeout, firstToken)
	}
	return b.String(), nil
}

// maxPhraseBytes bounds a streamed phrase; past it the model is rambling.
const maxPhraseBytes = 8 << 10

// The interfaces the runtime calls this package through.
var (
	_ bot.Understander  = (*Client)(nil)
	_ bot.Phraser       = (*Client)(nil)
	_ bot.Summarizer    = (*Client)(nil)
	_ bot.GuardReporter = (*Client)(nil)
)
