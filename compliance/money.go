package compliance

import (
	"fmt"
	"time"
)

// Money is an amount in minor units (cents, fen) of one currency. Amounts
// are never floats inside the system: a float is converted once at the edge.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"` // ISO 4217, e.g. "USD", "CNY"
}

// IsZero reports whether m has no amount.
func (m Money) IsZero() bool { return m.Minor == 0 }

// Major returns the amount in major units, for display and JSON output only.
func (m Money) Major() float64 { return float64(m.Minor) / 100 }

// MoneyFromMajor converts a major-unit amount (240.00) to Money, rounding to
// the nearest minor unit.
func MoneyFromMajor(v float64, currency string) Money {
	if v < 0 {
		return Money{Minor: -int64(-v*100 + 0.5), Currency: currency}
	}
	return Money{Minor: int64(v*100 + 0.5), Currency: currency}
}

// String formats m as "240.00 USD".
func (m Money) String() string {
	sign := ""
	v := m.Minor
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, v/100, v%100, m.Currency)
}

// Date is a calendar date with no time of day and no zone: due dates,
// promise dates and dates of birth. The borrower's zone is applied once, when
// "today" is computed from the injected clock.
type Date struct {
	Year  int        `json:"year"`
	Month time.Month `json:"month"`
	Day   int        `json:"day"`
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseISODate parses "2006-01-02".
func ParseISODate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrBadDate)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.Year == 0 && d.Month == 0 && d.Day == 0 }

// Time returns midnight UTC of d, for arithmetic.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns d plus n days.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// DaysUntil returns the number of days from d to o (negative when o is before d).
func (d Date) DaysUntil(o Date) int { return int(o.Time().Sub(d.Time()).Hours() / 24) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Time().After(o.Time()) }

// String formats d as "2006-01-02".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(d.appendISO(b[:0]))
}

// appendISO appends YYYY-MM-DD; dates are written into every turn's state
// and meta, so without fmt.
func (d Date) appendISO(b []byte) []byte {
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return fmt.Appendf(b, "%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
	b = two(b, d.Year/100)
	b = two(b, d.Year%100)
	b = append(b, '-')
	b = two(b, int(d.Month))
	b = append(b, '-')
	return two(b, d.Day)
}

// MarshalText implements encoding.TextMarshaler as "2006-01-02".
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return d.appendISO(make([]byte, 0, 10)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseISODate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML lets configuration files write a policy amount in major
// units ("min_installment: 20" or "20.50"); the currency is the debt's and
// is filled in where the policy meets a debt. It uses the callback form of
// the YAML unmarshaler so this package needs no YAML import.
func (m *Money) UnmarshalYAML(unmarshal func(any) error) error {
	var v float64
	if err := unmarshal(&v); err != nil {
		return fmt.Errorf("amount: want a number in major units: %w", err)
	}
	if v < 0 {
		return fmt.Errorf("amount %v: must not be negative", v)
	}
	*m = MoneyFromMajor(v, m.Currency)
	return nil
}
