package audit

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	// ErrKey is a missing or too short checkpoint key.
	ErrKey = errors.New("audit: checkpoint key")
	// ErrClosed is returned by a Checkpointer after Close.
	ErrClosed = errors.New("audit: checkpointer closed")
)
