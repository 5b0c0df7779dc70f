package compliance

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// FigureKind says what a figure found in a text stands for.
type FigureKind string

// Kinds of figures.
const (
	FigureMoney   FigureKind = "money"   // "$240.00", "860元", "八百六十块", "240 dollars"
	FigureDate    FigureKind = "date"    // "November 27, 2026", "11/27", "27th", "2026年11月27日", "27号"
	FigurePercent FigureKind = "percent" // "25%", "25 percent", "百分之二十五"
	FigureCount   FigureKind = "count"   // a number with a counting unit: "4 payments", "分4期", "14 days"
	FigureNumber  FigureKind = "number"  // any other number: "240", "555-0100", "two hundred"
	FigureTime    FigureKind = "time"    // a time of day, "10:30"
)

// Figure is one figure found in a text.
//
// What counts as a figure (and so must be a fact): every run of digits
// (ASCII or full-width), every Chinese numeral that states a quantity, and
// English number words from "two" up ("zero" included), with their unit.
// What does not: numbers inside URLs, e-mail addresses and identifiers (a
// letter right before the digits: "a-1", "A12"); ordinals ("第二期",
// "first", "second"); the words "one"/"一" on their own ("one moment",
// "一下") unless a money or date unit follows; Chinese idioms built on
// numerals ("一些", "一定", "十分", "千万", "万一", "二维码", "一次性", ...);
// a month name with no day or year ("in November"); weekday names; and the
// pack's fixed expressions (not_figures, e.g. "last 4 digits").
type Figure struct {
	Kind FigureKind `json:"kind"`
	Text string     `json:"text"` // as found (folded: lower case, half-width)
	// Money is set for FigureMoney.
	Money Money `json:"money,omitzero"`
	// Date is set for FigureDate; Year and Month are zero when the text
	// does not say them ("Nov 27", "27号").
	Date Date `json:"date,omitzero"`
	// Hundredths is the value times 100 for percents, counts and numbers
	// (and hour*100+minute for times).
	Hundredths int64 `json:"hundredths,omitempty"`
	// Inexact is set when the text has more precision than Hundredths
	// holds; such a figure never equals a fact.
	Inexact bool `json:"inexact,omitempty"`
}

// String describes f for violation details.
func (f Figure) String() string {
	switch f.Kind {
	case FigureMoney:
		return fmt.Sprintf("amount %q (%s)", f.Text, f.Money)
	case FigureDate:
		return fmt.Sprintf("date %q", f.Text)
	default:
		return fmt.Sprintf("%s %q", f.Kind, f.Text)
	}
}

// ExtractFigures returns every figure in text, in order.
func ExtractFigures(text string) []Figure {
	rs := fold(text, nil)
	return extractFigures(rs, nil, nil)
}

// extractFigures scans folded runes; skip marks runes that belong to
// fixed expressions (may be nil).
func extractFigures(rs []rune, skip []bool, out []Figure) []Figure {
	x := extractor{rs: rs, skip: skip, out: out}
	x.run()
	return x.out
}

type extractor struct {
	rs   []rune
	skip []bool
	out  []Figure
}

func (x *extractor) at(i int) rune {
	if i < 0 || i >= len(x.rs) {
		return 0
	}
	return x.rs[i]
}

func (x *extractor) hasPrefix(i int, s string) bool {
	for _, r := range s {
		if x.at(i) != r {
			return false
		}
		i++
	}
	return true
}

func isDigit(r rune) bool     { return '0' <= r && r <= '9' }
func isLetterASC(r rune) bool { return 'a' <= r && r <= 'z' }

// zhDigit returns the value of a Chinese digit character, or -1.
func zhDigit(r rune) int64 {
	switch r {
	case '零', '〇':
		return 0
	case '一', '壹', '幺':
		return 1
	case '二', '两', '贰', '貮':
		return 2
	case '三', '叁':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

func zhUnit(r rune) int64 {
	switch r {
	case '十', '拾':
		return 10
	case '百', '佰':
		return 100
	case '千', '仟':
		return 1000
	case '万':
		return 10000
	case '亿':
		return 100000000
	}
	return 0
}

func isZhNumeral(r rune) bool { return zhDigit(r) >= 0 || zhUnit(r) > 0 }

// zhIdioms are words built on numerals that state no quantity.
var zhIdioms = []string{
	"一些", "一点", "一下", "一起", "一直", "一定", "一般", "一样", "一旦", "一切", "一致",
	"一同", "一律", "一次性", "一会", "一边", "一面", "一向", "一再", "一一", "一时", "一是",
	"一方面", "一份", "一位", "一种", "一句", "一声", "一步", "一天", "一个", "一次", "一笔",
	"万一", "千万", "十分", "万分", "二维", "三思", "一目了然",
}

func (x *extractor) run() {
	rs := x.rs
	tokenStart := true
	for i := 0; i < len(rs); {
		if x.skip != nil && x.skip[i] {
			i++
			tokenStart = false
			continue
		}
		r := rs[i]
		if tokenStart && r < utf8.RuneSelf && r != ' ' {
			if end, ok := x.opaqueToken(i); ok {
				i = end
				continue
			}
		}
		tokenStart = r == ' ' || r >= utf8.RuneSelf
		switch {
		case isDigit(r):
			i = x.digits(i)
		case r == '百' && x.hasPrefix(i, "百分之"):
			i = x.zhPercent(i)
		case r == '百' && x.hasPrefix(i, "百分百"):
			x.emit(FigurePercent, i, i+3, Figure{Hundredths: 10000})
			i += 3
		case isZhNumeral(r):
			i = x.zhNumber(i)
		case isLetterASC(r) && !isLetterASC(x.at(i-1)):
			i = x.word(i)
		default:
			i++
		}
	}
}

// opaqueToken reports whether the whitespace-delimited token at i is a URL
// or an e-mail address, whose digits are not figures, and where it ends.
func (x *extractor) opaqueToken(i int) (int, bool) {
	end := i
	at, slash := false, false
	for end < len(x.rs) && x.rs[end] != ' ' && !(x.rs[end] >= utf8.RuneSelf && !isWide(x.rs[end]) && x.rs[end] != '¥') && !isWide(x.rs[end]) {
		switch x.rs[end] {
		case '@':
			at = true
		case ':':
			if x.at(end+1) == '/' && x.at(end+2) == '/' {
				slash = true
			}
		}
		end++
	}
	if at || slash || x.hasPrefix(i, "www.") {
		return end, true
	}
	return i, false
}

func (x *extractor) emit(kind FigureKind, start, end int, f Figure) {
	f.Kind = kind
	f.Text = string(x.rs[start:end])
	x.out = append(x.out, f)
}

// readDigits reads an ASCII number with optional thousands separators and
// decimals at i: value in hundredths, the count of integer digits, whether
// precision was lost, and the end.
func (x *extractor) readDigits(i int) (h int64, intDigits int, inexact bool, end int) {
	j := i
	var v int64
	for j < len(x.rs) {
		r := x.rs[j]
		if isDigit(r) {
			if v < 1e15 {
				v = v*10 + int64(r-'0')
			} else {
				inexact = true
			}
			intDigits++
			j++
			continue
		}
		// "1,240": a comma followed by exactly three digits.
		if r == ',' && intDigits > 0 && isDigit(x.at(j+1)) && isDigit(x.at(j+2)) && isDigit(x.at(j+3)) && !isDigit(x.at(j+4)) {
			j++
			continue
		}
		break
	}
	h = v * 100
	if x.at(j) == '.' && isDigit(x.at(j+1)) {
		j++
		for k := 0; isDigit(x.at(j)); k++ {
			d := int64(x.rs[j] - '0')
			switch k {
			case 0:
				h += d * 10
			case 1:
				h += d
			default:
				if d != 0 {
					inexact = true
				}
			}
			j++
		}
	}
	return h, intDigits, inexact, j
}

// spaceGrouped reads an amount whose thousands are grouped by spaces
// ("$ 1 200.00", "3 000 元", as many locales write them): a group of one to
// three digits, then groups of exactly three, and money on either side (a
// currency sign or code before, or cents, a sign, a code or a Chinese
// money unit after). Without money around, "6 200" stays two numbers.
func (x *extractor) spaceGrouped(i, nd, end int) (h int64, digits, e int, ok bool) {
	if nd == 0 || nd > 3 || end-i != nd {
		return 0, 0, 0, false
	}
	v := int64(0)
	for k := i; k < end; k++ {
		v = v*10 + int64(x.rs[k]-'0')
	}
	j, groups := end, 0
	for x.at(j) == ' ' && isDigit(x.at(j+1)) && isDigit(x.at(j+2)) && isDigit(x.at(j+3)) && !isDigit(x.at(j+4)) {
		v = v*1000 + int64(x.rs[j+1]-'0')*100 + int64(x.rs[j+2]-'0')*10 + int64(x.rs[j+3]-'0')
		j += 4
		groups++
	}
	if groups == 0 || v > 1e13 {
		return 0, 0, 0, false
	}
	h = v * 100
	e = j
	if x.at(j) == '.' && isDigit(x.at(j+1)) && isDigit(x.at(j+2)) && !isDigit(x.at(j+3)) {
		h += int64(x.rs[j+1]-'0')*10 + int64(x.rs[j+2]-'0')
		e = j + 3
	}
	money := e > j
	if cur, _ := x.currencyBefore(i); cur != "" {
		money = true
	}
	if k := x.skipSpaces(e); signCurrency(x.at(k)) != "" {
		money = true
	} else if w, _ := x.readWord(k); currencyCodes[w] != "" || currencyWords[w] != "" {
		money = true
	} else {
		for _, u := range zhMoneyUnits {
			if x.hasPrefix(k, u.word) {
				money = true
			}
		}
	}
	return h, nd + 3*groups, e, money
}

// readInt reads plain ASCII digits at i.
func (x *extractor) readInt(i int) (v int, n int) {
	for isDigit(x.at(i+n)) && n < 9 {
		v = v*10 + int(x.rs[i+n]-'0')
		n++
	}
	return v, n
}

// identifierBefore reports whether the digits at i continue an identifier
// ("a1", "a-1", "covid-19") rather than start a number. A currency code
// right before ("usd240") is not an identifier.
func (x *extractor) identifierBefore(i int) bool {
	p := x.at(i - 1)
	if p == '-' || p == '_' || p == '#' {
		q := x.at(i - 2)
		return isLetterASC(q) || isDigit(q) || q == '_'
	}
	if !isLetterASC(p) {
		return false
	}
	j := i - 1
	for isLetterASC(x.at(j - 1)) {
		j--
	}
	_, ok := currencyCodes[string(x.rs[j:i])]
	return !ok
}

func (x *extractor) skipIdentifier(i int) int {
	for i < len(x.rs) && (isLetterASC(x.rs[i]) || isDigit(x.rs[i]) || x.rs[i] == '-' || x.rs[i] == '_') {
		i++
	}
	return i
}

func (x *extractor) digits(i int) int {
	if x.identifierBefore(i) {
		return x.skipIdentifier(i)
	}
	// Dates and times written with separators.
	if end, ok := x.numericDate(i); ok {
		return end
	}
	h, nd, inexact, end := x.readDigits(i)
	if g, gn, ge, ok := x.spaceGrouped(i, nd, end); ok {
		h, nd, end = g, gn, ge
	}
	if x.at(end) == ':' && isDigit(x.at(end+1)) && isDigit(x.at(end+2)) && !isDigit(x.at(end+3)) && nd <= 2 && h%100 == 0 {
		hh := h / 100
		mm := int64((x.rs[end+1]-'0')*10 + (x.rs[end+2] - '0'))
		x.emit(FigureTime, i, end+3, Figure{Hundredths: hh*100 + mm})
		return end + 3
	}
	// Digits glued to letters that are not a unit: an identifier ("4g", "2fa").
	return x.classify(i, end, h, inexact, nd <= 4 && h%100 == 0)
}

// numericDate reads "2026-11-27", "2026/11/27", "2026.11.27", "11/27" and
// "11/27/2026" at i.
func (x *extractor) numericDate(i int) (int, bool) {
	a, na := x.readInt(i)
	sep := x.at(i + na)
	if sep != '-' && sep != '/' && sep != '.' {
		return 0, false
	}
	b, nb := x.readInt(i + na + 1)
	if nb == 0 || nb > 2 {
		return 0, false
	}
	j := i + na + 1 + nb
	if na == 4 { // year first: needs a day too
		if x.at(j) != sep {
			return 0, false
		}
		c, nc := x.readInt(j + 1)
		if nc == 0 || nc > 2 || isDigit(x.at(j+1+nc)) || !validDate(a, b, c) {
			return 0, false
		}
		x.emit(FigureDate, i, j+1+nc, Figure{Date: Date{a, time.Month(b), c}})
		return j + 1 + nc, true
	}
	if sep == '-' && na <= 2 && nb == 2 && !isDigit(x.at(j)) && x.at(j) != '-' && validDate(0, a, b) {
		// "11-27": a month and a day
		x.emit(FigureDate, i, j, Figure{Date: Date{Month: time.Month(a), Day: b}})
		return j, true
	}
	if sep != '/' || na > 2 || isDigit(x.at(j)) || !validDate(0, a, b) {
		return 0, false
	}
	d := Date{Month: time.Month(a), Day: b}
	if x.at(j) == '/' {
		if y, ny := x.readInt(j + 1); ny == 4 && !isDigit(x.at(j+1+ny)) {
			d.Year = y
			j += 1 + ny
		} else if ny == 2 && !isDigit(x.at(j+1+ny)) {
			d.Year = 2000 + y
			j += 1 + ny
		}
	}
	x.emit(FigureDate, i, j, Figure{Date: d})
	return j, true
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	if y == 0 {
		y = 2024 // a leap year: "2/29" is a valid month-day
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d
}

// currencyCodes maps currency words to ISO codes.
var currencyCodes = map[string]string{
	"usd": "USD", "cny": "CNY", "rmb": "CNY", "eur": "EUR", "gbp": "GBP", "jpy": "JPY",
	"hkd": "HKD", "cad": "CAD", "aud": "AUD", "sgd": "SGD", "chf": "CHF", "inr": "INR",
	"mxn": "MXN", "php": "PHP",
}

var currencyWords = map[string]string{
	"dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD",
	"yuan": "CNY", "renminbi": "CNY", "euro": "EUR", "euros": "EUR",
}

var countWords = map[string]bool{
	"payment": true, "payments": true, "installment": true, "installments": true,
	"instalment": true, "instalments": true, "day": true, "days": true, "week": true,
	"weeks": true, "month": true, "months": true, "year": true, "years": true,
	"time": true, "times": true, "hour": true, "hours": true, "minute": true,
	"minutes": true, "business": true, "calendar": true, "attempt": true, "attempts": true,
	"call": true, "calls": true, "digit": true, "digits": true,
}

// zhMoneyUnits and zhCountUnits follow a number directly.
var zhMoneyUnits = []struct{ word, cur string }{
	{"块钱", "CNY"}, {"元", "CNY"}, {"块", "CNY"}, {"圆", "CNY"}, {"人民币", "CNY"},
	{"美元", "USD"}, {"美金", "USD"}, {"欧元", "EUR"}, {"英镑", "GBP"}, {"日元", "JPY"},
	{"港元", "HKD"}, {"港币", "HKD"},
}

var zhCountUnits = []string{"期", "次", "天", "个", "周", "笔", "岁", "小时", "分钟", "星期", "倍", "位", "条", "项"}

// readWord reads the ASCII word at i.
func (x *extractor) readWord(i int) (string, int) {
	j := i
	for isLetterASC(x.at(j)) {
		j++
	}
	return string(x.rs[i:j]), j
}

func (x *extractor) skipSpaces(i int) int {
	for x.at(i) == ' ' {
		i++
	}
	return i
}

// currencyBefore looks for a currency sign or code right before the
// number at start.
func (x *extractor) currencyBefore(start int) (string, int) {
	j := start - 1
	for x.at(j) == ' ' {
		j--
	}
	switch x.at(j) {
	case '$':
		return "USD", j
	case '¥':
		return "CNY", j
	case '€':
		return "EUR", j
	case '£':
		return "GBP", j
	}
	k := j
	for isLetterASC(x.at(k)) {
		k--
	}
	if k < j {
		if c, ok := currencyCodes[string(x.rs[k+1:j+1])]; ok {
			return c, k + 1
		}
	}
	return "", start
}

// classify decides what the number [start, end) with value h (hundredths)
// is from the words around it, emits it and returns where scanning goes on.
// small says the number could be a day of the month.
func (x *extractor) classify(start, end int, h int64, inexact, small bool) int {
	// "1.2k", "$3k": thousands.
	if x.at(end) == 'k' && !isLetterASC(x.at(end+1)) && !isDigit(x.at(end+1)) {
		h *= 1000
		end++
	}
	// Chinese multipliers after digits: "2.4万元", "3千元", "1亿", "3千5"
	// (3500), but not units of measure ("3千克", "5千米").
	if u := zhUnit(x.at(end)); u >= 100 && !strings.ContainsRune("克米瓦卡字", x.at(end+1)) {
		h *= u
		end++
		// "3千5百": a digit and a smaller unit, again.
		for {
			d := zhDigit(x.at(end))
			if isDigit(x.at(end)) {
				d = int64(x.at(end) - '0')
			}
			u2 := zhUnit(x.at(end + 1))
			if d <= 0 || u2 < 10 || u2 >= u {
				break
			}
			h += d * u2 * 100
			u = u2
			end += 2
		}
		if zhUnit(x.at(end)) == 10000 && u < 10000 { // "3千万"
			h *= 10000
			end++
		} else if u < 10000 && !isDigit(x.at(end+1)) && !isZhNumeral(x.at(end+1)) {
			d := zhDigit(x.at(end))
			if isDigit(x.at(end)) {
				d = int64(x.at(end) - '0')
			}
			if d > 0 { // "3千5", "3千五": 3500
				h += d * u * 10 // hundredths
				end++
			}
		}
	}
	if cur, s := x.currencyBefore(start); cur != "" {
		// "$240", "usd 240" (and "$240 usd": eat the repeated code).
		e := end
		if w, we := x.readWord(x.skipSpaces(e)); currencyCodes[w] == cur {
			e = we
		}
		x.emit(FigureMoney, s, e, Figure{Money: Money{Minor: h, Currency: cur}, Inexact: inexact})
		return e
	}
	if x.at(start-1) == '第' {
		return end // an ordinal
	}
	// A currency sign after the number, with or without a space: "21$",
	// "500 €".
	if j := x.skipSpaces(end); j < len(x.rs) {
		if cur := signCurrency(x.rs[j]); cur != "" {
			x.emit(FigureMoney, start, j+1, Figure{Money: Money{Minor: h, Currency: cur}, Inexact: inexact})
			return j + 1
		}
		// Chinese units after a space: "12 元", "4 期".
		if j > end {
			for _, u := range zhMoneyUnits {
				if x.hasPrefix(j, u.word) {
					e := j + utf8.RuneCountInString(u.word)
					x.emit(FigureMoney, start, e, Figure{Money: Money{Minor: h, Currency: u.cur}, Inexact: inexact})
					return e
				}
			}
			for _, u := range zhCountUnits {
				if x.hasPrefix(j, u) {
					e := j + utf8.RuneCountInString(u)
					x.emit(FigureCount, start, e, Figure{Hundredths: h, Inexact: inexact})
					return e
				}
			}
		}
	}
	// Units written right after the number.
	switch r := x.at(end); {
	case r == '%':
		x.emit(FigurePercent, start, end+1, Figure{Hundredths: h, Inexact: inexact})
		return end + 1
	case r == '日' && x.durationBefore(start):
		// "逾期5日", "可展期17日": a count of days, not the 5th.
		x.emit(FigureCount, start, end+1, Figure{Hundredths: h, Inexact: inexact})
		return end + 1
	case r == '年' || r == '月' || r == '日' || r == '号':
		if !inexact && h%100 == 0 {
			if e, ok := x.zhDate(start, end, h/100); ok {
				return e
			}
		}
	}
	for _, u := range zhMoneyUnits {
		if x.hasPrefix(end, u.word) {
			e := end + utf8.RuneCountInString(u.word)
			// "捌角捌分", "五毛": tenths and hundredths of a yuan.
			if u.cur == "CNY" && h%100 == 0 {
				h, e = x.zhCents(h, e)
			} else if h%100 == 0 {
				h, e = x.zhMinorUnits(h, e, u.cur)
			}
			x.emit(FigureMoney, start, e, Figure{Money: Money{Minor: h, Currency: u.cur}, Inexact: inexact})
			return e
		}
	}
	if x.at(end) == '点' || x.at(end) == '时' && !x.hasPrefix(end, "时间") {
		// "9点", "9点半": a time of day
		e := end + 1
		if x.at(e) == '半' {
			e++
		}
		x.emit(FigureTime, start, e, Figure{Hundredths: h})
		return e
	}
	for _, u := range zhCountUnits {
		if x.hasPrefix(end, u) {
			e := end + utf8.RuneCountInString(u)
			x.emit(FigureCount, start, e, Figure{Hundredths: h, Inexact: inexact})
			return e
		}
	}
	// Ordinal suffixes: "27th", "1st".
	if w, we := x.readWord(end); w == "st" || w == "nd" || w == "rd" || w == "th" {
		if small && h >= 100 && h <= 3100 {
			d := Date{Day: int(h / 100)}
			e := we
			// "27th of November", "27th November 2026"
			if m, me := x.monthAfter(we); m != 0 {
				d.Month, e = m, me
				e = x.yearAfter(e, &d)
			}
			x.emit(FigureDate, start, e, Figure{Date: d})
			return e
		}
		return we // an ordinal that is no day: not a figure
	} else if w == "am" || w == "pm" {
		x.emit(FigureTime, start, we, Figure{Hundredths: h, Inexact: inexact})
		return we
	} else if w != "" && w != "k" && currencyCodes[w] == "" && currencyWords[w] == "" && !countWords[w] && w != "percent" && w != "cents" {
		// digits glued to a word that is no unit ("4g"): still a number
		x.emit(FigureNumber, start, end, Figure{Hundredths: h, Inexact: inexact})
		return end
	}
	// Units after a space.
	j := x.skipSpaces(end)
	if x.at(j) == '%' {
		x.emit(FigurePercent, start, j+1, Figure{Hundredths: h, Inexact: inexact})
		return j + 1
	}
	w, we := x.readWord(j)
	switch {
	case (w == "am" || w == "pm") && j > end:
		x.emit(FigureTime, start, we, Figure{Hundredths: h, Inexact: inexact})
		return we
	case w == "percent" || w == "pct":
		x.emit(FigurePercent, start, we, Figure{Hundredths: h, Inexact: inexact})
		return we
	case w == "per":
		if w2, we2 := x.readWord(x.skipSpaces(we)); w2 == "cent" {
			x.emit(FigurePercent, start, we2, Figure{Hundredths: h, Inexact: inexact})
			return we2
		}
	case w == "cent" || w == "cents":
		x.emit(FigureMoney, start, we, Figure{Money: Money{Minor: h / 100, Currency: "USD"}, Inexact: inexact || h%100 != 0})
		return we
	case currencyCodes[w] != "":
		x.emit(FigureMoney, start, we, Figure{Money: Money{Minor: h, Currency: currencyCodes[w]}, Inexact: inexact})
		return we
	case currencyWords[w] != "":
		// "three hundred dollars and thirty cents"
		if w2, we2 := x.readWord(x.skipSpaces(we)); w2 == "and" && h%100 == 0 {
			j2 := x.skipSpaces(we2)
			var c int64
			var ce int
			ok := false
			if v, n := x.readInt(j2); n > 0 && n <= 2 {
				c, ce, ok = int64(v), j2+n, true
			} else if v, e, ok2 := x.readNumberWords(j2, false); ok2 && v < 100 {
				c, ce, ok = v, e, true
			}
			if w3, we3 := x.readWord(x.skipSpaces(ce)); ok && (w3 == "cents" || w3 == "cent") {
				x.emit(FigureMoney, start, we3, Figure{Money: Money{Minor: h + c, Currency: currencyWords[w]}, Inexact: inexact})
				return we3
			}
		}
		x.emit(FigureMoney, start, we, Figure{Money: Money{Minor: h, Currency: currencyWords[w]}, Inexact: inexact})
		return we
	case countWords[w]:
		x.emit(FigureCount, start, we, Figure{Hundredths: h, Inexact: inexact})
		return we
	}
	// Day first: "27 November 2026".
	if small && h >= 100 && h <= 3100 {
		if m, me := x.monthAfter(end); m != 0 {
			d := Date{Month: m, Day: int(h / 100)}
			e := x.yearAfter(me, &d)
			x.emit(FigureDate, start, e, Figure{Date: d})
			return e
		}
	}
	// A number with no unit: money when it has cents or money words lead
	// to it ("balance is 240", "还款 1.00"), else a bare number.
	if h%100 != 0 || x.moneyContext(start) {
		x.emit(FigureMoney, start, end, Figure{Money: Money{Minor: h}, Inexact: inexact})
		return end
	}
	x.emit(FigureNumber, start, end, Figure{Hundredths: h, Inexact: inexact})
	return end
}

func signCurrency(r rune) string {
	switch r {
	case '$':
		return "USD"
	case '¥':
		return "CNY"
	case '€':
		return "EUR"
	case '£':
		return "GBP"
	}
	return ""
}

// moneyWordsEN and moneyWordsZH, within a few words before a bare number,
// make it an amount.
var moneyWordsEN = map[string]bool{
	"balance": true, "pay": true, "paying": true, "paid": true, "payment": true, "payments": true,
	"amount": true, "owe": true, "owed": true, "owes": true, "owing": true, "total": true,
	"due": true, "installment": true, "installments": true, "instalment": true, "sum": true,
	"cost": true, "costs": true, "fee": true, "fees": true, "price": true, "charge": true,
	"debt": true, "outstanding": true, "remaining": true, "repay": true, "transfer": true,
	"deposit": true, "settle": true, "worth": true, "cash": true, "money": true,
}

var moneyWordsZH = []string{"还款", "还", "付", "金额", "欠", "余额", "共计", "合计", "总计", "总共", "应还", "待还", "本金", "利息", "费用", "转账", "存入", "缴", "交", "每期", "首付", "价"}

// moneyContext reports whether money words stand within four words (or
// eight characters) before start, in the same clause.
func (x *extractor) moneyContext(start int) bool {
	if x.countLabel(start) {
		return false
	}
	i := start - 1
	for words := 0; words < 4 && i >= 0; {

		r := x.rs[i]
		switch {
		case r == ' ' || r == ':' || r == '$':
			i--
		case isLetterASC(r):
			j := i
			for j > 0 && isLetterASC(x.rs[j-1]) {
				j--
			}
			if moneyWordsEN[string(x.rs[j:i+1])] {
				return true
			}
			words++
			i = j - 1
		case isWide(r):
			lo := max(0, i-7)
			seg := string(x.rs[lo : i+1])
			for _, w := range moneyWordsZH {
				if strings.Contains(seg, w) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// countLabel reports whether a count word stands within four words
// before start in the same clause ("Days past due: 15"): the number is a
// count, whatever money word the label also has.
func (x *extractor) countLabel(start int) bool {
	i := start - 1
	for words := 0; words < 4 && i >= 0; {
		r := x.rs[i]
		switch {
		case r == ' ' || r == ':':
			i--
		case isLetterASC(r):
			j := i
			for j > 0 && isLetterASC(x.rs[j-1]) {
				j--
			}
			if w := string(x.rs[j : i+1]); countWords[w] && !moneyWordsEN[w] {
				return true
			}
			words++
			i = j - 1
		default:
			return false
		}
	}
	return false
}

var monthWords = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

// monthAfter reads "[of] November" after i.
func (x *extractor) monthAfter(i int) (time.Month, int) {
	j := x.skipSpaces(i)
	w, we := x.readWord(j)
	if w == "of" {
		w, we = x.readWord(x.skipSpaces(we))
	}
	if m, ok := monthWords[w]; ok && w != "may" && w != "mar" {
		if x.at(we) == '.' {
			we++
		}
		return m, we
	}
	if w == "may" {
		return 5, we
	}
	return 0, i
}

// yearAfter reads ", 2026" after i into d.
func (x *extractor) yearAfter(i int, d *Date) int {
	j := i
	if x.at(j) == ',' {
		j++
	}
	j = x.skipSpaces(j)
	if y, n := x.readInt(j); n == 4 && !isDigit(x.at(j+n)) && !isLetterASC(x.at(j+n)) {
		d.Year = y
		return j + n
	}
	return i
}

// word handles the ASCII word at i: a month name starting a date, or
// English number words.
func (x *extractor) word(i int) int {
	j := i
	for isLetterASC(x.at(j)) {
		j++
	}
	// Month names and number words have 1 to 9 letters and start with one
	// of these letters.
	if j-i > 9 || !strings.ContainsRune("adefhjmnostz", x.rs[i]) {
		return j
	}
	w, we := x.readWord(i)
	if m, ok := monthWords[w]; ok {
		if e, ok := x.monthDate(i, we, m); ok {
			return e
		}
		return we
	}
	if _, ok := numberWords[w]; ok || w == "a" {
		return x.numberWords(i)
	}
	return we
}

// monthDate reads "November 27, 2026", "Nov. 27", "November twenty-seventh",
// "December 2026" after a month name.
func (x *extractor) monthDate(start, i int, m time.Month) (int, bool) {
	j := i
	if x.at(j) == '.' {
		j++
	}
	j = x.skipSpaces(j)
	d := Date{Month: m}
	if day, n := x.readInt(j); n > 0 && n <= 2 && day >= 1 && day <= 31 && !isDigit(x.at(j+n)) {
		e := j + n
		if w, we := x.readWord(e); w == "st" || w == "nd" || w == "rd" || w == "th" {
			e = we
		}
		d.Day = day
		e = x.yearAfter(e, &d)
		x.emit(FigureDate, start, e, Figure{Date: d})
		return e, true
	}
	if y, n := x.readInt(j); n == 4 && !isDigit(x.at(j+n)) {
		d.Year = y
		x.emit(FigureDate, start, j+n, Figure{Date: d})
		return j + n, true
	}
	if v, e, ok := x.readNumberWords(j, true); ok && v >= 1 && v <= 31 {
		d.Day = int(v)
		e = x.yearAfter(e, &d)
		x.emit(FigureDate, start, e, Figure{Date: d})
		return e, true
	}
	return 0, false
}

var numberWords = map[string]int64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
	"seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
	"million": 1000000,
}

var ordinalWords = map[string]int64{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
	"fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
	"nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

// readNumberWords reads "two hundred forty", "twenty-seven", "a hundred"
// (and, when ordinals is set, "twenty-seventh") at i.
func (x *extractor) readNumberWords(i int, ordinals bool) (v int64, end int, ok bool) {
	var total, cur int64
	j, end := i, i
	words := 0
	for {
		w, we := x.readWord(j)
		if w == "" {
			break
		}
		if n, isNum := numberWords[w]; isNum {
			switch {
			case n == 100:
				if cur == 0 {
					cur = 1
				}
				cur *= 100
			case n >= 1000:
				if cur == 0 {
					cur = 1
				}
				total += cur * n
				cur = 0
			default:
				cur += n
			}
		} else if o, isOrd := ordinalWords[w]; isOrd && ordinals {
			cur += o
			words++
			end = we
			break
		} else if (w == "a" && words == 0) || (w == "and" && words > 0) {
			// "a hundred", "two hundred and forty": only part of a number
			// when a number word follows.
			nx, _ := x.readWord(x.skipSpaces(we))
			if _, isNum := numberWords[nx]; !isNum || (w == "a" && nx != "hundred" && nx != "thousand" && nx != "million") {
				break
			}
			j = x.skipSpaces(we)
			continue
		} else {
			break
		}
		words++
		end = we
		if x.at(we) == '-' && isLetterASC(x.at(we+1)) {
			j = we + 1
		} else {
			j = x.skipSpaces(we)
		}
	}
	return total + cur, end, words > 0
}

func (x *extractor) numberWords(i int) int {
	v, end, ok := x.readNumberWords(i, false)
	if !ok {
		_, we := x.readWord(i)
		return we
	}
	if w, _ := x.readWord(i); w == "one" && end == i+3 {
		// "one" alone is a figure only with a money unit: "one dollar".
		nx, _ := x.readWord(x.skipSpaces(end))
		if currencyWords[nx] == "" && currencyCodes[nx] == "" {
			return end
		}
	}
	return x.classify(i, end, v*100, false, v <= 31)
}

// zhValue parses a run of Chinese numerals: positional ("八百六十",
// "一千二百", "二十七") or digit by digit ("二〇二六").
func zhValue(run []rune) int64 {
	positional := false
	for _, r := range run {
		if zhUnit(r) > 0 {
			positional = true
			break
		}
	}
	if !positional {
		var v int64
		for _, r := range run {
			v = v*10 + zhDigit(r)
		}
		return v
	}
	var total, section, num int64
	for _, r := range run {
		if d := zhDigit(r); d >= 0 {
			num = d
			continue
		}
		switch u := zhUnit(r); u {
		case 10, 100, 1000:
			if num == 0 && u == 10 {
				num = 1 // "十一" is eleven
			}
			section += num * u
		case 10000:
			total += (section + num) * u
			section = 0
		case 100000000:
			total = (total + section + num) * u
			section = 0
		}
		num = 0
	}
	// "两千五" is 2500, "一万五" 15000: a last digit right after a unit of
	// a hundred or more counts in the next lower unit.
	if n := len(run); n >= 2 && zhDigit(run[n-1]) > 0 {
		if u := zhUnit(run[n-2]); u >= 100 {
			num *= u / 10
		}
	}
	return total + section + num
}

// readZhRun returns the end of the numeral run at i.
func (x *extractor) readZhRun(i int) int {
	j := i
	for j < len(x.rs) && isZhNumeral(x.rs[j]) && j-i < 16 {
		j++
	}
	return j
}

func (x *extractor) zhNumber(i int) int {
	prev := x.at(i - 1)
	if prev == '期' && x.at(i-2) != '星' {
		prev = 0 // "逾期一个月", "分期三期": not a weekday
	}
	switch prev {
	case '第', '之', '统', '唯', '期', '周', '拜':
		// ordinals, "之一", "统一", "唯一", weekdays ("星期一", "周五",
		// "礼拜三"): no quantity
		return x.readZhRun(i)
	}
	if zhUnit(x.rs[i]) > 10 {
		return i + 1 // "百度", "千克", "万事": a unit with no digit
	}
	if x.hasPrefix(i, "一个月") || x.hasPrefix(i, "一个星期") || x.hasPrefix(i, "一个礼拜") || x.hasPrefix(i, "一个小时") {
		e := i + 2
		for x.at(e) != 0 && !x.hasPrefix(e, "月") && !x.hasPrefix(e, "期") && !x.hasPrefix(e, "拜") && !x.hasPrefix(e, "时") {
			e++
		}
		x.emit(FigureCount, i, e+1, Figure{Hundredths: 100})
		return e + 1
	}
	for _, idiom := range zhIdioms {
		if x.hasPrefix(i, idiom) {
			if idiom == "十分" && x.at(i+2) == '钟' {
				break // "十分钟": ten minutes
			}
			return i + utf8.RuneCountInString(idiom)
		}
	}
	end := x.readZhRun(i)
	if end == i+1 && x.rs[i] == '一' {
		// "一" alone states a quantity only before a money or date unit.
		switch x.at(end) {
		case '元', '块', '期', '号', '日', '月', '年', '美', '%':
		default:
			return end
		}
	}
	if end == i+1 && strings.ContainsRune(zhSurnames, x.at(i-1)) && !isZhNumeral(x.at(end)) && !zhUnitAfter(x.at(end)) {
		return end // a name: 张三, 李四, 王五
	}
	v := zhValue(x.rs[i:end])
	return x.classify(i, end, v*100, false, v <= 31)
}

// zhPercent reads "百分之二十五", "百分之25".
func (x *extractor) zhPercent(i int) int {
	j := i + 3
	if isDigit(x.at(j)) {
		h, _, inexact, end := x.readDigits(j)
		x.emit(FigurePercent, i, end, Figure{Hundredths: h, Inexact: inexact})
		return end
	}
	end := x.readZhRun(j)
	if end == j {
		return j
	}
	x.emit(FigurePercent, i, end, Figure{Hundredths: zhValue(x.rs[j:end]) * 100})
	return end
}

// zhCents reads "捌角捌分", "5毛", "八分" after a yuan amount h ending at e.
func (x *extractor) zhCents(h int64, e int) (int64, int) {
	for _, unit := range []struct {
		r    []rune
		mult int64
	}{{[]rune{'角', '毛'}, 10}, {[]rune{'分'}, 1}} {
		v, ve := x.readZhOrDigits(e)
		if ve == e || ve-e > 2 || v > 9 {
			return h, e
		}
		if r := x.at(ve); r == unit.r[0] || len(unit.r) > 1 && r == unit.r[1] {
			h += v * unit.mult
			e = ve + 1
		}
	}
	return h, e
}

// zhMinor names the hundredths of currencies other than the yuan, as a
// voice says them after the amount: "二百四十美元五十美分".
var zhMinor = map[string]string{"USD": "美分", "EUR": "欧分"}

// zhMinorUnits reads "五十美分" after an amount h of cur ending at e.
func (x *extractor) zhMinorUnits(h int64, e int, cur string) (int64, int) {
	word, ok := zhMinor[cur]
	if !ok {
		return h, e
	}
	v, ve := x.readZhOrDigits(e)
	if ve == e || v < 1 || v > 99 || !x.hasPrefix(ve, word) {
		return h, e
	}
	return h + v, ve + utf8.RuneCountInString(word)
}

// zhSurnames are common surnames: one numeral right after one, with no
// unit after it, is a given name (张三, 李四), no quantity. 周 is left
// out (周三 is a weekday, read above).
const zhSurnames = "张王李赵刘陈杨黄吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔向汤老小阿"

// zhUnitAfter reports whether r is a unit or counter that makes the
// numeral before it a quantity, a date or a time.
func zhUnitAfter(r rune) bool {
	if strings.ContainsRune("元块角毛分期天个周笔岁次号日月年点时倍位条项成折美欧英港%", r) {
		return true
	}
	return false
}

// zhDurations, right before a number of 日, make it a count of days.
var zhDurations = []string{"逾期", "展期", "延期", "宽限", "拖欠", "超期", "超过", "长达", "已经", "已", "共", "满", "延长", "顺延", "推迟", "期限为", "期限", "有效期"}

// durationBefore reports whether a duration word ends right before start.
func (x *extractor) durationBefore(start int) bool {
	lo := max(0, start-3)
	seg := string(x.rs[lo:start])
	for _, w := range zhDurations {
		if strings.HasSuffix(seg, w) {
			return true
		}
	}
	return false
}

// readZhOrDigits reads a number written in digits or Chinese numerals at i.
func (x *extractor) readZhOrDigits(i int) (int64, int) {
	if v, n := x.readInt(i); n > 0 {
		return int64(v), i + n
	}
	end := x.readZhRun(i)
	if end == i {
		return 0, i
	}
	return zhValue(x.rs[i:end]), end
}

// zhDate reads a Chinese date whose first number v [start, end) is
// followed by 年, 月, 日 or 号: "2026年11月27日", "11月27号", "十一月二十七日",
// "27号", "2026年".
func (x *extractor) zhDate(start, end int, v int64) (int, bool) {
	var d Date
	j := end
	if x.at(j) == '年' {
		if v < 1000 {
			// "3年": a count of years
			x.emit(FigureCount, start, j+1, Figure{Hundredths: v * 100})
			return j + 1, true
		}
		d.Year = int(v)
		j++
		m, e := x.readZhOrDigits(j)
		if e == j || x.at(e) != '月' {
			x.emit(FigureDate, start, j, Figure{Date: d})
			return j, true
		}
		v, end, j = m, e, e
	}
	if x.at(j) == '月' {
		if v < 1 || v > 12 {
			return 0, false
		}
		d.Month = time.Month(v)
		j++
		if x.at(j) == '份' {
			j++
		}
		dd, e := x.readZhOrDigits(j)
		if e == j || (x.at(e) != '日' && x.at(e) != '号') {
			x.emit(FigureDate, start, j, Figure{Date: d})
			return j, true
		}
		v, end, j = dd, e, e
	}
	if x.at(j) == '日' || x.at(j) == '号' {
		if v < 1 || v > 31 || (d.Month != 0 && !validDate(d.Year, int(d.Month), int(v))) {
			return 0, false
		}
		d.Day = int(v)
		x.emit(FigureDate, start, j+1, Figure{Date: d})
		return j + 1, true
	}
	_ = end
	return 0, false
}

// matchesFacts reports whether f states a fact.
func (f *Figure) matchesFacts(fs *Facts) bool {
	if f.Inexact {
		return false
	}
	whole := f.Hundredths%100 == 0
	v := int(f.Hundredths / 100)
	switch f.Kind {
	case FigureMoney:
		for _, a := range fs.Amounts {
			if a.Minor == f.Money.Minor && (f.Money.Currency == "" || strings.EqualFold(a.Currency, f.Money.Currency)) {
				return true
			}
		}
	case FigureDate:
		for _, d := range fs.Dates {
			if (f.Date.Day == 0 || f.Date.Day == d.Day) && (f.Date.Month == 0 || f.Date.Month == d.Month) && (f.Date.Year == 0 || f.Date.Year == d.Year) {
				return true
			}
		}
	case FigurePercent:
		return whole && containsInt(fs.Percents, v)
	case FigureCount:
		if whole && containsInt(fs.Counts, v) {
			return true
		}
		// "two weeks" states fourteen days.
		return whole && f.inWeeks() && containsInt(fs.Counts, 7*v)
	case FigureNumber:
		if whole && containsInt(fs.Counts, v) {
			return true
		}
		for _, a := range fs.Amounts {
			if a.Minor == f.Hundredths {
				return true
			}
		}
		if whole && v >= 1000 && v <= 9999 {
			for _, d := range fs.Dates {
				if d.Year == v {
					return true
				}
			}
		}
	}
	return false
}

// inWeeks reports whether a count is of weeks.
func (f *Figure) inWeeks() bool {
	return strings.Contains(f.Text, "week") || strings.Contains(f.Text, "周") || strings.Contains(f.Text, "星期") || strings.Contains(f.Text, "礼拜")
}

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}
