// Package fielderr is the one way a package says which field of a
// configuration or a request is wrong, so that whoever reports it (the
// command's config check, an API handler) reads the field and the problem
// from a value instead of cutting them out of an error's text.
package fielderr

import (
	"errors"
	"fmt"
)

// Error is a problem with one field, named by its path as the user wrote
// it ("web.admin_addr", "nats.auth", "reason").
type Error struct {
	Field   string
	Problem string
}

// New returns the error of field with problem.
func New(field, problem string) *Error { return &Error{Field: field, Problem: problem} }

// Errorf returns the error of field with a formatted problem.
func Errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Problem: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Field + ": " + e.Problem }

// All returns every *Error in err's tree (wrapped with %w, joined with
// errors.Join, or behind any Unwrap() []error), in order, each once.
func All(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *Error:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// Messages returns "field: problem" for each error in err's tree, or
// err's whole text when it names no field; nil for a nil err.
func Messages(err error) []string {
	if err == nil {
		return nil
	}
	fs := All(err)
	if len(fs) == 0 {
		return []string{err.Error()}
	}
	msgs := make([]string, len(fs))
	for i, f := range fs {
		msgs[i] = f.Error()
	}
	return msgs
}

// Is reports whether err's tree holds a field error (errors.As would find
// one).
func Is(err error) bool {
	var fe *Error
	return errors.As(err, &fe)
}
