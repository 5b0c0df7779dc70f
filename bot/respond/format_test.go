package respond

import (
	"testing"

	"github.com/collectagent/collectagent/compliance"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		locale string
		m      compliance.Money
		want   string
	}{
		{"en-US", compliance.Money{Minor: 24000, Currency: "USD"}, "$240.00"},
		{"en-US", compliance.Money{Minor: 86000, Currency: "CNY"}, "¥860.00"},
		{"en-US", compliance.Money{Minor: 24000, Currency: "EUR"}, "240.00 EUR"},
		{"en-US", compliance.Money{Minor: 5, Currency: "USD"}, "$0.05"},
		{"en-US", compliance.Money{Minor: 123456789, Currency: "USD"}, "$1234567.89"},
		{"en-US", compliance.Money{Minor: -150, Currency: "USD"}, "-$1.50"},
		{"zh-CN", compliance.Money{Minor: 86000, Currency: "CNY"}, "860.00元"},
		{"zh-CN", compliance.Money{Minor: 24000, Currency: "USD"}, "240.00美元"},
		{"zh-CN", compliance.Money{Minor: 24010, Currency: "EUR"}, "240.10 EUR"},
		{"zh-CN", compliance.Money{Minor: 28666, Currency: "CNY"}, "286.66元"},
		{"zh_CN", compliance.Money{Minor: 100, Currency: "CNY"}, "1.00元"},
		{"en-GB", compliance.Money{Minor: 100, Currency: "CNY"}, "¥1.00"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.locale, tt.m); got != tt.want {
			t.Errorf("FormatMoney(%s, %v) = %q, want %q", tt.locale, tt.m, got, tt.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	d := compliance.Date{Year: 2026, Month: 11, Day: 27}
	tests := []struct {
		locale string
		d      compliance.Date
		want   string
	}{
		{"en-US", d, "November 27, 2026"},
		{"zh-CN", d, "2026年11月27日"},
		{"en-US", compliance.Date{Year: 2027, Month: 1, Day: 3}, "January 3, 2027"},
		{"zh-CN", compliance.Date{Year: 2027, Month: 1, Day: 3}, "2027年1月3日"},
		{"en-US", compliance.Date{}, ""},
		{"zh", d, "2026年11月27日"},
	}
	for _, tt := range tests {
		if got := FormatDate(tt.locale, tt.d); got != tt.want {
			t.Errorf("FormatDate(%s, %v) = %q, want %q", tt.locale, tt.d, got, tt.want)
		}
	}
}

// The guard's figure extractor reads back exactly what the renderer wrote.
func TestFormatsAreReadByGuard(t *testing.T) {
	for _, loc := range []string{"en-US", "zh-CN"} {
		for _, m := range []compliance.Money{{Minor: 24000, Currency: "USD"}, {Minor: 86000, Currency: "CNY"}} {
			s := FormatMoney(loc, m)
			figs := compliance.ExtractFigures(s)
			if len(figs) != 1 || figs[0].Money != m {
				t.Errorf("%s: %q read back as %+v", loc, s, figs)
			}
		}
		d := compliance.Date{Year: 2026, Month: 11, Day: 27}
		s := FormatDate(loc, d)
		figs := compliance.ExtractFigures(s)
		if len(figs) != 1 || figs[0].Date != d {
			t.Errorf("%s: %q read back as %+v", loc, s, figs)
		}
	}
}
