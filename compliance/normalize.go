package compliance

import (
	"unicode"
	"unicode/utf8"
)

// fold returns text as runes with width and case folded, the way both the
// phrase matcher and the figure extractor read it:
//   - full-width ASCII (U+FF01-FF5E) becomes ASCII, the ideographic space
//     and every other space becomes ' ', ￥ becomes ¥;
//   - letters are lower-cased;
//   - zero-width characters and soft hyphens are dropped (they hide words);
//   - curly apostrophes become '.
func fold(text string, buf []rune) []rune {
	out := buf[:0]
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			} else if r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
				r = ' '
			}
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		case r == 0x3000 || r == 0x00A0 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F:
			r = ' '
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x00AD:
			continue
		case r == 0xFFE5:
			r = '¥'
		case r == '\u2018' || r == '\u2019' || r == '\u02BC':
			r = '\''
		case r >= 0x3000 && r <= 0x9FFF:
			// CJK punctuation, kana and ideographs have no case
		default:
			r = unicode.ToLower(r)
		}
		out = append(out, r)
	}
	return out
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

// phraseForm turns folded runes into the text the phrase matcher reads:
// ASCII letters and digits and non-ASCII letters are kept, apostrophes are
// dropped ("can't" reads "cant"), everything else is one space; no space is
// kept next to a wide letter ("坐 牢" reads "坐牢"); runs of three or more
// single letters are joined ("a r r e s t" reads "arrest"). pos maps each
// byte of the result to the index of the rune it came from.
func phraseForm(rs []rune, buf []byte, pos []int32) ([]byte, []int32) {
	out, at := buf[:0], pos[:0]
	space := true // a space was (or would be) written last; suppress more
	pendingSpace := false
	lastWide := false
	for i, r := range rs {
		switch {
		case r < utf8.RuneSelf && isASCIIAlnum(byte(r)):
			if pendingSpace && !lastWide {
				out = append(out, ' ')
				at = append(at, int32(i))
			}
			pendingSpace, space, lastWide = false, false, false
			out = append(out, byte(r))
			at = append(at, int32(i))
		case r == '\'':
			// dropped
		case isWide(r):
			pendingSpace = false
			space, lastWide = false, true
			n := len(out)
			out = utf8.AppendRune(out, r)
			for ; n < len(out); n++ {
				at = append(at, int32(i))
			}
		default:
			if !space {
				pendingSpace = true
			}
		}
	}
	return joinSpelled(out, at)
}

// joinSpelled removes the spaces inside runs of three or more one-letter
// ASCII words.
func joinSpelled(b []byte, at []int32) ([]byte, []int32) {
	// Fast path: look for "x y z" at all.
	single := func(i int) bool { // b[i] is a one-letter word
		return isASCIIAlnum(b[i]) && (i == 0 || b[i-1] == ' ') && (i+1 == len(b) || b[i+1] == ' ')
	}
	found := false
	for i := 0; i+4 < len(b); i++ {
		if single(i) && b[i+1] == ' ' && single(i+2) && b[i+3] == ' ' && single(i+4) {
			found = true
			break
		}
	}
	if !found {
		return b, at
	}
	drop := make([]bool, len(b))
	for i := 1; i+1 < len(b); i++ {
		if b[i] != ' ' || !single(i-1) || !single(i+1) {
			continue
		}
		// Join only inside a run of at least three singles.
		run := 2
		if i >= 3 && b[i-2] == ' ' && single(i-3) {
			run++
		}
		if i+3 < len(b) && b[i+2] == ' ' && single(i+3) {
			run++
		}
		drop[i] = run >= 3
	}
	w := 0
	for i := range b {
		if !drop[i] {
			b[w], at[w] = b[i], at[i]
			w++
		}
	}
	return b[:w], at[:w]
}
