package llm

import "errors"

// Errors returned by this package. Callers test with errors.Is; every
// failure of a model call also means "use the rules or the template".
var (
	// ErrConfig is returned by Validate and New for an unusable configuration.
	ErrConfig = errors.New("llm: invalid configuration")
	// ErrDisabled is returned when the configuration asks for no model
	// (mode rules, or phrasing or summaries turned off).
	ErrDisabled = errors.New("llm: model disabled")
	// ErrBreakerOpen is returned without calling while the endpoint is
	// considered down.
	ErrBreakerOpen = errors.New("llm: circuit breaker open")
	// ErrTimeout is returned when the channel's latency budget ran out.
	ErrTimeout = errors.New("llm: latency budget exceeded")
	// ErrRateLimited is returned on HTTP 429 once retries are spent.
	ErrRateLimited = errors.New("llm: rate limited")
	// ErrServer is returned on HTTP 5xx once retries are spent.
	ErrServer = errors.New("llm: server error")
	// ErrRequest is returned when the endpoint refused the request (4xx
	// other than 429): a wrong model name, key or schema.
	ErrRequest = errors.New("llm: request refused")
	// ErrTransport is returned when the endpoint could not be reached.
	ErrTransport = errors.New("llm: transport error")
	// ErrBadOutput is returned when the model's answer is not what was
	// asked for (invalid JSON, no tool call, an empty or runaway text).
	ErrBadOutput = errors.New("llm: unusable model output")
	// ErrStreamBroken is returned when a streamed answer stopped halfway.
	ErrStreamBroken = errors.New("llm: stream broken")
	// ErrPlaceholder is returned when a phrased text lost a placeholder it
	// had to keep (the payment link) or invented one.
	ErrPlaceholder = errors.New("llm: placeholder lost or invented")
	// ErrDisclosure is returned when asked to phrase a disclosure, which
	// is always sent as its exact template.
	ErrDisclosure = errors.New("llm: disclosures are never phrased")
)

// FieldError is one invalid field of a Config, named as it is spelled in
// YAML ("llm.base_url"). It wraps ErrConfig.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return ErrConfig.Error() + ": " + e.Field + ": " + e.Problem }

func (e *FieldError) Unwrap() error { return ErrConfig }
