package accounts

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func readTestdata(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCSV(t *testing.T) {
	accts, err := ParseCSV(strings.NewReader(readTestdata(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 4 {
		t.Fatalf("got %d accounts, want 4", len(accts))
	}
	a := accts[0]
	if a.ID != "a-1" || len(a.Debts) != 2 || a.Debts[1].AmountMinor != 112050 || !a.Consent.Chat || a.Consent.SMS {
		t.Errorf("first account = %+v", a)
	}
	if a.Debts[0].MinPaymentMinor != 5000 || a.Debts[0].AccountID != "a-1" {
		t.Errorf("first debt = %+v", a.Debts[0])
	}
	if w := accts[2]; w.Name != "王芳" || w.IDLast4 != "213X" || w.Debts[0].Currency != "CNY" || w.Debts[0].AmountMinor != 86000 {
		t.Errorf("zh-CN account = %+v", w)
	}
}

// header is testdata/accounts.csv's header; rows below are for the cases.
const header = "account_id,name,date_of_birth,id_last4,locale,timezone,phone,email,portfolio,consent_chat,consent_voice,consent_sms,consent_recording,debt_id,creditor,amount_due,currency,due_date,days_past_due,min_payment\n"

const goodRow = "a-1,Maria Lopez,1988-07-21,4417,en-US,America/Chicago,+13125550100,m@example.com,us,true,true,false,true,a-1-d1,Demo Finance,240.00,USD,2026-11-13,9,50.00\n"

func TestParseCSVBadRow(t *testing.T) {
	tests := []struct {
		name, csv, want string
	}{
		{"bad due date on row 3", header + goodRow +
			"a-2,James,1979-02-03,9051,en-US,America/New_York,,,us,true,,,true,a-2-d1,Demo,75.25,USD,2026-13-01,5,\n",
			"row 3: field due_date: must be a date YYYY-MM-DD"},
		{"bad currency", header + goodRow +
			"a-2,James,1979-02-03,9051,en-US,America/New_York,,,us,true,,,true,a-2-d1,Demo,75.25,DOLLARS,2026-11-01,5,\n",
			"row 3: field currency:"},
		{"bad amount", header + goodRow +
			"a-2,James,1979-02-03,9051,en-US,America/New_York,,,us,true,,,true,a-2-d1,Demo,lots,USD,2026-11-01,5,\n",
			"row 3: field amount_due: not a decimal amount"},
		{"hexadecimal float amount", header + strings.Replace(goodRow, "240.00", "0x1p4", 1), "row 2: field amount_due: not a decimal amount"},
		{"exponent amount", header + strings.Replace(goodRow, "240.00", "2.4e2", 1), "row 2: field amount_due: not a decimal amount"},
		{"infinite amount", header + strings.Replace(goodRow, "240.00", "Inf", 1), "row 2: field amount_due: not a decimal amount"},
		{"three decimals", header + strings.Replace(goodRow, "240.00", "240.005", 1), "row 2: field amount_due: not a decimal amount"},
		{"bad grouping", header + strings.Replace(goodRow, "240.00", "\"1,2,3\"", 1), "row 2: field amount_due: not a decimal amount"},
		{"formula name", header + strings.Replace(goodRow, "Maria Lopez", "=HYPERLINK(A1)", 1), "row 2: field name: starts with \"=\""},
		{"formula creditor", header + strings.Replace(goodRow, "Demo Finance", "@SUM(A1)", 1), "row 2: field creditor: starts with \"@\""},
		{"formula plus", header + strings.Replace(goodRow, "Demo Finance", "+1+cmd", 1), "row 2: field creditor: starts with \"+\""},
		{"NUL in a cell", header + strings.Replace(goodRow, "Maria Lopez", "Maria\x00Lopez", 1), "row 2: field name: not UTF-8 or has a NUL"},
		{"not UTF-8", header + strings.Replace(goodRow, "Maria Lopez", "Maria\xffLopez", 1), "row 2: field name: not UTF-8"},
		{"bad boolean", header +
			"a-2,James,1979-02-03,9051,en-US,America/New_York,,,us,maybe,,,true,a-2-d1,Demo,75.25,USD,2026-11-01,5,\n",
			"row 2: field consent_chat: want true or false"},
		{"bad account field named on its first row", header + goodRow + strings.Replace(goodRow, "a-1", "a-9", 1) +
			strings.NewReplacer("a-1-d1", "a-2-d1", "a-1,", "a-2,", "en-US", "xx-XX").Replace(goodRow),
			"row 4: field locale:"},
		{"account columns disagree", header + goodRow + strings.NewReplacer("a-1-d1", "a-1-d2", "Maria Lopez", "Maria L").Replace(goodRow),
			"row 3: field name: differs from row 2"},
		{"repeated debt", header + goodRow + goodRow, "row 3: field debt_id: repeats"},
		{"unknown column", "account_id,nickname\n", "row 1: unknown column \"nickname\""},
		{"missing column", "account_id,name\n", "row 1: missing column \"locale\""},
		{"short row", header + "a-1,Maria\n", "row 2:"},
		{"empty", "", "empty file"},
		{"header only", header, "no rows"},
		{"bad id last 4", header + strings.Replace(goodRow, ",4417,", ",44A7,", 1), "row 2: field id_last4:"},
	}
	// Grouped thousands are still fine.
	if accts, err := ParseCSV(strings.NewReader(header + strings.Replace(goodRow, "240.00", "\"1,240.50\"", 1))); err != nil || accts[0].Debts[0].AmountMinor != 124050 {
		t.Fatalf("1,240.50: %v %+v", err, accts)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tt.csv))
			var re *RowError
			if !errors.Is(err, ErrBadCSV) || !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a *RowError containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(header + goodRow))
	f.Add([]byte(header + goodRow + goodRow))
	f.Add([]byte("account_id\n\"a"))
	f.Add([]byte("\ufeff" + header + strings.Replace(goodRow, "240.00", "1,2,3", 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		accts, err := ParseCSV(bytes.NewReader(b))
		if err != nil {
			var re *RowError
			if !errors.Is(err, ErrBadCSV) || !errors.As(err, &re) {
				t.Fatalf("error outside ErrBadCSV or not a *RowError: %v", err)
			}
			return
		}
		for _, a := range accts {
			if a.ID == "" || len(a.Debts) == 0 {
				t.Fatalf("accepted an account without id or debts: %+v", a)
			}
			for _, d := range a.Debts {
				if d.AmountMinor <= 0 || d.AccountID != a.ID {
					t.Fatalf("accepted debt %+v", d)
				}
			}
		}
	})
}

// TestRowErrorNamesRowAndField: the typed error carries what the message
// says, so a caller can point at the cell without parsing text.
func TestRowErrorNamesRowAndField(t *testing.T) {
	_, err := ParseCSV(strings.NewReader(header + goodRow + strings.NewReplacer("a-1-d1", "a-1-d2", "2026-11-13", "13/11/2026").Replace(goodRow)))
	var re *RowError
	if !errors.As(err, &re) || re.Row != 3 || re.Field != "due_date" || re.Reason != "must be a date YYYY-MM-DD" {
		t.Fatalf("err = %#v", err)
	}
}

// TestKnownZoneCaches: a good zone is loaded once and then answered from
// the cache; a bad one is never cached.
func TestKnownZoneCaches(t *testing.T) {
	for _, tt := range []struct {
		zone string
		ok   bool
	}{{"America/Chicago", true}, {"Asia/Shanghai", true}, {"Mars/Olympus", false}, {"", false}, {"Local", false}, {"local", false}} {
		for range 2 {
			if got := knownZone(tt.zone); got != tt.ok {
				t.Errorf("knownZone(%q) = %v, want %v", tt.zone, got, tt.ok)
			}
		}
		_, cached := zones.Load(tt.zone)
		if cached != tt.ok {
			t.Errorf("%q cached = %v, want %v", tt.zone, cached, tt.ok)
		}
	}
}

// BenchmarkParseCSV measures an import of 1,000 accounts in two zones
// (go test -bench ParseCSV ./accounts).
func BenchmarkParseCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(header)
	for i := range 1000 {
		id := "a-" + strconv.Itoa(i)
		row := strings.NewReplacer("a-1-d1", id+"-d1", "a-1,", id+",").Replace(goodRow)
		if i%2 == 1 {
			row = strings.Replace(row, "America/Chicago", "Asia/Shanghai", 1)
		}
		sb.WriteString(row)
	}
	data := sb.String()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseCSV(strings.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
