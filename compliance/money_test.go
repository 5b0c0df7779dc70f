package compliance

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		major float64
		cur   string
		minor int64
		str   string
	}{
		{240, "USD", 24000, "240.00 USD"},
		{240.1, "USD", 24010, "240.10 USD"},
		{0.29, "CNY", 29, "0.29 CNY"},
		{19.99, "CNY", 1999, "19.99 CNY"},
		{0.1 + 0.2, "USD", 30, "0.30 USD"},
		{-12.34, "EUR", -1234, "-12.34 EUR"},
		{0, "USD", 0, "0.00 USD"},
	}
	for _, tt := range tests {
		m := MoneyFromMajor(tt.major, tt.cur)
		if m.Minor != tt.minor || m.Currency != tt.cur || m.String() != tt.str {
			t.Errorf("MoneyFromMajor(%v) = %+v %q, want %d %q", tt.major, m, m, tt.minor, tt.str)
		}
		if m.IsZero() != (tt.minor == 0) || m.Major() != float64(tt.minor)/100 {
			t.Errorf("%+v: IsZero %v Major %v", m, m.IsZero(), m.Major())
		}
	}
}

func TestDate(t *testing.T) {
	d, err := ParseISODate("2026-11-27")
	if err != nil || d != date(2026, 11, 27) || d.String() != "2026-11-27" {
		t.Fatalf("ParseISODate = %v, %v", d, err)
	}
	for _, bad := range []string{"", "2026-13-01", "2026-02-30", "27/11/2026", "2026-11-27T00:00:00Z"} {
		if _, err := ParseISODate(bad); !errors.Is(err, ErrBadDate) {
			t.Errorf("ParseISODate(%q) = %v, want ErrBadDate", bad, err)
		}
	}
	if got := d.AddDays(5); got != date(2026, 12, 2) {
		t.Errorf("AddDays = %v", got)
	}
	if n := date(2026, 3, 1).DaysUntil(date(2026, 3, 15)); n != 14 {
		t.Errorf("DaysUntil = %d", n)
	}
	if n := date(2026, 3, 15).DaysUntil(date(2026, 3, 1)); n != -14 {
		t.Errorf("DaysUntil backwards = %d", n)
	}
	if !d.Before(d.AddDays(1)) || !d.After(d.AddDays(-1)) || d.Before(d) {
		t.Error("Before/After")
	}
	if (Date{}).String() != "" || !(Date{}).IsZero() || d.IsZero() {
		t.Error("zero date")
	}
	var v struct {
		D Date `json:"d"`
		E Date `json:"e"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-11-27","e":""}`), &v); err != nil || v.D != d || !v.E.IsZero() {
		t.Fatalf("unmarshal: %+v, %v", v, err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"d":"2026-11-27","e":""}` {
		t.Errorf("marshal: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"d":"11/27/2026"}`), &v); !errors.Is(err, ErrBadDate) {
		t.Errorf("unmarshal bad date: %v", err)
	}
}
