package dialog

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	// ErrInvalidPolicy is returned by ValidatePolicy; the message names the field.
	ErrInvalidPolicy = errors.New("dialog: invalid policy")
	// ErrInvalidFlow is returned by ParseFlow and Flow.Validate.
	ErrInvalidFlow = errors.New("dialog: invalid flow")
)

// ErrOffPolicy is returned by CheckProposal; the message names the rule.
var ErrOffPolicy = errors.New("dialog: outside policy")
