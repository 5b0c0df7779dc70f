package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

func readTestdata(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseAccountsCSV(t *testing.T) {
	accts, err := parseAccountsCSV(strings.NewReader(readTestdata(t)))
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

func TestParseAccountsCSVBadRow(t *testing.T) {
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
	if accts, err := parseAccountsCSV(strings.NewReader(header + strings.Replace(goodRow, "240.00", "\"1,240.50\"", 1))); err != nil || accts[0].Debts[0].AmountMinor != 124050 {
		t.Fatalf("1,240.50: %v %+v", err, accts)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAccountsCSV(strings.NewReader(tt.csv))
			if !errors.Is(err, errBadCSV) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseAccountsCSV(f *testing.F) {
	f.Add([]byte(header + goodRow))
	f.Add([]byte(header + goodRow + goodRow))
	f.Add([]byte("account_id\n\"a"))
	f.Add([]byte("\ufeff" + header + strings.Replace(goodRow, "240.00", "1,2,3", 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		accts, err := parseAccountsCSV(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, errBadCSV) {
				t.Fatalf("error outside errBadCSV: %v", err)
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

// TestImportAllOrNothing runs the import command on a real SQLite file.
func TestImportAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	// Rows 2 and 3 are good; row 4 has a bad date.
	lines := strings.Split(strings.TrimSpace(readTestdata(t)), "\n")
	lines[3] = strings.Replace(lines[3], "2026-11-17", "17/11/2026", 1)
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	var out, errb bytes.Buffer
	if code := run([]string{"import", "--data", data, bad}, &out, &errb); code != 1 {
		t.Fatalf("import of a bad file exited %d, want 1; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "row 4: field due_date: must be a date YYYY-MM-DD") || !strings.Contains(errb.String(), "nothing imported") {
		t.Errorf("stderr = %q", errb.String())
	}
	// Nothing was written, not even the good rows before the bad one.
	assertAccounts(t, data, map[string]bool{"a-1": false, "a-2": false})

	out.Reset()
	errb.Reset()
	if code := run([]string{"import", "--data", data, "testdata/accounts.csv"}, &out, &errb); code != 0 {
		t.Fatalf("import exited %d; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "imported 4 accounts (5 debts)") {
		t.Errorf("stdout = %q", out.String())
	}
	assertAccounts(t, data, map[string]bool{"a-1": true, "a-2": true, "a-3": true, "a-4": true})
}

func assertAccounts(t *testing.T, data string, want map[string]bool) {
	t.Helper()
	path := filepath.Join(data, "collectagent.db")
	if _, err := os.Stat(path); err != nil {
		for id, ok := range want {
			if ok {
				t.Errorf("account %s missing: no database", id)
			}
		}
		return
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, ok := range want {
		_, err := st.GetAccount(context.Background(), id)
		switch {
		case ok && err != nil:
			t.Errorf("account %s: %v", id, err)
		case !ok && !errors.Is(err, store.ErrNotFound):
			t.Errorf("account %s: %v, want not found", id, err)
		}
	}
}

func TestImportUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"import"}, &out, &errb); code != 2 {
		t.Errorf("import without a file exited %d, want 2", code)
	}
	if code := run([]string{"nope"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "nope"`) {
		t.Errorf("unknown command: %d %q", code, errb.String())
	}
}
