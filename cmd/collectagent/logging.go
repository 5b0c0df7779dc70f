package main

import (
	"context"
	"log/slog"
)

// oneComponent makes every log line carry exactly one "component" key:
// packages derive their logger with their own component from one that
// may already have one (log.With("component", "handoff") handed to a
// package that adds "component" again); the innermost wins, and a line
// logged with a component of its own keeps that one. Lines from no
// component say "main".
func oneComponent(h slog.Handler) slog.Handler {
	return &componentHandler{h: h, comp: "main"}
}

type componentHandler struct {
	h    slog.Handler
	comp string
	// fixed: a group was opened, so the component was written to h
	// before it (outside the group) and is not added again.
	fixed bool
}

func (c *componentHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return c.h.Enabled(ctx, l)
}

func (c *componentHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if c.fixed {
		return &componentHandler{h: c.h.WithAttrs(as), comp: c.comp, fixed: true}
	}
	n := &componentHandler{h: c.h, comp: c.comp}
	rest := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		if a.Key == "component" {
			n.comp = a.Value.String()
			continue
		}
		rest = append(rest, a)
	}
	if len(rest) > 0 {
		n.h = c.h.WithAttrs(rest)
	}
	return n
}

func (c *componentHandler) WithGroup(name string) slog.Handler {
	h := c.h
	if !c.fixed {
		h = h.WithAttrs([]slog.Attr{slog.String("component", c.comp)})
	}
	return &componentHandler{h: h.WithGroup(name), comp: c.comp, fixed: true}
}

func (c *componentHandler) Handle(ctx context.Context, r slog.Record) error {
	if c.fixed {
		return c.h.Handle(ctx, r)
	}
	comp := c.comp
	attrs := make([]slog.Attr, 0, r.NumAttrs()+1)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "component" {
			comp = a.Value.String()
		} else {
			attrs = append(attrs, a)
		}
		return true
	})
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.String("component", comp))
	out.AddAttrs(attrs...)
	return c.h.Handle(ctx, out)
}
