package understand

import (
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

var fuzzRules = NewRules()

func seedCorpus(f *testing.F) {
	for _, tc := range table {
		f.Add(tc.text)
	}
	for _, s := range []string{
		"", "$", "¥", "1,", "1,2", "1,234,567,890,123,456,789", "99999999999999999999", "0.5", ".5",
		"31/31/31", "2/30/2026", "2026-02-30", "0000-00-00", "9999-99-99", "the 0th", "the 99th",
		"尾号X", "441x441x", "123456789012345678", "12345678901234567x", "零零零", "万万万万万",
		"一千二百三十四万五千六百七十八", "in 9999 days", "99999个月后", "下下下周", "下个月99号",
		"can't can't can't", "不不不不", "\xff\xfe", "Ａ Ｂ Ｃ", "’’’", "a'", "'a",
	} {
		f.Add(s)
	}
}

// FuzzUnderstand: no panic, no error for valid input, and the parse
// invariants hold for any text.
func FuzzUnderstand(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > MaxTextBytes {
			return
		}
		for _, loc := range []string{"en-US", "zh-CN", ""} {
			for _, stage := range []dialog.Stage{dialog.StageVerify, dialog.StageNegotiate, dialog.StageConfirm} {
				p, err := fuzzRules.Understand(context.Background(), Request{Text: text, Locale: loc, Today: sunday, Stage: stage})
				if err != nil {
					t.Fatalf("Understand(%q): %v", text, err)
				}
				checkInvariants(t, p, sunday)
				if p.Name != "" && !utf8.ValidString(p.Name) {
					t.Fatalf("name %q is not UTF-8", p.Name)
				}
			}
		}
	})
}

// FuzzParseDate: a date found is a calendar date on or after today, and
// not absurdly far out.
func FuzzParseDate(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > MaxTextBytes {
			return
		}
		for _, today := range []compliance.Date{sunday, {Year: 2028, Month: time.February, Day: 29}, {Year: 2026, Month: time.December, Day: 31}} {
			for _, loc := range []string{"en-US", "zh-CN"} {
				d, ok := fuzzRules.ParseDate(text, loc, today)
				if !ok {
					continue
				}
				if !validDate(d.Year, int(d.Month), d.Day) {
					t.Fatalf("%q: invalid date %+v", text, d)
				}
				if d.Before(today) {
					t.Fatalf("%q: date %v before today %v", text, d, today)
				}
				if d.Year > today.Year+100 {
					t.Fatalf("%q: date %v too far out", text, d)
				}
			}
		}
	})
}

// FuzzParseAmount: an amount found is positive and has a currency.
func FuzzParseAmount(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > MaxTextBytes {
			return
		}
		for _, loc := range []string{"en-US", "zh-CN"} {
			m, ok := fuzzRules.ParseAmount(text, loc, "")
			if !ok {
				continue
			}
			if m.Minor <= 0 {
				t.Fatalf("%q: amount %v not positive", text, m)
			}
			if m.Currency != "USD" && m.Currency != "CNY" {
				t.Fatalf("%q: currency %q", text, m.Currency)
			}
		}
	})
}
