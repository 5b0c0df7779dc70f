package understand

// typoIndex finds the lexicon word within one edit (insertion, deletion,
// substitution or transposition of neighbours) of a misspelled word, by the
// symmetric-delete method: every target word is indexed under itself and
// each of its one-letter deletions, so a lookup costs len(word)+1 map
// probes and no scan of the vocabulary.
type typoIndex struct {
	byDelete map[string][]int32
	words    map[int32]string
}

func newTypoIndex() *typoIndex {
	return &typoIndex{byDelete: map[string][]int32{}, words: map[int32]string{}}
}

func (x *typoIndex) add(w string, id int32) {
	x.words[id] = w
	x.put(w, id)
	for i := 0; i < len(w); i++ {
		x.put(w[:i]+w[i+1:], id)
	}
}

func (x *typoIndex) put(key string, id int32) {
	for _, e := range x.byDelete[key] {
		if e == id {
			return
		}
	}
	x.byDelete[key] = append(x.byDelete[key], id)
}

// correct returns the id of the single best target within one edit of w,
// or -1. An ambiguous word (two targets at one edit) is left alone.
func (x *typoIndex) correct(w string) int32 {
	if len(w) < 5 || len(w) > 24 {
		return -1
	}
	best := int32(-1)
	consider := func(ids []int32) bool {
		for _, id := range ids {
			if id == best {
				continue
			}
			if !withinOneEdit(w, x.words[id]) {
				continue
			}
			if best >= 0 {
				return false // ambiguous
			}
			best = id
		}
		return true
	}
	if !consider(x.byDelete[w]) {
		return -1
	}
	var buf [24]byte
	for i := 0; i < len(w); i++ {
		n := copy(buf[:], w[:i])
		n += copy(buf[n:], w[i+1:])
		if !consider(x.byDelete[string(buf[:n])]) {
			return -1
		}
	}
	return best
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or transposition of adjacent letters.
func withinOneEdit(a, b string) bool {
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	if i == la && i == lb {
		return true
	}
	switch {
	case la == lb:
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case la > lb:
		return a[i+1:] == b[i:]
	default:
		return a[i:] == b[i+1:]
	}
}
