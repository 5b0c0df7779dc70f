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
	b, err := os.ReadFile("../../accounts/testdata/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
	if code := run([]string{"import", "--data", data, "../../accounts/testdata/accounts.csv"}, &out, &errb); code != 0 {
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
