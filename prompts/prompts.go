package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
)

//go:embed flow.json templates/*.json
var files embed.FS

// FlowJSON returns the flow script (a copy; callers may keep it).
func FlowJSON() []byte {
	b, err := files.ReadFile("flow.json")
	if err != nil {
		// The file is embedded at build time; its absence is a build bug.
		panic("prompts: flow.json not embedded: " + err.Error())
	}
	return b
}

var (
	loadOnce  sync.Once
	templates map[string]map[string]string // locale -> act kind -> template
	loadErr   error
)

func load() {
	entries, err := files.ReadDir("templates")
	if err != nil {
		loadErr = fmt.Errorf("read templates: %w", err)
		return
	}
	templates = make(map[string]map[string]string, len(entries))
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		locale := strings.TrimSuffix(name, ".json")
		b, err := files.ReadFile(path.Join("templates", name))
		if err != nil {
			loadErr = fmt.Errorf("read %s: %w", name, err)
			return
		}
		m, err := ParseTemplates(b)
		if err != nil {
			loadErr = fmt.Errorf("%s: %w", name, err)
			return
		}
		templates[locale] = m
	}
}

// ParseTemplates decodes one locale's template file: a JSON object mapping
// act kinds to template text. Keys starting with "_" are comments.
func ParseTemplates(data []byte) (map[string]string, error) {
	var raw map[string]string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadTemplates, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			continue
		}
		if k == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%w: empty key or template %q", ErrBadTemplates, k)
		}
		out[k] = v
	}
	return out, nil
}

// Locales returns the locales with templates, sorted ("en-US", "zh-CN").
func Locales() []string {
	loadOnce.Do(load)
	return slices.Sorted(maps.Keys(templates))
}

// Templates returns a locale's templates keyed by act kind (a copy).
func Templates(locale string) (map[string]string, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	m, ok := templates[locale]
	if !ok {
		return nil, fmt.Errorf("templates %q: %w", locale, ErrUnknownLocale)
	}
	return maps.Clone(m), nil
}
