package understand

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

func TestTry(t *testing.T) {
	r := NewRules()
	today := compliance.Date{Year: 2026, Month: time.November, Day: 22}
	for _, line := range strings.Split(os.Getenv("TRY"), "|") {
		loc := "en-US"
		st := dialog.StageNegotiate
		if strings.HasPrefix(line, "zh:") {
			loc, line = "zh-CN", line[3:]
		}
		if strings.HasPrefix(line, "v:") {
			st, line = dialog.StageVerify, line[2:]
		}
		p, err := r.Understand(context.Background(), Request{Text: line, Locale: loc, Today: today, Stage: st})
		b, _ := json.Marshal(p)
		t.Logf("%q -> %s %v", line, b, err)
	}
}
