package bot_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/prompts"
)

// Conversation data that does not parse stops the runtime at start, with
// an error that names the file, instead of failing a borrower mid-way.
func TestBadPromptsFailAtStart(t *testing.T) {
	r := newRig(t)
	good := fstest.MapFS{}
	for _, name := range []string{"flow.json", "templates/en-US.json", "templates/zh-CN.json", "templates/en-US.voice.json", "templates/zh-CN.voice.json"} {
		b, err := fs.ReadFile(prompts.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		good[name] = &fstest.MapFile{Data: b}
	}
	with := func(name, data string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range good {
			m[k] = v
		}
		if data == "" {
			delete(m, name)
		} else {
			m[name] = &fstest.MapFile{Data: []byte(data)}
		}
		return m
	}
	start := func(fsys fs.FS) error {
		_, err := bot.NewRuntime(bot.Config{DefaultPolicy: policy("us")},
			bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock, Prompts: fsys})
		return err
	}
	if err := start(good); err != nil {
		t.Fatalf("the embedded data, copied: %v", err)
	}
	tests := []struct {
		name string
		fsys fs.FS
		want string // in the error
	}{
		{"template JSON", with("templates/en-US.json", `{"greeting": "Hello`), "en-US.json"},
		{"voice JSON", with("templates/zh-CN.voice.json", `{"balance": 1}`), "zh-CN.voice.json"},
		{"voice key unknown", with("templates/en-US.voice.json", `{"balanse": "x"}`), `"balanse" is not in en-US.json`},
		{"template syntax", with("templates/en-US.voice.json", `{"balance": "{{.Amount"}`), "en-US/voice/balance"},
		{"a missing act", with("templates/zh-CN.json", strings.Replace(string(good["templates/zh-CN.json"].Data), `"verified":`, `"_verified":`, 1)), "zh-CN/verified"},
		{"flow JSON", with("flow.json", `{"packs": `), "flow.json"},
		{"no flow", with("flow.json", ""), "flow.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := start(tt.fsys)
			if !errors.Is(err, bot.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewRuntime: %v, want ErrConfig naming %q", err, tt.want)
			}
		})
	}
}
