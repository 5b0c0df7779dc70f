package compliance

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// Sound-alikes: "老lai" for 老赖, "zuo牢" for 坐牢, "征xin" for 征信.
// Chinese chat hides a word by writing one of its characters as its
// pinyin. The guard reads the syllables of the characters (GB 2312,
// tables_gen.go) and of pinyin words next to Chinese, and finds the
// lexicon's Chinese terms whose syllables match where the other characters
// are the term's own. Another character of the same sound ("抱警" for
// 报警) is not read: it is too often a word of its own (出生 sounds as
// 畜生, 催收方式 holds 收方), which only word segmentation could tell.

// hanTable maps U+4E00..U+9FFF to syllable ids (0: none).
var hanTable = sync.OnceValue(func() []uint16 {
	t := make([]uint16, 0x9FFF-0x4E00+1)
	for i := 0; i+1 < len(hanSyllablePairs); i += 2 {
		t[hanSyllablePairs[i]-0x4E00] = hanSyllablePairs[i+1]
	}
	return t
})

// syllableIDs maps a toneless syllable to its id.
var syllableIDs = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, len(hanSyllableNames))
	for i, s := range hanSyllableNames {
		if i > 0 {
			m[s] = uint16(i)
		}
	}
	return m
})

func hanSyllable(r rune) uint16 {
	if r < 0x4E00 || r > 0x9FFF {
		return 0
	}
	return hanTable()[r-0x4E00]
}

// homophoneGroups are the concept groups whose terms threaten or accuse
// on their own; a sound-alike of a who-word or a common verb (加人 for 家人)
// would read too much.
var homophoneGroups = map[string]bool{
	"arrest": true, "jail": true, "police": true, "court": true, "sue": true, "seize": true,
	"shame": true, "lawyer": true, "veiled_strong": true, "credit_report": true, "government": true,
}

type homEntry struct {
	id     int32
	syl    []uint16
	chars  []rune
	pinyin bool // only pinyin may stand in (a term outside homophoneGroups)
}

// homophones indexes the Chinese terms by their first two syllables.
type homophones struct {
	nsyl   int
	pairs  []uint64 // bitset over first*nsyl+second
	byPair map[uint32][]homEntry
}

func newHomophones(phr []phrase, groups []string, pf *pinyinFile) *homophones {
	h := &homophones{nsyl: len(hanSyllableNames), byPair: map[uint32][]homEntry{}}
	h.pairs = make([]uint64, (h.nsyl*h.nsyl+63)/64)
	ids := syllableIDs()
	for id, p := range phr {
		pinyinOnly := false
		switch {
		case p.kind == phraseBanned && !strings.Contains(p.orig, " ("):
		case p.kind == phraseConcept && p.group >= 0 && p.orig == p.term:
			// pinyin next to Chinese is a disguise whatever the term
			// ("征xin"); another character only for terms that mean harm
			pinyinOnly = !homophoneGroups[groups[p.group]]
		default:
			continue
		}
		chars := []rune(p.norm)
		if len(chars) < 2 || len(chars) > 6 {
			continue
		}
		han := true
		for _, r := range chars {
			if hanSyllable(r) == 0 {
				han = false
			}
		}
		if !han {
			continue
		}
		for _, form := range pf.Pinyin[p.norm] {
			fs := strings.Fields(form)
			if len(fs) != len(chars) {
				continue
			}
			syl := make([]uint16, len(fs))
			ok := true
			for i, s := range fs {
				if syl[i], ok = ids[s]; !ok {
					break
				}
			}
			if !ok {
				continue
			}
			k := uint32(syl[0])*uint32(h.nsyl) + uint32(syl[1])
			h.pairs[k/64] |= 1 << (k % 64)
			h.byPair[k] = append(h.byPair[k], homEntry{id: int32(id), syl: syl, chars: chars, pinyin: pinyinOnly})
		}
	}
	return h
}

// pinyinNextToHan reports whether a pinyin syllable is written as a
// word next to a Chinese character: the only texts the pass reads.
func pinyinNextToHan(text []byte, runes []rune, pos []int32) bool {
	ids := syllableIDs()
	for i := 0; i < len(text); {
		if c := text[i]; c < 'a' || c > 'z' {
			i++
			continue
		}
		j := i
		for j < len(text) && 'a' <= text[j] && text[j] <= 'z' {
			j++
		}
		if j-i <= 6 && wideNeighbour(text, i, j) {
			w, n := foldedWord(runes, pos, i, j)
			if _, ok := ids[string(w[:n])]; ok {
				return true
			}
		}
		i = j
	}
	return false
}

// homToken is one syllable of the phrase form: a character or a pinyin
// word next to Chinese.
type homToken struct {
	start, end int32
	syl        uint16
	r          rune // 0 for a pinyin word
	joined     bool // follows the previous token with nothing or one space between
}

// scan calls fn for each sound-alike of a term in text (the phrase form;
// runes and pos are the folded text and the phrase form's map to it).
func (h *homophones) scan(text []byte, runes []rune, pos []int32, toks []homToken, fn func(id, start, end int)) []homToken {
	toks = toks[:0]
	// Most replies in English have no Chinese at all.
	cjk := false
	for _, c := range text {
		if c >= 0xE4 && c <= 0xE9 { // lead bytes of U+4E00..U+9FFF
			cjk = true
			break
		}
	}
	if !cjk || !pinyinNextToHan(text, runes, pos) {
		return toks
	}
	hasHan := false
	ids := syllableIDs()
	table := hanTable()
	prevEnd := -2
	for i := 0; i < len(text); {
		c := text[i]
		if c >= utf8.RuneSelf {
			var r rune
			n := 3
			var s uint16
			if c >= 0xE4 && c <= 0xE9 && i+2 < len(text) {
				// U+4E00..U+9FFF, three bytes: decoded by hand (the
				// phrase form is valid UTF-8)
				r = rune(c&0x0F)<<12 | rune(text[i+1]&0x3F)<<6 | rune(text[i+2]&0x3F)
				if r >= 0x4E00 && r <= 0x9FFF {
					s = table[r-0x4E00]
				}
			} else {
				r, n = utf8.DecodeRune(text[i:])
			}
			if s != 0 {
				hasHan = true
				toks = append(toks, homToken{start: int32(i), end: int32(i + n), syl: s, r: r, joined: prevEnd == i || prevEnd == i-1 && text[i-1] == ' '})
				prevEnd = i + n
			}
			i += n
			continue
		}
		if 'a' <= c && c <= 'z' {
			j := i
			for j < len(text) && 'a' <= text[j] && text[j] <= 'z' {
				j++
			}
			// only a word next to Chinese stands for a character
			if !wideNeighbour(text, i, j) || j-i > 6 {
				i = j
				continue
			}
			// the word as folded, before the phrase form read l as i
			w, n := foldedWord(runes, pos, i, j)
			if s, ok := ids[string(w[:n])]; ok {
				toks = append(toks, homToken{start: int32(i), end: int32(j), syl: s, joined: prevEnd == i || prevEnd == i-1 && text[i-1] == ' '})
				prevEnd = j
			}
			i = j
			continue
		}
		i++
	}
	if !hasHan || len(toks) < 2 {
		return toks
	}
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i+1].joined {
			continue
		}
		k := uint32(toks[i].syl)*uint32(h.nsyl) + uint32(toks[i+1].syl)
		if h.pairs[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, e := range h.byPair[k] {
			n := len(e.syl)
			if i+n > len(toks) {
				continue
			}
			exact, han, other := 0, false, 0
			ok := true
			for m := 0; m < n; m++ {
				t := &toks[i+m]
				if m > 0 && !t.joined || t.syl != e.syl[m] {
					ok = false
					break
				}
				switch {
				case t.r == e.chars[m]:
					exact++
				case t.r != 0:
					other++ // another character with the sound
				}
				han = han || t.r != 0
			}
			// Only pinyin stands in: another character of the same sound
			// is too often a word of its own (出生 sounds as 畜生, 催收方式
			// holds 收方, 收房).
			if !ok || !han || exact == 0 || exact == n || n-exact > max(1, n/2) || other > 0 {
				continue
			}
			fn(int(e.id), int(toks[i].start), int(toks[i+n-1].end))
		}
	}
	return toks
}

// foldedWord is the letters a-z of the folded text's runes behind the
// normalised word text[i:j] (pos maps a byte of text to its rune), at
// most 8: the word as written, before the phrase form changed letters.
func foldedWord(runes []rune, pos []int32, i, j int) (w [8]byte, n int) {
	for k := pos[i]; k <= pos[j-1] && n < len(w); k++ {
		if r := runes[k]; 'a' <= r && r <= 'z' {
			w[n] = byte(r)
			n++
		}
	}
	return w, n
}
