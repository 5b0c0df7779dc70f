package compliance

import (
	"strings"
	"sync"
)

// Rule codes of violations (Violation.Rule).
const (
	RuleBannedPhrase        = "banned_phrase"
	RuleFactLock            = "fact_lock"
	RulePreVerification     = "pre_verification"
	RuleOffPolicyOffer      = "off_policy_offer"
	RuleRephrasedDisclosure = "rephrased_disclosure"
)

// Guard checks outgoing utterances against one pack. It is safe for
// concurrent use; build one per pack and share it.
type Guard struct {
	pack *Pack
	m    *matcher
	// disclosures per canonical locale, for the exact-template check.
	disclosures map[string][]string
	bufs        sync.Pool
}

// guardBuf is the scratch space of one Check.
type guardBuf struct {
	runes []rune
	text  []byte
	pos   []int32
	skip  []bool
	figs  []Figure
	seen  []bool
	hits  []hit
}

// hit is one phrase found at [start, end) of the phrase form.
type hit struct{ id, start, end int32 }

// covered reports whether hit i overlaps a longer hit of the same kind.
func (g *Guard) covered(hits []hit, i int) bool {
	h := hits[i]
	kind := g.m.phr[h.id].kind
	for j, o := range hits {
		if j == i || o.end-o.start <= h.end-h.start || o.start >= h.end || h.start >= o.end {
			continue
		}
		if g.m.phr[o.id].kind == kind {
			return true
		}
	}
	return false
}

// NewGuard compiles p's lexicons into a guard.
func NewGuard(p *Pack) *Guard {
	g := &Guard{pack: p, disclosures: map[string][]string{}}
	var phr []phrase
	add := func(words []string, kind phraseKind, category, source string) {
		for _, w := range words {
			if ph, ok := newPhrase(w, kind, category, source); ok {
				phr = append(phr, ph)
			}
		}
	}
	for _, b := range p.Banned {
		src := b.Sources[p.Name]
		add(b.EN, phraseBanned, b.Category, src)
		add(b.ZH, phraseBanned, b.Category, src)
	}
	add(p.PreVerification.EN, phraseDebt, "debt", p.PreVerification.Source)
	add(p.PreVerification.ZH, phraseDebt, "debt", p.PreVerification.Source)
	for _, k := range p.Offers.Kinds {
		add(k.EN, phraseOffer, k.Kind, p.Offers.Source)
		add(k.ZH, phraseOffer, k.Kind, p.Offers.Source)
	}
	add(p.NotFigures.EN, phraseNotFigure, "", "")
	add(p.NotFigures.ZH, phraseNotFigure, "", "")
	g.m = newMatcher(phr)
	for _, d := range p.Disclosures {
		g.disclosures[d.Locale] = append(g.disclosures[d.Locale], d.Text)
	}
	g.bufs.New = func() any { return &guardBuf{seen: make([]bool, len(phr))} }
	return g
}

// Pack returns the guard's pack.
func (g *Guard) Pack() *Pack { return g.pack }

// Disclosure returns the exact text of a required disclosure (DisclosureAI,
// DisclosureRecording, DisclosureMiniMiranda) for a locale: the text the
// templates must use and the only text Check accepts when
// Facts.Disclosure is set.
func (g *Guard) Disclosure(kind, locale string) (string, bool) {
	return g.pack.Disclosure(kind, locale)
}

// SafeText returns the neutral text that replaces a blocked utterance. It
// states no figure and, before verification, nothing about a debt.
func (g *Guard) SafeText(locale string, verified bool) string {
	t, _ := g.pack.safeText(canonicalLocale(locale), verified)
	return t
}

// Check decides whether u may be sent. Both languages' lexicons are checked
// whatever u.Locale says. Violations come in the order of the rules:
// disclosure, banned phrases, pre-verification, offers, figures.
func (g *Guard) Check(u Utterance) Decision {
	b := g.bufs.Get().(*guardBuf)
	defer g.bufs.Put(b)
	var vs []Violation
	add := func(rule, detail string) {
		for _, v := range vs {
			if v.Rule == rule && v.Detail == detail {
				return
			}
		}
		vs = append(vs, Violation{Rule: rule, Detail: detail})
	}
	f := &u.Facts

	if f.Disclosure && !g.isDisclosure(u.Text, canonicalLocale(u.Locale)) {
		add(RuleRephrasedDisclosure, "text differs from the pack's disclosure templates")
	}

	b.runes = fold(u.Text, b.runes)
	b.text, b.pos = phraseForm(b.runes, b.text, b.pos)
	clear(b.seen)
	hasSkip := false
	b.hits = b.hits[:0]
	g.m.scan(b.text, func(id, start, end int) {
		p := &g.m.phr[id]
		if p.kind == phraseNotFigure {
			if !hasSkip {
				b.skip = growBools(b.skip, len(b.runes))
				hasSkip = true
			}
			for r := b.pos[start]; r <= b.pos[end-1]; r++ {
				b.skip[r] = true
			}
			return
		}
		if !b.seen[id] {
			b.seen[id] = true
			b.hits = append(b.hits, hit{id: int32(id), start: int32(start), end: int32(end)})
		}
	})
	for i, h := range b.hits {
		p := &g.m.phr[h.id]
		if g.covered(b.hits, i) {
			continue // "已立案" inside "法院已立案": report the longer phrase
		}
		switch p.kind {
		case phraseBanned:
			add(RuleBannedPhrase, p.category+": \""+p.orig+"\" ("+p.source+")")
		case phraseDebt:
			if !f.Verified {
				add(RulePreVerification, "debt word \""+p.orig+"\" before verification ("+p.source+")")
			}
		case phraseOffer:
			if !containsString(f.Offers, p.category) {
				add(RuleOffPolicyOffer, p.category+": \""+p.orig+"\" ("+p.source+")")
			}
		}
	}

	var skip []bool
	if hasSkip {
		skip = b.skip
	}
	b.figs = extractFigures(b.runes, skip, b.figs[:0])
	for i := range b.figs {
		fg := &b.figs[i]
		if !f.Verified && (fg.Kind == FigureMoney || fg.Kind == FigureDate) {
			add(RulePreVerification, fg.String()+" before verification ("+g.pack.PreVerification.Source+")")
			continue
		}
		if !fg.matchesFacts(f) {
			add(RuleFactLock, fg.String()+" is not a fact of this utterance")
		}
	}
	return Decision{Allowed: len(vs) == 0, Violations: vs}
}

func growBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// isDisclosure reports whether text is one or more of the locale's
// disclosure templates, exactly, separated by white space.
func (g *Guard) isDisclosure(text, locale string) bool {
	rest := strings.TrimSpace(text)
	if rest == "" {
		return false
	}
	for rest != "" {
		matched := false
		for _, t := range g.disclosures[locale] {
			if strings.HasPrefix(rest, t) {
				rest = strings.TrimLeft(rest[len(t):], " \n")
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Apply checks u and returns the text to send: u.Text when allowed, the
// safe text for u's locale and verification state when blocked. The
// decision is returned for the audit trail either way.
func (g *Guard) Apply(u Utterance) (string, Decision) {
	d := g.Check(u)
	if d.Allowed {
		return u.Text, d
	}
	return g.SafeText(u.Locale, u.Facts.Verified), d
}
