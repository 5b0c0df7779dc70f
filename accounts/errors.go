package accounts

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalid marks accounts that break a validation rule; the
	// *ValidationError that wraps it names every field at fault.
	ErrInvalid = errors.New("accounts: invalid input")
	// ErrBadCSV marks a CSV file that cannot be imported; the *RowError
	// that wraps it names the row and column.
	ErrBadCSV = errors.New("bad CSV")
)

// FieldError is one invalid input field, named by its JSON path
// ("accounts[3].debts[0].due_date").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of a request. It wraps
// ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return ErrInvalid.Error()
	}
	return e.Fields[0].Field + ": " + e.Fields[0].Message
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// RowError is why a CSV file cannot be imported: the row (the header is
// row 1, as in a spreadsheet; 0 when the fault is the whole file), the
// column (empty when the fault is the whole row) and the reason. It wraps
// ErrBadCSV.
type RowError struct {
	Row    int
	Field  string
	Reason string
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(ErrBadCSV.Error())
	b.WriteString(": ")
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

func (e *RowError) Unwrap() error { return ErrBadCSV }
