package spoken

import "strings"

var (
	zhDigits = [...]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	// zhYearDigits read a year digit by digit: 二〇二六.
	zhYearDigits = [...]string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	zhInner      = [...]string{"", "十", "百", "千"}
	// zhSections name each group of four digits, lowest first.
	zhSections = [...]string{"", "万", "亿", "万亿", "亿亿"}
)

// chineseCardinal writes n in Mandarin numerals: 0 零, 10 十, 15 十五,
// 110 一百一十, 240 二百四十, 1005 一千零五, 10005 一万零五, 100100
// 十万零一百, 1000000 一百万, -3 负三.
//
// With liang, a leading 2 that is the whole number or stands before 千,
// 万 or 亿 is 两, as it is said before a measure word: 两期, 两天, 两千,
// 两万; 二十 and 二百 keep 二 (两百 is also heard, 二百 is the norm in
// amounts read out), and a 2 inside the number is always 二 (一千二百,
// 十二).
func chineseCardinal(n int64, liang bool) string {
	if n < 0 {
		return "负" + chineseMagnitude(magnitude(n), liang)
	}
	return chineseMagnitude(uint64(n), liang)
}

func chineseMagnitude(n uint64, liang bool) string {
	if n == 0 {
		return "零"
	}
	var groups []uint64 // lowest first
	for v := n; v > 0; v /= 10000 {
		groups = append(groups, v%10000)
	}
	var b strings.Builder
	zero := false // a zero group (or leading zeros) since the last output
	for k := len(groups) - 1; k >= 0; k-- {
		g := groups[k]
		if g == 0 {
			zero = true
			continue
		}
		if b.Len() > 0 && (zero || g < 1000) {
			b.WriteString("零")
		}
		b.WriteString(chineseGroup(g, b.Len() == 0))
		b.WriteString(zhSections[k])
		zero = false
	}
	s := b.String()
	if liang {
		s = liangLeading(s)
	}
	return s
}

// chineseGroup writes 1..9999; first says whether it opens the number, where
// 一十 is said 十 (十五, 十万; but 一百一十, 一千零一十).
func chineseGroup(g uint64, first bool) string {
	var b strings.Builder
	d := [4]uint64{g / 1000, g / 100 % 10, g / 10 % 10, g % 10}
	zero := false
	started := false
	for i, v := range d {
		pos := 3 - i
		if v == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		if !(v == 1 && pos == 1 && first && !started) {
			b.WriteString(zhDigits[v])
		}
		b.WriteString(zhInner[pos])
		started = true
	}
	return b.String()
}

// liangLeading turns a leading 二 into 两 when it is the whole number or
// stands before 千, 万 or 亿.
func liangLeading(s string) string {
	rest, ok := strings.CutPrefix(s, "二")
	if !ok {
		return s
	}
	if rest == "" || strings.HasPrefix(rest, "千") || strings.HasPrefix(rest, "万") || strings.HasPrefix(rest, "亿") {
		return "两" + rest
	}
	return s
}

// chineseYear reads a year digit by digit: 2026 二〇二六.
func chineseYear(y int) string {
	if y <= 0 {
		return chineseCardinal(int64(y), false)
	}
	var digits []string
	for v := y; v > 0; v /= 10 {
		digits = append(digits, zhYearDigits[v%10])
	}
	var b strings.Builder
	for i := len(digits) - 1; i >= 0; i-- {
		b.WriteString(digits[i])
	}
	return b.String()
}
