package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
)

//go:embed flow.json templates/*.json
var files embed.FS

// FS returns the embedded conversation data: flow.json and templates/.
// A lender's own wording is a directory of the same shape (os.DirFS).
func FS() fs.FS { return files }

// FlowJSON returns the flow script (a copy; callers may keep it).
func FlowJSON() []byte {
	b, err := files.ReadFile("flow.json")
	if err != nil {
		// The file is embedded at build time; its absence is a build bug.
		panic("prompts: flow.json not embedded: " + err.Error())
	}
	return b
}

// Template variants: how the words reach the borrower.
const (
	// Chat is the written wording, the default of every channel.
	Chat = "chat"
	// Voice is the wording for the ear (in-app and phone calls). A voice
	// file holds only the keys whose chat wording is wrong for a call; the
	// others fall back to the chat text.
	Voice = "voice"
)

// NoticePrefix starts the keys of notices: texts that are not the dialog
// engine's acts (a person joined, a callback offer, a handoff summary).
const NoticePrefix = "notice."

// Wording is a parsed set of templates: per locale, the chat templates and
// the voice overrides, keyed by act kind or notice.
type Wording struct {
	sets map[string]map[string]map[string]string // locale -> variant -> key -> text
}

// Load reads templates/*.json from fsys: "<locale>.json" holds the chat
// wording, "<locale>.voice.json" the voice overrides. It fails, naming the
// file and key, on malformed JSON, an empty template, an unknown variant,
// a voice file without its chat file, or a voice key the chat file does
// not have (a typo would otherwise silently fall back).
func Load(fsys fs.FS) (*Wording, error) {
	entries, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, fmt.Errorf("%w: read templates: %w", ErrBadTemplates, err)
	}
	w := &Wording{sets: make(map[string]map[string]map[string]string)}
	for _, ent := range entries {
		name := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		base := strings.TrimSuffix(name, ".json")
		locale, variant, ok := strings.Cut(base, ".")
		if !ok {
			variant = Chat
		} else if variant != Voice {
			return nil, fmt.Errorf("%w: %s: unknown variant %q (want %s)", ErrBadTemplates, name, variant, Voice)
		}
		b, err := fs.ReadFile(fsys, path.Join("templates", name))
		if err != nil {
			return nil, fmt.Errorf("%w: read %s: %w", ErrBadTemplates, name, err)
		}
		m, err := ParseTemplates(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if w.sets[locale] == nil {
			w.sets[locale] = make(map[string]map[string]string, 2)
		}
		w.sets[locale][variant] = m
	}
	if len(w.sets) == 0 {
		return nil, fmt.Errorf("%w: no template files", ErrBadTemplates)
	}
	for locale, vs := range w.sets {
		chat, ok := vs[Chat]
		if !ok {
			return nil, fmt.Errorf("%w: %s.%s.json has no %s.json", ErrBadTemplates, locale, Voice, locale)
		}
		for _, k := range slices.Sorted(maps.Keys(vs[Voice])) {
			if _, ok := chat[k]; !ok {
				return nil, fmt.Errorf("%w: %s.%s.json: %q is not in %s.json", ErrBadTemplates, locale, Voice, k, locale)
			}
		}
	}
	return w, nil
}

// Locales returns the locales with templates, sorted ("en-US", "zh-CN").
func (w *Wording) Locales() []string { return slices.Sorted(maps.Keys(w.sets)) }

// Templates returns a locale's templates of a variant (a copy): for Chat
// every key, for Voice only the overrides.
func (w *Wording) Templates(locale, variant string) (map[string]string, error) {
	vs, ok := w.sets[locale]
	if !ok {
		return nil, fmt.Errorf("templates %q: %w", locale, ErrUnknownLocale)
	}
	switch variant {
	case Chat, Voice:
	default:
		return nil, fmt.Errorf("%w: unknown variant %q", ErrBadTemplates, variant)
	}
	return maps.Clone(vs[variant]), nil
}

var (
	loadOnce sync.Once
	embedded *Wording
	loadErr  error
)

// Embedded returns the embedded wording, parsed once.
func Embedded() (*Wording, error) {
	loadOnce.Do(func() { embedded, loadErr = Load(files) })
	return embedded, loadErr
}

// ParseTemplates decodes one template file: a JSON object mapping act
// kinds (and notices) to template text. Keys starting with "_" are
// comments.
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

// Locales returns the locales of the embedded templates, sorted.
func Locales() []string {
	w, err := Embedded()
	if err != nil {
		return nil
	}
	return w.Locales()
}

// Templates returns a locale's embedded templates of a variant (a copy).
func Templates(locale, variant string) (map[string]string, error) {
	w, err := Embedded()
	if err != nil {
		return nil, err
	}
	return w.Templates(locale, variant)
}
