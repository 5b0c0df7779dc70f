// Package logmask is the one rule for personal data in logs: an account
// reference keeps only its last four characters, and a Handler applies
// the rule to every record whatever its caller passed, so a log line
// written in any package masks the same fields the same way. It knows
// nothing of the rest of the module.
package logmask

import (
	"context"
	"log/slog"
	"strings"
)

// Prefix marks a masked value.
const Prefix = "***"

// Ref masks an account reference (or any identifier that names a
// person): "***" and its last four characters. A masked value stays as it
// is, so masking twice is harmless.
func Ref(id string) string {
	if strings.HasPrefix(id, Prefix) {
		return id
	}
	r := []rune(id)
	if len(r) <= 4 {
		return Prefix
	}
	return Prefix + string(r[len(r)-4:])
}

// refKeys are attribute keys whose values are account references.
var refKeys = map[string]bool{
	"account": true, "account_id": true, "account_ref": true, "accountID": true,
}

// secretKeys are attribute keys whose values never appear at all.
var secretKeys = map[string]bool{
	"phone": true, "email": true, "dob": true, "date_of_birth": true,
	"id_last4": true, "password": true, "token": true,
}

// Handler wraps h and masks the attributes of every record: account
// references by Ref, phone numbers, e-mail addresses, dates of birth, ID
// digits, passwords and tokens entirely.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(*handler); ok {
		return h
	}
	return &handler{h: h}
}

type handler struct{ h slog.Handler }

func (m *handler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m *handler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a)
	}
	return &handler{h: m.h.WithAttrs(masked)}
}

func (m *handler) WithGroup(name string) slog.Handler { return &handler{h: m.h.WithGroup(name)} }

// maskAttr masks one attribute (groups recursively).
func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch {
	case v.Kind() == slog.KindGroup:
		as := v.Group()
		out := make([]any, len(as))
		for i, g := range as {
			out[i] = maskAttr(g)
		}
		return slog.Group(a.Key, out...)
	case refKeys[a.Key]:
		return slog.String(a.Key, Ref(v.String()))
	case secretKeys[a.Key]:
		return slog.String(a.Key, Prefix)
	}
	return slog.Attr{Key: a.Key, Value: v}
}
