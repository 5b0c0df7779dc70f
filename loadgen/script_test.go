package loadgen

import (
	"regexp"
	"testing"
	"time"
)

func TestGeneratorAccounts(t *testing.T) {
	now := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	mix, err := ParseLocaleMix("en-US=1,zh-CN=1")
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator("run1", mix, now, 7)
	again := newGenerator("run1", mix, now, 7)
	e164 := regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	ids := map[string]bool{}
	for k := range 200 {
		b := g.borrower()
		if b2 := again.borrower(); b2.account.ID != b.account.ID || b2.account.DateOfBirth != b.account.DateOfBirth || b2.account.Debts[0].AmountDue != b.account.Debts[0].AmountDue {
			t.Fatalf("same seed, different borrower: %+v vs %+v", b.account, b2.account)
		}
		a := b.account
		if ids[a.ID] {
			t.Fatalf("id %s repeated", a.ID)
		}
		ids[a.ID] = true
		if want := mix.Pick(uint64(k)); a.Locale != want {
			t.Fatalf("borrower %d locale %s, want %s", k, a.Locale, want)
		}
		if a.DateOfBirth != b.dob.Format(time.DateOnly) {
			t.Fatalf("account DOB %s but borrower knows %s", a.DateOfBirth, b.dob)
		}
		if !e164.MatchString(a.Phone) {
			t.Fatalf("phone %q is not E.164", a.Phone)
		}
		d := a.Debts[0]
		due, err := time.Parse(time.DateOnly, d.DueDate)
		if err != nil || d.DaysPastDue < 1 || d.AmountDue <= 0 {
			t.Fatalf("bad debt %+v", d)
		}
		if days := int(now.Sub(due).Hours() / 24); days < d.DaysPastDue-1 || days > d.DaysPastDue {
			t.Fatalf("due %s is %d days before now, want %d", d.DueDate, days, d.DaysPastDue)
		}
		if (a.Locale == LocaleEnUS) != (d.Currency == "USD") {
			t.Fatalf("locale %s with currency %s", a.Locale, d.Currency)
		}
	}
}

func TestBorrowerLines(t *testing.T) {
	dob := time.Date(1988, 7, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		locale string
		want   []string
	}{
		{LocaleEnUS, []string{"07/21/1988", "I can pay the full amount tomorrow", "yes"}},
		{LocaleZhCN, []string{"1988年7月21日", "我明天还全款", "是的"}},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			b := borrower{account: account{Locale: tt.locale}, dob: dob}
			got := b.lines()
			if len(got) != len(tt.want) {
				t.Fatalf("lines = %q", got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
