package eval

import "errors"

// Errors returned by the package.
var (
	// ErrSuite marks a suite file that cannot be read or is invalid; the
	// message names the conversation (or account) and the field.
	ErrSuite = errors.New("eval: invalid suite")
	// ErrRun marks a failure to run a suite at all (the store or the
	// runtime could not be set up), as opposed to conversations that ran
	// and failed their expectations.
	ErrRun = errors.New("eval: cannot run suite")
)
