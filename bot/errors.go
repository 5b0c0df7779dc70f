package bot

import "errors"

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
