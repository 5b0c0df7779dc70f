package prompts

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	ErrUnknownLocale = errors.New("prompts: unknown locale")
	ErrBadTemplates  = errors.New("prompts: malformed template file")
)
