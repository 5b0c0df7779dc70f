package spoken

import (
	"strings"
	"time"
)

// Languages: what a locale tag says about the words. Any "zh" tag is
// Mandarin, anything else English.
func isZH(locale string) bool {
	return len(locale) >= 2 && strings.EqualFold(locale[:2], "zh")
}

// Number writes n as a plain number: "two hundred forty", "二百四十".
func Number(locale string, n int64) string {
	if isZH(locale) {
		return chineseCardinal(n, false)
	}
	return englishCardinal(n)
}

// Count writes n as a count said before a unit or measure word: in
// Mandarin a leading 2 is 两 (两期, 两天, 两千); in English it is Number.
func Count(locale string, n int64) string {
	if isZH(locale) {
		return chineseCardinal(n, true)
	}
	return englishCardinal(n)
}

// Ordinal writes n as an English ordinal ("twenty-seventh"); in Mandarin,
// 第 and the number (第二十七).
func Ordinal(locale string, n int64) string {
	if isZH(locale) {
		return "第" + chineseCardinal(n, false)
	}
	return englishOrdinal(n)
}

// Date writes a calendar date as said aloud, with the year when withYear:
// "November twenty-seventh" ("November twenty-seventh, twenty twenty-six");
// "十一月二十七日" ("二〇二六年十一月二十七日"). A month out of range is
// said as a number.
func Date(locale string, year int, month time.Month, day int, withYear bool) string {
	if isZH(locale) {
		var b strings.Builder
		if withYear {
			b.WriteString(chineseYear(year))
			b.WriteString("年")
		}
		b.WriteString(chineseCardinal(int64(month), false))
		b.WriteString("月")
		b.WriteString(chineseCardinal(int64(day), false))
		b.WriteString("日")
		return b.String()
	}
	m := englishCardinal(int64(month))
	if month >= 1 && month <= 12 {
		m = enMonths[month]
	}
	s := m + " " + englishOrdinal(int64(day))
	if withYear {
		s += ", " + englishYear(year)
	}
	return s
}

// currency is how a currency's units are said.
type currency struct {
	// English: major unit singular and plural, minor singular and plural.
	one, many, minorOne, minorMany string
	// Mandarin: the major unit, and the minor unit ("" for 角/分 of CNY,
	// said by the CNY rule).
	zh, zhMinor string
}

var currencies = map[string]currency{
	"USD": {"dollar", "dollars", "cent", "cents", "美元", "美分"},
	"CNY": {"yuan", "yuan", "cent", "cents", "元", ""}, // "fen" is heard as a bare number
	"EUR": {"euro", "euros", "cent", "cents", "欧元", "欧分"},
	"GBP": {"pound", "pounds", "penny", "pence", "英镑", "便士"},
	"HKD": {"Hong Kong dollar", "Hong Kong dollars", "cent", "cents", "港元", "港分"},
}

// Money writes an amount given in minor units (hundredths) of an ISO
// currency as said aloud:
//
//	en-US: 24050 USD "two hundred forty dollars and fifty cents",
//	       100 USD "one dollar", 5 USD "five cents", 0 "zero dollars"
//	zh-CN: 24050 CNY "二百四十元五角", 24005 CNY "二百四十元零五分",
//	       200 CNY "两元", 24050 USD "二百四十美元五十美分"
//
// A currency it does not know is said with its code, spelled out, and the
// hundredths after "point" / "点".
func Money(locale string, minor int64, code string) string {
	neg := minor < 0
	m := magnitude(minor)
	units, cents := m/100, m%100
	c, known := currencies[code]
	var s string
	if isZH(locale) {
		s = chineseMoney(units, cents, code, c, known)
		if neg {
			s = "负" + s
		}
		return s
	}
	s = englishMoney(units, cents, code, c, known)
	if neg {
		s = "minus " + s
	}
	return s
}

func englishMoney(units, cents uint64, code string, c currency, known bool) string {
	if !known {
		s := englishMagnitude(units)
		if cents > 0 {
			s += " point " + enOnes[cents/10] + " " + enOnes[cents%10]
		}
		return s + " " + spellCode(code)
	}
	plural := func(n uint64, one, many string) string {
		if n == 1 {
			return "one " + one
		}
		return englishMagnitude(n) + " " + many
	}
	switch {
	case cents == 0:
		return plural(units, c.one, c.many)
	case units == 0:
		return plural(cents, c.minorOne, c.minorMany)
	}
	return plural(units, c.one, c.many) + " and " + plural(cents, c.minorOne, c.minorMany)
}

func chineseMoney(units, cents uint64, code string, c currency, known bool) string {
	switch {
	case !known:
		s := chineseMagnitude(units, false)
		if cents > 0 {
			s += "点" + zhDigits[cents/10] + zhDigits[cents%10]
		}
		return s + spellCode(code)
	case code == "CNY":
		// 元, 角 (tenths), 分 (hundredths); a missing 角 between 元 and
		// 分 is said 零: 二百四十元零五分.
		jiao, fen := cents/10, cents%10
		var b strings.Builder
		if units > 0 || cents == 0 {
			b.WriteString(chineseMagnitude(units, true))
			b.WriteString("元")
		}
		if jiao > 0 {
			b.WriteString(chineseMagnitude(jiao, true))
			b.WriteString("角")
		} else if fen > 0 && units > 0 {
			b.WriteString("零")
		}
		if fen > 0 {
			b.WriteString(chineseMagnitude(fen, true))
			b.WriteString("分")
		}
		return b.String()
	}
	var b strings.Builder
	if units > 0 || cents == 0 {
		b.WriteString(chineseMagnitude(units, true))
		b.WriteString(c.zh)
	}
	if cents > 0 {
		b.WriteString(chineseMagnitude(cents, true))
		b.WriteString(c.zhMinor)
	}
	return b.String()
}

// spellCode says a currency code letter by letter ("C H F").
func spellCode(code string) string {
	return strings.Join(strings.Split(code, ""), " ")
}
