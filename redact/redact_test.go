package redact

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func TestText(t *testing.T) {
	for _, tt := range []struct{ in, gone, kept string }{
		{"my birthday is 07/21/1988", "1988", ""},
		{"born 21.07.1988", "1988", ""},
		{"dob 7/21/88", "7/21/88", ""},
		{"July 21st, 1988 is my birthday", "1988", "birthday"},
		{"21 July 1988", "1988", ""},
		{"我的生日是1988年7月21日", "1988", "生日"},
		{"一九八八年七月二十一日", "一九八八", ""},
		{"１９８８-０７-２１", "1988", ""},
		{"身份证号 110101198807214417", "4417", "身份证"},
		{"last four are 4417", "4417", "last four"},
		{"尾号441X", "441X", "尾号"},
		{"ssn 123-45-6789", "6789", ""},
		{"I can pay 1500 on 2026-11-27", "", "1500"},
		{"I'll pay $240.00 by 11/27/2026", "", "11/27/2026"},
	} {
		got := Text(tt.in, now)
		if tt.gone != "" && strings.Contains(got, tt.gone) {
			t.Errorf("Text(%q) = %q, still shows %q", tt.in, got, tt.gone)
		}
		if tt.kept != "" && !strings.Contains(got, tt.kept) {
			t.Errorf("Text(%q) = %q, lost %q", tt.in, got, tt.kept)
		}
	}
}

func TestTurn(t *testing.T) {
	meta := []byte(`{"parse":{"intent":"identify","dob":"1988-07-21"}}`)
	if got := Turn("borrower", "it's the twenty-first of July, eighty-eight", meta, "en-US", now); got != Withheld("en-US") {
		t.Errorf("a parsed verification answer shows as %q", got)
	}
	if got := Turn("bot", "Thanks, 07/21/1988 matches.", nil, "en-US", now); !strings.Contains(got, "1988") {
		t.Errorf("the bot's line changed: %q", got)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"07/21/1988", "尾号441X", "１９８８", "1 2 3 4 5 6 7", "一九八八年七月二十一日"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = Text(s, now)
	})
}

func TestCueNeedsAWord(t *testing.T) {
	if got := Text("I paid 1234 last week", now); !strings.Contains(got, "1234") {
		t.Errorf("an amount after 'paid' was withheld: %q", got)
	}
}
