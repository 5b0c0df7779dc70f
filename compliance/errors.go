package compliance

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	ErrBadDate     = errors.New("compliance: malformed date")
	ErrUnknownPack = errors.New("compliance: unknown policy pack")
)
