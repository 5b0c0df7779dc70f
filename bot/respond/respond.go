package respond

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/collectagent/collectagent/bot/respond/spoken"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
)

// Renderer renders acts and notices from precompiled templates, for a
// locale and a channel. It is safe for concurrent use.
type Renderer struct {
	// sets maps a locale and variant to its compiled templates, keyed by
	// act kind or notice ("notice.agent_joined").
	sets map[setKey]map[string]*template.Template
	pool sync.Pool // *bytes.Buffer
}

// setKey names one compiled template set.
type setKey struct {
	locale string
	voice  bool
}

// Data is what an act's template sees. Every field is filled from the act
// (and the account's creditor name); amounts and dates are already
// formatted for the locale and channel: figures on chat ("$240.00",
// "November 27, 2026"), words on voice ("two hundred forty dollars",
// "November twenty-seventh").
type Data struct {
	Amount string
	Date   string
	// Count and Days are numbers: ints on chat, and on voice values that
	// print as words ("six", 两) and still compare as numbers (eq .Count 1).
	Count any
	Days  any
	// Link is the payment link, on chat only. A voice template never
	// reads a link out: HasLink says there is one, which the channel
	// sends by text (Reply.Link).
	Link     string
	HasLink  bool
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
	w, err := prompts.Embedded()
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	return NewFromWording(w)
}

// NewFromWording compiles a wording (prompts.Load): per locale the chat
// templates, and for voice each chat key with its voice override if it
// has one. A template that does not compile fails, naming it.
func NewFromWording(w *prompts.Wording) (*Renderer, error) {
	chat := make(map[string]map[string]string)
	voice := make(map[string]map[string]string)
	for _, loc := range w.Locales() {
		var err error
		if chat[loc], err = w.Templates(loc, prompts.Chat); err != nil {
			return nil, fmt.Errorf("respond: %w", err)
		}
		if voice[loc], err = w.Templates(loc, prompts.Voice); err != nil {
			return nil, fmt.Errorf("respond: %w", err)
		}
	}
	return compile(chat, voice)
}

// NewFromTemplates compiles chat templates given as locale -> key -> text
// (for tests and for a lender's own wording); voice says them as they are.
func NewFromTemplates(src map[string]map[string]string) (*Renderer, error) {
	return compile(src, nil)
}

func compile(chat, voice map[string]map[string]string) (*Renderer, error) {
	r := &Renderer{sets: make(map[setKey]map[string]*template.Template, 2*len(chat))}
	r.pool.New = func() any { return new(bytes.Buffer) }
	for loc, m := range chat {
		for _, v := range []bool{false, true} {
			variant := prompts.Chat
			if v {
				variant = prompts.Voice
			}
			compiled := make(map[string]*template.Template, len(m))
			for key, text := range m {
				if o, ok := voice[loc][key]; ok && v {
					text = o
				}
				t, err := template.New(loc + "/" + variant + "/" + key).Option("missingkey=error").Parse(text)
				if err != nil {
					return nil, fmt.Errorf("compile %s/%s/%s: %w: %w", loc, variant, key, ErrTemplate, err)
				}
				compiled[key] = t
			}
			r.sets[setKey{loc, v}] = compiled
		}
	}
	return r, nil
}

// Render writes act in locale, for a channel, for the borrower of acct. An
// empty locale means the account's; "zh", "zh_CN", "en", "en-GB" and the
// like fall back to the language's template set. A spoken channel (voice,
// phone) gets the voice wording, and the chat wording where a template
// has no voice variant.
func (r *Renderer) Render(act dialog.Act, locale string, ch compliance.Channel, acct dialog.Account) (string, error) {
	if locale == "" {
		locale = acct.Locale
	}
	t, locale, err := r.lookup(string(act.Kind), locale, ch)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", act.Kind, err)
	}
	d := DataFor(act, locale, ch, acct)
	return r.execute(t, &d, locale, string(act.Kind))
}

// Complete checks that every act kind the engine emits and every notice
// has a template in each locale.
func (r *Renderer) Complete(locales []string) error {
	keys := Notices()
	for i := range keys {
		keys[i] = prompts.NoticePrefix + keys[i]
	}
	for _, k := range dialog.ActKinds() {
		keys = append(keys, string(k))
	}
	for _, loc := range locales {
		set := r.sets[setKey{loc, false}]
		for _, k := range keys {
			if _, ok := set[k]; !ok {
				return fmt.Errorf("%s/%s: %w", loc, k, ErrNoTemplate)
			}
		}
	}
	return nil
}

// Notice names: texts that are not the dialog engine's acts. Each is a
// template "notice.<name>" in every locale.
const (
	NoticeAgentJoined      = "agent_joined"       // .Name
	NoticeAgentLeft        = "agent_left"         // .Name
	NoticeAgentRequeued    = "agent_requeued"     // .Name
	NoticeAgentClosed      = "agent_closed"       // .Name
	NoticeAgentDefaultName = "agent_default_name" // what .Name is when an agent gave none
	NoticeCallbackDated    = "callback_dated"     // .Date
	NoticeCallbackUndated  = "callback_undated"
	NoticeCallbackChat     = "callback_chat"
	NoticeUnqueued         = "unqueued" // a request for a person is saved but the queue cannot be reached now
	NoticeSummary          = "summary"  // SummaryData, for agents

	// A call's own lines, said by the voice channel around the
	// conversation's.
	NoticeCallKeypadOnly = "call_keypad_only" // no recogniser for the call's language
	NoticeCallTimeLimit  = "call_time_limit"  // the call reached its maximum length
	NoticeCallCallback   = "call_callback"    // voice.on_handoff callback: the call ends after the escalation
	NoticeCallCaptions   = "call_captions"    // voice.on_handoff captions: the call stays open with a person
	NoticeCallGoingAway  = "call_going_away"  // the server drains: the call ends
)

// Notices lists every notice name.
func Notices() []string {
	return []string{NoticeAgentJoined, NoticeAgentLeft, NoticeAgentRequeued, NoticeAgentClosed, NoticeAgentDefaultName,
		NoticeCallbackDated, NoticeCallbackUndated, NoticeCallbackChat, NoticeUnqueued, NoticeSummary,
		NoticeCallKeypadOnly, NoticeCallTimeLimit, NoticeCallCallback, NoticeCallCaptions, NoticeCallGoingAway}
}

// NoticeData is what a notice's template sees.
type NoticeData struct {
	Name string
	// Date is formatted for the locale and channel (words on voice).
	Date string
}

// SummaryData is what the summary notice sees; lists are joined already
// ("greeting, recording_notice"), empty when there is none.
type SummaryData struct {
	Reason      string
	Verified    bool
	Disclosures string
	Offers      string
	Situation   string
}

// Notice writes the notice name in locale for a channel; data is a
// NoticeData or SummaryData.
func (r *Renderer) Notice(name, locale string, ch compliance.Channel, data any) (string, error) {
	t, locale, err := r.lookup(prompts.NoticePrefix+name, locale, ch)
	if err != nil {
		return "", fmt.Errorf("notice %s: %w", name, err)
	}
	return r.execute(t, data, locale, name)
}

// NoticeDate formats a date for a notice in locale on ch.
func NoticeDate(locale string, ch compliance.Channel, d compliance.Date) string {
	if ch.Spoken() {
		return spokenDate(locale, d)
	}
	return FormatDate(locale, d)
}

func (r *Renderer) lookup(key, locale string, ch compliance.Channel) (*template.Template, string, error) {
	voice := ch.Spoken()
	set, ok := r.sets[setKey{locale, voice}]
	if !ok {
		locale = canonical(locale)
		if set, ok = r.sets[setKey{locale, voice}]; !ok {
			return nil, "", fmt.Errorf("%w: %q", ErrUnknownLocale, locale)
		}
	}
	t, ok := set[key]
	if !ok {
		return nil, "", fmt.Errorf("%s/%s: %w", locale, key, ErrNoTemplate)
	}
	return t, locale, nil
}

func (r *Renderer) execute(t *template.Template, data any, locale, key string) (string, error) {
	buf := r.pool.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.pool.Put(buf)
	if err := t.Execute(buf, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w: %w", locale, key, ErrTemplate, err)
	}
	// A placeholder left in a value (a payment link copied from the policy
	// unfilled) must never reach a borrower.
	if i := bytes.IndexByte(buf.Bytes(), '{'); i >= 0 && unfilled(buf.Bytes()[i:]) {
		return "", fmt.Errorf("render %s/%s: %w", locale, key, ErrUnfilled)
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

// DataFor formats act's fields for locale (empty: the account's) and
// channel: the values a template (or a model asked to phrase the act) may
// state.
func DataFor(act dialog.Act, locale string, ch compliance.Channel, acct dialog.Account) Data {
	if locale == "" {
		locale = acct.Locale
	}
	voice := ch.Spoken()
	d := Data{
		Count:    act.Count,
		Days:     act.Days,
		Link:     act.Link,
		HasLink:  act.Link != "",
		Creditor: acct.Debt.Creditor,
		Note:     act.Note,
	}
	money, date := FormatMoney, FormatDate
	if voice {
		d.Link = ""
		d.Count, d.Days = spokenInt(locale, act.Count), spokenInt(locale, act.Days)
		money, date = spokenMoney, spokenDate
	}
	if !act.Amount.IsZero() {
		d.Amount = money(locale, act.Amount)
	}
	if !act.Date.IsZero() {
		d.Date = date(locale, act.Date)
	}
	if n := len(act.Installments); n > 0 {
		d.Installments = make([]InstallmentData, n)
		for i, in := range act.Installments {
			d.Installments[i] = InstallmentData{
				Amount: money(locale, in.Amount),
				Date:   date(locale, in.DueDate),
			}
		}
	}
	return d
}

// Counts said aloud: they print as words in their language ("six", "两")
// and, being ints, still test and compare as numbers in templates
// ({{if .Count}}, eq .Count 1).
type (
	spokenEN int
	spokenZH int
)

func (n spokenEN) String() string { return spoken.Count(LocaleEN, int64(n)) }
func (n spokenZH) String() string { return spoken.Count(LocaleZH, int64(n)) }

// spokenInt wraps n for locale.
func spokenInt(locale string, n int) any {
	if canonical(locale) == LocaleZH {
		return spokenZH(n)
	}
	return spokenEN(n)
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

// Default returns the renderer of the embedded templates (compiled once).
func Default() (*Renderer, error) {
	defaultOnce.Do(func() { defaultR, defaultErr = New() })
	return defaultR, defaultErr
}

// Render renders act with the embedded templates.
func Render(act dialog.Act, locale string, ch compliance.Channel, acct dialog.Account) (string, error) {
	r, err := Default()
	if err != nil {
		return "", err
	}
	return r.Render(act, locale, ch, acct)
}
