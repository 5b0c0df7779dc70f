package compliance

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed packs/*.json
var packFS embed.FS

// Disclosure kinds. Their texts are data in the packs (packs/*.json) and
// must be said exactly: the guard rejects any rephrasing.
const (
	DisclosureAI          = "ai"           // the borrower is talking to an automated (AI) assistant
	DisclosureRecording   = "recording"    // the conversation is recorded
	DisclosureMiniMiranda = "mini_miranda" // US: "This is an attempt to collect a debt..."
)

// When a disclosure is due.
const (
	WhenGreeting          = "greeting"           // first thing said, before verification
	WhenAfterVerification = "after_verification" // right after the right party is verified
)

// Pack is one jurisdiction's policy: contact rules, required disclosures,
// banned phrases, the words that reveal a debt and the words that make an
// offer. Packs are data (packs/*.json); every rule names its source.
type Pack struct {
	Name          string          `json:"name"`
	Title         string          `json:"title"`
	DefaultLocale string          `json:"default_locale"`
	Contact       ContactRules    `json:"contact"`
	Disclosures   []DisclosureDef `json:"disclosures"`
	SafeTexts     []SafeTextDef   `json:"safe_text"`
	// Lexicons names shared lexicon files whose categories are added to
	// Banned when the pack is loaded.
	Lexicons        []string         `json:"lexicons,omitempty"`
	Banned          []BannedCategory `json:"banned,omitempty"`
	PreVerification WordList         `json:"pre_verification"`
	Offers          OfferRules       `json:"offers"`
	NotFigures      WordList         `json:"not_figures"`
}

// ContactRules say when and how often a borrower may be contacted.
type ContactRules struct {
	Hours                HoursRule          `json:"hours"`
	Channels             []Channel          `json:"channels"`
	Consent              ChannelRule        `json:"consent"`
	DoNotContactSource   string             `json:"do_not_contact_source"`
	Flags                []FlagRule         `json:"flags"`
	Caps                 []CapRule          `json:"caps"`
	AfterConversation    *AfterConversation `json:"after_conversation,omitempty"`
	hoursStart, hoursEnd int                // minutes after local midnight, set by LoadPack
}

// HoursRule is the local-time window in which contact is allowed:
// [Start, End), "HH:MM" in the borrower's zone.
type HoursRule struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Source string `json:"source"`
}

// ChannelRule applies to the listed channels.
type ChannelRule struct {
	Channels []Channel `json:"channels"`
	Source   string    `json:"source"`
}

// FlagRule blocks all contact while an account flag is set.
type FlagRule struct {
	Flag   string `json:"flag"` // "deceased", "bankruptcy", "attorney", "cease", "dispute"
	Reason string `json:"reason"`
	Source string `json:"source"`
}

// CapRule limits attempts on Channels to Max within Days calendar days
// (borrower local) ending today. Only attempts whose result is in Results
// count (all but "blocked" when Results is empty).
type CapRule struct {
	Reason   string    `json:"reason"`
	Channels []Channel `json:"channels"`
	Results  []string  `json:"results,omitempty"`
	Max      int       `json:"max"`
	Days     int       `json:"days"`
	PerDebt  bool      `json:"per_debt"`
	Source   string    `json:"source"`
}

// AfterConversation forbids contact on Channels for Days calendar days
// (the day of the conversation being day one) after a conversation.
type AfterConversation struct {
	Channels []Channel `json:"channels"`
	Days     int       `json:"days"`
	Source   string    `json:"source"`
}

// DisclosureDef is one required disclosure's exact text.
type DisclosureDef struct {
	Kind   string `json:"kind"`
	Locale string `json:"locale"`
	// Channel is empty for the written text, said on every channel that
	// has no variant of its own, or ChannelVoice for the words of a call
	// ("This call is recorded"), on voice and phone.
	Channel Channel `json:"channel,omitempty"`
	When    string  `json:"when"`
	Text    string  `json:"text"`
	Source  string  `json:"source"`
}

// SafeTextDef is the neutral replacement for a blocked utterance.
type SafeTextDef struct {
	Locale   string `json:"locale"`
	Verified bool   `json:"verified"`
	Text     string `json:"text"`
}

// BannedCategory is a group of banned phrases with its sources per pack.
type BannedCategory struct {
	Category string            `json:"category"`
	Sources  map[string]string `json:"sources"`
	EN       []string          `json:"en"`
	ZH       []string          `json:"zh"`
}

// WordList is a list of phrases per language with a source.
type WordList struct {
	Comment string   `json:"comment,omitempty"`
	Source  string   `json:"source,omitempty"`
	EN      []string `json:"en"`
	ZH      []string `json:"zh"`
}

// OfferRules lists the words that make each kind of offer.
type OfferRules struct {
	Source string      `json:"source"`
	Kinds  []OfferKind `json:"kinds"`
}

// OfferKind is one kind of offer ("waiver", "discount", ...) and its words.
// An utterance may use them only when Facts.Offers names the kind.
type OfferKind struct {
	Kind string   `json:"kind"`
	EN   []string `json:"en"`
	ZH   []string `json:"zh"`
}

type lexiconFile struct {
	Categories []BannedCategory `json:"categories"`
}

// lexiconFiles are the embedded data files that are not packs.
var lexiconFiles = map[string]bool{"lexicon": true, "concepts": true, "pinyin": true}

// PackNames lists the embedded packs.
func PackNames() []string {
	ents, _ := packFS.ReadDir("packs")
	var names []string
	for _, e := range ents {
		n := strings.TrimSuffix(e.Name(), ".json")
		if n != e.Name() && !lexiconFiles[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadPack loads an embedded pack by name ("us", "cn"). It fails with
// ErrUnknownPack for a name it does not have and ErrBadPack when the data
// does not hold together.
func LoadPack(name string) (*Pack, error) {
	if name == "" || lexiconFiles[name] || strings.ContainsAny(name, "/\\.") {
		return nil, fmt.Errorf("load pack %q: %w", name, ErrUnknownPack)
	}
	b, err := packFS.ReadFile("packs/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("load pack %q: %w", name, ErrUnknownPack)
	}
	p, err := parsePack(b)
	if err != nil {
		return nil, fmt.Errorf("load pack %q: %w", name, err)
	}
	if p.Name != name {
		return nil, fmt.Errorf("load pack %q: file names pack %q: %w", name, p.Name, ErrBadPack)
	}
	return p, nil
}

// MustLoadPack is LoadPack for embedded packs known to exist; it panics on
// error (use in package initialisation and tests).
func MustLoadPack(name string) *Pack {
	p, err := LoadPack(name)
	if err != nil {
		panic(err)
	}
	return p
}

func parsePack(b []byte) (*Pack, error) {
	var p Pack
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPack, err)
	}
	for _, lx := range p.Lexicons {
		lb, err := packFS.ReadFile("packs/" + lx)
		if err != nil {
			return nil, fmt.Errorf("%w: lexicon %q: %v", ErrBadPack, lx, err)
		}
		var lf lexiconFile
		if err := json.Unmarshal(lb, &lf); err != nil {
			return nil, fmt.Errorf("%w: lexicon %q: %v", ErrBadPack, lx, err)
		}
		p.Banned = append(p.Banned, lf.Categories...)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Pack) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadPack, fmt.Sprintf(format, a...))
	}
	if p.Name == "" {
		return bad("name is empty")
	}
	var err error
	c := &p.Contact
	if c.hoursStart, err = parseClock(c.Hours.Start); err != nil {
		return bad("contact.hours.start: %v", err)
	}
	if c.hoursEnd, err = parseClock(c.Hours.End); err != nil {
		return bad("contact.hours.end: %v", err)
	}
	if c.hoursStart >= c.hoursEnd {
		return bad("contact.hours: start %s is not before end %s", c.Hours.Start, c.Hours.End)
	}
	if c.Hours.Source == "" {
		return bad("contact.hours.source is empty")
	}
	lists := map[string][]Channel{"contact.channels": c.Channels, "contact.consent.channels": c.Consent.Channels}
	for i, cp := range c.Caps {
		lists[fmt.Sprintf("contact.caps[%d].channels", i)] = cp.Channels
	}
	if a := c.AfterConversation; a != nil {
		lists["contact.after_conversation.channels"] = a.Channels
	}
	for field, chs := range lists {
		for _, ch := range chs {
			// Contact rules know calls as "voice" (Channel.Contact).
			if !ch.Valid() || ch.Contact() != ch {
				return bad("%s: unknown contact channel %q", field, ch)
			}
		}
	}
	for i, cp := range c.Caps {
		if cp.Max < 1 || cp.Days < 1 || cp.Source == "" || cp.Reason == "" {
			return bad("contact.caps[%d]: max, days, reason and source are required", i)
		}
	}
	if a := c.AfterConversation; a != nil && (a.Days < 1 || a.Source == "") {
		return bad("contact.after_conversation: days and source are required")
	}
	for i, f := range c.Flags {
		if f.Flag == "" || f.Reason == "" || f.Source == "" {
			return bad("contact.flags[%d]: flag, reason and source are required", i)
		}
	}
	seen := map[string]bool{}
	for i, d := range p.Disclosures {
		if d.Kind == "" || d.Locale == "" || d.Text == "" || d.Source == "" {
			return bad("disclosures[%d]: kind, locale, text and source are required", i)
		}
		if d.When != WhenGreeting && d.When != WhenAfterVerification {
			return bad("disclosures[%d].when: %q", i, d.When)
		}
		if d.Channel != "" && d.Channel != ChannelVoice {
			return bad("disclosures[%d].channel: %q (want empty or %s)", i, d.Channel, ChannelVoice)
		}
		k := d.Kind + "/" + d.Locale + "/" + string(d.Channel)
		if seen[k] {
			return bad("disclosures[%d]: %s given twice", i, k)
		}
		seen[k] = true
	}
	for _, loc := range []string{"en-US", "zh-CN"} {
		for _, v := range []bool{false, true} {
			if _, ok := p.safeText(loc, v); !ok {
				return bad("safe_text: none for %s verified=%v", loc, v)
			}
		}
	}
	if len(p.Banned) == 0 {
		return bad("no banned phrases")
	}
	for i, b := range p.Banned {
		if b.Sources[p.Name] == "" {
			return bad("banned category %d (%s): no source for pack %q", i, b.Category, p.Name)
		}
	}
	if p.PreVerification.Source == "" || p.Offers.Source == "" {
		return bad("pre_verification.source and offers.source are required")
	}
	cf, _, err := loadConceptFile()
	if err != nil {
		return err
	}
	if err := validateConcepts(cf, p.Name); err != nil {
		return err
	}
	return nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return hh*60 + mm, nil
}

// Disclosure returns the exact text of a required disclosure kind
// (DisclosureAI, DisclosureRecording, DisclosureMiniMiranda) in a locale.
// Locales are matched on language ("zh", "zh-CN", "zh-Hans" give zh-CN).
func (p *Pack) Disclosure(kind, locale string) (string, bool) {
	return p.DisclosureOn(kind, locale, ChannelChat)
}

// DisclosureOn returns the exact text of a required disclosure as said on
// a channel: a call's own words when the pack has them, else the written
// text.
func (p *Pack) DisclosureOn(kind, locale string, ch Channel) (string, bool) {
	loc := canonicalLocale(locale)
	text, ok := "", false
	for _, d := range p.Disclosures {
		if d.Kind != kind || d.Locale != loc {
			continue
		}
		switch {
		case d.Channel == "" && !ok:
			text, ok = d.Text, true
		case d.Channel == ChannelVoice && ch.Spoken():
			return d.Text, true
		}
	}
	return text, ok
}

// RequiredDisclosures returns, in order, the disclosures due at when
// (WhenGreeting, WhenAfterVerification) in a locale.
func (p *Pack) RequiredDisclosures(when, locale string) []DisclosureDef {
	loc := canonicalLocale(locale)
	var out []DisclosureDef
	for _, d := range p.Disclosures {
		if d.When == when && d.Locale == loc && d.Channel == "" {
			out = append(out, d)
		}
	}
	return out
}

func (p *Pack) safeText(locale string, verified bool) (string, bool) {
	for _, s := range p.SafeTexts {
		if s.Locale == locale && s.Verified == verified {
			return s.Text, true
		}
	}
	return "", false
}

// canonicalLocale maps a locale to one the packs carry: "zh*" to "zh-CN",
// anything else to "en-US".
func canonicalLocale(locale string) string {
	if len(locale) >= 2 && strings.EqualFold(locale[:2], "zh") {
		return "zh-CN"
	}
	return "en-US"
}

// localMinutes returns minutes after local midnight.
func localMinutes(t time.Time) int { return t.Hour()*60 + t.Minute() }
