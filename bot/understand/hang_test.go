package understand

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHang(t *testing.T) {
	dir := os.Getenv("HANGDIR")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	r := NewRules()
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 {
			continue
		}
		s := strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")")
		text, err := strconv.Unquote(s)
		if err != nil {
			continue
		}
		done := make(chan bool)
		go func() {
			for _, loc := range []string{"en-US", "zh-CN", ""} {
				r.Understand(context.Background(), Request{Text: text, Locale: loc, Today: sunday, Stage: "verify"})
				r.Understand(context.Background(), Request{Text: text, Locale: loc, Today: sunday, Stage: "negotiate"})
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("hang on %q", text)
		}
	}
}
