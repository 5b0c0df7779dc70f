package understand

import (
	"unicode"
	"unicode/utf8"
)

// kind is what a token is.
type kind uint8

const (
	kWord  kind = iota + 1 // Latin letters (apostrophes dropped: can't -> cant)
	kNum                   // digits, with grouping commas and a decimal part
	kHan                   // one Han character
	kBreak                 // , . ; ! ? and line breaks: a clause boundary
	kSym                   // $ ¥ % / - : and the like
)

// token is one unit of a normalized message. text is a substring of the
// normalized message, or the corrected lexicon word after a typo fix.
type token struct {
	text  string
	start int // byte offsets in the normalized text
	end   int
	id    int32 // vocabulary id, -1 when unknown
	kind  kind
	r     rune  // kHan: the character
	val   int64 // kNum: value in hundredths (240.5 -> 24050)
	ndig  int8  // kNum: integer digits (capped at 127)
	frac  bool  // kNum: had a decimal part
	group bool  // kNum: had grouping commas
	ord   bool  // kNum: ordinal suffix (28th)
	xsuf  bool  // kNum: ends in x (441X)
	typo  bool  // id came from a typo correction
}

// textStats are facts about the raw text used for sentiment.
type textStats struct {
	exclaims   int
	upperWords int // words of 3+ letters in capitals
	latin      int // Latin letters
	han        int // Han characters
}

// normalize appends the normalized form of s to dst: ASCII lower case,
// full-width forms folded to ASCII, CJK punctuation to ASCII, apostrophes
// inside words dropped, control characters and invalid UTF-8 to spaces.
func normalize(dst []byte, s string, st *textStats) []byte {
	upperRun := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'A' && c <= 'Z':
				upperRun++
				dst = append(dst, c+'a'-'A')
				if st != nil {
					st.latin++
				}
				continue
			case c >= 'a' && c <= 'z':
				if st != nil {
					st.latin++
				}
			case c == '\'' || c == '`':
				if len(dst) > 0 && isLower(dst[len(dst)-1]) && i < len(s) && isLetterByte(s[i]) {
					continue // can't -> cant
				}
				c = ' '
			case c == '!':
				if st != nil {
					st.exclaims++
				}
			case c < ' ' && c != '\n':
				c = ' '
			}
			if upperRun >= 3 && st != nil && !isLetterByte(c) {
				st.upperWords++
			}
			if !isLetterByte(c) {
				upperRun = 0
			}
			dst = append(dst, c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if upperRun >= 3 && st != nil {
			st.upperWords++
		}
		upperRun = 0
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, ' ')
			continue
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			a := byte(r - 0xFEE0)
			if a >= 'A' && a <= 'Z' {
				a += 'a' - 'A'
			}
			if a == '!' && st != nil {
				st.exclaims++
			}
			dst = append(dst, a)
			continue
		case r == 0x2019 || r == 0x2018: // ’ ‘
			if len(dst) > 0 && isLower(dst[len(dst)-1]) && i < len(s) && isLetterByte(s[i]) {
				continue
			}
			dst = append(dst, ' ')
			continue
		case r == 0x3002 || r == 0xFF61 || r == 0x2026: // 。｡…
			dst = append(dst, '.')
			continue
		case r == 0x3001: // 、
			dst = append(dst, ',')
			continue
		case r == 0x3000 || r == 0x00A0 || r == 0x201C || r == 0x201D || r == 0x300C ||
			r == 0x300D || r == 0x300A || r == 0x300B || r == 0x3010 || r == 0x3011:
			dst = append(dst, ' ')
			continue
		case r == 0x2014 || r == 0x2013:
			dst = append(dst, '-')
			continue
		case r == 0x1F44C || r == 0x1F44D || r == 0x1F197 || r == 0x2705 || r == 0x2714 || r == 0x1F646:
			// 👌 👍 🆗 ✅ ✔ 🙆: a yes sent as a picture
			dst = append(dst, " ok "...)
			continue
		case r == 0xFFE5: // full-width yen
			r = 0xA5
		case r == 0x2028 || r == 0x2029 || r == 0x0085:
			dst = append(dst, '\n')
			continue
		}
		if st != nil && unicode.Is(unicode.Han, r) {
			st.han++
		}
		dst = utf8.AppendRune(dst, r)
	}
	if upperRun >= 3 && st != nil {
		st.upperWords++
	}
	return dst
}

func isLower(c byte) bool      { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLetterByte(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// tokenize appends the tokens of the normalized text s to toks. Token ids
// are left at -1 for the caller to look up.
func tokenize(toks []token, s string) []token {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			// A space between Chinese words (or a number and a Chinese
			// word) separates phrases the way a comma does: 四百 三十号
			// is 400 and the 30th, not 430.
			if n := len(toks); n > 0 && (toks[n-1].kind == kHan || toks[n-1].kind == kNum) {
				j := i + 1
				for j < len(s) && s[j] == ' ' {
					j++
				}
				if j < len(s) && (s[j] >= utf8.RuneSelf || isDigit(s[j])) && (toks[n-1].kind == kHan || s[j] >= utf8.RuneSelf) {
					if r, _ := utf8.DecodeRuneInString(s[j:]); isDigit(s[j]) || unicode.Is(unicode.Han, r) {
						toks = append(toks, token{text: " ", start: i, end: i + 1, id: -1, kind: kBreak})
					}
				}
			}
			i++
		case isLower(c):
			j := i + 1
			for j < len(s) && isLower(s[j]) {
				j++
			}
			toks = append(toks, token{text: s[i:j], start: i, end: j, id: -1, kind: kWord})
			i = j
		case isDigit(c):
			toks = append(toks, scanNumber(s, i))
			i = toks[len(toks)-1].end
		case c == ',' || c == '.' || c == ';' || c == '!' || c == '?' || c == '\n':
			toks = append(toks, token{text: s[i : i+1], start: i, end: i + 1, id: -1, kind: kBreak})
			i++
		case c < utf8.RuneSelf:
			toks = append(toks, token{text: s[i : i+1], start: i, end: i + 1, id: -1, kind: kSym})
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case unicode.Is(unicode.Han, r) || r == 0x3007: // 〇
				toks = append(toks, token{text: s[i : i+n], start: i, end: i + n, id: -1, kind: kHan, r: r})
			case r == 0xA5 || r == '%':
				toks = append(toks, token{text: s[i : i+n], start: i, end: i + n, id: -1, kind: kSym})
			case unicode.IsLetter(r):
				j := i + n
				for j < len(s) {
					r2, n2 := utf8.DecodeRuneInString(s[j:])
					if r2 < utf8.RuneSelf && !isLower(byte(r2)) || !unicode.IsLetter(r2) || unicode.Is(unicode.Han, r2) {
						break
					}
					j += n2
				}
				toks = append(toks, token{text: s[i:j], start: i, end: j, id: -1, kind: kWord})
				n = j - i
			}
			i += n
		}
	}
	return toks
}

// scanNumber reads a number starting at s[i]: digits, grouping commas
// ("1,200"), one decimal part ("240.50"), an ordinal suffix ("28th") or a
// trailing x ("441x").
func scanNumber(s string, i int) token {
	t := token{start: i, id: -1, kind: kNum}
	var v int64
	nd := 0
	j := i
	for j < len(s) {
		c := s[j]
		if isDigit(c) {
			if nd < 15 {
				v = v*10 + int64(c-'0')
			}
			nd++
			j++
			continue
		}
		// "1,200": a comma followed by exactly three digits.
		if c == ',' && nd > 0 && j+4 <= len(s) && isDigit(s[j+1]) && isDigit(s[j+2]) && isDigit(s[j+3]) &&
			(j+4 == len(s) || !isDigit(s[j+4])) {
			t.group = true
			j++
			continue
		}
		break
	}
	val := v * 100
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) && !dottedDate(s, j) && !afterDot(s, i) {
		k := j + 1
		frac, fd := int64(0), 0
		for k < len(s) && isDigit(s[k]) {
			if fd < 2 {
				frac = frac*10 + int64(s[k]-'0')
			}
			fd++
			k++
		}
		if fd == 1 {
			frac *= 10
		}
		val += frac
		t.frac = true
		j = k
	}
	if nd > 127 {
		nd = 127
	}
	t.ndig = int8(nd)
	t.val = val
	if nd > 15 {
		t.val = 0
	}
	t.text = s[i:j]
	// Suffixes glued to the digits.
	if j < len(s) && isLower(s[j]) {
		k := j
		for k < len(s) && isLower(s[k]) {
			k++
		}
		suf := s[j:k]
		switch {
		case !t.frac && (suf == "st" || suf == "nd" || suf == "rd" || suf == "th"):
			t.ord = true
			j = k
		case !t.frac && suf == "x":
			t.xsuf = true
			j = k
		}
	}
	t.end = j
	return t
}

// dottedDate reports whether the '.' at s[j] separates the parts of a
// date written with dots (1990.4.18, 18.4.1990, 4.18.90): digits, a dot,
// one or two digits, a dot and more digits. Such a run is three numbers,
// not a decimal.
func dottedDate(s string, j int) bool {
	k := j + 1
	n := 0
	for k < len(s) && isDigit(s[k]) {
		k++
		n++
	}
	return n >= 1 && n <= 2 && k+1 < len(s) && s[k] == '.' && isDigit(s[k+1])
}

// afterDot reports whether the number at s[i] follows digits and a dot:
// the middle or last part of a dotted date, never a decimal's start.
func afterDot(s string, i int) bool {
	return i >= 2 && s[i-1] == '.' && isDigit(s[i-2])
}
