package compliance

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func FuzzExtractFigures(f *testing.F) {
	for _, s := range []string{
		"$240.00", "240 dollars", "¥860.00 八百六十元 一千二百元 860块", "November 27, 2026 Nov 27 27th 11/27",
		"2026-11-27 2026年11月27日 十一月二十七日 27号", "25% 百分之二十五 4 payments 分4期", "百分之", "年月日",
		"1,2,3,,4.5.6", "9999999999999999999999 元", "一万万亿亿", "$", "11/", "2026-1", "the 31st of may, 2026",
		"https://x/1 a@b.c 1", "a r r e s t 坐 牢", "二〇二六年十三月四十日", "ｔｗｏ ｈｕｎｄｒｅｄ", "\xff\xfe12",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := string(fold(s, nil))
		for _, fg := range ExtractFigures(s) {
			if fg.Text == "" || !strings.Contains(folded, fg.Text) {
				t.Fatalf("figure %+v not in text %q", fg, folded)
			}
			if fg.Kind == FigureDate && (fg.Date.Month < 0 || fg.Date.Month > 12 || fg.Date.Day < 0 || fg.Date.Day > 31) {
				t.Fatalf("impossible date %+v", fg)
			}
		}
		for _, g := range []*Guard{usGuard, cnGuard} {
			d := g.Check(Utterance{Text: s, Locale: "zh-CN", Facts: verifiedFacts()})
			if d.Allowed != (len(d.Violations) == 0) {
				t.Fatalf("decision %+v", d)
			}
		}
	})
}

// zhNumeral writes n (0 <= n < 1e8) in Chinese numerals.
func zhNumeral(n int64) string {
	digits := []rune("零一二三四五六七八九")
	section := func(n int64, leadingTen bool) string {
		var b strings.Builder
		units := []string{"千", "百", "十", ""}
		div := int64(1000)
		zero := false
		started := false
		for i := range 4 {
			d := n / div % 10
			div /= 10
			if d == 0 {
				zero = started
				continue
			}
			if zero {
				b.WriteRune('零')
				zero = false
			}
			if !(i == 2 && d == 1 && !started && leadingTen) {
				b.WriteRune(digits[d])
			}
			b.WriteString(units[i])
			started = true
		}
		return b.String()
	}
	if n == 0 {
		return "零"
	}
	if n < 10000 {
		return section(n, true)
	}
	s := section(n/10000, true) + "万"
	if low := n % 10000; low > 0 {
		if low < 1000 {
			s += "零"
		}
		s += section(low, false)
	}
	return s
}

func TestZhNumeral(t *testing.T) {
	for n, want := range map[int64]string{10: "十", 15: "十五", 860: "八百六十", 1200: "一千二百", 1050: "一千零五十", 100000: "十万", 10015: "一万零一十五", 3: "三"} {
		if got := zhNumeral(n); got != want {
			t.Errorf("zhNumeral(%d) = %s, want %s", n, got, want)
		}
		if v := zhValue([]rune(want)); v != n {
			t.Errorf("zhValue(%s) = %d, want %d", want, v, n)
		}
	}
}

var monthNames = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// factText renders a text that states only the given facts, in one of
// several ways a template or a model might write them.
func factText(zh bool, variant uint8, m Money, d Date, pct, count int) string {
	major, cents := m.Minor/100, m.Minor%100
	dec := fmt.Sprintf("%d.%02d", major, cents)
	var money, day string
	v := int(variant)
	if zh {
		opts := []string{dec + "元", "¥" + dec, dec + " 元"}
		if m.Currency == "USD" {
			opts = []string{dec + "美元", "$" + dec, dec + " USD"}
		}
		if cents == 0 {
			if m.Currency == "CNY" {
				opts = append(opts, fmt.Sprintf("%d元", major), fmt.Sprintf("%d块", major), fmt.Sprintf("%d块钱", major))
				if major < 1e8 && major > 0 {
					opts = append(opts, zhNumeral(major)+"元", zhNumeral(major)+"块")
				}
			} else {
				opts = append(opts, fmt.Sprintf("%d美元", major))
			}
		}
		money = opts[v%len(opts)]
		days := []string{
			fmt.Sprintf("%d年%d月%d日", d.Year, d.Month, d.Day),
			fmt.Sprintf("%d月%d日", d.Month, d.Day),
			fmt.Sprintf("%d月%d号", d.Month, d.Day),
			fmt.Sprintf("%d号", d.Day),
			zhNumeral(int64(d.Month)) + "月" + zhNumeral(int64(d.Day)) + "日",
			fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day),
		}
		day = days[(v/7)%len(days)]
		pcts := []string{fmt.Sprintf("%d%%", pct), "百分之" + zhNumeral(int64(pct)), fmt.Sprintf("百分之%d", pct)}
		counts := []string{fmt.Sprintf("分%d期", count), "分" + zhNumeral(int64(count)) + "期", fmt.Sprintf("%d期", count)}
		return fmt.Sprintf("您好，请在%s前还款%s。您也可以先还%s，剩余部分%s。", day, money, pcts[(v/3)%len(pcts)], counts[(v/5)%len(counts)])
	}
	opts := []string{"$" + dec, dec + " USD", "USD " + dec}
	if m.Currency == "CNY" {
		opts = []string{"¥" + dec, dec + " CNY", dec + " yuan"}
	}
	if cents == 0 {
		if m.Currency == "USD" {
			opts = append(opts, fmt.Sprintf("$%d", major), fmt.Sprintf("%d dollars", major))
		} else {
			opts = append(opts, fmt.Sprintf("¥%d", major), fmt.Sprintf("%d yuan", major))
		}
	}
	money = opts[v%len(opts)]
	days := []string{
		fmt.Sprintf("%s %d, %d", monthNames[d.Month], d.Day, d.Year),
		fmt.Sprintf("%s %d", monthNames[d.Month], d.Day),
		fmt.Sprintf("%s %d", monthNames[d.Month][:3], d.Day),
		fmt.Sprintf("%d/%d", d.Month, d.Day),
		fmt.Sprintf("%d/%d/%d", d.Month, d.Day, d.Year),
		fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day),
		fmt.Sprintf("the %d%s", d.Day, ordinalSuffix(d.Day)),
		fmt.Sprintf("%d %s %d", d.Day, monthNames[d.Month], d.Year),
	}
	day = days[(v/7)%len(days)]
	pcts := []string{fmt.Sprintf("%d%%", pct), fmt.Sprintf("%d percent", pct)}
	counts := []string{fmt.Sprintf("%d payments", count), fmt.Sprintf("%d installments", count)}
	return fmt.Sprintf("Please pay %s by %s. You can also pay %s now and split the rest into %s.", money, day, pcts[(v/3)%len(pcts)], counts[(v/5)%len(counts)])
}

func ordinalSuffix(d int) string {
	switch {
	case d%100 >= 11 && d%100 <= 13:
		return "th"
	case d%10 == 1:
		return "st"
	case d%10 == 2:
		return "nd"
	case d%10 == 3:
		return "rd"
	}
	return "th"
}

// A text built only from facts passes the guard.
func FuzzGuardFactsPass(f *testing.F) {
	f.Add(false, uint8(0), int64(24000), true, uint16(2026), uint8(11), uint8(27), uint8(25), uint8(4))
	f.Add(true, uint8(3), int64(86000), false, uint16(2026), uint8(11), uint8(27), uint8(25), uint8(4))
	f.Add(true, uint8(9), int64(120000), false, uint16(2027), uint8(2), uint8(3), uint8(100), uint8(12))
	f.Add(false, uint8(40), int64(1), true, uint16(2030), uint8(1), uint8(1), uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, zh bool, variant uint8, minor int64, isUSD bool, y uint16, mo, dd, pct, count uint8) {
		m := Money{Minor: minor, Currency: "CNY"}
		if isUSD {
			m.Currency = "USD"
		}
		if m.Minor < 0 {
			m.Minor = -m.Minor
		}
		m.Minor %= 1e10
		d := Date{2000 + int(y)%100, time.Month(1 + int(mo)%12), 1 + int(dd)%28}
		p, c := int(pct)%101, 1+int(count)%36
		text := factText(zh, variant, m, d, p, c)
		facts := Facts{Verified: true, Amounts: []Money{m}, Dates: []Date{d}, Percents: []int{p}, Counts: []int{c}}
		locale := "en-US"
		if zh {
			locale = "zh-CN"
		}
		for _, g := range []*Guard{usGuard, cnGuard} {
			if dec := g.Check(Utterance{Text: text, Locale: locale, Facts: facts}); !dec.Allowed {
				t.Fatalf("%s: %q blocked: %+v", g.Pack().Name, text, dec.Violations)
			}
		}
		// Changing the amount by one minor unit is caught.
		facts.Amounts[0].Minor++
		if dec := usGuard.Check(Utterance{Text: text, Locale: locale, Facts: facts}); dec.Allowed {
			t.Fatalf("%q allowed with amount %v not in the text", text, facts.Amounts[0])
		}
	})
}
