package store

import "errors"

// Errors returned by stores. Callers test with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: version conflict")
	ErrInvalid  = errors.New("store: invalid record")
)

// ErrClosed is returned by a store's methods after Close.
var ErrClosed = errors.New("store: closed")
