package understand

import "errors"

// Errors returned by this package.
var (
	// ErrUnsupportedLocale is returned for a locale other than en-* or zh-*.
	ErrUnsupportedLocale = errors.New("understand: unsupported locale")
	// ErrTextTooLong is returned for a message over MaxTextBytes.
	ErrTextTooLong = errors.New("understand: text too long")
	// ErrNoToday is returned when Request.Today is unset: relative dates
	// cannot be resolved without it.
	ErrNoToday = errors.New("understand: today is unset")
	// ErrBadLexicon is returned when an embedded lexicon does not load.
	ErrBadLexicon = errors.New("understand: bad lexicon")
)
