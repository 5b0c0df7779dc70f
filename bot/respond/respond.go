package respond

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
)

// Renderer renders acts from precompiled templates. It is safe for
// concurrent use.
type Renderer struct {
	// tmpl maps locale, then act kind, to its compiled template.
	tmpl map[string]map[dialog.ActKind]*template.Template
	pool sync.Pool // *bytes.Buffer
}

// Data is what a template sees. Every field is filled from the act (and
// the account's creditor name); amounts and dates are already formatted for
// the locale.
type Data struct {
	Amount   string
	Date     string
	Count    int
	Days     int
	Link     string
	Creditor string
	// Note is configured text an act carries verbatim (crisis resources).
	Note         string
	Installments []InstallmentData
}

// InstallmentData is one formatted payment of a plan.
type InstallmentData struct {
	Amount string
	Date   string
}

// New compiles the embedded templates of every locale in package prompts.
func New() (*Renderer, error) {
	src := make(map[string]map[string]string)
	for _, loc := range prompts.Locales() {
		m, err := prompts.Templates(loc)
		if err != nil {
			return nil, fmt.Errorf("respond: load %s: %w", loc, err)
		}
		src[loc] = m
	}
	return NewFromTemplates(src)
}

// NewFromTemplates compiles templates given as locale -> act kind -> text
// (for tests and for a lender's own wording).
func NewFromTemplates(src map[string]map[string]string) (*Renderer, error) {
	r := &Renderer{tmpl: make(map[string]map[dialog.ActKind]*template.Template, len(src))}
	r.pool.New = func() any { return new(bytes.Buffer) }
	for loc, m := range src {
		compiled := make(map[dialog.ActKind]*template.Template, len(m))
		for kind, text := range m {
			t, err := template.New(loc + "/" + kind).Option("missingkey=error").Parse(text)
			if err != nil {
				return nil, fmt.Errorf("compile %s/%s: %w: %w", loc, kind, ErrTemplate, err)
			}
			compiled[dialog.ActKind(kind)] = t
		}
		r.tmpl[loc] = compiled
	}
	return r, nil
}

// Render writes act in locale for the borrower of acct. An empty locale
// means the account's; "zh", "zh_CN", "en", "en-GB" and the like fall back
// to the language's template set.
func (r *Renderer) Render(act dialog.Act, locale string, acct dialog.Account) (string, error) {
	if locale == "" {
		locale = acct.Locale
	}
	byKind, ok := r.tmpl[locale]
	if !ok {
		locale = canonical(locale)
		if byKind, ok = r.tmpl[locale]; !ok {
			return "", fmt.Errorf("render %s: %w: %q", act.Kind, ErrUnknownLocale, locale)
		}
	}
	t, ok := byKind[act.Kind]
	if !ok {
		return "", fmt.Errorf("render %s/%s: %w", locale, act.Kind, ErrNoTemplate)
	}
	d := DataFor(act, locale, acct)
	buf := r.pool.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.pool.Put(buf)
	if err := t.Execute(buf, &d); err != nil {
		return "", fmt.Errorf("render %s/%s: %w: %w", locale, act.Kind, ErrTemplate, err)
	}
	// A placeholder left in a value (a payment link copied from the policy
	// unfilled) must never reach a borrower.
	if i := bytes.IndexByte(buf.Bytes(), '{'); i >= 0 && unfilled(buf.Bytes()[i:]) {
		return "", fmt.Errorf("render %s/%s: %w", locale, act.Kind, ErrUnfilled)
	}
	return buf.String(), nil
}

// unfilled reports whether b holds a {name} placeholder.
func unfilled(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '{')
		if i < 0 {
			return false
		}
		b = b[i+1:]
		j := 0
		for j < len(b) && (b[j] == '_' || b[j] >= 'a' && b[j] <= 'z') {
			j++
		}
		if j > 0 && j < len(b) && b[j] == '}' {
			return true
		}
	}
}

// DataFor formats act's fields for locale (empty: the account's): the
// values a template (or a model asked to phrase the act) may state.
func DataFor(act dialog.Act, locale string, acct dialog.Account) Data {
	if locale == "" {
		locale = acct.Locale
	}
	d := Data{
		Count:    act.Count,
		Days:     act.Days,
		Link:     act.Link,
		Creditor: acct.Debt.Creditor,
		Note:     act.Note,
	}
	if !act.Amount.IsZero() {
		d.Amount = FormatMoney(locale, act.Amount)
	}
	if !act.Date.IsZero() {
		d.Date = FormatDate(locale, act.Date)
	}
	if n := len(act.Installments); n > 0 {
		d.Installments = make([]InstallmentData, n)
		for i, in := range act.Installments {
			d.Installments[i] = InstallmentData{
				Amount: FormatMoney(locale, in.Amount),
				Date:   FormatDate(locale, in.DueDate),
			}
		}
	}
	return d
}

// canonical maps a language tag to the locale whose templates serve it.
func canonical(locale string) string {
	if len(locale) < 2 {
		return locale
	}
	switch strings.ToLower(locale[:2]) {
	case "zh":
		return LocaleZH
	case "en":
		return LocaleEN
	}
	return locale
}

var (
	defaultOnce sync.Once
	defaultR    *Renderer
	defaultErr  error
)

// Render renders act with the embedded templates (compiled once).
func Render(act dialog.Act, locale string, acct dialog.Account) (string, error) {
	defaultOnce.Do(func() { defaultR, defaultErr = New() })
	if defaultErr != nil {
		return "", defaultErr
	}
	return defaultR.Render(act, locale, acct)
}
