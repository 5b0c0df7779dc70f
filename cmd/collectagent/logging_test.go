package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOneComponentPerLine(t *testing.T) {
	var buf bytes.Buffer
	cfg := defaultConfig()
	log := cfg.newLogger(&buf)
	log.Info("plain")
	h := log.With("component", "handoff")
	h.With("component", "handoff", "node", "n1").Info("nested")
	h.Info("own", "component", "http")
	log.With("component", "web").WithGroup("g").Info("grouped", "k", 1)
	want := []string{
		`msg=plain component=main`,
		`msg=nested node=n1 component=handoff`,
		`msg=own component=http`,
		`msg=grouped component=web g.k=1`,
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, l := range lines {
		if strings.Count(l, "component=") != 1 || !strings.Contains(l, want[i]) {
			t.Errorf("line %d = %q, want one component and %q", i, l, want[i])
		}
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runVersion(context.Background(), nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	if !strings.HasPrefix(s, "collectagent ") || !strings.Contains(s, "commit ") || !strings.Contains(s, "go1.") {
		t.Errorf("version = %q", s)
	}
	if code := run([]string{"version", "extra"}, &out, &errb); code != 2 {
		t.Errorf("version with arguments: exit %d", code)
	}
}
