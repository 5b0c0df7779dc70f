package dialog

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	// ErrInvalidPolicy is returned by ValidatePolicy; the message names the field.
	ErrInvalidPolicy = errors.New("dialog: invalid policy")
	// ErrInvalidFlow is returned by ParseFlow and Flow.Validate.
	ErrInvalidFlow = errors.New("dialog: invalid flow")
)

// ErrOffPolicy is returned by CheckProposal, wrapped in a *PolicyError
// that names the rule.
var ErrOffPolicy = errors.New("dialog: outside policy")

// PolicyError is a proposal outside the account's policy: Rule says in
// words which limit it broke ("paying now must be between ..."), for an
// agent to read. It wraps ErrOffPolicy.
type PolicyError struct {
	Rule string
}

func (e *PolicyError) Error() string { return ErrOffPolicy.Error() + ": " + e.Rule }

func (e *PolicyError) Unwrap() error { return ErrOffPolicy }
