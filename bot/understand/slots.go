package understand

import (
	"strconv"
	"strings"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// numForm says how a number was written.
type numForm uint8

const (
	fDigits numForm = iota + 1
	fWords          // two hundred forty
	fHan            // 八百六十
)

// num is a number read from the tokens.
type num struct {
	val  int64 // hundredths
	end  int
	form numForm
	n    int // tokens used
	tok  *token
}

// integer reports the number as an int when it has no fraction.
func (n num) integer() (int, bool) {
	if n.val%100 != 0 || n.val < 0 || n.val > 1e15 {
		return 0, false
	}
	if n.tok != nil && (n.tok.frac || n.tok.group) {
		return 0, false
	}
	return int(n.val / 100), true
}

// scanSlots reads the slot mentions left to right; each token belongs to
// at most one mention.
func (a *analysis) scanSlots() {
	if a.bareCount() {
		return
	}
	for i := 0; i < len(a.toks); {
		if a.flags[i]&fIgnore != 0 {
			if e, _, ok := a.r.roleAt(a.toks, i, roleNow); ok {
				a.extras = append(a.extras, extra{kind: xNow, start: i, end: e})
				i = e
				continue
			}
		}
		if a.toks[i].id < 0 && a.toks[i].kind != kNum || a.flags[i]&fIgnore != 0 {
			i++ // every slot starts with a number or a lexicon word, outside ignored phrases
			continue
		}
		if x, ok := a.scanExtra(i); ok && x.end > i {
			a.extras = append(a.extras, x)
			i = x.end
			continue
		}
		m, ok := a.slotAt(i)
		if ok && m.end > i && m.kind == mDate && i > 0 && (a.toks[i-1].text == "since" || a.toks[i-1].text == "自从" || a.eventBefore(i) || a.hardshipAfter(m.end)) {
			// "unemployed since the 1st", "got laid off friday": when
			// it happened, not a date to pay by
			m.kind = mNone
		}
		if ok && m.end > i {
			m.start = i
			if n := len(a.ments); n > 0 && m.kind == mDate && a.sameDay(&a.ments[n-1], &m) {
				a.ments[n-1] = m // "Tuesday, December 1st": one day, the full date
			} else {
				a.ments = append(a.ments, m)
			}
			i = m.end
			continue
		}
		if x, ok := a.scanExtraAfter(i); ok && x.end > i {
			a.extras = append(a.extras, x)
			i = x.end
			continue
		}
		i++
	}
}

// spokenDigit are the digits said one by one, with the words
// speech-to-text writes for them.
var spokenDigit = map[string]int{"zero": 0, "oh": 0, "o": 0, "one": 1, "won": 1, "two": 2, "to": 2, "too": 2,
	"three": 3, "tree": 3, "four": 4, "for": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "ate": 8, "nine": 9, "niner": 9}

// tokText is the text of token i, or "" past the end.
func (a *analysis) tokText(i int) string {
	if i < len(a.toks) {
		return a.toks[i].text
	}
	return ""
}

// soundsLike are words speech-to-text writes for a number said before a
// unit ("for payments" is four payments).
var soundsLike = map[string]int{"for": 4, "fore": 4, "to": 2, "too": 2, "won": 1, "tree": 3}

// sameDay reports a bare weekday followed, past a comma, by a date on
// that weekday: "Tuesday, December 1st" names one day.
func (a *analysis) sameDay(prev, m *mention) bool {
	if prev.kind != mDate || prev.end-prev.start != 1 || m.start != prev.end+1 || a.toks[prev.end].text != "," {
		return false
	}
	if _, ok := a.r.weekdayWord(a.toks[prev.start].text); !ok {
		return false
	}
	return prev.date.Time().Weekday() == m.date.Time().Weekday()
}

// bareCount reads a message that is nothing but a small whole number
// ("3", 三, "three"): the answer to "in how many payments?". Amounts that
// small are written with a currency, so 2..12 alone is a count.
func (a *analysis) bareCount() bool {
	s, e := 0, len(a.toks)
	for s < e && a.toks[s].kind == kBreak {
		s++
	}
	for e > s && a.toks[e-1].kind == kBreak {
		e--
	}
	if s == e || a.req.Stage == dialog.StageVerify || a.req.Expect == dialog.ExpectAmount || a.req.Expect == dialog.ExpectDate {
		return false
	}
	n, ok := a.number(s)
	if !ok || n.end != e {
		return false
	}
	v, ok := n.integer()
	if !ok || v < 2 || v > 12 || (n.tok != nil && (n.tok.ord || n.tok.xsuf)) {
		return false
	}
	a.ments = append(a.ments[:0], mention{kind: mInst, n: v, start: s, end: e, weak: true})
	return true
}

func (a *analysis) slotAt(i int) (mention, bool) {
	if m, ok := a.fullDate(i); ok {
		return m, true
	}
	if m, ok := a.idLast4(i); ok {
		return m, true
	}
	if m, ok := a.installments(i); ok {
		return m, true
	}
	if e, _, ok := a.r.roleAt(a.toks, i, roleThe); ok {
		if m, ok := a.installments(e); ok {
			return m, true // "the 4 payment one": a count, not the 4th
		}
	}
	if m, ok := a.relDate(i); ok {
		return m, true
	}
	if m, ok := a.amount(i); ok {
		return m, true
	}
	return mention{}, false
}

// number reads a number at i: digits ("240.50", "1,200"), English words
// ("two hundred forty", "forty-five") or Chinese numerals (八百六十, 一千二).
func (a *analysis) number(i int) (num, bool) {
	if i >= len(a.toks) {
		return num{}, false
	}
	t := &a.toks[i]
	if t.kind == kNum {
		if t.ndig > 15 {
			return num{}, false
		}
		return num{val: t.val, end: i + 1, form: fDigits, n: 1, tok: t}, true
	}
	if t.kind == kHan {
		return a.hanNumber(i)
	}
	return a.wordNumber(i)
}

func (a *analysis) wordNumber(i int) (num, bool) {
	var total, cur, cents int64
	j, used := i, 0
	// Spoken prices leave out "hundred": "five twenty" is 520, "twelve
	// fifty" 1250, "three seventy five fifty" 375.50 (a second group of
	// tens is cents).
	elided, mult := false, false
	for j < len(a.toks) {
		if e, v, ok := a.r.roleAt(a.toks, j, roleNum); ok {
			switch {
			case used == 1 && !mult && cur >= 1 && cur <= 19 && cur != 10 && v >= 10 && v <= 90 && (cur < 10 || v >= 20):
				// "five twenty", "twelve fifty" (not "ten fifteen"-like
				// teens after teens, which are times)
				cur, elided = cur*100+v, true
			case elided && cur%100 >= 10 && v >= 10 && v <= 90:
				cents = v
				j, used = e, used+1
				goto done
			default:
				cur += v
			}
			j, used = e, used+1
			if j+1 < len(a.toks) && a.toks[j].text == "-" {
				if _, _, ok := a.r.roleAt(a.toks, j+1, roleNum); ok {
					j++
				}
			}
			continue
		}
		if e, v, ok := a.r.roleAt(a.toks, j, roleMult); ok {
			if elided {
				break
			}
			mult = true
			if cur == 0 {
				cur = 1
			}
			if v >= 1000 {
				total += cur * v
				cur = 0
			} else {
				cur *= v
			}
			j, used = e, used+1
			continue
		}
		if used == 0 {
			// "to hundred": speech-to-text writes "two" as "to"
			if t := a.toks[j].text; (t == "to" || t == "too") && j+1 < len(a.toks) {
				if e, _, ok := a.r.roleAt(a.toks, j+1, roleMult); ok && e > j+1 {
					cur, used = 2, 1
					j++
					continue
				}
			}
			// "a hundred", "a thousand"
			if e, _, ok := a.r.roleAt(a.toks, j, roleA); ok {
				if _, _, ok := a.r.roleAt(a.toks, e, roleMult); ok {
					j = e
					continue
				}
			}
			return num{}, false
		}
		// "two hundred and forty"
		if e, _, ok := a.r.roleAt(a.toks, j, roleAnd); ok {
			if _, _, ok := a.r.roleAt(a.toks, e, roleNum); ok {
				j = e
				continue
			}
		}
		break
	}
done:
	if used == 0 || total+cur > 1e12 {
		return num{}, false
	}
	return num{val: (total+cur)*100 + cents, end: j, form: fWords, n: used}, true
}

// hanNumber reads Chinese numerals, including the spoken elision
// 一千二 = 1200, 两百五 = 250, 一万二 = 12000.
func (a *analysis) hanNumber(i int) (num, bool) {
	var total, section, cur, lastMult int64
	j := i
	zero, lastWasDigit := false, false
	for j < len(a.toks) && a.toks[j].kind == kHan {
		if _, v, ok := a.r.roleAt(a.toks, j, roleNum); ok {
			if v == 0 {
				zero = true
			}
			if lastWasDigit && v == cur+1 && cur > 0 && cur < 10 && j+1 < len(a.toks) && a.toks[j+1].r != '年' && !a.hanDigitAt(j+1) && !a.hanDigitAt(j-2) {
				cur = v // 两三天, 七八千: a range, read as its upper end (not 一二三四, digits)
			} else if lastWasDigit {
				cur = cur*10 + v // 二〇二六
			} else {
				cur = v
			}
			lastWasDigit = true
			j++
			continue
		}
		if _, v, ok := a.r.roleAt(a.toks, j, roleMult); ok {
			if v == 10000 {
				total += (section + cur) * 10000
				section, cur = 0, 0
			} else {
				if cur == 0 {
					cur = 1
				}
				section += cur * v
				cur = 0
			}
			lastMult, zero, lastWasDigit = v, false, false
			j++
			continue
		}
		break
	}
	if j == i {
		return num{}, false
	}
	if cur > 0 && lastMult >= 100 && !zero && j-i >= 3 {
		cur *= lastMult / 10 // 一千二: the 二 is hundreds
	}
	v := total + section + cur
	if v > 1e12 {
		return num{}, false
	}
	return num{val: v * 100, end: j, form: fHan, n: j - i}, true
}

// smallInt reads a whole number 0..limit at i.
func (a *analysis) smallInt(i, limit int) (int, int, bool) {
	n, ok := a.number(i)
	if !ok {
		return 0, 0, false
	}
	v, ok := n.integer()
	if !ok || v > limit {
		return 0, 0, false
	}
	return v, n.end, true
}

func (a *analysis) sym(i int, s string) bool {
	return i < len(a.toks) && a.toks[i].kind != kHan && a.toks[i].text == s && a.toks[i].kind != kWord
}

// dayOf reads a day of month at i: 28, 28th, twenty-eighth, 二十八.
func (a *analysis) dayOf(i int) (int, int, bool) {
	if i >= len(a.toks) {
		return 0, 0, false
	}
	if e, v, ok := a.r.roleAt(a.toks, i, roleOrd); ok {
		return int(v), e, true
	}
	// "twenty eighth"
	if e, tens, ok := a.r.roleAt(a.toks, i, roleNum); ok && (tens == 20 || tens == 30) {
		j := e
		if j < len(a.toks) && a.toks[j].text == "-" {
			j++
		}
		if e2, v, ok := a.r.roleAt(a.toks, j, roleOrd); ok && v < 10 {
			return int(tens + v), e2, true
		}
	}
	t := &a.toks[i]
	if t.kind == kNum && t.ndig <= 2 && !t.frac {
		d := int(t.val / 100)
		if d >= 1 && d <= 31 {
			return d, i + 1, true
		}
		return 0, 0, false
	}
	if t.kind == kHan {
		if d, e, ok := a.smallInt(i, 31); ok && d >= 1 {
			return d, e, true
		}
	}
	return 0, 0, false
}

// date classifies a full date (with a year): a date of birth when it lies
// ten years or more back (or in the past at the verify stage), a date to
// pay by when it is today or later, nothing otherwise.
func (a *analysis) classify(y, mo, d, end int) (mention, bool) {
	if !validDate(y, mo, d) {
		return mention{}, false
	}
	if y < 1900 || y > a.today.Year+5 {
		return mention{kind: mNone, end: end}, true // not a birth date, not a plausible promise
	}
	dt := compliance.Date{Year: y, Month: time.Month(mo), Day: d}
	switch {
	case dt.Before(a.today) && (a.req.Stage == dialog.StageVerify || y <= a.today.Year-10):
		return mention{kind: mDOB, date: dt, end: end}, true
	case !dt.Before(a.today):
		return mention{kind: mDate, date: dt, end: end}, true
	}
	return mention{kind: mNone, end: end}, true
}

// twoDigitYear maps a year written with two digits to the past century
// it most likely means (a birth year): 88 is 1988, 05 is 2005.
func (a *analysis) twoDigitYear(v int) int {
	y := 2000 + v
	if y > a.today.Year {
		y -= 100
	}
	return y
}

// yearFirst reads 91年4月5日, 八七年十月十二号, 民国81年5月5日: a year of
// two or four digits (or Han numerals) before 年, then month and day.
func (a *analysis) yearFirst(i int) (mention, bool) {
	r, toks := a.r, a.toks
	start := i
	minguo := false
	if i+1 < len(toks) && toks[i].r == '民' && toks[i+1].r == '国' {
		minguo, i = true, i+2
	}
	n, ok := a.number(i)
	if !ok || n.form == fWords {
		return mention{}, false
	}
	v, ok := n.integer()
	if !ok {
		return mention{}, false
	}
	digits := n.n
	if n.form == fDigits {
		digits = int(n.tok.ndig)
	}
	e, _, ok := r.roleAt(toks, n.end, roleYearSuffix)
	if !ok {
		return mention{}, false
	}
	var y int
	switch {
	case minguo && v >= 1 && v <= 150:
		y = v + 1911
	case digits == 4 && n.form == fHan:
		y = v
	case digits == 2 && v <= 99:
		y = a.twoDigitYear(v)
	default:
		return mention{}, false
	}
	_ = start
	mo, e2, ok := a.smallInt(e, 12)
	if !ok {
		return mention{kind: mNone, end: e}, true // "84年的": a year alone
	}
	e3, _, ok := r.roleAt(toks, e2, roleMonSuffix)
	if !ok {
		return mention{}, false
	}
	d, e4, ok := a.dayOf(e3)
	if !ok {
		return mention{}, false
	}
	if e5, _, ok := r.roleAt(toks, e4, roleDom); ok {
		e4 = e5
	}
	return a.classify(y, mo, d, e4)
}

// fullDate reads a date with a year: 1988-07-21, 07/21/1988, 7/21/1988,
// July 21, 1988, 21 July 1988, 1988年7月21日, 19880721.
func (a *analysis) fullDate(i int) (mention, bool) {
	if m, ok := a.yearFirst(i); ok {
		return m, true
	}
	t := &a.toks[i]
	if t.kind == kNum && !t.frac && !t.group {
		switch {
		case t.ndig == 8:
			v := int(t.val / 100)
			y, mo, d := v/10000, v/100%100, v%100
			if y >= 1900 && y <= 2100 && validDate(y, mo, d) {
				return a.classify(y, mo, d, i+1)
			}
		case t.ndig == 4:
			y := int(t.val / 100)
			// 1988-07-21, 1988/07/21
			if i+4 < len(a.toks) && a.dateSep(i+1) && a.toks[i+2].kind == kNum &&
				a.sym(i+3, a.toks[i+1].text) && a.toks[i+4].kind == kNum {
				mo, d := int(a.toks[i+2].val/100), int(a.toks[i+4].val/100)
				if a.toks[i+2].ndig <= 2 && a.toks[i+4].ndig <= 2 {
					return a.classify(y, mo, d, i+5)
				}
			}
			// 1988年7月21日
			if e, _, ok := a.r.roleAt(a.toks, i+1, roleYearSuffix); ok {
				if mo, e2, ok := a.smallInt(e, 12); ok {
					if e3, _, ok := a.r.roleAt(a.toks, e2, roleMonSuffix); ok {
						if d, e4, ok := a.dayOf(e3); ok {
							if e5, _, ok := a.r.roleAt(a.toks, e4, roleDom); ok {
								return a.classify(y, mo, d, e5)
							}
							return a.classify(y, mo, d, e4)
						}
					}
				}
			}
		case t.ndig <= 2:
			// 07/21/1988 (en-US month first; day first when the first
			// number cannot be a month)
			if i+4 < len(a.toks) && a.dateSep(i+1) && a.toks[i+2].kind == kNum &&
				a.toks[i+2].ndig <= 2 && a.sym(i+3, a.toks[i+1].text) && a.toks[i+4].kind == kNum {
				x, z := int(t.val/100), int(a.toks[i+2].val/100)
				y := int(a.toks[i+4].val / 100)
				switch a.toks[i+4].ndig {
				case 4:
				case 2:
					y += 1900
					if y+100 <= a.today.Year {
						y += 100
					}
				case 1:
					if x <= 31 {
						return mention{}, false
					}
				default:
					return mention{}, false
				}
				mo, d := x, z
				if x > 12 && z <= 12 {
					mo, d = z, x
				}
				if x > 31 && t.ndig == 2 && a.toks[i+4].ndig <= 2 {
					// 84-3-3, 80/1/25: a two-digit year first
					y, mo, d = a.twoDigitYear(x), z, int(a.toks[i+4].val/100)
				}
				return a.classify(y, mo, d, i+5)
			}
			// 21 July 1988
			if d, e, ok := a.dayOf(i); ok {
				if e2, mo, ok := a.r.roleAt(a.toks, e, roleMonth); ok {
					if y, e3, ok := a.year(e2); ok {
						return a.classify(y, int(mo), d, e3)
					}
				}
			}
		}
	}
	// July 21, 1988
	if e, mo, ok := a.r.roleAt(a.toks, i, roleMonth); ok {
		if d, e2, ok := a.dayOf(e); ok {
			if y, e3, ok := a.year(e2); ok {
				return a.classify(y, int(mo), d, e3)
			}
		}
	}
	return mention{}, false
}

// dateSep reports whether the token at i separates the numbers of a
// date: 1988-07-21, 07/21/1988, 1990.4.18.
func (a *analysis) dateSep(i int) bool {
	return a.sym(i, "-") || a.sym(i, "/") || a.sym(i, ".")
}

// year reads ", 1988" or " 1988" at i.
func (a *analysis) year(i int) (int, int, bool) {
	if i < len(a.toks) && a.toks[i].text == "," {
		i++
	}
	if i < len(a.toks) && a.toks[i].kind == kNum && a.toks[i].ndig == 4 && !a.toks[i].frac && !a.toks[i].group {
		y := int(a.toks[i].val / 100)
		if y >= 1900 && y <= 2100 {
			return y, i + 1, true
		}
	}
	return a.spokenYear(i)
}

// spokenYear reads a year as it is said (and as speech-to-text writes
// it): "nineteen sixty eight", "nineteen oh five", "two thousand five",
// "twenty twelve". Only while the bot waits for an identity answer, and
// only a birth year (ten years back or more): elsewhere "the 5th,
// nineteen fifty" is a date and an amount.
func (a *analysis) spokenYear(i int) (int, int, bool) {
	if a.req.Stage != dialog.StageVerify && a.req.Expect != dialog.ExpectIdentity {
		return 0, 0, false
	}
	y, e, ok := a.spokenYearAny(i)
	if !ok || y < 1900 || y > a.today.Year-10 {
		return 0, 0, false
	}
	return y, e, true
}

func (a *analysis) spokenYearAny(i int) (int, int, bool) {
	e, hi, ok := a.r.roleAt(a.toks, i, roleNum)
	if !ok {
		return 0, 0, false
	}
	if hi == 19 || hi == 20 {
		j := e
		lo := int64(-1)
		if j < len(a.toks) && (a.toks[j].text == "oh" || a.toks[j].text == "o") {
			if e2, v, ok := a.r.roleAt(a.toks, j+1, roleNum); ok && v >= 1 && v <= 9 {
				lo, j = v, e2
			}
		} else if n, ok := a.wordNumber(j); ok && n.val/100 >= 10 && n.val/100 <= 99 {
			lo, j = n.val/100, n.end
		}
		if lo >= 0 {
			return int(hi*100 + lo), j, true
		}
	}
	// "two thousand five", "two thousand and twelve"
	if n, ok := a.wordNumber(i); ok && n.val/100 >= 1900 && n.val/100 <= 2100 {
		return int(n.val / 100), n.end, true
	}
	return 0, 0, false
}

// idLast4 reads an ID's last four: "last four are 4417", 尾号441X, a bare
// 441X, an 18-character ID number, or a bare four-digit number at the
// verify stage.
func (a *analysis) idLast4(i int) (mention, bool) {
	j := i
	cue := false
	if e, _, ok := a.r.roleAt(a.toks, i, roleLast4); ok {
		j, cue = e, true
		for j < len(a.toks) && (a.toks[j].kind == kSym || a.toks[j].text == "is" || a.toks[j].text == "are" || a.toks[j].text == "是") {
			j++
		}
	}
	if (cue || a.req.Stage == dialog.StageVerify) && j+4 <= len(a.toks) {
		// "nine zero three five", "five five to nine": the digits said
		// one by one, as speech-to-text writes them
		var id [4]byte
		n := 0
		for ; n < 4; n++ {
			d, ok := spokenDigit[a.toks[j+n].text]
			if !ok {
				break
			}
			id[n] = '0' + byte(d)
		}
		if _, more := spokenDigit[a.tokText(j+4)]; n == 4 && !more {
			return mention{kind: mID, id: string(id[:]), end: j + 4}, true
		}
	}
	if j >= len(a.toks) || a.toks[j].kind != kNum || a.toks[j].frac || a.toks[j].group {
		return mention{}, false
	}
	t := &a.toks[j]
	switch {
	case t.ndig == 3 && t.xsuf:
		return mention{kind: mID, id: t.text + "X", end: j + 1}, true
	case t.ndig == 17 && t.xsuf:
		return mention{kind: mID, id: t.text[len(t.text)-3:] + "X", end: j + 1}, true
	case t.ndig == 18 && !t.xsuf:
		return mention{kind: mID, id: t.text[len(t.text)-4:], end: j + 1}, true
	case t.ndig == 4 && !t.xsuf && !t.ord:
		if cue {
			return mention{kind: mID, id: t.text, end: j + 1}, true
		}
		if _, _, in := a.r.roleAt(a.toks, j-1, roleIn); in {
			return mention{}, false // "born in 1988"
		}
		if a.req.Stage == dialog.StageVerify && !a.followedByUnit(j+1) && !a.sym(j+1, "/") && !a.sym(j+1, "-") {
			if _, _, ok := a.r.roleAt(a.toks, j+1, roleYearSuffix); !ok {
				return mention{kind: mID, id: t.text, end: j + 1}, true
			}
		}
	}
	return mention{}, false
}

// followedByUnit reports whether token i is a currency, time or
// installment unit (so the number before it is not an ID or a bare amount).
func (a *analysis) followedByUnit(i int) bool {
	if i < len(a.toks) && (a.toks[i].text == "more" || a.toks[i].text == "extra" || a.toks[i].text == "additional") {
		if _, _, ok := a.r.roleAt(a.toks, i+1, roleCur); !ok {
			i++ // "2 more weeks" (but "200 more dollars" is money)
		}
	}
	for _, ro := range [...]role{roleCur, roleTime, roleInst, roleDayUnit, roleWeekUnit, roleMonthUnit, roleDom, roleMonSuffix, roleYearSuffix} {
		if e, _, ok := a.r.roleAt(a.toks, i, ro); ok {
			if ro == roleWeekUnit && e < len(a.toks) && a.toks[e].kind == kHan {
				if _, wd := a.zhWeekday(e); wd {
					return false // 200 礼拜四: a weekday, not "200 weeks"
				}
			}
			return true
		}
	}
	return false
}

// installments reads "4 payments", "in 3 installments", "split it into
// six", "over 6 months", 分三期, 6期, 分成4次.
func (a *analysis) installments(i int) (mention, bool) {
	mk := func(n, end int) (mention, bool) {
		if n < 1 || n > 60 {
			return mention{}, false
		}
		return mention{kind: mInst, n: n, end: end}, true
	}
	// split / 分 / 分成 + number [+ unit]
	if e, _, ok := a.r.roleAt(a.toks, i, roleSplit); ok {
		if n, e2, ok := a.smallInt(e, 1000); ok {
			if e3, _, ok := a.r.roleAt(a.toks, e2, roleInst); ok {
				return mk(n, e3)
			}
			if e3, _, ok := a.r.roleAt(a.toks, e2, roleMonthUnit); ok {
				return mk(n, e3)
			}
			if a.followedByUnit(e2) {
				return mention{}, false
			}
			return mk(n, e2)
		}
	}
	// over + number + months
	if e, _, ok := a.r.roleAt(a.toks, i, roleOver); ok {
		if n, e2, ok := a.smallInt(e, 1000); ok {
			if e3, _, ok := a.r.roleAt(a.toks, e2, roleMonthUnit); ok {
				return mk(n, e3)
			}
		}
	}
	start := i
	if e, _, ok := a.r.roleAt(a.toks, i, roleIn); ok {
		start = e
		// "can I pay in 2": a small number closing the message after
		// "pay in" is a count of payments.
		if i > 0 && a.toks[i-1].text == "pay" && e < len(a.toks) && a.toks[e].kind == kNum && !a.toks[e].frac {
			if v := int(a.toks[e].val / 100); v >= 2 && v <= 12 && a.toks[e].ndig <= 2 && (e+1 == len(a.toks) || a.toks[e+1].kind == kBreak) {
				return mk(v, e+1)
			}
		}
	}
	if v, ok := soundsLike[a.toks[min(start, len(a.toks)-1)].text]; ok && start < len(a.toks) {
		// speech-to-text: "for payments", "to installments"
		if e2, u, ok := a.r.roleAt(a.toks, start+1, roleInst); ok && u == 0 {
			return mk(v, e2)
		}
	}
	if n, e, ok := a.smallInt(start, 1000); ok {
		// only unconditional units here: 次/个月 need 分 in front
		if e2, v, ok := a.r.roleAt(a.toks, e, roleInst); ok && v == 0 {
			return mk(n, e2)
		}
		// "6 monthly payments": skip one adjective word
		if e < len(a.toks) && a.toks[e].kind == kWord {
			if e2, v, ok := a.r.roleAt(a.toks, e+1, roleInst); ok && v == 0 && a.toks[e].id < 0 {
				return mk(n, e2)
			}
		}
	}
	return mention{}, false
}

// Weekday arithmetic. Weeks start on Monday: "next Wednesday" and 下周三
// are the Wednesday of the following Monday-to-Sunday week.
func monIndex(wd int) int { return (wd + 6) % 7 }

// upcomingOrToday is the next such weekday, today included (a recurring
// payment "every Friday" said on a Friday starts today).
func (a *analysis) upcomingOrToday(wd int) compliance.Date {
	return a.today.AddDays((wd - a.wd + 7) % 7)
}

// upcoming is the next such weekday; "Monday" said on a Monday is the
// next one (today would be "today").
func (a *analysis) upcoming(wd int) compliance.Date {
	n := (wd - a.wd + 7) % 7
	if n == 0 {
		n = 7
	}
	return a.today.AddDays(n)
}

func (a *analysis) thisWeek(wd int) compliance.Date {
	d := a.today.AddDays(monIndex(wd) - monIndex(a.wd))
	if d.Before(a.today) {
		return a.upcoming(wd)
	}
	return d
}

func (a *analysis) nextWeek(wd int) compliance.Date {
	return a.today.AddDays(7 - monIndex(a.wd) + monIndex(wd))
}

// dom resolves a day of the month: this month, or the next month that has
// that day when it has passed.
func (a *analysis) dom(d int) (compliance.Date, bool) {
	y, m := a.today.Year, a.today.Month
	for k := 0; k < 13; k++ {
		if d <= daysIn(y, m) {
			dt := compliance.Date{Year: y, Month: m, Day: d}
			if !dt.Before(a.today) {
				return dt, true
			}
		}
		m++
		if m > 12 {
			m, y = 1, y+1
		}
	}
	return compliance.Date{}, false
}

// monthDay resolves a month and day without a year: this year, or next
// year when it has passed.
func (a *analysis) monthDay(mo, d int) (compliance.Date, bool) {
	for _, y := range [...]int{a.today.Year, a.today.Year + 1, a.today.Year + 4} {
		if validDate(y, mo, d) {
			dt := compliance.Date{Year: y, Month: time.Month(mo), Day: d}
			if !dt.Before(a.today) {
				return dt, true
			}
		}
	}
	return compliance.Date{}, false
}

func (a *analysis) inNextMonth(d int) (compliance.Date, bool) {
	y, m := a.today.Year, a.today.Month+1
	if m > 12 {
		m, y = 1, y+1
	}
	if d < 1 || d > daysIn(y, m) {
		return compliance.Date{}, false
	}
	return compliance.Date{Year: y, Month: m, Day: d}, true
}

func (a *analysis) endOfMonth(next bool) compliance.Date {
	y, m := a.today.Year, a.today.Month
	if next {
		m++
		if m > 12 {
			m, y = 1, y+1
		}
	}
	return compliance.Date{Year: y, Month: m, Day: daysIn(y, m)}
}

func (a *analysis) addMonths(n int) compliance.Date {
	y, m := a.today.Year, int(a.today.Month)+n
	y += (m - 1) / 12
	m = (m-1)%12 + 1
	d := a.today.Day
	if dm := daysIn(y, time.Month(m)); d > dm {
		d = dm
	}
	return compliance.Date{Year: y, Month: time.Month(m), Day: d}
}

// zhWeekday reads the weekday after 周/星期/礼拜: 一..六, 日/天, or 1..7.
func (a *analysis) zhWeekday(i int) (int, bool) {
	if i >= len(a.toks) {
		return 0, false
	}
	t := &a.toks[i]
	if t.kind == kNum && t.ndig == 1 && !t.frac {
		v := int(t.val / 100)
		if v >= 1 && v <= 7 {
			return v % 7, true
		}
		return 0, false
	}
	switch t.r {
	case '一':
		return 1, true
	case '二':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五', '无', '午': // 周无, 周午: homophones typed for 周五
		return 5, true
	case '六':
		return 6, true
	case '日', '天', '七':
		return 0, true
	}
	return 0, false
}

func (a *analysis) dateMention(d compliance.Date, end int) (mention, bool) {
	return mention{kind: mDate, date: d, end: end}, true
}

// relDate reads every date form without a year.
func (a *analysis) relDate(i int) (mention, bool) {
	r, toks := a.r, a.toks
	if e, v, ok := r.roleAt(toks, i, roleRel); ok {
		return a.dateMention(a.today.AddDays(int(v)), e)
	}
	if m, ok := a.namedDate(i); ok {
		return m, true
	}
	// the day after Thanksgiving, the day before the 15th
	if j := i; j+2 < len(toks) {
		if toks[j].text == "the" {
			j++
		}
		if toks[j].text == "day" && j+2 < len(toks) && (toks[j+1].text == "after" || toks[j+1].text == "before") {
			if m, ok := a.slotAt(j + 2); ok && m.kind == mDate {
				if toks[j+1].text == "after" {
					m.date = m.date.AddDays(1)
				} else if m.date.AddDays(-1).Before(a.today) {
					return mention{}, false
				} else {
					m.date = m.date.AddDays(-1)
				}
				return m, true
			}
		}
	}
	// 下下周三, 下下个礼拜: the week after next; 再下个周五 after 下周五:
	// the one after that
	if t := toks[i].r; (t == '下' || t == '再') && i+1 < len(toks) && toks[i].kind == kHan {
		if _, _, ok := r.roleAt(toks, i+1, roleNextWeek); ok {
			if m, ok := a.relDate(i + 1); ok && m.kind == mDate {
				if t == '下' || a.dateSaid(m.date) {
					m.date = m.date.AddDays(7)
				}
				return m, true
			}
		}
	}
	// next Wednesday, next week; 下周三, 下周
	for _, ro := range [...]role{roleNextWeek, roleNext} {
		if e, _, ok := r.roleAt(toks, i, ro); ok {
			if e2, wd, ok := r.roleAt(toks, e, roleWeekday); ok {
				return a.dateMention(a.nextWeek(int(wd)), e2)
			}
			if ro == roleNextWeek {
				if wd, ok := a.zhWeekday(e); ok {
					return a.dateMention(a.nextWeek(wd), e+1)
				}
				if e2, _, ok := r.roleAt(toks, e, roleWkPrefix); ok {
					if wd, ok := a.zhWeekday(e2); ok {
						return a.dateMention(a.nextWeek(wd), e2+1)
					}
				}
				return a.weekMention(a.today.AddDays(7), e)
			}
			if e2, _, ok := r.roleAt(toks, e, roleWeekUnit); ok {
				return a.weekMention(a.today.AddDays(7), e2)
			}
		}
	}
	// this Friday; 这周五
	if e, _, ok := r.roleAt(toks, i, roleThis); ok {
		if e2, wd, ok := r.roleAt(toks, e, roleWeekday); ok {
			return a.dateMention(a.thisWeek(int(wd)), e2)
		}
	}
	if e, _, ok := r.roleAt(toks, i, roleThisWeek); ok {
		if wd, ok := a.zhWeekday(e); ok {
			return a.dateMention(a.thisWeek(wd), e+1)
		}
		if e2, _, ok := r.roleAt(toks, e, roleWkPrefix); ok {
			if wd, ok := a.zhWeekday(e2); ok {
				return a.dateMention(a.thisWeek(wd), e2+1)
			}
		}
	}
	if e, wd, ok := r.roleAt(toks, i, roleWeekday); ok {
		return a.dateMention(a.bareWeekday(int(wd)), e)
	}
	if e, _, ok := r.roleAt(toks, i, roleWkPrefix); ok {
		if wd, ok := a.zhWeekday(e); ok {
			return a.dateMention(a.bareWeekday(wd), e+1)
		}
	}
	// end of month; 月底; 下个月底
	if e, _, ok := r.roleAt(toks, i, roleEONM); ok {
		return a.dateMention(a.endOfMonth(true), e)
	}
	if e, _, ok := r.roleAt(toks, i, roleEOM); ok {
		return a.dateMention(a.endOfMonth(false), e)
	}
	// next month [on the 5th]; 下个月5号
	if e, _, ok := r.roleAt(toks, i, roleNextMonth); ok {
		j := e
		if e2, _, ok := r.roleAt(toks, j, roleThe); ok {
			j = e2
		}
		if d, e2, ok := a.dayOf(j); ok {
			// 下个月5号, next month on the 5th, next month 5
			e3, _, isDom := r.roleAt(toks, e2, roleDom)
			if isDom || j > e || toks[j].kind == kNum {
				if isDom {
					e2 = e3
				}
				if dt, ok := a.inNextMonth(d); ok {
					return a.dateMention(dt, e2)
				}
			}
		}
		return a.dateMention(a.addMonths(1), e)
	}
	// in five days, in 3 weeks, in a month
	if e, _, ok := r.roleAt(toks, i, roleIn); ok {
		n, e2, ok := a.smallInt(e, 366)
		if !ok {
			if e3, _, isA := r.roleAt(toks, e, roleA); isA {
				n, e2, ok = 1, e3, true
			}
		}
		if ok {
			if m, ok := a.offset(n, e2); ok {
				return m, true
			}
		}
	}
	// 过三天; 再过一个礼拜 after a date: a week after that one
	if e, _, ok := r.roleAt(toks, i, rolePass); ok {
		if n, e2, ok := a.smallInt(e, 366); ok {
			if e2 < len(toks) && toks[e2].r == '个' {
				e2++
			}
			if m, ok := a.offset(n, e2); ok {
				if toks[i].r == '再' || i > 0 && toks[i-1].r == '再' {
					if prev, ok := a.lastDate(); ok {
						m.date = prev.AddDays(a.today.DaysUntil(m.date))
					}
				}
				return m, true
			}
		}
	}
	// 3 days from now; 三天后; 一周后; 两个星期后; "2 weeks after that"
	if n, e, ok := a.smallInt(i, 366); ok {
		if m, ok := a.offset(n, e); ok {
			if m.end+1 < len(toks) && toks[m.end].text == "after" && (toks[m.end+1].text == "that" || toks[m.end+1].text == "this") {
				if prev, ok := a.lastDate(); ok {
					m.date = prev.AddDays(a.today.DaysUntil(m.date))
					m.end += 2
					return m, true
				}
			}
			if e2, _, ok := r.roleAt(toks, m.end, roleAfter); ok {
				m.end = e2
				return m, true
			}
		}
	} else if e, _, ok := r.roleAt(toks, i, roleA); ok {
		if m, ok := a.offset(1, e); ok {
			if e2, _, ok := r.roleAt(toks, m.end, roleAfter); ok {
				m.end = e2
				return m, true
			}
		}
	}
	// 11月28日, 11月28号
	if mo, e, ok := a.smallInt(i, 12); ok && mo >= 1 {
		if e2, _, ok := r.roleAt(toks, e, roleMonSuffix); ok {
			if d, e3, ok := a.dayOf(e2); ok {
				if e4, _, ok := r.roleAt(toks, e3, roleDom); ok {
					e3 = e4
				}
				if dt, ok := a.monthDay(mo, d); ok {
					return a.dateMention(dt, e3)
				}
			}
		}
	}
	// 28号, 28日
	if d, e, ok := a.dayOf(i); ok && toks[i].kind != kWord {
		if e2, _, ok := r.roleAt(toks, e, roleDom); ok {
			if dt, ok := a.dom(d); ok {
				return a.dateMention(dt, e2)
			}
		}
	}
	// the 28th [of November | of next month], the 5th
	if e, _, ok := r.roleAt(toks, i, roleThe); ok {
		if d, e2, ok := a.dayOf(e); ok && (toks[e].kind != kNum || toks[e].ndig <= 2) {
			if _, _, noun := r.roleAt(toks, e2, roleOrdNoun); noun && toks[e].kind != kNum {
				return mention{}, false // "the first one", "the second payment"
			}
			return a.domTail(d, e2)
		}
	}
	if toks[i].kind == kNum && toks[i].ord {
		if d, e, ok := a.dayOf(i); ok {
			return a.domTail(d, e)
		}
	}
	// November 28, Nov 28th, Nov. 28, November the 28th
	if e, mo, ok := r.roleAt(toks, i, roleMonth); ok {
		j := e
		if j < len(toks) && toks[j].text == "." {
			j++
		}
		if e2, _, ok := r.roleAt(toks, j, roleThe); ok {
			j = e2
		}
		if d, e2, ok := a.dayOf(j); ok && toks[j].kind != kHan {
			if dt, ok := a.monthDay(int(mo), d); ok {
				return a.dateMention(dt, e2)
			}
		}
	}
	// 28 November
	if toks[i].kind == kNum {
		if d, e, ok := a.dayOf(i); ok {
			j := e
			if e2, _, ok := r.roleAt(toks, j, roleOf); ok {
				j = e2
			}
			if e2, mo, ok := r.roleAt(toks, j, roleMonth); ok {
				if dt, ok := a.monthDay(int(mo), d); ok {
					return a.dateMention(dt, e2)
				}
			}
		}
	}
	// "on 28", "by 5": a bare day of the month after on/by/until
	if e, _, ok := r.roleAt(toks, i, roleOnBy); ok && e < len(toks) && toks[e].kind == kNum && toks[e].ndig <= 2 &&
		!toks[e].frac && !a.followedByUnit(e+1) && !a.sym(e+1, "/") && !a.sym(e+1, ":") && !a.sym(e+1, ".") {
		if d, e2, ok := a.dayOf(e); ok {
			return a.domTail(d, e2)
		}
	}
	// 12.6还, 12.6号: month and day with a dot, said as a date
	if t := &toks[i]; t.kind == kNum && t.frac && t.ndig <= 2 && i+1 < len(toks) && toks[i+1].kind == kHan {
		switch toks[i+1].r {
		case '还', '号', '日', '前', '付', '转':
			if mo, d, ok := dottedMonthDay(a.text[t.start:t.end]); ok {
				if dt, ok := a.monthDay(mo, d); ok {
					return a.dateMention(dt, i+1)
				}
			}
		}
	}
	// 11/28 (month first; day first when the first cannot be a month)
	if toks[i].kind == kNum && toks[i].ndig <= 2 && !toks[i].frac && a.sym(i+1, "/") &&
		i+2 < len(toks) && toks[i+2].kind == kNum && toks[i+2].ndig <= 2 && !toks[i+2].frac {
		x, z := int(toks[i].val/100), int(toks[i+2].val/100)
		mo, d := x, z
		if x > 12 && z <= 12 {
			mo, d = z, x
		}
		if dt, ok := a.monthDay(mo, d); ok {
			return a.dateMention(dt, i+3)
		}
	}
	return mention{}, false
}

// domTail finishes "the 28th" with an optional "of November" or "of next
// month".
func (a *analysis) domTail(d, e int) (mention, bool) {
	r, toks := a.r, a.toks
	if e2, _, ok := r.roleAt(toks, e, roleOfNext); ok {
		if dt, ok := a.inNextMonth(d); ok {
			return a.dateMention(dt, e2)
		}
	}
	j := e
	if e2, _, ok := r.roleAt(toks, j, roleOf); ok {
		j = e2
	}
	if e2, mo, ok := r.roleAt(toks, j, roleMonth); ok {
		if dt, ok := a.monthDay(int(mo), d); ok {
			return a.dateMention(dt, e2)
		}
	}
	if dt, ok := a.dom(d); ok {
		return a.dateMention(dt, e)
	}
	return mention{}, false
}

// offset reads the unit after a count: days, weeks, months.
func (a *analysis) offset(n, i int) (mention, bool) {
	r := a.r
	if e, _, ok := r.roleAt(a.toks, i, roleDayUnit); ok {
		return a.dateMention(a.today.AddDays(n), e)
	}
	if e, _, ok := r.roleAt(a.toks, i, roleWeekUnit); ok {
		return a.dateMention(a.today.AddDays(7*n), e)
	}
	if e, _, ok := r.roleAt(a.toks, i, roleMonthUnit); ok && n <= 24 {
		return a.dateMention(a.addMonths(n), e)
	}
	return mention{}, false
}

// amount reads money: $240, 240 dollars, two hundred forty, 1,200,
// 860元, 八百六十块, ¥860, 860 RMB, and bare numbers.
func (a *analysis) amount(i int) (mention, bool) {
	r, toks := a.r, a.toks
	mk := func(n num, cur string, end int, weak bool) (mention, bool) {
		if n.val <= 0 {
			return mention{kind: mNone, end: end}, true
		}
		return mention{kind: mAmount, minor: n.val, cur: cur, end: end, weak: weak}, true
	}
	// prefix currency: $240, ¥860, USD 240
	if e, ci, ok := r.roleAt(toks, i, roleCur); ok {
		if n, ok := a.number(e); ok && (n.form != fDigits || n.tok.ndig <= 12) {
			a.scaled(&n)
			end := n.end
			if e2, _, ok := r.roleAt(toks, end, roleCur); ok {
				end = e2 // "$240 dollars"
			}
			return mk(n, currencyCodes[ci], end, false)
		}
	}
	if toks[i].text == "buck" {
		// "a buck fifty", "buck twenty": a hundred and that much
		if c, e, ok := a.smallInt(i+1, 99); ok && c > 0 {
			return mention{kind: mAmount, minor: int64(100+c) * 100, cur: a.cur, end: e}, true
		}
	}
	n, ok := a.number(i)
	if !ok {
		return mention{}, false
	}
	if v, ok := n.integer(); ok && v >= 1 && v <= 20 && n.end < len(toks) && (toks[n.end].text == "bills" || toks[n.end].text == "bill") &&
		(n.end+1 == len(toks) || toks[n.end+1].text != "due" && toks[n.end+1].text != "left" && toks[n.end+1].text != "to") {
		// "2 bills": two hundred dollars
		return mention{kind: mAmount, minor: int64(v) * 10000, cur: a.cur, end: n.end + 1}, true
	}
	w := toks[i].text
	if w == "a" && i+1 < len(toks) {
		w = toks[i+1].text
	}
	switch w {
	case "few", "couple", "several":
		if _, _, ok := r.roleAt(toks, n.end, roleCur); ok {
			// "a few bucks": some money, not a figure; the bot asks how much
			a.vague = true
			return mention{kind: mNone, end: n.end}, true
		}
	}
	if a.flags[i]&fPhrase != 0 {
		return mention{kind: mNone, end: n.end}, true // "chapter 7"
	}
	if a.scaled(&n) {
		if e2, ci, ok := r.roleAt(toks, n.end, roleCur); ok {
			return mk(n, currencyCodes[ci], e2, false)
		}
		return mk(n, a.cur, n.end, false)
	}
	if e, ci, ok := r.roleAt(toks, n.end, roleCur); ok {
		// "eighty eight dollars and eighty eight cents"
		if e2, _, ok := r.roleAt(toks, e, roleAnd); ok {
			if c, e3, ok := a.smallInt(e2, 99); ok && e3 < len(toks) && (toks[e3].text == "cents" || toks[e3].text == "cent") {
				n.val += int64(c)
				e = e3 + 1
			}
		}
		return mk(n, currencyCodes[ci], e, false)
	}
	if a.followedByUnit(n.end) {
		return mention{kind: mNone, end: n.end}, true
	}
	switch n.form {
	case fDigits:
		t := n.tok
		if t.ord || t.xsuf || t.ndig > 9 {
			return mention{kind: mNone, end: n.end}, true
		}
		if a.sym(n.end, "/") || a.sym(n.end, ":") || (n.end < len(toks) && toks[n.end].text == "%") {
			return mention{kind: mNone, end: n.end}, true
		}
		if a.req.Stage == dialog.StageVerify && !t.frac && !t.group {
			return mention{kind: mNone, end: n.end}, true
		}
		if _, _, at := r.roleAt(toks, i-1, roleAtTime); at && t.ndig <= 2 && !t.frac {
			return mention{kind: mNone, end: n.end}, true // "at 5" is a time
		}
		return mk(n, a.cur, n.end, !t.frac && !t.group)
	case fWords:
		// "two hundred forty": a lone "five" is not an amount.
		if n.n >= 2 || n.val >= 10000 {
			return mk(n, a.cur, n.end, true)
		}
	case fHan:
		if n.n >= 2 {
			return mk(n, a.cur, n.end, true)
		}
	}
	return mention{}, false
}

// scaled applies a multiplier written after digits: 1.2万, 3千, 2k.
func (a *analysis) scaled(n *num) bool {
	if n.form != fDigits || n.end >= len(a.toks) || n.val > 1e9 {
		return false
	}
	t := &a.toks[n.end]
	if t.kind != kHan && t.text != "k" && t.text != "w" && t.text != "hundred" && t.text != "thousand" && t.text != "grand" {
		return false
	}
	e, v, ok := a.r.roleAt(a.toks, n.end, roleMult)
	if t.text == "w" {
		if a.toks[n.end-1].end != t.start {
			return false // "200 w my card": with, not 万
		}
		e, v, ok = n.end+1, 10000, true // 1.5w: 万 as typed
	}
	if !ok {
		return false
	}
	n.val *= v
	n.end = e
	n.tok = nil
	if t.kind == kWord && v == 100 {
		// "4 hundred thirty"
		if e2, tens, ok := a.r.roleAt(a.toks, e, roleNum); ok && tens < 100 {
			n.val += tens * 100
			n.end = e2
			if e3, ones, ok := a.r.roleAt(a.toks, e2, roleNum); ok && tens >= 20 && tens%10 == 0 && ones < 10 {
				n.val += ones * 100
				n.end = e3
			}
		}
	}
	return true
}

// namedDate reads the dates that have a name rather than a number:
// festivals (双十二, Christmas, Black Friday), the weekend, the middle
// and the start of the month (月中, 月初, early next month).
func (a *analysis) namedDate(i int) (mention, bool) {
	r, toks := a.r, a.toks
	if e, v, ok := r.roleAt(toks, i, roleFest); ok {
		if dt, ok := a.festival(int(v)); ok {
			return a.dateMention(dt, e)
		}
	}
	// "a week from Friday", "two weeks from friday"
	n, e, ok := 1, 0, false
	if e, _, ok = r.roleAt(toks, i, roleA); !ok {
		n, e, ok = a.smallInt(i, 8)
	}
	if ok && n >= 1 {
		if e2, _, ok := r.roleAt(toks, e, roleWeekUnit); ok && e2 < len(toks) && toks[e2].text == "from" {
			if e3, wd, ok := r.roleAt(toks, e2+1, roleWeekday); ok {
				return a.dateMention(a.upcoming(int(wd)).AddDays(7*n), e3)
			}
		}
	}
	// "friday after next", "the Monday after next": not the coming one,
	// the one after it
	if e, wd, ok := r.roleAt(toks, i, roleWeekday); ok && e+1 < len(toks) && toks[e].text == "after" && toks[e+1].text == "next" {
		return a.dateMention(a.upcoming(int(wd)).AddDays(7), e+2)
	}
	// "in january", "by march": that month (its 1st; this month, its end)
	if (toks[i].text == "in" || toks[i].text == "by") && !(i > 0 && (toks[i-1].text == "back" || toks[i-1].text == "since")) {
		if e, mo, ok := r.roleAt(toks, i+1, roleMonth); ok && (e >= len(toks) || toks[e].kind != kNum) {
			if time.Month(mo) == a.today.Month {
				return a.dateMention(a.endOfMonth(false), e)
			}
			// only a month soon to come: "back in september" is not one
			if dt, ok := a.monthDay(int(mo), 1); ok && a.today.DaysUntil(dt) <= 100 {
				return a.dateMention(dt, e)
			}
		}
	}
	// "the end of the week", "end of next week": its Friday
	if j := i; j+3 < len(toks) {
		if toks[j].text == "the" {
			j++
		}
		if j+3 < len(toks) && toks[j].text == "end" && toks[j+1].text == "of" {
			k := j + 2
			next := false
			switch toks[k].text {
			case "the", "this":
				k++
			case "next":
				k, next = k+1, true
			}
			if k < len(toks) && toks[k].text == "week" {
				if next {
					return a.dateMention(a.nextWeek(5), k+1)
				}
				return a.dateMention(a.thisWeek(5), k+1)
			}
		}
	}
	// "mid december", "early january", "end of december"
	if j := i; j+1 < len(toks) {
		day := 0
		switch toks[j].text {
		case "mid", "middle":
			day = 15
		case "early", "beginning":
			day = 1
		case "late":
			day = 31
		}
		if day > 0 {
			k := j + 1
			if k+1 < len(toks) && toks[k].text == "of" {
				k++
			}
			if e2, mo, ok := r.roleAt(toks, k, roleMonth); ok {
				if day == 31 {
					day = daysIn(a.today.Year, time.Month(mo))
				}
				if dt, ok := a.monthDay(int(mo), day); ok {
					return a.dateMention(dt, e2)
				}
			}
		}
	}
	if e, v, ok := r.roleAt(toks, i, roleWeekend); ok {
		if v == 1 {
			return a.dateMention(a.nextWeek(6), e)
		}
		return a.dateMention(a.thisWeek(6), e)
	}
	if e, v, ok := r.roleAt(toks, i, roleMid); ok {
		if v == 1 {
			if dt, ok := a.inNextMonth(15); ok {
				return a.dateMention(dt, e)
			}
		}
		if dt, ok := a.dom(15); ok {
			return a.dateMention(dt, e)
		}
	}
	if e, v, ok := r.roleAt(toks, i, roleEarly); ok {
		if v == 1 || a.today.Day > 1 {
			if dt, ok := a.inNextMonth(1); ok {
				return a.dateMention(dt, e)
			}
		}
		return a.dateMention(a.today, e)
	}
	return mention{}, false
}

// lunarNewYear is the first day of the Chinese New Year (春节), by year.
var lunarNewYear = map[int]compliance.Date{
	2026: {Year: 2026, Month: time.February, Day: 17},
	2027: {Year: 2027, Month: time.February, Day: 6},
	2028: {Year: 2028, Month: time.January, Day: 26},
	2029: {Year: 2029, Month: time.February, Day: 13},
	2030: {Year: 2030, Month: time.February, Day: 3},
}

// festival resolves a named day: MMDD for fixed dates, 1 Thanksgiving
// (the fourth Thursday of November), 2 Black Friday, 3 Cyber Monday,
// 4 the Chinese New Year. The next one on or after today.
func (a *analysis) festival(code int) (compliance.Date, bool) {
	if code >= 101 {
		return a.monthDay(code/100, code%100)
	}
	for _, y := range [...]int{a.today.Year, a.today.Year + 1} {
		var d compliance.Date
		switch code {
		case 1, 2, 3:
			first := compliance.Date{Year: y, Month: time.November, Day: 1}
			off := (int(time.Thursday) - int(first.Time().Weekday()) + 7) % 7
			d = first.AddDays(off + 21)
			if code == 2 {
				d = d.AddDays(1)
			} else if code == 3 {
				d = d.AddDays(4)
			}
		case 4:
			var ok bool
			if d, ok = lunarNewYear[y]; !ok {
				continue
			}
		default:
			return compliance.Date{}, false
		}
		if !d.Before(a.today) {
			return d, true
		}
	}
	return compliance.Date{}, false
}

// eventBefore reports whether the tokens before i end a hardship or a
// reason for lateness ("got laid off friday", "在医院住到周五"), so that a
// date at i says when it happened. A payday ("paid on the 15th") is not
// an event of that kind: its date is when the borrower can pay.
func (a *analysis) eventBefore(i int) bool {
	j := i
	for k := 0; k < 2 && j > 0; k++ {
		// "got laid off on friday", "nothing left at the end of the month"
		switch a.toks[j-1].text {
		case "on", "last", "at", "the", "by":
			j--
			continue
		}
		break
	}
	for x := range a.hits {
		h := &a.hits[x]
		if h.end != j && h.end != i {
			continue
		}
		if h.intent == iHardship || (h.intent == iReason && reasonNames[h.sub] != dialog.LatePaydayTiming) {
			return true
		}
	}
	return false
}

// dateSaid reports whether an earlier mention of the message named d.
func (a *analysis) dateSaid(d compliance.Date) bool {
	for x := range a.ments {
		if a.ments[x].kind == mDate && a.ments[x].date == d {
			return true
		}
	}
	return false
}

// weekMention is a date that names a whole week ("next week", 下周).
func (a *analysis) weekMention(d compliance.Date, end int) (mention, bool) {
	return mention{kind: mDate, date: d, end: end, week: true}, true
}

// bareWeekday resolves a weekday said alone: inside the week the bot read
// back (Request.Week: "下周还清", then "周三"), else the next one.
func (a *analysis) bareWeekday(wd int) compliance.Date {
	if w := a.req.Week; !w.IsZero() {
		monday := w.AddDays(-monIndex(int(w.Time().Weekday())))
		if d := monday.AddDays(monIndex(wd)); !d.Before(a.today) {
			return d
		}
	}
	return a.upcoming(wd)
}

// lastDate is the date of the latest date mention read so far.
func (a *analysis) lastDate() (compliance.Date, bool) {
	for x := len(a.ments) - 1; x >= 0; x-- {
		if a.ments[x].kind == mDate {
			return a.ments[x].date, true
		}
	}
	return compliance.Date{}, false
}

// dottedMonthDay reads "12.6" as December 6.
func dottedMonthDay(s string) (int, int, bool) {
	mo, d, ok := strings.Cut(s, ".")
	if !ok || len(mo) == 0 || len(mo) > 2 || len(d) == 0 || len(d) > 2 {
		return 0, 0, false
	}
	m, err1 := strconv.Atoi(mo)
	dd, err2 := strconv.Atoi(d)
	if err1 != nil || err2 != nil || m < 1 || m > 12 || dd < 1 || dd > 31 {
		return 0, 0, false
	}
	return m, dd, true
}

// hanDigitAt reports a Chinese numeral 0..9 at i.
func (a *analysis) hanDigitAt(i int) bool {
	if i < 0 || i >= len(a.toks) || a.toks[i].kind != kHan {
		return false
	}
	_, v, ok := a.r.roleAt(a.toks, i, roleNum)
	return ok && v < 10
}

// hardshipAfter reports a hardship phrase starting right after token end,
// in the same clause: "连下个月吃饭的钱都没有" names next month inside
// the hardship, not as a date to pay by.
func (a *analysis) hardshipAfter(end int) bool {
	for x := range a.hits {
		h := &a.hits[x]
		if h.intent == iHardship && !h.off && h.start >= end && h.start-end <= 2 && !a.breakIn(end, h.start) {
			return true
		}
	}
	return false
}
