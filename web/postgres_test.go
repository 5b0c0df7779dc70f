package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/store/postgres"
)

// TestPromiseRoundTripPostgres is the chat and API round trip on
// PostgreSQL, in a fresh schema. It needs COLLECT_TEST_POSTGRES_URL; under
// COLLECT_TEST_REQUIRE_ALL=1 its absence is a failure.
func TestPromiseRoundTripPostgres(t *testing.T) {
	url := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if url == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("COLLECT_TEST_POSTGRES_URL is not set and COLLECT_TEST_REQUIRE_ALL=1")
		}
		t.Skip("COLLECT_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "webtest_" + hex.EncodeToString(b[:])
	clock := clock.NewFake(testNow)
	st, err := postgres.Open(ctx, url, postgres.WithSchema(schema), postgres.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("cleanup connect: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	e := newEnvStore(t, st, clock, nil)
	e.addAccounts(maria("pg-1"), wangFang("pg-2"))
	for id, locale := range map[string]string{"pg-1": "en-US", "pg-2": "zh-CN"} {
		sess := e.mint(id)
		c := e.mustDial(sess.Token)
		untilStatus(t, c)
		var st frame
		for _, line := range promiseScripts[locale] {
			_, st = say(t, c, line)
		}
		if st.Outcome != "ptp" {
			t.Fatalf("%s: final status %+v", locale, st)
		}
		var ps struct {
			Promises []struct {
				ConversationID string `json:"conversation_id"`
			} `json:"promises"`
		}
		e.mustDo("GET", "/v1/accounts/"+id+"/promises", nil, 200, &ps)
		if len(ps.Promises) != 1 || ps.Promises[0].ConversationID != sess.ConversationID {
			t.Errorf("%s: promises %+v", locale, ps.Promises)
		}
	}
	// A bad row is all-or-nothing on PostgreSQL too.
	bad := maria("pg-bad")
	bad.Debts[0].DueDate = "2026-02-30"
	if code, _ := e.do("POST", "/v1/accounts", accounts.Request{Accounts: []accounts.Account{maria("pg-ok"), bad}}, testKey); code != 422 {
		t.Errorf("bad row = %d, want 422", code)
	}
	if code, _ := e.do("GET", "/v1/accounts/pg-ok", nil, testKey); code != 404 {
		t.Errorf("pg-ok after a rejected batch = %d, want 404", code)
	}
}
