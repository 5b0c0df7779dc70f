package store

import "errors"

// Errors returned by stores. Callers test with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: version conflict")
	ErrInvalid  = errors.New("store: invalid record")
	// ErrLimit is a write past one of the store's bounds (MaxTurns).
	ErrLimit = errors.New("store: limit reached")
)

// MaxTurns bounds the turns of one conversation. A chat conversation has
// a few dozen; the bound stops one connection from growing a transcript
// (and every read of it) without end.
const MaxTurns = 2000

// ErrClosed is returned by a store's methods after Close.
var ErrClosed = errors.New("store: closed")
