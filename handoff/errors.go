package handoff

import "errors"

// Errors returned by the package; callers match them with errors.Is.
var (
	// ErrInvalid is a request the package refuses: an id that is not one
	// subject token, an empty message, a priority out of range.
	ErrInvalid = errors.New("handoff: invalid")
	// ErrConfig is a configuration that fails validation.
	ErrConfig = errors.New("handoff: invalid config")
	// ErrNotFound is a case that is not on the board (never queued, or
	// finished and forgotten).
	ErrNotFound = errors.New("handoff: case not found")
	// ErrAlreadyClaimed is a claim on a case another agent holds.
	ErrAlreadyClaimed = errors.New("handoff: case already claimed")
	// ErrNotClaimant is an agent acting on a case it does not hold (never
	// claimed it, or its claim lapsed and the case went back to the queue).
	ErrNotClaimant = errors.New("handoff: agent does not hold the case")
	// ErrFinished is an action on a case that is already completed,
	// handed back, expired or failed.
	ErrFinished = errors.New("handoff: case already finished")
	// ErrQueueEmpty is ClaimNext with nothing waiting.
	ErrQueueEmpty = errors.New("handoff: no case waiting")
	// ErrConflict is a concurrent change that won a race; the caller may
	// retry with fresh state.
	ErrConflict = errors.New("handoff: concurrent update")
	// ErrServer is an embedded server that would not start.
	ErrServer = errors.New("handoff: embedded server")
	// ErrConnect is a NATS connection that could not be made.
	ErrConnect = errors.New("handoff: connect")
	// ErrStream is a stream, consumer or bucket that could not be set up.
	ErrStream = errors.New("handoff: stream setup")
	// ErrPublish is a message JetStream did not acknowledge.
	ErrPublish = errors.New("handoff: publish")
	// ErrClosed is a call after Close.
	ErrClosed = errors.New("handoff: closed")
)
