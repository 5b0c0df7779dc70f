package bot

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by the runtime. Transports map them to client-visible
// codes in one place.
var (
	ErrNotFound       = errors.New("bot: not found")              // account or conversation
	ErrEnded          = errors.New("bot: conversation has ended") // no more borrower messages
	ErrNotAllowed     = errors.New("bot: contact not allowed")    // consent, do-not-contact, flags
	ErrEmptyMessage   = errors.New("bot: empty message")
	ErrMessageTooLong = errors.New("bot: message too long")
	ErrWrongMode      = errors.New("bot: not possible in the conversation's mode")
	ErrBlocked        = errors.New("bot: stopped by the guard")
	ErrConfig         = errors.New("bot: invalid configuration")
	ErrDone           = errors.New("bot: already done")    // a callback task done before
	ErrInvalid        = errors.New("bot: invalid request") // an argument out of range
)

// Refusal is a request the runtime turned down, with the reason in words
// for the person who made it ("the conversation is agent"). It wraps one
// of the sentinels above (ErrInvalid, ErrWrongMode, ErrNotAllowed), so
// callers test with errors.Is and show Message.
type Refusal struct {
	Err    error
	Reason string
}

func (e *Refusal) Error() string { return e.Err.Error() + ": " + e.Reason }

func (e *Refusal) Unwrap() error { return e.Err }

// Message is the refusal as a client reads it: what was refused, without
// this package's prefix, and why ("not possible in the conversation's
// mode: the conversation is agent").
func (e *Refusal) Message() string {
	return strings.TrimPrefix(e.Err.Error(), "bot: ") + ": " + e.Reason
}

// refuse returns a *Refusal of kind err, the reason formatted.
func refuse(err error, format string, args ...any) error {
	return &Refusal{Err: err, Reason: fmt.Sprintf(format, args...)}
}
