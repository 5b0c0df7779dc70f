package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/postgres"
	"github.com/collectagent/collectagent/store/storetest"
)

// testURL returns the test database URL. Without COLLECT_TEST_POSTGRES_URL
// the test is skipped, unless COLLECT_TEST_REQUIRE_ALL=1 (CI), where a
// missing database is a failure.
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if url == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			tb.Fatal("COLLECT_TEST_POSTGRES_URL is not set and COLLECT_TEST_REQUIRE_ALL=1")
		}
		tb.Skip("COLLECT_TEST_POSTGRES_URL is not set")
	}
	return url
}

// openFresh opens a store in a new random schema, dropped at cleanup.
func openFresh(tb testing.TB, url string, opts ...postgres.Option) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "storetest_" + hex.EncodeToString(b[:])
	s, err := postgres.Open(ctx, url, append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("cleanup connect: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t, url) })
}

func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://user:secret@host:notaport/db")
	if err == nil {
		t.Fatal("Open with a malformed URL succeeded")
	}
	if got := err.Error(); strings.Contains(got, "secret") {
		t.Fatalf("error leaks the password: %s", got)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	url := testURL(t)
	s := openFresh(t, url)
	// A second node opening the same schema finds it migrated.
	var schema string
	if err := s.Pool().QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	s2, err := postgres.Open(context.Background(), url, postgres.WithSchema(schema))
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s2.Close()
	if err := s2.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}
