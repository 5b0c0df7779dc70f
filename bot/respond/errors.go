package respond

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	ErrUnknownLocale = errors.New("respond: unknown locale")
	ErrNoTemplate    = errors.New("respond: no template for act kind")
	ErrTemplate      = errors.New("respond: template failed")
	ErrUnfilled      = errors.New("respond: a placeholder was left unfilled")
)
