package prompts

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"
)

func TestLocales(t *testing.T) {
	got := Locales()
	want := []string{"en-US", "zh-CN"}
	if !slices.Equal(got, want) {
		t.Fatalf("Locales() = %v, want %v", got, want)
	}
}

// Every locale must carry the same act kinds: a kind missing in one
// language is a conversation that breaks in that language.
func TestLocalesHaveSameKinds(t *testing.T) {
	en, err := Templates("en-US", Chat)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(en))
	for _, loc := range Locales() {
		m, err := Templates(loc, Chat)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, want) {
			t.Errorf("%s kinds = %v, want %v", loc, got, want)
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	for _, loc := range Locales() {
		for _, variant := range []string{Chat, Voice} {
			m, err := Templates(loc, variant)
			if err != nil {
				t.Fatal(err)
			}
			if variant == Voice && len(m) == 0 {
				t.Errorf("%s: no voice wording", loc)
			}
			for k, v := range m {
				if _, err := template.New(k).Option("missingkey=error").Parse(v); err != nil {
					t.Errorf("%s/%s/%s: %v", loc, variant, k, err)
				}
			}
		}
	}
}

func TestTemplatesUnknownLocale(t *testing.T) {
	if _, err := Templates("fr-FR", Chat); !errors.Is(err, ErrUnknownLocale) {
		t.Fatalf("err = %v, want ErrUnknownLocale", err)
	}
}

func TestTemplatesReturnsCopy(t *testing.T) {
	m, err := Templates("en-US", Chat)
	if err != nil {
		t.Fatal(err)
	}
	m["greeting"] = "changed"
	m2, _ := Templates("en-US", Chat)
	if m2["greeting"] == "changed" {
		t.Fatal("Templates returned shared map")
	}
}

func TestParseTemplates(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		wantN   int
	}{
		{"ok", `{"a":"x","_c":"comment"}`, false, 1},
		{"empty template", `{"a":"  "}`, true, 0},
		{"not an object", `["a"]`, true, 0},
		{"not strings", `{"a":1}`, true, 0},
		{"truncated", `{"a":"x"`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseTemplates([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadTemplates) {
				t.Fatalf("err = %v, want ErrBadTemplates", err)
			}
			if len(m) != tt.wantN {
				t.Fatalf("len = %d, want %d", len(m), tt.wantN)
			}
		})
	}
}

func TestFlowJSONIsJSON(t *testing.T) {
	if b := FlowJSON(); len(b) == 0 || b[0] != '{' {
		t.Fatalf("FlowJSON() = %q", b)
	}
}

// FuzzParseTemplates: a template file is data; none may panic the parser,
// and whatever parses has no empty entries.
func FuzzParseTemplates(f *testing.F) {
	f.Add([]byte(`{"a":"x","_c":"comment"}`))
	f.Add([]byte(`{"a":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseTemplates(data)
		if err != nil {
			return
		}
		for k, v := range m {
			if k == "" || v == "" || k[0] == '_' {
				t.Fatalf("bad entry %q=%q", k, v)
			}
		}
	})
}

func TestLoad(t *testing.T) {
	chat := &fstest.MapFile{Data: []byte(`{"_c": "x", "greeting": "Hi", "balance": "{{.Amount}}"}`)}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string // in the error; "" for none
	}{
		{"chat and voice", fstest.MapFS{"templates/en-US.json": chat, "templates/en-US.voice.json": {Data: []byte(`{"balance": "{{.Amount}}!"}`)}}, ""},
		{"chat only", fstest.MapFS{"templates/en-US.json": chat}, ""},
		{"unknown variant", fstest.MapFS{"templates/en-US.json": chat, "templates/en-US.sms.json": {Data: []byte(`{}`)}}, `unknown variant "sms"`},
		{"voice without chat", fstest.MapFS{"templates/en-US.json": chat, "templates/zh-CN.voice.json": {Data: []byte(`{}`)}}, "zh-CN.voice.json has no zh-CN.json"},
		{"voice key not in chat", fstest.MapFS{"templates/en-US.json": chat, "templates/en-US.voice.json": {Data: []byte(`{"balanse": "x"}`)}}, `"balanse" is not in en-US.json`},
		{"bad JSON", fstest.MapFS{"templates/en-US.json": {Data: []byte(`{"greeting": `)}}, "en-US.json"},
		{"empty template", fstest.MapFS{"templates/en-US.json": {Data: []byte(`{"greeting": " "}`)}}, "greeting"},
		{"no templates", fstest.MapFS{"flow.json": {Data: []byte(`{}`)}}, "templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Load(tt.fsys)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				v, err := w.Templates("en-US", Voice)
				if err != nil || len(v) > 1 {
					t.Fatalf("voice %v %v", v, err)
				}
				c, _ := w.Templates("en-US", Chat)
				if len(c) != 2 {
					t.Fatalf("chat %v", c)
				}
				return
			}
			if !errors.Is(err, ErrBadTemplates) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v, want ErrBadTemplates naming %q", err, tt.want)
			}
		})
	}
	if _, err := Embedded(); err != nil {
		t.Fatalf("embedded: %v", err)
	}
}
