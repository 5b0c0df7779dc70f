package prompts

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLLMFiles(t *testing.T) {
	for _, name := range []string{LLMUnderstandSystem, LLMPhraseSystem, LLMSummarizeSystem, LLMParseSchema, LLMSummarySchema, LLMSituationCues, LLMClaims} {
		b, err := LLMFile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.HasSuffix(name, ".json") && !json.Valid(b) {
			t.Errorf("%s is not valid JSON", name)
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	if _, err := LLMFile("nope.txt"); !errors.Is(err, ErrUnknownPrompt) {
		t.Errorf("unknown file: err = %v", err)
	}
}

// The schemas are usable as strict structured output: every property
// required, no additional properties.
func TestLLMSchemasStrict(t *testing.T) {
	for _, name := range []string{LLMParseSchema, LLMSummarySchema} {
		b, _ := LLMFile(name)
		var s struct {
			Type                 string                     `json:"type"`
			Properties           map[string]json.RawMessage `json:"properties"`
			Required             []string                   `json:"required"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Type != "object" || s.AdditionalProperties == nil || *s.AdditionalProperties {
			t.Errorf("%s: want an object with additionalProperties false", name)
		}
		for p := range s.Properties {
			if !slices.Contains(s.Required, p) {
				t.Errorf("%s: property %q not required", name, p)
			}
		}
		if len(s.Required) != len(s.Properties) {
			t.Errorf("%s: required lists %d names for %d properties", name, len(s.Required), len(s.Properties))
		}
	}
}

// The system prompts hold no secrets and no per-conversation data: they
// are the same for every call, which also lets servers cache them.
func TestLLMPromptsFixed(t *testing.T) {
	secret := regexp.MustCompile(`(?i)sk-[a-z0-9]{8,}|api[_ -]?key|bearer |password|\{\{`)
	for _, name := range []string{LLMUnderstandSystem, LLMPhraseSystem, LLMSummarizeSystem} {
		b, _ := LLMFile(name)
		if m := secret.Find(b); m != nil {
			t.Errorf("%s contains %q", name, m)
		}
	}
}

func TestLLMVersion(t *testing.T) {
	v := LLMVersion()
	if !regexp.MustCompile(`^llm-[0-9a-f]{12}$`).MatchString(v) || v != LLMVersion() {
		t.Fatalf("LLMVersion() = %q", v)
	}
}
