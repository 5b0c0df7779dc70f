package compliance

import "errors"

// Errors returned by this package. Callers test with errors.Is.
var (
	ErrBadDate     = errors.New("compliance: malformed date")
	ErrUnknownPack = errors.New("compliance: unknown policy pack")
	// ErrUnknownChannel: a channel name that is not one of Channels.
	ErrUnknownChannel = errors.New("compliance: unknown channel")
)

// Errors of the policy packs and the audit chain.
var (
	// ErrBadPack means a pack's data does not hold together.
	ErrBadPack = errors.New("compliance: malformed policy pack")
	// ErrChainBroken means an audit chain does not verify; the error names
	// the first broken seq (see ChainError).
	ErrChainBroken = errors.New("compliance: audit chain broken")
)
