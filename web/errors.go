package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/telephony/voice"
)

// Errors of the HTTP and WebSocket edge. Handlers wrap them with %w;
// classify turns any error into what the client sees.
var (
	ErrUnauthorized         = errors.New("web: missing or wrong API key")
	ErrTokenMissing         = errors.New("web: missing session token")
	ErrTokenInvalid         = errors.New("web: invalid session token")
	ErrTokenExpired         = errors.New("web: session token expired")
	ErrOrigin               = errors.New("web: origin not allowed")
	ErrBadJSON              = errors.New("web: malformed JSON")
	ErrBodyTooLarge         = errors.New("web: request body too large")
	ErrInvalid              = errors.New("web: invalid input")
	ErrNoRoute              = errors.New("web: no such endpoint")
	ErrBadFrame             = errors.New("web: malformed frame")
	ErrUnknownType          = errors.New("web: unknown frame type")
	ErrRateLimited          = live.ErrRateLimited
	ErrShuttingDown         = errors.New("web: server shutting down")
	ErrNotDemo              = errors.New("web: not a demo account")
	ErrBadConfig            = errors.New("web: invalid configuration")
	ErrNotWebSocket         = errors.New("web: not a WebSocket upgrade")
	ErrMethod               = errors.New("web: method not allowed")
	ErrTooManyConversations = errors.New("web: too many conversations for this account today")
	ErrVoiceOff             = errors.New("web: voice calls are not enabled on this node")
	ErrCallsFull            = errors.New("web: too many calls on this node")
)

// FieldError is one invalid input field, named by its JSON path
// ("accounts[3].debts[0].due_date").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of a request. It wraps
// ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return ErrInvalid.Error()
	}
	return e.Fields[0].Field + ": " + e.Fields[0].Message
}

// Unwrap returns ErrInvalid and each field as a *fielderr.Error.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.Fields))
	errs = append(errs, ErrInvalid)
	for _, f := range e.Fields {
		errs = append(errs, fielderr.New(f.Field, f.Message))
	}
	return errs
}

// apiError is what a client sees of an error: an HTTP status, a stable
// code, a message and, for bad input, the field at fault.
type apiError struct {
	Status  int          `json:"-"`
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Field   string       `json:"field,omitempty"`
	Details []FieldError `json:"details,omitempty"`
}

// Client-visible error codes. docs/api.md lists them; they never change
// meaning.
const (
	CodeUnauthorized   = "unauthorized"
	CodeTokenInvalid   = "token_invalid"
	CodeTokenExpired   = "token_expired"
	CodeForbidden      = "forbidden_origin"
	CodeNotAllowed     = "contact_not_allowed"
	CodeNotFound       = "not_found"
	CodeBadJSON        = "bad_json"
	CodeTooLarge       = "too_large"
	CodeInvalid        = "invalid"
	CodeConflict       = "conflict"
	CodeBadFrame       = "bad_frame"
	CodeUnknownType    = "unknown_type"
	CodeRateLimited    = "rate_limited"
	CodeEnded          = "ended"
	CodeEmptyMessage   = "empty_message"
	CodeMessageTooLong = "message_too_long"
	CodeUnavailable    = "unavailable"
	CodeUpgrade        = "upgrade_required"
	CodeMethod         = "method_not_allowed"
	CodeInternal       = "internal"
	CodeOverCapacity   = "over_capacity"
	CodeTooManyConns   = "too_many_connections"
	CodeLimit          = "limit_reached"
	CodeLegalHold      = "legal_hold"
)

// classify maps an error to what the client sees. It is the one place
// where internal errors become client codes, for HTTP and WebSocket alike.
func classify(err error) apiError {
	var ve *ValidationError
	var ave *accounts.ValidationError
	switch {
	case errors.As(err, &ave):
		ve = &ValidationError{}
		for _, f := range ave.Fields {
			ve.Fields = append(ve.Fields, FieldError(f))
		}
		a := apiError{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: ave.Error(), Details: ve.Fields}
		if len(ve.Fields) > 0 {
			a.Field = ve.Fields[0].Field
		}
		return a
	case errors.As(err, &ve):
		a := apiError{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: ve.Error(), Details: ve.Fields}
		if len(ve.Fields) > 0 {
			a.Field = ve.Fields[0].Field
		}
		return a
	case errors.Is(err, ErrUnauthorized):
		return apiError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "missing or wrong API key"}
	case errors.Is(err, ErrTokenMissing), errors.Is(err, ErrTokenInvalid):
		return apiError{Status: http.StatusUnauthorized, Code: CodeTokenInvalid, Message: "missing or invalid session token"}
	case errors.Is(err, ErrTokenExpired):
		return apiError{Status: http.StatusUnauthorized, Code: CodeTokenExpired, Message: "session token expired"}
	case errors.Is(err, ErrOrigin):
		return apiError{Status: http.StatusForbidden, Code: CodeForbidden, Message: "origin not allowed"}
	case errors.Is(err, bot.ErrNotAllowed):
		return apiError{Status: http.StatusForbidden, Code: CodeNotAllowed, Message: "the borrower may not be contacted on this channel"}
	case errors.Is(err, bot.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, ErrNoRoute), errors.Is(err, ErrNotDemo):
		return apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "not found"}
	case errors.Is(err, ErrBadJSON):
		return apiError{Status: http.StatusBadRequest, Code: CodeBadJSON, Message: err.Error()}
	case errors.Is(err, ErrBodyTooLarge):
		return apiError{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: "request body too large"}
	case errors.Is(err, ErrInvalid), errors.Is(err, store.ErrInvalid):
		return apiError{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: err.Error()}
	case errors.Is(err, store.ErrConflict):
		return apiError{Status: http.StatusConflict, Code: CodeConflict, Message: "the conversation moved on; reconnect"}
	case errors.Is(err, ErrFrameText):
		return apiError{Status: http.StatusBadRequest, Code: CodeBadFrame, Message: "malformed frame: text must be UTF-8 without NUL characters"}
	case errors.Is(err, ErrBadFrame):
		return apiError{Status: http.StatusBadRequest, Code: CodeBadFrame, Message: "malformed frame: want a JSON object with a type"}
	case errors.Is(err, ErrUnknownType):
		return apiError{Status: http.StatusBadRequest, Code: CodeUnknownType, Message: "unknown frame type"}
	case errors.Is(err, ErrRateLimited):
		return apiError{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Message: "too many messages; slow down"}
	case errors.Is(err, bot.ErrEnded):
		return apiError{Status: http.StatusConflict, Code: CodeEnded, Message: "the conversation has ended"}
	case errors.Is(err, bot.ErrEmptyMessage):
		return apiError{Status: http.StatusBadRequest, Code: CodeEmptyMessage, Message: "empty message"}
	case errors.Is(err, bot.ErrMessageTooLong):
		return apiError{Status: http.StatusBadRequest, Code: CodeMessageTooLong, Message: "message too long"}
	case errors.Is(err, ErrNotWebSocket):
		return apiError{Status: http.StatusUpgradeRequired, Code: CodeUpgrade, Message: "connect with a WebSocket client"}
	case errors.Is(err, ErrMethod):
		return apiError{Status: http.StatusMethodNotAllowed, Code: CodeMethod, Message: "method not allowed"}
	case errors.Is(err, store.ErrLimit):
		return apiError{Status: http.StatusUnprocessableEntity, Code: CodeLimit, Message: "the conversation is too long; start a new one"}
	case errors.Is(err, ErrTooManyConversations):
		return apiError{Status: http.StatusTooManyRequests, Code: CodeLimit, Message: "too many conversations for this account today; retry after the Retry-After seconds"}
	case errors.Is(err, ErrVoiceOff), errors.Is(err, voice.ErrNoRecording):
		return apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "not found: " + strings.TrimPrefix(err.Error(), "web: ")}
	case errors.Is(err, ErrCallsFull):
		return apiError{Status: http.StatusServiceUnavailable, Code: CodeOverCapacity, Message: "too many calls on this node; retry after the Retry-After seconds"}
	case errors.Is(err, ErrOverCapacity):
		return apiError{Status: http.StatusServiceUnavailable, Code: CodeOverCapacity, Message: "server at capacity; retry after the Retry-After seconds"}
	case errors.Is(err, ErrTooManyForToken):
		return apiError{Status: http.StatusTooManyRequests, Code: CodeTooManyConns, Message: "too many connections for this session; close one or retry after the Retry-After seconds"}
	case errors.Is(err, ErrTooManyForAddress):
		return apiError{Status: http.StatusTooManyRequests, Code: CodeTooManyConns, Message: "too many connections from this address; retry after the Retry-After seconds"}
	case errors.Is(err, ErrShuttingDown):
		return apiError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "server shutting down; reconnect"}
	default:
		return apiError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
	}
}
