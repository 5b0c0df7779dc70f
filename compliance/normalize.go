package compliance

//go:generate go run ./internal/unigen

import (
	"encoding/json"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The guard reads a text in two forms, built in two stages:
//
//  1. fold (this file) gives the runes both the phrase matcher and the
//     figure extractor read: Unicode NFKC (full-width forms, mathematical
//     alphanumerics, circled and super-script digits, ligatures), lower
//     case, the UTS #39 confusables skeleton of letters that look like
//     ASCII (Cyrillic а, Greek ο), decimal digits of every script as ASCII
//     digits, traditional Chinese characters as simplified ones, format
//     characters (zero-width, bidi controls) and combining marks dropped,
//     every space as ' '.
//  2. phraseForm reads words out of the folded runes for the phrase
//     matcher: leetspeak inside words ("arr3st", "j@il"), separators and
//     emoji between letters ("arr.est", "j-a-i-l", "坐🔒牢") and spelled-out
//     letters ("a r r e s t") are undone; l, 1, | and ! read as i; clause
//     ends are kept as '|' so that a negation or a pairing of concepts
//     does not reach across sentences.

const t2sBase, t2sTop = 0x3400, 0x9FFF

// t2sTable holds, at r-t2sBase, the simplified form of r, or 0.
var t2sTable = func() []rune {
	t := make([]rune, t2sTop-t2sBase+1)
	for i := 0; i < len(t2sPairs); i += 2 {
		if from := t2sPairs[i]; from >= t2sBase && from <= t2sTop {
			t[from-t2sBase] = t2sPairs[i+1]
		}
	}
	return t
}()

func t2s(r rune) rune {
	if s := t2sTable[r-t2sBase]; s != 0 {
		return s
	}
	return r
}

var nfkcBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// fold returns text as runes, normalised as described above. Invalid UTF-8
// reads as U+FFFD.
func fold(text string, buf []rune) []rune {
	out := buf[:0]
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(text); i++ {
			out = append(out, foldASCII(rune(text[i])))
		}
		return out
	}
	// NFKC only where it can change something: ASCII and the CJK unified
	// ideographs are NFKC-stable, so only the runs between them are
	// normalised. (A combining mark after a stable letter would compose
	// with it under NFKC; fold drops marks and maps accented letters to
	// their base, so the result is the same.)
	bp := nfkcBufs.Get().(*[]byte)
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			out = append(out, foldASCII(rune(c)))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if f, ok := foldStable(r); ok {
			out = append(out, f)
			i += n
			continue
		}
		j := i + n
		for j < len(text) {
			if text[j] < utf8.RuneSelf {
				break
			}
			r2, n2 := utf8.DecodeRuneInString(text[j:])
			if _, ok := foldStable(r2); ok {
				break
			}
			j += n2
		}
		nb := norm.NFKC.AppendString((*bp)[:0], text[i:j])
		for _, r := range string(nb) { // no copy: the conversion in range is free
			out = foldRune(r, out)
		}
		*bp = nb
		i = j
	}
	nfkcBufs.Put(bp)
	return out
}

// foldStable folds the common runes that NFKC leaves alone or maps
// without context: CJK ideographs (to simplified), CJK punctuation, and
// full-width ASCII (to ASCII, as NFKC does).
func foldStable(r rune) (rune, bool) {
	switch {
	case r >= 0x4E00 && r <= t2sTop:
		return t2s(r), true
	case r >= 0x3001 && r <= 0x3035, r == 0x3037, r >= 0x303B && r <= 0x303F:
		return r, true
	case r >= 0xFF01 && r <= 0xFF5E:
		return foldASCII(r - 0xFEE0), true
	}
	return 0, false
}

func foldASCII(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	if r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
		// Line ends are clause ends for the phrase form.
		if r == '\n' || r == '\r' {
			return '\n'
		}
		return ' '
	}
	return r
}

func foldRune(r rune, out []rune) []rune {
	switch {
	case r < utf8.RuneSelf:
		return append(out, foldASCII(r))
	case r >= 0x4E00 && r <= t2sTop, r >= t2sBase && r < 0x4DC0:
		return append(out, t2s(r))
	case r >= 0x3000 && r <= 0x33FF: // CJK punctuation, kana
		if r == 0x3000 {
			r = ' '
		}
		return append(out, r)
	case r == 0x00A0 || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Zs, r):
		return append(out, ' ')
	case r == 0x00AD || r == 0x034F || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
		return out // zero-width, bidi controls, soft hyphen, combining marks: they hide words
	case r == '\u2018' || r == '\u2019' || r == '\u02BC' || r == '\u2032':
		return append(out, '\'')
	case r == 0xFFE5:
		return append(out, '¥')
	}
	if d, ok := digitValue(r); ok {
		return append(out, '0'+d)
	}
	if a := lookAlike(r); a != 0 {
		return append(out, a)
	}
	s, ok := confusableASCII[r] // "В" (Cyrillic Ve) looks like B, "в" like ʙ
	if !ok {
		r = unicode.ToLower(r)
		s, ok = confusableASCII[r]
	}
	if ok {
		for i := 0; i < len(s); i++ {
			out = append(out, rune(s[i]))
		}
		return out
	}
	return append(out, r)
}

// lookAlike maps the letters that "fancy text" generators use and the
// confusables skeleton leaves out to the ASCII letter they pass for: small
// capitals (ᴀʀʀᴇsᴛ), squared and negative circled letters (🅰🆁🆁🅴🆂🆃),
// regional indicators, and the Greek and Cyrillic letters that look like
// Latin ones without being confusable in UTS #39 (ε, η, ν, в, к, м, н, т).
func lookAlike(r rune) rune {
	switch {
	case r >= 0x1F130 && r <= 0x1F149: // squared Latin capitals
		return 'a' + r - 0x1F130
	case r >= 0x1F150 && r <= 0x1F169: // negative circled Latin capitals
		return 'a' + r - 0x1F150
	case r >= 0x1F170 && r <= 0x1F189: // negative squared Latin capitals
		return 'a' + r - 0x1F170
	case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators
		return 'a' + r - 0x1F1E6
	}
	switch r {
	case 'ᴀ':
		return 'a'
	case 'ʙ', 'в', 'В', 'β', 'ь':
		return 'b'
	case 'ᴄ':
		return 'c'
	case 'ᴅ':
		return 'd'
	case 'ᴇ', 'ε', 'Ε', 'є':
		return 'e'
	case 'ꜰ':
		return 'f'
	case 'ɢ':
		return 'g'
	case 'ʜ', 'н', 'Н':
		return 'h'
	case 'ɪ', 'ι':
		return 'i'
	case 'ᴊ':
		return 'j'
	case 'ᴋ', 'к', 'К', 'κ':
		return 'k'
	case 'ʟ':
		return 'l'
	case 'ᴍ', 'м', 'М':
		return 'm'
	case 'ɴ', 'η', 'п':
		return 'n'
	case 'ᴏ':
		return 'o'
	case 'ᴘ', 'ρ':
		return 'p'
	case 'ʀ', 'г':
		return 'r'
	case 'ꜱ':
		return 's'
	case 'ᴛ', 'т', 'Т', 'τ':
		return 't'
	case 'ᴜ', 'υ', 'и', 'μ':
		return 'u'
	case 'ᴠ', 'ν':
		return 'v'
	case 'ᴡ', 'ω', 'ш':
		return 'w'
	case 'χ':
		return 'x'
	case 'ʏ', 'γ', 'у':
		return 'y'
	case 'ᴢ':
		return 'z'
	}
	return 0
}

// digitValue reads a decimal digit of any script (Unicode Nd): the
// decimal blocks are runs of ten starting at the zero.
func digitValue(r rune) (rune, bool) {
	if !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

func isASCIIAlnum(b byte) bool {
	return ('a' <= b && b <= 'z') || ('0' <= b && b <= '9')
}

// isWide reports whether r is a letter outside ASCII (Han, kana, ...):
// spaces next to it carry no meaning in the phrase form.
func isWide(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return false
	case r >= 0x4E00 && r <= 0x9FFF: // CJK unified ideographs, the common case
		return true
	case r >= 0x3000 && r <= 0x303F: // CJK punctuation
		return false
	}
	return unicode.IsLetter(r)
}

// toneSyllables reports whether w (lower-case ASCII) is pinyin with tone
// digits: one or more syllables of the guard's pinyin lexicon, each
// followed by a tone 1-5 ("zuo4", "zuo4lao2"). Leetspeak words do not
// read so: "b3", "h3ll0" are no syllables with a tone.
func toneSyllables(w []rune) bool {
	if len(w) < 2 || !isDigit(w[len(w)-1]) {
		return false
	}
	syl := pinyinSyllables()
	start := 0
	for k, c := range w {
		switch {
		case 'a' <= c && c <= 'z':
		case '1' <= c && c <= '5':
			if k == start || !syl[string(w[start:k])] {
				return false
			}
			start = k + 1
		default:
			return false
		}
	}
	return true
}

// pinyinSyllables are the syllables of packs/pinyin.json: the only ones
// the guard can match, so the only ones worth reading with a tone.
var pinyinSyllables = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	b, err := packFS.ReadFile("packs/pinyin.json")
	if err != nil {
		return set
	}
	var pf pinyinFile
	if json.Unmarshal(b, &pf) != nil {
		return set
	}
	for _, forms := range pf.Pinyin {
		for _, f := range forms {
			for _, s := range strings.Fields(f) {
				set[s] = true
			}
		}
	}
	return set
})

// leet maps the characters that stand for letters inside a word.
func leet(r rune) (byte, bool) {
	switch r {
	case '0':
		return 'o', true
	case '1', '!', '|':
		return 'i', true
	case '3':
		return 'e', true
	case '4', '@':
		return 'a', true
	case '5', '$':
		return 's', true
	case '7', '+':
		return 't', true
	case '8':
		return 'b', true
	case '9':
		return 'g', true
	}
	return 0, false
}

// isClauseEnd reports whether r ends a clause when followed by a space or
// the end of the text (ASCII) or anywhere (CJK).
func isClauseEnd(r rune) bool {
	switch r {
	case '.', '!', '?', ';', ',', ':', '\n', '。', '！', '？', '；', '…':
		return true
	}
	return false
}

// phraseForm turns folded runes into the text the phrase matcher reads.
// ASCII words are lower-case letters and digits separated by one space;
// a word with a letter in it reads its leet characters as letters and l as
// i; separators without white space between two letters are dropped;
// wide letters carry no spaces around them; a clause end is '|'. pos maps
// each byte of the result to the index of the rune it came from.
func phraseForm(rs []rune, buf []byte, pos []int32) ([]byte, []int32) {
	out, at := buf[:0], pos[:0]
	n := len(rs)
	pending := byte(0) // ' ', ',', '?' or '|' to write before the next letter
	seg := 0           // words and wide letters since the last break
	lastWide := false
	for i := 0; i < n; {
		r := rs[i]
		// An ASCII word: letters, digits and the leet characters between
		// them, up to a space or a separator followed by a space.
		if r < utf8.RuneSelf && (isASCIIAlnum(byte(r)) || r == '@' || r == '$' || r == '\'') {
			j := i
			letters := false
			for j < n {
				c := rs[j]
				if c < utf8.RuneSelf && isASCIIAlnum(byte(c)) {
					if 'a' <= c && c <= 'z' {
						letters = true
					}
					j++
					continue
				}
				if c == '\'' || c == '@' || c == '$' || c == '!' || c == '|' || c == '+' {
					j++
					continue
				}
				// A separator run between two word characters, with no space.
				k := j
				for k < n && isInnerSeparator(rs[k]) {
					k++
				}
				if k > j && k < n && rs[k] < utf8.RuneSelf && isASCIIAlnum(byte(rs[k])) && !(isDigit(rs[j-1]) && isDigit(rs[k])) {
					j = k
					continue
				}
				break
			}
			// Trailing '!' and '|' end the word rather than spell a letter.
			for j > i && (rs[j-1] == '!' || rs[j-1] == '|' || rs[j-1] == '$' || rs[j-1] == '+') && !letterAfter(rs, j) {
				j--
			}
			if j == i {
				j = i + 1
				if rs[i] == '\'' {
					i = j
					continue
				}
			}
			if pending != 0 && len(out) > 0 && !(lastWide && pending == ' ') {
				out = append(out, pending)
				at = append(at, int32(i))
				if pending != ' ' {
					seg = 0
				}
			}
			pending, lastWide = 0, false
			seg++
			wordStart := len(out)
			// Pinyin with tone digits ("zuo4", "zuo4lao2") reads as the
			// syllables, not as leetspeak.
			tones := letters && toneSyllables(rs[i:j])
			for k := i; k < j; k++ {
				c := rs[k]
				var b byte
				if tones && isDigit(c) {
					if k+1 < j {
						out = append(out, ' ')
						at = append(at, int32(k))
					}
					continue
				}
				switch {
				case c < utf8.RuneSelf && isASCIIAlnum(byte(c)):
					b = byte(c)
					if letters {
						if l, ok := leet(c); ok {
							b = l
						} else if b == 'l' {
							b = 'i'
						}
					}
				case letters:
					l, ok := leet(c)
					if !ok {
						continue
					}
					b = l
				default:
					continue
				}
				// A letter repeated reads once ("jaaail", "arrest" and
				// "arest" alike): the lexicons are read the same way.
				if letters && len(out) > wordStart && out[len(out)-1] == b && b >= 'a' && b <= 'z' {
					continue
				}
				out = append(out, b)
				at = append(at, int32(k))
			}
			i = j
			continue
		}
		if isWide(r) {
			if pending != 0 && pending != ' ' && len(out) > 0 {
				out = append(out, pending)
				at = append(at, int32(i))
				seg = 0
			}
			pending, lastWide = 0, true
			seg++
			m := len(out)
			out = utf8.AppendRune(out, r)
			for ; m < len(out); m++ {
				at = append(at, int32(i))
			}
			i++
			continue
		}
		// Anything else separates words. A question mark ends a clause as
		// '?'; a clause end followed by a space (or CJK punctuation) ends
		// a clause as '|'. Between two wide letters only a sentence end
		// does: other punctuation there is a soft break (',') after two or
		// more letters ("你不还，我们就…") and nothing after one ("坐，牢").
		next := nextNonSpace(rs, i+1)
		switch {
		case r == '?' || r == '？':
			pending = strongest(pending, '?')
		case lastWide && next >= 0 && isWide(rs[next]) && r != '\n' && r != '。' && r != '！' && r != '；':
			if isSeparatorMark(r) && seg >= 2 && wideRun(rs, next) >= 2 {
				pending = strongest(pending, ',')
			}
		case isClauseEnd(r) && (r >= utf8.RuneSelf || r == '\n' || i+1 == n || rs[i+1] == ' ' || rs[i+1] == '\n' || isWide(rs[i+1])):
			pending = strongest(pending, '|')
		default:
			pending = strongest(pending, ' ')
		}
		i++
	}
	return joinSpelled(out, at)
}

// strongest returns the stronger of two pending breaks: '|' over '?' over
// ',' over ' '.
func strongest(a, b byte) byte {
	rank := func(c byte) int {
		switch c {
		case '|':
			return 4
		case '?':
			return 3
		case ',':
			return 2
		case ' ':
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// wideRun counts the wide letters from i up to the next other character.
func wideRun(rs []rune, i int) int {
	n := 0
	for ; i < len(rs) && isWide(rs[i]); i++ {
		n++
	}
	return n
}

func nextNonSpace(rs []rune, i int) int {
	for ; i < len(rs); i++ {
		if rs[i] != ' ' {
			return i
		}
	}
	return -1
}

// isSeparatorMark reports whether r is punctuation that separates clauses
// or items (a comma, a full stop, a colon...), as opposed to a symbol.
func isSeparatorMark(r rune) bool {
	switch r {
	case ',', '，', '、', '.', ';', ':', '：', '!':
		return true
	}
	return false
}

func letterAfter(rs []rune, j int) bool {
	return j < len(rs) && rs[j] < utf8.RuneSelf && isASCIIAlnum(byte(rs[j]))
}

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if r < utf8.RuneSelf && isASCIIAlnum(byte(r)) && !isDigit(r) {
			return false
		}
	}
	return true
}

// isInnerSeparator reports whether r, between two letters with no space,
// only hides a word: punctuation, symbols, emoji.
func isInnerSeparator(r rune) bool {
	if r == ' ' || r == '\n' {
		return false
	}
	if r < utf8.RuneSelf {
		return !isASCIIAlnum(byte(r))
	}
	return !isWide(r) && !unicode.IsDigit(r)
}

// joinSpelled removes the spaces inside runs of three or more one-letter
// ASCII words.
func joinSpelled(b []byte, at []int32) ([]byte, []int32) {
	brk := func(c byte) bool { return c == ' ' || c == '|' || c == ',' || c == '?' }
	single := func(i int) bool { // b[i] is a one-letter word
		return isASCIIAlnum(b[i]) && (i == 0 || brk(b[i-1])) && (i+1 == len(b) || brk(b[i+1]))
	}
	found := false
	for i := 0; i+4 < len(b); i++ {
		if single(i) && brk(b[i+1]) && single(i+2) && brk(b[i+3]) && single(i+4) {
			found = true
			break
		}
	}
	if !found {
		return b, at
	}
	drop := make([]bool, len(b))
	for i := 1; i+1 < len(b); i++ {
		if !brk(b[i]) || !single(i-1) || !single(i+1) {
			continue
		}
		run := 2
		if i >= 3 && brk(b[i-2]) && single(i-3) {
			run++
		}
		if i+3 < len(b) && brk(b[i+2]) && single(i+3) {
			run++
		}
		drop[i] = run >= 3
	}
	w := 0
	for i := range b {
		if drop[i] {
			continue
		}
		// "a r r e s t" joins as "arest", the way the lexicons read.
		if i > 0 && drop[i-1] && w > 0 && b[w-1] == b[i] && b[i] >= 'a' && b[i] <= 'z' {
			continue
		}
		b[w], at[w] = b[i], at[i]
		w++
	}
	return b[:w], at[:w]
}
