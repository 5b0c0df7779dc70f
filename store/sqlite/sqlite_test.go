package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/store/storetest"
)

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		opts []sqlite.Option
	}{
		{"group commit", nil},
		{"no group commit", []sqlite.Option{sqlite.WithMaxBatch(1)}},
		{"synchronous full", []sqlite.Option{sqlite.WithSynchronous(sqlite.SyncFull), sqlite.WithReaders(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "collect.db"), tc.opts...)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return s
			})
		})
	}
}

// TestListAccountsLargePage lists more accounts in one page than SQLite
// accepts bound variables (32,766).
func TestListAccountsLargePage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 33,000 accounts")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "big.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 33000
	accts := make([]store.Account, n)
	for i := range accts {
		id := fmt.Sprintf("a-%05d", i)
		accts[i] = store.Account{ID: id, Name: "x", Debts: []store.Debt{{ID: id + "-d", AmountMinor: int64(i)}}}
	}
	if err := s.UpsertAccounts(ctx, accts); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAccounts(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("listed %d accounts, want %d", len(got), n)
	}
	for i, a := range got {
		if len(a.Debts) != 1 || a.Debts[0].AmountMinor != int64(i) {
			t.Fatalf("account %s has debts %+v", a.ID, a.Debts)
		}
	}
}
