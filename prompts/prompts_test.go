package prompts

import (
	"errors"
	"maps"
	"slices"
	"testing"
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
