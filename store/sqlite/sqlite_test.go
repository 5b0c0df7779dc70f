package sqlite_test

import (
	"context"
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
