package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/accounts"
)

func TestHealthAndReady(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, b := e.do("GET", path, nil, ""); code != http.StatusOK {
			t.Errorf("GET %s = %d %s", path, code, b)
		}
	}
}

func TestAccountsRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	// The example body, verbatim.
	body := `{"accounts":[{"id":"a-1","name":"Maria Lopez","date_of_birth":"1988-07-21","id_last4":"4417","locale":"en-US","timezone":"America/Chicago","phone":"+13125550100","email":"m@example.com","consent":{"chat":true,"voice":true,"recording":true},"debts":[{"id":"a-1-d1","creditor":"Demo Finance","amount_due":240.00,"currency":"USD","due_date":"2026-11-13","days_past_due":9}]}]}`
	var up map[string]int
	e.mustDo("POST", "/v1/accounts", body, http.StatusOK, &up)
	if up["upserted"] != 1 {
		t.Fatalf("upserted = %v", up)
	}
	st, err := e.st.GetAccount(t.Context(), "a-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Debts[0].AmountMinor; got != 24000 {
		t.Errorf("stored amount = %d minor, want 24000", got)
	}
	code, raw := e.do("GET", "/v1/accounts/a-1", nil, testKey)
	if code != http.StatusOK {
		t.Fatalf("GET account = %d %s", code, raw)
	}
	if !strings.Contains(string(raw), `"amount_due":240.00`) || !strings.Contains(string(raw), `"name":"Maria Lopez"`) {
		t.Errorf("account = %s", raw)
	}
	var ps struct {
		Promises []json.RawMessage `json:"promises"`
	}
	e.mustDo("GET", "/v1/accounts/a-1/promises", nil, http.StatusOK, &ps)
	if ps.Promises == nil || len(ps.Promises) != 0 {
		t.Errorf("promises = %v, want []", ps.Promises)
	}
	var pl struct {
		Plans []json.RawMessage `json:"plans"`
	}
	e.mustDo("GET", "/v1/accounts/a-1/plans", nil, http.StatusOK, &pl)
	if pl.Plans == nil || len(pl.Plans) != 0 {
		t.Errorf("plans = %v, want []", pl.Plans)
	}
	// Upsert replaces.
	m := maria("a-1")
	m.Debts[0].AmountDue = 250.5
	e.addAccounts(m)
	code, raw = e.do("GET", "/v1/accounts/a-1", nil, testKey)
	if code != http.StatusOK || !strings.Contains(string(raw), `"amount_due":250.50`) {
		t.Errorf("after upsert: %d %s", code, raw)
	}
}

func TestAccountsBadRowIsAllOrNothing(t *testing.T) {
	tests := []struct {
		name  string
		bad   func(*accounts.Account)
		field string
	}{
		{"bad due date", func(a *accounts.Account) { a.Debts[0].DueDate = "13/11/2026" }, "accounts[1].debts[0].due_date"},
		{"unknown currency", func(a *accounts.Account) { a.Debts[0].Currency = "XYZ" }, "accounts[1].debts[0].currency"},
		{"three decimals", func(a *accounts.Account) { a.Debts[0].AmountDue = 240.001 }, "accounts[1].debts[0].amount_due"},
		{"zero amount", func(a *accounts.Account) { a.Debts[0].AmountDue = 0 }, "accounts[1].debts[0].amount_due"},
		{"negative days", func(a *accounts.Account) { a.Debts[0].DaysPastDue = -1 }, "accounts[1].debts[0].days_past_due"},
		{"no name", func(a *accounts.Account) { a.Name = "" }, "accounts[1].name"},
		{"bad locale", func(a *accounts.Account) { a.Locale = "fr-FR" }, "accounts[1].locale"},
		{"bad zone", func(a *accounts.Account) { a.Timezone = "Mars/Olympus" }, "accounts[1].timezone"},
		{"bad phone", func(a *accounts.Account) { a.Phone = "555-0100" }, "accounts[1].phone"},
		{"bad id last 4", func(a *accounts.Account) { a.IDLast4 = "12a4" }, "accounts[1].id_last4"},
		{"no identity", func(a *accounts.Account) { a.DateOfBirth, a.IDLast4 = "", "" }, "accounts[1].date_of_birth"},
		{"no debts", func(a *accounts.Account) { a.Debts = nil }, "accounts[1].debts"},
		{"duplicate account", func(a *accounts.Account) { a.ID = "ok-1" }, "accounts[1].id"},
		{"duplicate debt", func(a *accounts.Account) { a.Debts[0].ID = "ok-1-d1" }, "accounts[1].debts[0].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			bad := maria("bad-1")
			tt.bad(&bad)
			code, b := e.do("POST", "/v1/accounts", accounts.Request{Accounts: []accounts.Account{maria("ok-1"), bad, wangFang("ok-2")}}, testKey)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d %s, want 422", code, b)
			}
			eb := decodeError(t, b)
			if eb.Error.Code != CodeInvalid || eb.Error.Field != tt.field {
				t.Errorf("error = %+v, want code %q field %q", eb.Error, CodeInvalid, tt.field)
			}
			if !strings.HasPrefix(eb.Error.Message, tt.field+": ") {
				t.Errorf("message %q does not name the field", eb.Error.Message)
			}
			for _, id := range []string{"ok-1", "ok-2", "bad-1"} {
				if code, _ := e.do("GET", "/v1/accounts/"+id, nil, testKey); code != http.StatusNotFound {
					t.Errorf("account %s: status %d after a rejected import, want 404", id, code)
				}
			}
		})
	}
}

func TestAccountsBadJSON(t *testing.T) {
	tests := []struct{ name, body string }{
		{"truncated", `{"accounts":[{"id":"a-1"`},
		{"not json", `accounts=1`},
		{"wrong type", `{"accounts":[{"id":"a-1","debts":[{"amount_due":"240"}]}]}`},
		{"trailing", `{"accounts":[]} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			code, b := e.do("POST", "/v1/accounts", tt.body, testKey)
			if code != http.StatusBadRequest {
				t.Fatalf("status = %d %s, want 400", code, b)
			}
			if eb := decodeError(t, b); eb.Error.Code != CodeBadJSON {
				t.Errorf("code = %q", eb.Error.Code)
			}
		})
	}
}

func TestAPIKeyRequired(t *testing.T) {
	e := newEnv(t, nil)
	calls := []struct{ method, path string }{
		{"POST", "/v1/accounts"}, {"GET", "/v1/accounts/a-1"}, {"GET", "/v1/accounts/a-1/promises"},
		{"GET", "/v1/accounts/a-1/plans"}, {"POST", "/v1/sessions"}, {"GET", "/v1/conversations/c-1"},
	}
	for _, c := range calls {
		for _, key := range []string{"", "wrong-key-0123456789"} {
			code, b := e.do(c.method, c.path, `{}`, key)
			if code != http.StatusUnauthorized {
				t.Errorf("%s %s key %q = %d, want 401", c.method, c.path, key, code)
				continue
			}
			if eb := decodeError(t, b); eb.Error.Code != CodeUnauthorized {
				t.Errorf("%s %s: code %q", c.method, c.path, eb.Error.Code)
			}
		}
	}
}

func TestUnknownIs404(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/accounts/nobody", nil},
		{"GET", "/v1/accounts/nobody/promises", nil},
		{"GET", "/v1/accounts/nobody/plans", nil},
		{"GET", "/v1/conversations/nothing", nil},
		{"POST", "/v1/sessions", SessionRequest{AccountID: "nobody", Channel: "chat"}},
		{"GET", "/v1/nowhere", nil},
	} {
		code, b := e.do(c.method, c.path, c.body, testKey)
		if code != http.StatusNotFound {
			t.Errorf("%s %s = %d %s, want 404", c.method, c.path, code, b)
			continue
		}
		if eb := decodeError(t, b); eb.Error.Code != CodeNotFound {
			t.Errorf("%s %s: code %q", c.method, c.path, eb.Error.Code)
		}
	}
}

func TestSessionRefusedWithoutConsent(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*accounts.Account)
	}{
		{"no chat consent", func(a *accounts.Account) { a.Consent.Chat = false }},
		{"do not contact by chat", func(a *accounts.Account) { a.DoNotContact.Chat = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := maria("a-1")
			tt.mod(&a)
			e.addAccounts(a)
			code, b := e.do("POST", "/v1/sessions", SessionRequest{AccountID: "a-1", Channel: "chat"}, testKey)
			if code != http.StatusForbidden {
				t.Fatalf("status = %d %s, want 403", code, b)
			}
			if eb := decodeError(t, b); eb.Error.Code != CodeNotAllowed {
				t.Errorf("code = %q", eb.Error.Code)
			}
		})
	}
}

func TestSessionBadChannel(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	code, b := e.do("POST", "/v1/sessions", SessionRequest{AccountID: "a-1", Channel: "fax"}, testKey)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d %s", code, b)
	}
	if eb := decodeError(t, b); eb.Error.Field != "channel" {
		t.Errorf("field = %q", eb.Error.Field)
	}
}

// TestPromiseRoundTrip holds a whole conversation over the WebSocket in
// each language and reads the outcome and promise back over HTTP.
func TestPromiseRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		locale   string
		acct     accounts.Account
		amount   string
		currency string
	}{
		{"en-US", maria("a-en"), "240.00", "USD"},
		{"zh-CN", wangFang("a-zh"), "860.00", "CNY"},
	} {
		t.Run(tt.locale, func(t *testing.T) {
			e := newEnv(t, nil)
			e.addAccounts(tt.acct)
			sess := e.mint(tt.acct.ID)
			c := e.mustDial(sess.Token)
			greet, st := untilStatus(t, c)
			if len(greet) == 0 || greet[0].From != "bot" {
				t.Fatalf("the bot did not speak first: %v", greet)
			}
			var all []frame
			all = append(all, greet...)
			for _, line := range promiseScripts[tt.locale] {
				var msgs []frame
				msgs, st = say(t, c, line)
				all = append(all, msgs...)
			}
			if st.Outcome != "ptp" {
				t.Fatalf("final status %+v, want outcome ptp; transcript:\n%s", st, texts(all))
			}
			var conv struct {
				ID      string `json:"id"`
				Mode    string `json:"mode"`
				Stage   string `json:"stage"`
				Outcome struct {
					Type     string      `json:"type"`
					Amount   json.Number `json:"amount"`
					Currency string      `json:"currency"`
					DueDate  string      `json:"due_date"`
				} `json:"outcome"`
				Transcript []struct {
					Seq  int64  `json:"seq"`
					From string `json:"from"`
					Text string `json:"text"`
				} `json:"transcript"`
			}
			e.mustDo("GET", "/v1/conversations/"+sess.ConversationID, nil, http.StatusOK, &conv)
			if conv.Outcome.Type != "ptp" || conv.Outcome.Amount.String() != tt.amount || conv.Outcome.Currency != tt.currency {
				t.Errorf("outcome = %+v, want ptp %s %s", conv.Outcome, tt.amount, tt.currency)
			}
			if conv.Outcome.DueDate != "2026-11-27" {
				t.Errorf("due date = %q, want Friday 2026-11-27", conv.Outcome.DueDate)
			}
			borrower := 0
			for i, turn := range conv.Transcript {
				if turn.Seq != int64(i+1) {
					t.Errorf("transcript[%d].seq = %d", i, turn.Seq)
				}
				if turn.From == "borrower" {
					borrower++
				}
			}
			if borrower != len(promiseScripts[tt.locale]) {
				t.Errorf("transcript has %d borrower turns, want %d", borrower, len(promiseScripts[tt.locale]))
			}
			var ps struct {
				Promises []struct {
					Amount         json.Number `json:"amount"`
					Currency       string      `json:"currency"`
					DueDate        string      `json:"due_date"`
					ConversationID string      `json:"conversation_id"`
				} `json:"promises"`
			}
			e.mustDo("GET", "/v1/accounts/"+tt.acct.ID+"/promises", nil, http.StatusOK, &ps)
			if len(ps.Promises) != 1 || ps.Promises[0].Amount.String() != tt.amount || ps.Promises[0].ConversationID != sess.ConversationID {
				t.Errorf("promises = %+v", ps.Promises)
			}
		})
	}
}

func TestWrongMethodIs405(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/accounts"}, {"DELETE", "/v1/accounts/a-1"}, {"POST", "/v1/conversations/c-1"},
		{"GET", "/v1/sessions"}, {"POST", "/healthz"}, {"POST", "/"},
	} {
		code, b := e.do(c.method, c.path, nil, testKey)
		if code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s = %d %s, want 405", c.method, c.path, code, b)
			continue
		}
		if eb := decodeError(t, b); eb.Error.Code != CodeMethod {
			t.Errorf("%s %s: code %q", c.method, c.path, eb.Error.Code)
		}
	}
}

// TestDebugEndpointsOnlyOnTheAdminListener: /debug/vars and pprof (the
// command line, memory) are not on the public listener even with the
// lender's API key; the admin handler serves them, behind the admin key
// when one is set (issue 9.12).
func TestDebugEndpointsOnlyOnTheAdminListener(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/debug/vars", "/debug/pprof/", "/debug/pprof/cmdline", "/metrics"} {
		if code, _ := e.do("GET", path, nil, testKey); code != http.StatusNotFound {
			t.Errorf("%s on the public listener with the API key: %d, want 404", path, code)
		}
	}
	admin := httptest.NewServer(e.srv.AdminHandler())
	defer admin.Close()
	res, err := admin.Client().Get(admin.URL + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]json.RawMessage
	err = json.NewDecoder(res.Body).Decode(&vars)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || vars["memstats"] == nil {
		t.Fatalf("admin /debug/vars: %d %v", res.StatusCode, err)
	}

	keyed := newEnv(t, func(c *Config) { c.AdminKey = "admin-key-0123456789" })
	ka := httptest.NewServer(keyed.srv.AdminHandler())
	defer ka.Close()
	for key, want := range map[string]int{"": 401, testKey: 401, "admin-key-0123456789": 200} {
		req, _ := http.NewRequest("GET", ka.URL+"/debug/pprof/", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := ka.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("admin pprof with key %q: %d, want %d", key, res.StatusCode, want)
		}
	}
}

func TestAdminAddrOffLoopbackNeedsAKey(t *testing.T) {
	c := Config{APIKeys: []string{testKey}, TokenSecret: strings.Repeat("s", 32), AdminAddr: "0.0.0.0:9091"}.WithDefaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "web.admin_addr") {
		t.Errorf("admin on 0.0.0.0 without a key: %v, want an error naming web.admin_addr", err)
	}
	c.AdminKey = "admin-key-0123456789"
	if err := c.Validate(); err != nil {
		t.Errorf("admin on 0.0.0.0 with a key: %v", err)
	}
}
