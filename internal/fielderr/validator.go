package fielderr

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// NewValidator returns a validator that names fields by the struct tag
// given ("json" for requests, "yaml" for configuration), so an error
// names what the user wrote; a field tagged "-" has no name.
func NewValidator(tag string) *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	return v
}

// Describer says in words what a validation tag wants; a package with
// tags of its own passes one that knows them and falls back on Describe.
type Describer func(validator.FieldError) string

// FromValidator turns a validator's error into field errors named by
// their path under root ("web.token_secret"; root "" leaves the path as
// the struct has it: "accounts[3].debts[0].due_date"). ok is false when
// err is not the validator's report of bad fields (nil, or a misuse of
// the validator).
func FromValidator(err error, root string, describe Describer) (fields []*Error, ok bool) {
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return nil, false
	}
	if describe == nil {
		describe = Describe
	}
	for _, fe := range ves {
		// Namespace starts with the Go type name; replace it with root.
		ns := fe.Namespace()
		if _, rest, ok := strings.Cut(ns, "."); ok {
			ns = rest
		}
		if root != "" {
			ns = root + "." + ns
		}
		fields = append(fields, &Error{Field: ns, Problem: describe(fe)})
	}
	return fields, true
}

// Join returns the field errors as one error (errors.Join), nil for none.
func Join(fields []*Error) error {
	errs := make([]error, len(fields))
	for i, f := range fields {
		errs[i] = f
	}
	return errors.Join(errs...)
}

// Describe says in words what the validator's standard tags want.
func Describe(fe validator.FieldError) string {
	p := fe.Param()
	sized := fe.Kind() == reflect.String || fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map
	switch fe.Tag() {
	case "required", "required_if", "required_with":
		return "is required"
	case "required_without":
		return "is required when " + p + " is empty"
	case "datetime":
		if p == "2006-01-02" {
			return "must be a date YYYY-MM-DD"
		}
		return "must be a time in the form " + p
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(p), ", ")
	case "email":
		return "must be an email address"
	case "e164":
		return "must be a phone number in E.164 form, e.g. +13125550100"
	case "iso4217":
		return "must be an ISO 4217 currency code, e.g. USD or CNY"
	case "timezone":
		return "must be an IANA time zone, e.g. America/Chicago or Asia/Shanghai"
	case "gt", "gtfield":
		return "must be greater than " + p
	case "gte", "min":
		if sized {
			return "must have at least " + p + " characters or items"
		}
		return "must be at least " + p
	case "lte", "max":
		if sized {
			return "must have at most " + p + " characters or items"
		}
		return "must be at most " + p
	case "len":
		return "must have length " + p
	case "url":
		return "must be a URL"
	case "printascii":
		return "must be printable ASCII"
	case "unique":
		return "must not repeat"
	default:
		if p != "" {
			return "fails " + fe.Tag() + " " + p
		}
		return "fails " + fe.Tag()
	}
}
