package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/store/postgres"
)

// testBadTextRefused: NUL characters and bytes that are not UTF-8 are
// refused at the edge with a clear error (never a 500 from the store),
// in a JSON body, a path, a query and a chat frame (issue 9.10).
func testBadTextRefused(t *testing.T, e *testEnv) {
	nul := maria("nul-1")
	nul.Name = "Maria\u0000Lopez"
	code, b := e.do("POST", "/v1/accounts", accounts.Request{Accounts: []accounts.Account{nul}}, testKey)
	if code != http.StatusUnprocessableEntity || decodeError(t, b).Error.Code != CodeInvalid {
		t.Errorf("NUL in a name: %d %s, want 422 invalid", code, b)
	}
	code, b = e.do("POST", "/v1/sessions", "{\"account_id\":\"a\xff\xfe\"}", testKey)
	if code != http.StatusBadRequest {
		t.Errorf("a body that is not UTF-8: %d %s, want 400", code, b)
	}
	for _, path := range []string{"/v1/accounts/%00x", "/v1/accounts/%ff%fe", "/v1/conversations/x%00", "/v1/accounts/a/promises?x=%ff"} {
		code, b := e.do("GET", path, nil, testKey)
		if code != http.StatusUnprocessableEntity || decodeError(t, b).Error.Code != CodeInvalid {
			t.Errorf("GET %s: %d %s, want 422 invalid", path, code, b)
		}
	}
	e.addAccounts(maria("text-ok"))
	c := e.mustDial(e.mint("text-ok").Token)
	untilStatus(t, c)
	for _, raw := range []string{`{"type":"message","text":"07/21/1988\u0000"}`, "{\"type\":\"message\",\"text\":\"\xff\xfe\"}"} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if f := readFrame(t, c); f.Type != FrameError || (f.Code != CodeInvalid && f.Code != CodeBadFrame) {
			t.Errorf("frame %q: %+v, want an error frame", raw, f)
		}
	}
	// The conversation goes on.
	if _, st := say(t, c, "07/21/1988"); st.Type != FrameStatus {
		t.Errorf("after the refused frames: %+v", st)
	}
}

func TestBadTextRefusedSQLite(t *testing.T) { testBadTextRefused(t, newEnv(t, nil)) }

func TestBadTextRefusedPostgres(t *testing.T) {
	url := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("COLLECT_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "webtext_" + hex.EncodeToString(rb[:])
	clock := clock.NewFake(testNow)
	st, err := postgres.Open(ctx, url, postgres.WithSchema(schema), postgres.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	testBadTextRefused(t, newEnvStore(t, st, clock, nil))
}

// TestFormulaCellsRefused: free text that a spreadsheet would run as a
// formula is refused by the API as by the CSV import (issue 9.11).
func TestFormulaCellsRefused(t *testing.T) {
	e := newEnv(t, nil)
	a := maria("formula-1")
	a.Name = "=HYPERLINK(\"http://evil.example\",\"x\")"
	a.Debts[0].Creditor = "@SUM(1+1)"
	code, b := e.do("POST", "/v1/accounts", accounts.Request{Accounts: []accounts.Account{a}}, testKey)
	eb := decodeError(t, b)
	if code != http.StatusUnprocessableEntity || (eb.Error.Field != "accounts[0].name" && eb.Error.Field != "accounts[0].debts[0].creditor") {
		t.Errorf("formula cells: %d %s, want 422 naming the field", code, b)
	}
}
