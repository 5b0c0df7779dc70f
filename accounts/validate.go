package accounts

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/go-playground/validator/v10"
)

// validate reports fields by their JSON names, so an error names what the
// lender wrote.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := fielderr.NewValidator("json")
	// idlast4: the last four characters of an ID number; Chinese resident
	// ID numbers may end in X.
	must(v.RegisterValidation("idlast4", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		if len(s) != 4 {
			return false
		}
		for i := 0; i < 4; i++ {
			c := s[i]
			if c >= '0' && c <= '9' || i == 3 && (c == 'X' || c == 'x') {
				continue
			}
			return false
		}
		return true
	}))
	// cents: a major-unit amount with at most two decimals.
	must(v.RegisterValidation("cents", func(fl validator.FieldLevel) bool {
		f := fl.Field().Float()
		c := f * 100
		return !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(c-math.Round(c)) < 1e-6 && math.Abs(f) < 1e13
	}))
	// timezone replaces the validator's own, which loads the zone from
	// disk for every row: an import of 100,000 rows in a handful of zones
	// would read the zone database 100,000 times.
	must(v.RegisterValidation("timezone", func(fl validator.FieldLevel) bool {
		return knownZone(fl.Field().String())
	}))
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// zones caches the names time.LoadLocation accepted. Only good names are
// kept, so hostile input cannot grow it past the zone database.
var zones sync.Map // string -> struct{}

// knownZone reports whether name is an IANA time zone, as the validator's
// own "timezone" rule does: not empty, not "Local", loadable.
func knownZone(name string) bool {
	if name == "" || strings.EqualFold(name, "local") {
		return false
	}
	if _, ok := zones.Load(name); ok {
		return true
	}
	if _, err := time.LoadLocation(name); err != nil {
		return false
	}
	zones.Store(name, struct{}{})
	return true
}

// validateStruct runs the field rules; errors name fields by their JSON
// path ("accounts[3].debts[0].due_date").
func validateStruct(s any) error {
	err := validate.Struct(s)
	if err == nil {
		return nil
	}
	fields, ok := fielderr.FromValidator(err, "", describe)
	if !ok {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := &ValidationError{}
	for _, f := range fields {
		out.Fields = append(out.Fields, FieldError{Field: f.Field, Message: f.Problem})
	}
	return out
}

// describe says in words what this package's own tags want, and the
// standard ones as fielderr does.
func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "idlast4":
		return "must be the last 4 characters of an ID: 4 digits, the last may be X"
	case "cents":
		return "must be an amount with at most two decimals"
	default:
		return fielderr.Describe(fe)
	}
}
