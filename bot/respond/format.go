package respond

import (
	"strconv"
	"time"

	"github.com/collectagent/collectagent/bot/respond/spoken"
	"github.com/collectagent/collectagent/compliance"
)

// Locales the renderer formats for.
const (
	LocaleEN = "en-US"
	LocaleZH = "zh-CN"
)

// FormatMoney writes m the way templates state amounts:
//
//	en-US: USD "$240.00", CNY "¥860.00", others "240.00 EUR"
//	zh-CN: CNY "860.00元", USD "240.00美元", others "240.00 EUR"
//
// Any "zh" tag formats as zh-CN, anything else as en-US. No thousands
// separators: the figure is exactly the one the guard's
// fact-lock matches.
func FormatMoney(locale string, m compliance.Money) string {
	var b [48]byte
	return string(appendMoney(b[:0], locale, m))
}

func appendMoney(b []byte, locale string, m compliance.Money) []byte {
	v := m.Minor
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	prefix, suffix := "", ""
	zh := canonical(locale) == LocaleZH
	switch {
	case zh && m.Currency == "CNY":
		suffix = "元"
	case zh && m.Currency == "USD":
		suffix = "美元"
	case !zh && m.Currency == "USD":
		prefix = "$"
	case !zh && m.Currency == "CNY":
		prefix = "¥"
	default:
		suffix = " " + m.Currency
	}
	b = append(b, prefix...)
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.')
	if c := v % 100; c < 10 {
		b = append(b, '0', byte('0'+c))
	} else {
		b = strconv.AppendInt(b, c, 10)
	}
	return append(b, suffix...)
}

var monthsEN = [...]string{"", "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December"}

// FormatDate writes d the way templates state dates: en-US
// "November 27, 2026", zh-CN "2026年11月27日". A zero date is "".
func FormatDate(locale string, d compliance.Date) string {
	if d.IsZero() {
		return ""
	}
	var b [32]byte
	return string(appendDate(b[:0], locale, d))
}

func appendDate(b []byte, locale string, d compliance.Date) []byte {
	if canonical(locale) == LocaleZH {
		b = strconv.AppendInt(b, int64(d.Year), 10)
		b = append(b, "年"...)
		b = strconv.AppendInt(b, int64(d.Month), 10)
		b = append(b, "月"...)
		b = strconv.AppendInt(b, int64(d.Day), 10)
		return append(b, "日"...)
	}
	if d.Month >= 1 && d.Month <= 12 {
		b = append(b, monthsEN[d.Month]...)
	} else {
		b = strconv.AppendInt(b, int64(d.Month), 10)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(d.Day), 10)
	b = append(b, ", "...)
	return strconv.AppendInt(b, int64(d.Year), 10)
}

// spokenMoney says m for the ear: "two hundred forty dollars",
// "八百六十元".
func spokenMoney(locale string, m compliance.Money) string {
	return spoken.Money(locale, m.Minor, m.Currency)
}

// spokenDate says d for the ear, without the year (the dates a
// conversation states are within weeks of today): "November
// twenty-seventh", "十一月二十七日".
func spokenDate(locale string, d compliance.Date) string {
	if d.IsZero() {
		return ""
	}
	return spoken.Date(locale, d.Year, time.Month(d.Month), d.Day, false)
}
