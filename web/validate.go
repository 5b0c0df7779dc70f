package web

import (
	"fmt"

	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/go-playground/validator/v10"
)

// Validators report fields by their JSON names (requests) or YAML names
// (configuration), so an error names what the user wrote.
var (
	jsonValidate = fielderr.NewValidator("json")
	yamlValidate = fielderr.NewValidator("yaml")
)

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
	fields, ok := fielderr.FromValidator(err, root, nil)
	if !ok {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := &ValidationError{}
	for _, f := range fields {
		out.Fields = append(out.Fields, FieldError{Field: f.Field, Message: f.Problem})
	}
	return out
}
