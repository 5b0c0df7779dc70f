package prompts_test

import (
	"strings"
	"testing"

	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
)

// Every act kind the engine can emit has a template in both locales, and no
// template is left over for a kind the engine no longer emits.
func TestEveryActKindHasTemplate(t *testing.T) {
	kinds := dialog.ActKinds()
	known := make(map[string]bool, len(kinds))
	for _, k := range kinds {
		known[string(k)] = true
	}
	for _, loc := range []string{"en-US", "zh-CN"} {
		m, err := prompts.Templates(loc, prompts.Chat)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kinds {
			if _, ok := m[string(k)]; !ok {
				t.Errorf("%s: no template for act kind %q", loc, k)
			}
		}
		for k := range m {
			// Notices are not acts; bot/respond checks them.
			if !known[k] && !strings.HasPrefix(k, prompts.NoticePrefix) {
				t.Errorf("%s: template %q names no act kind", loc, k)
			}
		}
	}
}

// The embedded flow data is valid for the engine.
func TestFlowParses(t *testing.T) {
	f, err := dialog.ParseFlow(prompts.FlowJSON())
	if err != nil {
		t.Fatal(err)
	}
	for _, pack := range []string{"us", "cn"} {
		if _, ok := f.Packs[pack]; !ok {
			t.Errorf("pack %q missing", pack)
		}
	}
	if got := f.Priorities[dialog.ReasonDistress]; got != 1 {
		t.Errorf("distress priority = %d, want 1", got)
	}
}
