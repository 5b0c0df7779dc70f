package understand

import "strings"

// A gate skips a group of patterns when the message holds none of the
// words (English) or strings (Chinese) every pattern of the group needs:
// most messages say nothing about who is speaking or about their rights,
// and the patterns cost far more than a look-up per word.
type gate struct {
	words map[string]bool
	subs  []string
}

func newGate(words []string, subs ...string) *gate {
	g := &gate{words: make(map[string]bool, len(words)), subs: subs}
	for _, w := range words {
		for _, f := range strings.Fields(w) {
			g.words[f] = true
		}
	}
	return g
}

// forms is one message as the readers see it.
type forms struct {
	raw, en, zh string
	words       []string // of en
	// named is set when the borrower's names were known, so that a name
	// that is not theirs means something.
	named bool
}

func newForms(raw, en, zh string) *forms {
	return &forms{raw: raw, en: en, zh: zh, words: strings.Fields(en)}
}

// open reports whether the message may match: it holds one of the gate's
// words (or the word with a plural or possessive s), or one of its strings.
func (g *gate) open(m *forms) bool {
	if g == nil {
		return true
	}
	for _, w := range m.words {
		if g.words[w] || (len(w) > 3 && w[len(w)-1] == 's' && g.words[w[:len(w)-1]]) {
			return true
		}
	}
	for _, s := range g.subs {
		if strings.Contains(m.zh, s) {
			return true
		}
	}
	return false
}
