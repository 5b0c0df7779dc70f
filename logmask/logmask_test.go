package logmask

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRef(t *testing.T) {
	for in, want := range map[string]string{
		"acct-000123": "***0123", "abc": "***", "***0123": "***0123", "王芳账户一二三四": "***一二三四",
	} {
		if got := Ref(in); got != want {
			t.Errorf("Ref(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHandler: whatever a caller passes, records leave with account
// references masked and contact details dropped, in attributes, derived
// loggers and groups alike.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil)))
	log.With("account", "acct-secret-9876").Info("one", "phone", "+13125550100", slog.Group("g", "account_id", "acct-secret-5555"), "email", "m@example.com")
	out := buf.String()
	for _, clear := range []string{"acct-secret-9876", "acct-secret-5555", "+13125550100", "m@example.com"} {
		if strings.Contains(out, clear) {
			t.Errorf("log shows %q: %s", clear, out)
		}
	}
	for _, masked := range []string{"account=***9876", "g.account_id=***5555"} {
		if !strings.Contains(out, masked) {
			t.Errorf("log lacks %q: %s", masked, out)
		}
	}
}
