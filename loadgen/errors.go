package loadgen

import "errors"

// Errors returned by the package. Failures inside a conversation are not
// returned: they are counted in the report by kind (see ErrorKind).
var (
	// ErrConfig is returned for an invalid Config; the message names the field.
	ErrConfig = errors.New("loadgen: invalid config")
	// ErrNotLoopback is returned when the target URL is not a loopback address.
	ErrNotLoopback = errors.New("loadgen: target is not a loopback address")
	// ErrLocaleMix is returned for a malformed --locale mix.
	ErrLocaleMix = errors.New("loadgen: bad locale mix")
	// ErrServerNotReady is returned when the server's /readyz does not answer 200.
	ErrServerNotReady = errors.New("loadgen: server not ready")
	// ErrSetup is returned when the run cannot create its accounts.
	ErrSetup = errors.New("loadgen: setup failed")
	// ErrProcStatus is returned when a /proc/<pid>/status file cannot be read or parsed.
	ErrProcStatus = errors.New("loadgen: cannot read process status")

	// ErrHTTPStatus is an API call answered with an unexpected status code.
	ErrHTTPStatus = errors.New("unexpected HTTP status")
	// ErrErrorFrame is an error frame received from the server.
	ErrErrorFrame = errors.New("error frame")
	// ErrBadFrame is a frame that is not the JSON the API describes.
	ErrBadFrame = errors.New("malformed frame")
	// ErrOutcome is a conversation that ended without the expected promise.
	ErrOutcome = errors.New("unexpected outcome")
	// ErrEchoMismatch is an echo that did not return what was sent.
	ErrEchoMismatch = errors.New("echo mismatch")
)
