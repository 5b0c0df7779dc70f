package compliance

import (
	"bytes"
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
	c    *concepts
	hom  *homophones
	// disclosures per canonical locale and medium (written, spoken), for
	// the exact-template check.
	disclosures map[disclosureKey][]string
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
	// concept terms, negation cues, their look-alikes and inert phrases
	chits         []conceptHit
	neg, negAfter []hit
	notNeg, inert []hit
	naming        []hit
	toks          []homToken
	speech        []hit // the borrower's own words, reported
	cred          []byte
	reported      []hit // spans already reported as banned
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
	g := &Guard{pack: p, disclosures: map[disclosureKey][]string{}}
	cf, pf, err := loadConceptFile()
	if err != nil {
		panic(err) // embedded data, checked by the tests
	}
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
		for _, w := range b.ZH {
			for _, py := range pinyinForms(pf, w) {
				if ph, ok := newPhrase(py, phraseBanned, b.Category, src); ok {
					ph.orig = w + " (" + py + ")"
					phr = append(phr, ph)
				}
			}
			for _, in := range pinyinInitials(pf, w) {
				if ph, ok := newPhrase(in, phraseBanned, b.Category, src); ok && len(ph.norm) >= 2 {
					ph.orig, ph.nearWide = w+" ("+in+")", true
					phr = append(phr, ph)
				}
			}
		}
	}
	phr, g.c = addConcepts(cf, pf, p.Name, phr)
	add(p.PreVerification.EN, phraseDebt, "debt", p.PreVerification.Source)
	add(p.PreVerification.ZH, phraseDebt, "debt", p.PreVerification.Source)
	for _, k := range p.Offers.Kinds {
		add(k.EN, phraseOffer, k.Kind, p.Offers.Source)
		add(k.ZH, phraseOffer, k.Kind, p.Offers.Source)
	}
	add(p.NotFigures.EN, phraseNotFigure, "", "")
	add(p.NotFigures.ZH, phraseNotFigure, "", "")
	g.m = newMatcher(phr)
	g.hom = newHomophones(phr, g.c.groups, pf)
	for _, d := range p.Disclosures {
		if d.Channel != "" {
			continue
		}
		for _, ch := range []Channel{ChannelChat, ChannelVoice} {
			t, _ := p.DisclosureOn(d.Kind, d.Locale, ch)
			k := disclosureKey{d.Locale, ch.Spoken()}
			g.disclosures[k] = append(g.disclosures[k], t)
		}
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

	if f.Disclosure && !g.isDisclosure(u.Text, canonicalLocale(u.Locale), u.Channel.Spoken()) {
		add(RuleRephrasedDisclosure, "text differs from the pack's disclosure templates")
	}

	b.runes = fold(u.Text, b.runes)
	b.text, b.pos = phraseForm(b.runes, b.text, b.pos)
	clear(b.seen)
	hasSkip := false
	b.hits, b.chits = b.hits[:0], b.chits[:0]
	b.neg, b.negAfter, b.notNeg, b.inert, b.reported, b.naming = b.neg[:0], b.negAfter[:0], b.notNeg[:0], b.inert[:0], b.reported[:0], b.naming[:0]
	b.speech = b.speech[:0]
	onHit := func(id, start, end int) {
		p := &g.m.phr[id]
		if p.nearWide && !wideNeighbour(b.text, start, end) {
			return // pinyin initials count only next to Chinese
		}
		h := hit{id: int32(id), start: int32(start), end: int32(end)}
		switch p.kind {
		case phraseNotFigure:
			if !hasSkip {
				b.skip = growBools(b.skip, len(b.runes))
				hasSkip = true
			}
			for r := b.pos[start]; r <= b.pos[end-1]; r++ {
				b.skip[r] = true
			}
			return
		case phraseConcept:
			if len(b.chits) < maxConceptHits {
				b.chits = append(b.chits, conceptHit{id: int32(id), group: p.group, start: int32(start), end: int32(end)})
			}
			return
		case phraseNegation:
			b.neg = append(b.neg, h)
			return
		case phraseNegAfter:
			b.negAfter = append(b.negAfter, h)
			return
		case phraseNotNegation:
			b.notNeg = append(b.notNeg, h)
			return
		case phraseInert:
			b.inert = append(b.inert, h)
			return
		case phraseReported:
			// The borrower's words, reported, up to the end of their
			// clause or comma: nothing in them is said to the borrower.
			e := start
			for e < len(b.text) && b.text[e] != '|' && b.text[e] != '?' && b.text[e] != ',' {
				e++
			}
			b.speech = append(b.speech, hit{id: -1, start: int32(start), end: int32(e)})
			b.inert = append(b.inert, hit{id: -1, start: int32(start), end: int32(e)})
			return
		case phraseNaming:
			b.naming = append(b.naming, h)
			return
		case phraseBanned:
			// every occurrence: the first may be negated, a later one not
			b.hits = append(b.hits, h)
			return
		}
		if !b.seen[id] {
			b.seen[id] = true
			b.hits = append(b.hits, h)
		}
	}
	g.m.scan(b.text, onHit)
	b.toks = g.hom.scan(b.text, b.runes, b.pos, b.toks, onHit)
	for i, h := range b.hits {
		p := &g.m.phr[h.id]
		if g.covered(b.hits, i) {
			continue // "已立案" inside "法院已立案": report the longer phrase
		}
		switch p.kind {
		case phraseBanned:
			if p.category != "insult" && g.c.negatedAt(b.text, int(h.start), int(h.end), b.neg, b.negAfter, b.notNeg) {
				continue // "we will not take legal action"
			}
			if p.category == "insult" && g.namingNegated(b, h) {
				continue // "我们不会叫您老赖": the calling is negated
			}
			if p.category != "insult" && (within(b.speech, h) || within(b.inert, h)) {
				continue // "您提到想找朋友借钱": the borrower's words; "如遇诈骗请及时报警"
			}
			add(RuleBannedPhrase, p.category+": \""+p.orig+"\" ("+p.source+")")
			b.reported = append(b.reported, h)
		case phraseDebt:
			if !f.Verified {
				add(RulePreVerification, "debt word \""+p.orig+"\" before verification ("+p.source+")")
			}
		case phraseOffer:
			if !containsString(f.Offers, p.category) && !g.c.negatedAt(b.text, int(h.start), int(h.end), b.neg, b.negAfter, b.notNeg) {
				add(RuleOffPolicyOffer, p.category+": \""+p.orig+"\" ("+p.source+")")
			}
		}
	}
	if len(b.chits) > 0 {
		g.c.analyse(b.text, g.m.phr, b.chits, b.neg, b.negAfter, b.notNeg, b.inert)
		g.c.match(b.text, g.m.phr, b.chits, b.neg, b.negAfter, b.notNeg, func(r *compiledRule, a *conceptHit) {
			for _, o := range b.reported {
				if o.start < a.end && a.start < o.end {
					return // the same words, already reported
				}
			}
			b.reported = append(b.reported, hit{id: a.id, start: a.start, end: a.end})
			add(RuleBannedPhrase, r.Category+": "+r.ID+" \""+g.m.phr[a.id].orig+"\" ("+r.source+")")
		})
	}
	if !f.Verified && f.Creditor != "" && g.namesCreditor(b, f.Creditor) {
		add(RulePreVerification, "the creditor's name before verification ("+g.pack.PreVerification.Source+")")
	}

	var skip []bool
	if hasSkip {
		skip = b.skip
	}
	b.figs = extractFigures(b.runes, skip, b.figs[:0])
	// Two times of day or more are opening hours ("8 am to 8 pm",
	// "早上9点到晚上8点"): they state nothing about the debt. A single one
	// (a callback time) must be a fact.
	times := 0
	for i := range b.figs {
		if b.figs[i].Kind == FigureTime {
			times++
		}
	}
	for i := range b.figs {
		fg := &b.figs[i]
		if fg.Kind == FigureTime && times >= 2 {
			continue
		}
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

// within reports whether h lies inside one of the spans.
func within(spans []hit, h hit) bool {
	for _, s := range spans {
		if s.start <= h.start && h.end <= s.end {
			return true
		}
	}
	return false
}

// namingNegated reports whether an insult is the object of a negated
// naming verb right before it ("we will never call you a deadbeat").
func (g *Guard) namingNegated(b *guardBuf, h hit) bool {
	for _, m := range b.naming {
		if m.end > h.start || h.start-m.end > 8 || !sameClause(b.text, int(m.end), int(h.start)) {
			continue
		}
		if g.c.negatedAt(b.text, int(m.start), int(m.end), b.neg, b.negAfter, b.notNeg) {
			return true
		}
	}
	return false
}

// maxConceptHits bounds the concept terms one check looks at.
const maxConceptHits = 256

// namesCreditor reports whether the phrase form of the text contains the
// creditor's name, read the same way (so "Dem0 Fіnance" is Demo Finance).
func (g *Guard) namesCreditor(b *guardBuf, creditor string) bool {
	rs := fold(creditor, nil)
	b.cred, _ = phraseForm(rs, b.cred[:0], nil)
	if len(b.cred) == 0 {
		return false
	}
	if containsWord(b.text, b.cred) {
		return true
	}
	// "D.e.m.o.F.i.n.a.n.c.e" reads "demofinance": the name without spaces.
	joined := b.cred[:0:0]
	for _, c := range b.cred {
		if c != ' ' {
			joined = append(joined, c)
		}
	}
	return len(joined) >= 6 && len(joined) < len(b.cred) && containsWord(b.text, joined)
}

// containsWord reports whether name occurs in text at word boundaries.
func containsWord(text, name []byte) bool {
	for i := 0; i+len(name) <= len(text); i++ {
		j := bytes.Index(text[i:], name)
		if j < 0 {
			return false
		}
		s, e := i+j, i+j+len(name)
		if (s == 0 || !isASCIIAlnum(text[s-1]) || !isASCIIAlnum(name[0])) && (e == len(text) || !isASCIIAlnum(text[e]) || !isASCIIAlnum(name[len(name)-1])) {
			return true
		}
		i = s
	}
	return false
}

func growBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// disclosureKey names the disclosure texts of a locale as written or
// spoken.
type disclosureKey struct {
	locale string
	spoken bool
}

// isDisclosure reports whether text is one or more of the locale's
// disclosure templates, exactly, separated by white space.
func (g *Guard) isDisclosure(text, locale string, spoken bool) bool {
	rest := strings.TrimSpace(text)
	if rest == "" {
		return false
	}
	for rest != "" {
		matched := false
		for _, t := range g.disclosures[disclosureKey{locale, spoken}] {
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
