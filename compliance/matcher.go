package compliance

import "strings"

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
// automaton compiled to a dense transition table over byte classes.
type matcher struct {
	class  [256]uint8
	nclass int
	delta  []int32   // state*nclass + class -> state
	out    [][]int32 // state -> phrases ending here (own and by suffix)
	phr    []phrase
}

func newMatcher(phr []phrase) *matcher {
	m := &matcher{phr: phr}
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
	m.delta = make([]int32, len(nodes)*nc)
	m.out = make([][]int32, len(nodes))
	fail := make([]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < nc; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok {
			m.delta[c] = n
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
				fail[n] = m.delta[int(fail[s])*nc+c]
				m.delta[int(s)*nc+c] = n
				queue = append(queue, n)
			} else {
				m.delta[int(s)*nc+c] = m.delta[int(fail[s])*nc+c]
			}
		}
	}
	return m
}

// scan calls fn for each phrase found in text, at word boundaries where the
// phrase asks for them. [start, end) are byte offsets in text.
func (m *matcher) scan(text []byte, fn func(id int, start, end int)) {
	s := int32(0)
	nc := int32(m.nclass)
	for i := 0; i < len(text); i++ {
		s = m.delta[s*nc+int32(m.class[text[i]])]
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
