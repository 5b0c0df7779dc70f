package web

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// Validators report fields by their JSON names (requests) or YAML names
// (configuration), so an error names what the user wrote.
var (
	jsonValidate = newValidator("json")
	yamlValidate = newValidator("yaml")
)

func newValidator(tag string) *validator.Validate {
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

// validateRequest validates a decoded request body; errors name fields by
// their JSON path ("accounts[3].debts[0].due_date").
func validateRequest(s any) error { return validateWith(jsonValidate, s, "") }

// validateConfig validates configuration; errors name fields by their YAML
// path under root ("web.token_secret").
func validateConfig(s any, root string) error { return validateWith(yamlValidate, s, root) }

func validateWith(v *validator.Validate, s any, root string) error {
	err := v.Struct(s)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := &ValidationError{}
	for _, fe := range ves {
		// Namespace starts with the Go type name; replace it with root.
		ns := fe.Namespace()
		if _, rest, ok := strings.Cut(ns, "."); ok {
			ns = rest
		}
		if root != "" {
			ns = root + "." + ns
		}
		out.Fields = append(out.Fields, FieldError{Field: ns, Message: describe(fe)})
	}
	return out
}

// describe says in words what a validation tag wants.
func describe(fe validator.FieldError) string {
	p := fe.Param()
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
	case "gt":
		return "must be greater than " + p
	case "gte", "min":
		if fe.Kind() == reflect.String || fe.Kind() == reflect.Slice {
			return "must have at least " + p + " characters or items"
		}
		return "must be at least " + p
	case "lte", "max":
		if fe.Kind() == reflect.String || fe.Kind() == reflect.Slice {
			return "must have at most " + p + " characters or items"
		}
		return "must be at most " + p
	case "len":
		return "must have length " + p
	case "gtfield":
		return "must be greater than " + p
	case "url":
		return "must be a URL"
	case "printascii":
		return "must be printable ASCII"
	case "unique":
		return "must not repeat"
	default:
		return "fails " + fe.Tag()
	}
}
