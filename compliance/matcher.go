package compliance

import (
	"crypto/sha256"
	"math"
	"strings"
	"sync"
)

// What a matched phrase means.
type phraseKind uint8

const (
	phraseBanned      phraseKind = iota // banned: always a violation
	phraseDebt                          // reveals a debt: a violation before verification
	phraseOffer                         // makes an offer: a violation unless Facts.Offers has the kind
	phraseNotFigure                     // a fixed expression whose numbers are not figures
	phraseConcept                       // a term of a concept group (concepts.json)
	phraseNegation                      // a negation cue
	phraseNegAfter                      // a negation that follows what it negates
	phraseNotNegation                   // a look-alike of a negation cue that negates nothing
	phraseInert                         // a phrase whose concept terms mean nothing
	phraseReported                      // starts the borrower's own words, reported ("you told us", 您提到)
	phraseNaming                        // calls the borrower something ("call you", 叫你): a negation of it clears an insult
)

// phrase is one entry of the guard's lexicons, normalised for matching.
type phrase struct {
	norm      string // phrase form (see phraseForm)
	orig      string // as written in the pack
	kind      phraseKind
	category  string // banned category or offer kind
	source    string
	leftWord  bool // must start at a word boundary
	rightWord bool // must end at a word boundary
	// Concept terms: the group, the term as written (without pinyin) and
	// whether it needs a possessive before it.
	group      int16
	term       string
	possessive bool
	nearWide   bool // pinyin initials: a hit only next to a Chinese character
}

func newPhrase(orig string, kind phraseKind, category, source string) (phrase, bool) {
	text, prefix := strings.CutSuffix(orig, "*")
	b, _ := phraseForm(fold(text, nil), nil, nil)
	if len(b) == 0 {
		return phrase{}, false
	}
	return phrase{
		norm: string(b), orig: orig, kind: kind, category: category, source: source,
		leftWord:  isASCIIAlnum(b[0]),
		rightWord: !prefix && isASCIIAlnum(b[len(b)-1]),
	}, true
}

// matcher finds every phrase in a text in one pass: an Aho-Corasick
// automaton compiled to a dense transition table over byte classes. The
// automaton depends only on the phrases' forms, so guards whose lexicons
// differ only in what they cite (the packs) share one.
type matcher struct {
	*automaton
	phr []phrase
}

type automaton struct {
	class  [256]uint8
	nclass int
	// delta is state*nclass + class -> state: 16-bit while the states
	// fit (half the memory and cache lines of 32-bit), else 32-bit.
	delta16 []uint16
	delta32 []int32
	out     [][]int32 // state -> phrases ending here (own and by suffix)
}

// automata caches the compiled automata by the phrase forms they match.
var automata sync.Map // [sha256.Size]byte -> *automaton

func newMatcher(phr []phrase) *matcher {
	h := sha256.New()
	for _, p := range phr {
		h.Write([]byte(p.norm))
		h.Write([]byte{0})
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	if a, ok := automata.Load(key); ok {
		return &matcher{automaton: a.(*automaton), phr: phr}
	}
	a, _ := automata.LoadOrStore(key, compile(phr))
	return &matcher{automaton: a.(*automaton), phr: phr}
}

func compile(phr []phrase) *automaton {
	m := &automaton{}
	m.nclass = 1 // class 0: bytes no phrase uses
	for _, p := range phr {
		for i := 0; i < len(p.norm); i++ {
			if c := p.norm[i]; m.class[c] == 0 {
				m.class[c] = uint8(m.nclass)
				m.nclass++
			}
		}
	}
	// Trie.
	type node struct {
		next map[uint8]int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, p := range phr {
		s := int32(0)
		for i := 0; i < len(p.norm); i++ {
			c := m.class[p.norm[i]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	// Breadth-first: failure links folded into a full transition table.
	nc := m.nclass
	delta := make([]int32, len(nodes)*nc)
	m.out = make([][]int32, len(nodes))
	fail := make([]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < nc; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok {
			delta[c] = n
			queue = append(queue, n)
		}
	}
	m.out[0] = nodes[0].out
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.out[s] = append(append([]int32(nil), nodes[s].out...), m.out[fail[s]]...)
		for c := 0; c < nc; c++ {
			if n, ok := nodes[s].next[uint8(c)]; ok {
				fail[n] = delta[int(fail[s])*nc+c]
				delta[int(s)*nc+c] = n
				queue = append(queue, n)
			} else {
				delta[int(s)*nc+c] = delta[int(fail[s])*nc+c]
			}
		}
	}
	if len(nodes) <= math.MaxUint16+1 {
		m.delta16 = make([]uint16, len(delta))
		for i, d := range delta {
			m.delta16[i] = uint16(d)
		}
	} else {
		m.delta32 = delta
	}
	return m
}

// scan calls fn for each phrase found in text, at word boundaries where the
// phrase asks for them. [start, end) are byte offsets in text.
func (m *matcher) scan(text []byte, fn func(id int, start, end int)) {
	if m.delta16 != nil {
		scanTable(m, m.delta16, text, fn)
	} else {
		scanTable(m, m.delta32, text, fn)
	}
}

func scanTable[T uint16 | int32](m *matcher, delta []T, text []byte, fn func(id int, start, end int)) {
	s := 0
	nc := m.nclass
	for i := 0; i < len(text); i++ {
		s = int(delta[s*nc+int(m.class[text[i]])])
		for _, id := range m.out[s] {
			p := &m.phr[id]
			start, end := i+1-len(p.norm), i+1
			if p.leftWord && start > 0 && isASCIIAlnum(text[start-1]) {
				continue
			}
			if p.rightWord && end < len(text) && isASCIIAlnum(text[end]) {
				continue
			}
			fn(int(id), start, end)
		}
	}
}
