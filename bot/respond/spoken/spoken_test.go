package spoken

import (
	"math"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		n      int64
		en, zh string
	}{
		{0, "zero", "零"},
		{1, "one", "一"},
		{2, "two", "二"},
		{7, "seven", "七"},
		{10, "ten", "十"},
		{11, "eleven", "十一"},
		{12, "twelve", "十二"},
		{13, "thirteen", "十三"},
		{15, "fifteen", "十五"},
		{19, "nineteen", "十九"},
		{20, "twenty", "二十"},
		{21, "twenty-one", "二十一"},
		{27, "twenty-seven", "二十七"},
		{99, "ninety-nine", "九十九"},
		{100, "one hundred", "一百"},
		{101, "one hundred one", "一百零一"},
		{110, "one hundred ten", "一百一十"},
		{115, "one hundred fifteen", "一百一十五"},
		{200, "two hundred", "二百"},
		{240, "two hundred forty", "二百四十"},
		{999, "nine hundred ninety-nine", "九百九十九"},
		{1000, "one thousand", "一千"},
		{1001, "one thousand one", "一千零一"},
		{1005, "one thousand five", "一千零五"},
		{1010, "one thousand ten", "一千零一十"},
		{1100, "one thousand one hundred", "一千一百"},
		{1200, "one thousand two hundred", "一千二百"},
		{2000, "two thousand", "二千"},
		{10000, "ten thousand", "一万"},
		{10005, "ten thousand five", "一万零五"},
		{10010, "ten thousand ten", "一万零一十"},
		{10100, "ten thousand one hundred", "一万零一百"},
		{11000, "eleven thousand", "一万一千"},
		{20000, "twenty thousand", "二万"},
		{100000, "one hundred thousand", "十万"},
		{100100, "one hundred thousand one hundred", "十万零一百"},
		{110000, "one hundred ten thousand", "十一万"},
		{1000000, "one million", "一百万"},
		{1000001, "one million one", "一百万零一"},
		{1100000, "one million one hundred thousand", "一百一十万"},
		{12345678, "twelve million three hundred forty-five thousand six hundred seventy-eight", "一千二百三十四万五千六百七十八"},
		{100000000, "one hundred million", "一亿"},
		{100010000, "one hundred million ten thousand", "一亿零一万"},
		{1001000000, "one billion one million", "十亿零一百万"},
		{-3, "minus three", "负三"},
		{math.MaxInt64, "nine quintillion two hundred twenty-three quadrillion three hundred seventy-two trillion thirty-six billion eight hundred fifty-four million seven hundred seventy-five thousand eight hundred seven",
			"九百二十二亿亿三千三百七十二万亿零三百六十八亿五千四百七十七万五千八百零七"},
	}
	for _, tt := range tests {
		if got := Number("en-US", tt.n); got != tt.en {
			t.Errorf("Number(en, %d) = %q, want %q", tt.n, got, tt.en)
		}
		if got := Number("zh-CN", tt.n); got != tt.zh {
			t.Errorf("Number(zh, %d) = %q, want %q", tt.n, got, tt.zh)
		}
	}
	// The smallest int64 has no positive twin; it must not overflow.
	if got := Number("en", math.MinInt64); got[:6] != "minus " || got[len(got)-5:] != "eight" {
		t.Errorf("Number(MinInt64) = %q", got)
	}
}

// 两 stands for a leading 2 before a measure word and before 千, 万, 亿;
// 二 everywhere else.
func TestCountLiang(t *testing.T) {
	tests := []struct {
		n  int64
		zh string
	}{
		{2, "两"},
		{12, "十二"},
		{20, "二十"},
		{22, "二十二"},
		{200, "二百"},
		{2000, "两千"},
		{2200, "两千二百"},
		{1200, "一千二百"},
		{20000, "两万"},
		{22000, "两万二千"},
		{200000000, "两亿"},
		{6, "六"},
	}
	for _, tt := range tests {
		if got := Count("zh-CN", tt.n); got != tt.zh {
			t.Errorf("Count(zh, %d) = %q, want %q", tt.n, got, tt.zh)
		}
	}
	if got := Count("en-US", 2); got != "two" {
		t.Errorf("Count(en, 2) = %q", got)
	}
}

func TestOrdinal(t *testing.T) {
	tests := map[int64]string{
		1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 8: "eighth", 9: "ninth",
		11: "eleventh", 12: "twelfth", 13: "thirteenth", 20: "twentieth", 21: "twenty-first",
		22: "twenty-second", 23: "twenty-third", 27: "twenty-seventh", 30: "thirtieth", 31: "thirty-first",
		100: "one hundredth", 101: "one hundred first",
	}
	for n, want := range tests {
		if got := Ordinal("en-US", n); got != want {
			t.Errorf("Ordinal(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Ordinal("zh-CN", 2); got != "第二" {
		t.Errorf("Ordinal(zh, 2) = %q", got)
	}
}

func TestDate(t *testing.T) {
	tests := []struct {
		y        int
		m        time.Month
		d        int
		withYear bool
		en, zh   string
	}{
		{2026, time.November, 27, false, "November twenty-seventh", "十一月二十七日"},
		{2026, time.November, 27, true, "November twenty-seventh, twenty twenty-six", "二〇二六年十一月二十七日"},
		{2026, time.December, 1, false, "December first", "十二月一日"},
		{2027, time.January, 2, false, "January second", "一月二日"},
		{2026, time.March, 31, false, "March thirty-first", "三月三十一日"},
		{2026, time.February, 12, false, "February twelfth", "二月十二日"},
		{2000, time.May, 10, true, "May tenth, two thousand", "二〇〇〇年五月十日"},
		{2005, time.May, 20, true, "May twentieth, two thousand five", "二〇〇五年五月二十日"},
		{1999, time.July, 21, true, "July twenty-first, nineteen ninety-nine", "一九九九年七月二十一日"},
		{1900, time.July, 3, true, "July third, nineteen hundred", "一九〇〇年七月三日"},
		{1905, time.July, 3, true, "July third, nineteen oh five", "一九〇五年七月三日"},
		{2026, 13, 3, false, "thirteen third", "十三月三日"},
	}
	for _, tt := range tests {
		if got := Date("en-US", tt.y, tt.m, tt.d, tt.withYear); got != tt.en {
			t.Errorf("Date(en, %d-%d-%d) = %q, want %q", tt.y, tt.m, tt.d, got, tt.en)
		}
		if got := Date("zh-CN", tt.y, tt.m, tt.d, tt.withYear); got != tt.zh {
			t.Errorf("Date(zh, %d-%d-%d) = %q, want %q", tt.y, tt.m, tt.d, got, tt.zh)
		}
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		minor  int64
		code   string
		en, zh string
	}{
		{24050, "USD", "two hundred forty dollars and fifty cents", "二百四十美元五十美分"},
		{24000, "USD", "two hundred forty dollars", "二百四十美元"},
		{100, "USD", "one dollar", "一美元"},
		{101, "USD", "one dollar and one cent", "一美元一美分"},
		{200, "USD", "two dollars", "两美元"},
		{5, "USD", "five cents", "五美分"},
		{0, "USD", "zero dollars", "零美元"},
		{100000000, "USD", "one million dollars", "一百万美元"},
		{86000, "CNY", "eight hundred sixty yuan", "八百六十元"},
		{24050, "CNY", "two hundred forty yuan and fifty cents", "二百四十元五角"},
		{24055, "CNY", "two hundred forty yuan and fifty-five cents", "二百四十元五角五分"},
		{24005, "CNY", "two hundred forty yuan and five cents", "二百四十元零五分"},
		{200, "CNY", "two yuan", "两元"},
		{220, "CNY", "two yuan and twenty cents", "两元两角"},
		{1000500, "CNY", "ten thousand five yuan", "一万零五元"},
		{200000, "CNY", "two thousand yuan", "两千元"},
		{50, "CNY", "fifty cents", "五角"},
		{2, "CNY", "two cents", "两分"},
		{0, "CNY", "zero yuan", "零元"},
		{-500, "USD", "minus five dollars", "负五美元"},
		{1250, "EUR", "twelve euros and fifty cents", "十二欧元五十欧分"},
		{1250, "CHF", "twelve point five zero C H F", "十二点五零C H F"},
	}
	for _, tt := range tests {
		if got := Money("en-US", tt.minor, tt.code); got != tt.en {
			t.Errorf("Money(en, %d %s) = %q, want %q", tt.minor, tt.code, got, tt.en)
		}
		if got := Money("zh-CN", tt.minor, tt.code); got != tt.zh {
			t.Errorf("Money(zh, %d %s) = %q, want %q", tt.minor, tt.code, got, tt.zh)
		}
	}
}

func FuzzNumber(f *testing.F) {
	for _, n := range []int64{0, 2, 10005, 1000000, math.MaxInt64, math.MinInt64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		for _, loc := range []string{"en-US", "zh-CN"} {
			if Number(loc, n) == "" || Count(loc, n) == "" || Money(loc, n, "USD") == "" || Money(loc, n, "CNY") == "" {
				t.Fatalf("%s: empty words for %d", loc, n)
			}
		}
	})
}
