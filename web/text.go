package web

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// ErrBadText is input with a NUL character or bytes that are not UTF-8.
// Neither has a meaning in a name, an id or a message, and PostgreSQL
// cannot store them: they are refused at the edge, the same whatever the
// store.
var ErrBadText = fmt.Errorf("%w: text must be UTF-8 without NUL characters", ErrInvalid)

// ErrFrameText is a chat frame that is not UTF-8 or has a NUL character.
var ErrFrameText = fmt.Errorf("%w: text must be UTF-8 without NUL characters", ErrBadFrame)

// goodText reports whether s is UTF-8 without NUL.
func goodText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkRequestText refuses a request whose path or query is not good text
// (a path value like /v1/accounts/%00 or %ff reaches the store otherwise).
func checkRequestText(path, rawQuery string, query map[string][]string) error {
	if !goodText(path) {
		return fmt.Errorf("path: %w", ErrBadText)
	}
	for k, vs := range query {
		if !goodText(k) {
			return fmt.Errorf("query: %w", ErrBadText)
		}
		for _, v := range vs {
			if !goodText(v) {
				return fmt.Errorf("query %s: %w", k, ErrBadText)
			}
		}
	}
	_ = rawQuery
	return nil
}

// checkText walks a decoded request and refuses any string that is not
// good text, naming its JSON field.
func checkText(v any) error {
	return walkText(reflect.ValueOf(v), "")
}

func walkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkText(v.Elem(), path)
	case reflect.String:
		if !goodText(v.String()) {
			return &ValidationError{Fields: []FieldError{{Field: strings.TrimPrefix(path, "."), Message: "must be UTF-8 without NUL characters"}}}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := walkText(v.Field(i), path+"."+name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw JSON or bytes, checked as a whole body
		}
		for i := range v.Len() {
			if err := walkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := walkText(it.Key(), path); err != nil {
				return err
			}
			if err := walkText(it.Value(), path+"."+fmt.Sprint(it.Key().Interface())); err != nil {
				return err
			}
		}
	}
	return nil
}
