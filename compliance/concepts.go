package compliance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// The guard's second lexicon (packs/concepts.json) names concepts, not
// phrases: who (police, court, lawyer, employer, family, neighbours,
// contacts, social media) and what (arrest, jail, sue, visit, inform,
// shame, seize, borrow). A rule pairs groups of terms found in one clause
// near each other ("we will inform" + "your employer", "the cops" + "pick
// you up") and, with polarity, lets a negated statement pass ("we will not
// contact your employer").

type conceptFile struct {
	Comment     string               `json:"comment"`
	Negation    termLists            `json:"negation"`
	NotNegation termLists            `json:"not_negation"`
	Inert       termLists            `json:"inert"`
	Reported    termLists            `json:"reported"`
	Naming      termLists            `json:"naming"`
	NegAfter    termLists            `json:"negation_after"`
	Scope       negationScope        `json:"scope"`
	Possessive  charLists            `json:"possessive"`
	Groups      map[string]termLists `json:"groups"`
	Rules       []ConceptRule        `json:"rules"`
}

type termLists struct {
	Comment string   `json:"comment,omitempty"`
	EN      []string `json:"en"`
	ZH      []string `json:"zh"`
}

// charLists are English words and Chinese characters.
type charLists struct {
	Comment string   `json:"comment,omitempty"`
	EN      []string `json:"en"`
	ZH      string   `json:"zh"`
}

// negationScope says how far a negation reaches.
type negationScope struct {
	Comment string   `json:"comment,omitempty"`
	ENWords int      `json:"en_words"`
	ZHChars int      `json:"zh_chars"`
	ENEnd   []string `json:"en_end"`
	ZHEnd   []string `json:"zh_end"`
}

// ConceptRule is one concept the guard blocks: a hit for every slot (each
// slot a set of term groups) in one clause, the later ones at most Window
// bytes of the phrase form after the first slot's hit or Back bytes before
// it. With Polarity, a negated hit does not count. Terms, when set,
// restricts the first slot to those terms. Clauses lets the slots lie in
// that many more clauses (a veiled threat is often two: "keep this
// between us, as long as you pay today"; 再不还，后果自负).
type ConceptRule struct {
	ID       string     `json:"id"`
	Category string     `json:"category"`
	Slots    [][]string `json:"slots"`
	Window   int        `json:"window,omitempty"`
	Back     int        `json:"back,omitempty"`
	Order    bool       `json:"order,omitempty"`
	Polarity bool       `json:"polarity"`
	Terms    []string   `json:"terms,omitempty"`
	Clauses  int        `json:"clauses,omitempty"`
	// Unless names groups whose hit in the anchor's clause, within
	// Window, clears the rule: the borrower's rights or a lawful basis
	// ("you have the right to", 您有权依法, 按合同约定) make a mention of a
	// court or a credit report a statement, not a threat.
	Unless []string `json:"unless,omitempty"`
	// Negatable lists the slots (by index) of a rule without Polarity
	// whose hit a plain negation still clears: a negation that is no part
	// of the rule's other slots' terms ("your spouse won't be told ...
	// unless you give permission" is an assurance; in "you wouldn't want
	// your boss to find out" the negation belongs to the veil).
	Negatable []int             `json:"negatable,omitempty"`
	Sources   map[string]string `json:"sources"`
}

type pinyinFile struct {
	Pinyin map[string][]string `json:"pinyin"`
}

// compiledRule is a ConceptRule with group names resolved.
type compiledRule struct {
	ConceptRule
	slots  [][]int16 // group ids per slot
	unless []int16
	terms  map[string]bool
	source string
}

// concepts is the compiled concept lexicon of one guard.
type concepts struct {
	groups []string
	rules  []compiledRule
	scope  negationScope
	endEN  map[string]bool
	possEN map[string]bool
	possZH string
}

func loadConceptFile() (*conceptFile, *pinyinFile, error) {
	b, err := packFS.ReadFile("packs/concepts.json")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: concepts: %v", ErrBadPack, err)
	}
	var cf conceptFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		return nil, nil, fmt.Errorf("%w: concepts: %v", ErrBadPack, err)
	}
	pb, err := packFS.ReadFile("packs/pinyin.json")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: pinyin: %v", ErrBadPack, err)
	}
	var pf pinyinFile
	if err := json.Unmarshal(pb, &pf); err != nil {
		return nil, nil, fmt.Errorf("%w: pinyin: %v", ErrBadPack, err)
	}
	return &cf, &pf, nil
}

// validateConcepts checks that every rule names known groups and a source
// for the pack.
func validateConcepts(cf *conceptFile, pack string) error {
	for _, r := range cf.Rules {
		if r.ID == "" || r.Category == "" || len(r.Slots) == 0 {
			return fmt.Errorf("%w: concept rule %q: id, category and slots are required", ErrBadPack, r.ID)
		}
		if r.Sources[pack] == "" {
			return fmt.Errorf("%w: concept rule %q: no source for pack %q", ErrBadPack, r.ID, pack)
		}
		for _, s := range append(r.Slots, r.Unless) {
			for _, g := range s {
				if _, ok := cf.Groups[g]; !ok {
					return fmt.Errorf("%w: concept rule %q: unknown group %q", ErrBadPack, r.ID, g)
				}
			}
		}
		for _, n := range r.Negatable {
			if n < 0 || n >= len(r.Slots) || r.Polarity {
				return fmt.Errorf("%w: concept rule %q: negatable slot %d", ErrBadPack, r.ID, n)
			}
		}
	}
	return nil
}

// addConcepts appends the concept file's phrases to phr and returns the
// compiled concepts.
func addConcepts(cf *conceptFile, pf *pinyinFile, pack string, phr []phrase) ([]phrase, *concepts) {
	c := &concepts{scope: cf.Scope, endEN: map[string]bool{}, possEN: map[string]bool{}, possZH: cf.Possessive.ZH}
	for _, w := range cf.Scope.ENEnd {
		c.endEN[string(phraseKey(w))] = true
	}
	for _, w := range cf.Possessive.EN {
		c.possEN[string(phraseKey(w))] = true
	}
	names := make([]string, 0, len(cf.Groups))
	for n := range cf.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	c.groups = names
	gid := map[string]int16{}
	for i, n := range names {
		gid[n] = int16(i)
	}
	add := func(words []string, kind phraseKind, group int16, zh bool) {
		for _, w := range words {
			poss := strings.HasPrefix(w, "~")
			w = strings.TrimPrefix(w, "~")
			if ph, ok := newPhrase(w, kind, "", ""); ok {
				ph.group, ph.possessive, ph.term = group, poss, w
				phr = append(phr, ph)
			}
			if !zh {
				continue
			}
			for _, py := range pinyinForms(pf, w) {
				if ph, ok := newPhrase(py, kind, "", ""); ok {
					ph.group, ph.possessive, ph.term, ph.orig = group, poss, w, w+" ("+py+")"
					phr = append(phr, ph)
				}
			}
			for _, in := range pinyinInitials(pf, w) {
				// "ll" reads "i" (l as i, repeats once): too short to mean anything
				if ph, ok := newPhrase(in, kind, "", ""); ok && len(ph.norm) >= 2 {
					ph.group, ph.possessive, ph.term, ph.orig, ph.nearWide = group, poss, w, w+" ("+in+")", true
					phr = append(phr, ph)
				}
			}
		}
	}
	for _, n := range names {
		g := cf.Groups[n]
		add(g.EN, phraseConcept, gid[n], false)
		add(g.ZH, phraseConcept, gid[n], true)
	}
	add(cf.Negation.EN, phraseNegation, -1, false)
	add(cf.Negation.ZH, phraseNegation, -1, false)
	add(cf.NegAfter.EN, phraseNegAfter, -1, false)
	add(cf.NegAfter.ZH, phraseNegAfter, -1, false)
	add(cf.NotNegation.EN, phraseNotNegation, -1, false)
	add(cf.NotNegation.ZH, phraseNotNegation, -1, false)
	add(cf.Inert.EN, phraseInert, -1, false)
	add(cf.Inert.ZH, phraseInert, -1, false)
	add(cf.Reported.EN, phraseReported, -1, false)
	add(cf.Reported.ZH, phraseReported, -1, false)
	add(cf.Naming.EN, phraseNaming, -1, false)
	add(cf.Naming.ZH, phraseNaming, -1, false)
	for _, r := range cf.Rules {
		cr := compiledRule{ConceptRule: r, source: r.Sources[pack]}
		for _, s := range r.Slots {
			ids := make([]int16, len(s))
			for i, g := range s {
				ids[i] = gid[g]
			}
			cr.slots = append(cr.slots, ids)
		}
		for _, g := range r.Unless {
			cr.unless = append(cr.unless, gid[g])
		}
		if cr.Window == 0 {
			cr.Window = 48
		}
		if cr.Back == 0 && !cr.Order {
			cr.Back = cr.Window
		}
		if len(r.Terms) > 0 {
			cr.terms = map[string]bool{}
			for _, t := range r.Terms {
				cr.terms[t] = true
			}
		}
		c.rules = append(c.rules, cr)
	}
	return phr, c
}

// phraseKey is the phrase form of a word list entry.
func phraseKey(w string) []byte {
	b, _ := phraseForm(fold(w, nil), nil, nil)
	return b
}

// conceptHit is one concept term found in a text.
type conceptHit struct {
	id         int32 // phrase id
	group      int16
	start, end int32
	negated    bool
	dead       bool // inside an inert phrase
}

// analyse marks hits that are negated, inert or lack their possessive,
// given the negation, not-negation and inert spans found in text.
func (c *concepts) analyse(text []byte, phr []phrase, hits []conceptHit, neg, negAfter, notNeg, inert []hit) {
	for i := range hits {
		h := &hits[i]
		for _, s := range inert {
			if s.start <= h.start && h.end <= s.end {
				h.dead = true
				break
			}
		}
		if !h.dead && phr[h.id].possessive && !c.possessiveBefore(text, int(h.start)) {
			h.dead = true
		}
		h.negated = c.negatedAt(text, int(h.start), int(h.end), neg, negAfter, notNeg)
	}
}

// negatedAt reports whether a negation governs the term at [start, end):
// a cue before it in its scope (same clause, at most so many words, no
// word that starts a new statement in between) that is no part of a
// not-negation phrase, or a negation right after it ("Jail? Absolutely
// not.", "打折是不行的").
func (c *concepts) negatedAt(text []byte, start, end int, neg, negAfter, notNeg []hit) bool {
	for _, n := range neg {
		if int(n.end) > start || start-int(n.end) > 64 {
			continue
		}
		covered := false
		for _, x := range notNeg {
			// the look-alike holds the cue's last word: "not hesitate",
			// and "will stop" in "will stop by"
			if x.start < n.end && n.end <= x.end && x.start >= n.start || x.start <= n.start && n.end <= x.end {
				covered = true
				break
			}
		}
		if !covered && c.inScope(text[n.end:start]) {
			return true
		}
	}
	for _, a := range negAfter {
		if int(a.start) < end || int(a.start)-end > 24 {
			continue
		}
		seg := text[end:a.start]
		q := 0
		ok := true
		for _, b := range seg {
			switch b {
			case '?':
				q++
			case '|', ',':
				ok = false
			}
		}
		if ok && q <= 1 && c.inScope(bytesWithout(seg, '?')) {
			return true
		}
	}
	return false
}

// bytesWithout returns b without the byte x (b itself when it has none).
func bytesWithout(b []byte, x byte) []byte {
	if bytes.IndexByte(b, x) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != x {
			out = append(out, c)
		}
	}
	return out
}

// inScope reports whether the words in b between a negation and a term
// leave the term in the negation's scope.
func (c *concepts) inScope(b []byte) bool {
	words, chars := 0, 0
	for i := 0; i < len(b); {
		switch {
		case b[i] == ' ':
			i++
		case b[i] == '|' || b[i] == '?' || b[i] == ',':
			return false
		case b[i] < utf8.RuneSelf:
			j := i
			for j < len(b) && b[j] != ' ' && b[j] < utf8.RuneSelf && b[j] != '|' && b[j] != '?' && b[j] != ',' {
				j++
			}
			if c.endEN[string(b[i:j])] {
				return false
			}
			words++
			i = j
		default:
			_, n := utf8.DecodeRune(b[i:])
			chars++
			i += n
		}
	}
	if words > c.scope.ENWords || chars > c.scope.ZHChars {
		return false
	}
	if chars > 0 {
		for _, t := range c.scope.ZHEnd {
			if k := bytes.Index(b, []byte(t)); k >= 0 {
				if t == "就" && bytes.HasPrefix(b[k+len(t):], []byte("此")) {
					continue
				}
				return false
			}
		}
	}
	return true
}

// possessiveBefore reports whether a possessive ("your", "你") stands at
// most one word or two characters before start.
func (c *concepts) possessiveBefore(text []byte, start int) bool {
	i := start
	for w := 0; w < 2 && i > 0; w++ {
		for i > 0 && text[i-1] == ' ' {
			i--
		}
		if i == 0 || text[i-1] == '|' || text[i-1] == '?' || text[i-1] == ',' {
			return false
		}
		if text[i-1] >= utf8.RuneSelf {
			r, n := utf8.DecodeLastRune(text[:i])
			if strings.ContainsRune(c.possZH, r) {
				return true
			}
			i -= n
			continue
		}
		j := i
		for j > 0 && text[j-1] != ' ' && text[j-1] != '|' && text[j-1] != '?' && text[j-1] != ',' && text[j-1] < utf8.RuneSelf {
			j--
		}
		if c.possEN[string(text[j:i])] {
			return true
		}
		i = j
	}
	return false
}

// sameClause reports whether no clause end lies between a and b.
func sameClause(text []byte, a, b int) bool { return withinClauses(text, a, b, 0) }

// withinClauses reports whether a and b are at most extra clause
// boundaries apart.
func withinClauses(text []byte, a, b, extra int) bool {
	if a > b {
		a, b = b, a
	}
	for i := a; i < b && i < len(text); i++ {
		if text[i] == '|' || text[i] == '?' {
			if extra == 0 {
				return false
			}
			extra--
		}
	}
	return true
}

// match returns the first rule that the hits satisfy, with the anchor
// hit, or -1.
func (c *concepts) match(text []byte, phr []phrase, hits []conceptHit, neg, negAfter, notNeg []hit, fn func(r *compiledRule, anchor *conceptHit)) {
	for ri := range c.rules {
		r := &c.rules[ri]
		for ai := range hits {
			a := &hits[ai]
			if a.dead || !inGroups(a.group, r.slots[0]) || (r.Polarity && a.negated) {
				continue
			}
			if r.terms != nil && !r.terms[phr[a.id].term] {
				continue
			}
			if len(r.Negatable) > 0 && slices.Contains(r.Negatable, 0) && c.plainNegated(text, r, hits, a, neg, negAfter, notNeg) {
				continue
			}
			if c.cleared(text, r, hits, a) {
				continue
			}
			ok := true
			for si, slot := range r.slots[1:] {
				found := false
				for bi := range hits {
					b := &hits[bi]
					if bi == ai || b.dead || !inGroups(b.group, slot) || (r.Polarity && b.negated) {
						continue
					}
					if len(r.Negatable) > 0 && slices.Contains(r.Negatable, si+1) && c.plainNegated(text, r, hits, b, neg, negAfter, notNeg) {
						continue
					}
					if b.start == a.start && b.end == a.end {
						continue
					}
					if b.start >= a.start {
						if int(b.start-a.end) > r.Window {
							continue
						}
					} else if r.Order || int(a.start-b.end) > r.Back {
						continue
					}
					if !withinClauses(text, int(a.start), int(b.start), r.Clauses) {
						continue
					}
					found = true
					break
				}
				if !found {
					ok = false
					break
				}
			}
			if ok {
				fn(r, a)
				break
			}
		}
	}
}

// cleared reports whether one of r's Unless groups has a hit in the
// anchor's clause within r.Window.
func (c *concepts) cleared(text []byte, r *compiledRule, hits []conceptHit, a *conceptHit) bool {
	if len(r.unless) == 0 {
		return false
	}
	for i := range hits {
		u := &hits[i]
		if u.dead || !inGroups(u.group, r.unless) {
			continue
		}
		if u.start >= a.start && int(u.start-a.end) > r.Window || u.start < a.start && int(a.start-u.end) > r.Window {
			continue
		}
		if sameClause(text, int(a.start), int(u.start)) {
			return true
		}
	}
	return false
}

// plainNegated reports whether a negation governs h that is no part of a
// term of r's slots (the veil's own "wouldn't", "nobody").
func (c *concepts) plainNegated(text []byte, r *compiledRule, hits []conceptHit, h *conceptHit, neg, negAfter, notNeg []hit) bool {
	if !h.negated {
		return false
	}
	var own []hit
	for _, n := range neg {
		inside := false
		for i := range hits {
			o := &hits[i]
			if o == h || o.dead || o.start > n.start || n.end > o.end {
				continue
			}
			for _, slot := range r.slots {
				if inGroups(o.group, slot) {
					inside = true
				}
			}
		}
		if !inside {
			own = append(own, n)
		}
	}
	return len(own) > 0 && c.negatedAt(text, int(h.start), int(h.end), own, negAfter, notNeg)
}

func inGroups(g int16, gs []int16) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// pinyinForms returns the pinyin of a Chinese term, spaced ("zuo lao") and
// joined ("zuolao").
func pinyinForms(pf *pinyinFile, term string) []string {
	var out []string
	for _, py := range pf.Pinyin[strings.TrimSuffix(term, "*")] {
		out = append(out, py)
		// Joined only when long enough not to be an English word
		// ("ma de" joined is "made").
		if j := strings.ReplaceAll(py, " ", ""); j != py && len(j) >= 6 {
			out = append(out, j)
		}
	}
	return out
}

// pinyinInitials returns the initials of a Chinese term's pinyin ("jc" for
// 警察, "zl" for 坐牢), the way chat abbreviates it. They are read only
// next to Chinese characters ("jc 已经在路上了"), where they cannot be
// English.
func pinyinInitials(pf *pinyinFile, term string) []string {
	var out []string
	for _, py := range pf.Pinyin[strings.TrimSuffix(term, "*")] {
		syl := strings.Fields(py)
		if len(syl) < 2 || len(syl) > 4 {
			continue
		}
		var b strings.Builder
		for _, s := range syl {
			b.WriteByte(s[0])
		}
		if in := b.String(); !slices.Contains(out, in) {
			out = append(out, in)
		}
	}
	return out
}

// wideNeighbour reports whether a Chinese character stands right before
// or after text[start:end], a space apart at most.
func wideNeighbour(text []byte, start, end int) bool {
	i := start - 1
	if i >= 0 && text[i] == ' ' {
		i--
	}
	if i >= 0 && text[i] >= utf8.RuneSelf {
		return true
	}
	j := end
	if j < len(text) && text[j] == ' ' {
		j++
	}
	return j < len(text) && text[j] >= utf8.RuneSelf
}
