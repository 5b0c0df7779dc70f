package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// testNow is Sunday 2026-11-22 20:00 in Chicago and Monday 10:00 in
// Shanghai: inside contact hours in both.
var testNow = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

const testKey = "test-api-key-0123456789"

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testPolicy(pack string) dialog.Policy {
	return dialog.Policy{
		MaxDaysToPromise: 14, MaxInstallments: 6, FirstInstallmentWithin: 7, InstallmentEveryDays: 14,
		AllowExtension: true, ExtensionDays: 7, Pack: pack, PaymentURL: "https://pay.example.com/{account}",
	}
}

// testEnv is a real server on a real SQLite store, behind httptest.
type testEnv struct {
	t     testing.TB
	srv   *Server
	ts    *httptest.Server
	st    store.Store
	clock *fakeClock
}

// logSinks holds a test's own logger (captureLogs), by test.
var logSinks sync.Map

func testLogger(t testing.TB) *slog.Logger {
	if l, ok := logSinks.Load(t); ok {
		return l.(*slog.Logger)
	}
	if os.Getenv("COLLECT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newEnv(t testing.TB, mod func(*Config)) *testEnv {
	t.Helper()
	clock := &fakeClock{t: testNow}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.WithClock(clock.Now), sqlite.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return newEnvStore(t, st, clock, mod)
}

// newEnvStore is newEnv on a given store, which it closes at cleanup.
func newEnvStore(t testing.TB, st store.Store, clock *fakeClock, mod func(*Config)) *testEnv {
	t.Helper()
	return newEnvDeps(t, st, clock, mod, nil)
}

// newEnvDeps is newEnvStore with extra collaborators set by deps.
func newEnvDeps(t testing.TB, st store.Store, clock *fakeClock, mod func(*Config), deps func(*Deps)) *testEnv {
	t.Helper()
	log := testLogger(t)
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: testPolicy("us"),
		Policies:      map[string]dialog.Policy{"us": testPolicy("us"), "cn": testPolicy("cn")},
	}, bot.Deps{Store: st, Understander: understand.NewRules(), Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("runtime: %v", err)
	}
	cfg := Config{
		APIKeys:     []string{testKey},
		TokenSecret: strings.Repeat("s", 32),
	}
	if mod != nil {
		mod(&cfg)
	}
	d := Deps{Store: st, Runtime: rt, Clock: clock, Logger: log}
	if deps != nil {
		deps(&d)
	}
	srv, err := New(cfg, d)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	ts := httptest.NewServer(validated(t, srv))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ts.Close()
		st.Close()
	})
	return &testEnv{t: t, srv: srv, ts: ts, st: st, clock: clock}
}

// do sends a request with the test API key (key "" sends none) and
// returns the status and body.
func (e *testEnv) do(method, path string, body any, key string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, b
}

// mustDo is do that fails the test unless the status is want, and decodes
// the body into out (when not nil).
func (e *testEnv) mustDo(method, path string, body any, want int, out any) {
	e.t.Helper()
	code, b := e.do(method, path, body, testKey)
	if code != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, code, b, want)
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// errorBody is the JSON error envelope.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func decodeError(t testing.TB, b []byte) errorBody {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("not an error body: %s (%v)", b, err)
	}
	return eb
}

func maria(id string) AccountIn {
	return AccountIn{
		ID: id, Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417", Locale: "en-US",
		Timezone: "America/Chicago", Phone: "+13125550100", Email: "m@example.com",
		Consent: store.Consent{Chat: true, Voice: true, Recording: true},
		Debts: []DebtIn{{ID: id + "-d1", Creditor: "Demo Finance", AmountDue: 240.00, Currency: "USD",
			DueDate: "2026-11-13", DaysPastDue: 9}},
	}
}

func wangFang(id string) AccountIn {
	return AccountIn{
		ID: id, Name: "王芳", DateOfBirth: "1992-03-15", IDLast4: "213X", Locale: "zh-CN",
		Timezone: "Asia/Shanghai", Phone: "+8613800138000",
		Consent: store.Consent{Chat: true, Voice: true, Recording: true}, Portfolio: "cn",
		Debts: []DebtIn{{ID: id + "-d1", Creditor: "示例消费金融", AmountDue: 860.00, Currency: "CNY",
			DueDate: "2026-11-11", DaysPastDue: 12}},
	}
}

func (e *testEnv) addAccounts(accts ...AccountIn) {
	e.t.Helper()
	e.mustDo("POST", "/v1/accounts", AccountsRequest{Accounts: accts}, http.StatusOK, nil)
}

func (e *testEnv) mint(accountID string) SessionResponse {
	e.t.Helper()
	var s SessionResponse
	e.mustDo("POST", "/v1/sessions", SessionRequest{AccountID: accountID, Channel: "chat"}, http.StatusCreated, &s)
	if s.Token == "" || s.ConversationID == "" {
		e.t.Fatalf("session %+v: empty token or conversation", s)
	}
	return s
}

func (e *testEnv) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/v1/chat?token=" + token
}

// dial connects to the chat; header may carry an Origin.
func (e *testEnv) dial(token string, header http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, res, err := d.Dial(e.wsURL(token), header)
	if err == nil {
		e.t.Cleanup(func() { c.Close() })
	}
	return c, res, err
}

func (e *testEnv) mustDial(token string) *websocket.Conn {
	e.t.Helper()
	c, res, err := e.dial(token, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		e.t.Fatalf("dial: %v (status %d)", err, status)
	}
	return c
}

// frame is any server frame.
type frame struct {
	Type    string `json:"type"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Seq     int64  `json:"seq"`
	Mode    string `json:"mode"`
	Stage   string `json:"stage"`
	Outcome string `json:"outcome"`
	Code    string `json:"code"`
	Message string `json:"message"`
	ID      string `json:"id"`
}

func readFrame(t testing.TB, c *websocket.Conn) frame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	var f frame
	if err := c.ReadJSON(&f); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

// untilStatus reads frames up to and including a status frame.
func untilStatus(t testing.TB, c *websocket.Conn) ([]frame, frame) {
	t.Helper()
	var msgs []frame
	for {
		f := readFrame(t, c)
		switch f.Type {
		case FrameStatus:
			return msgs, f
		case FrameMessage:
			msgs = append(msgs, f)
		default:
			t.Fatalf("unexpected frame while waiting for status: %+v", f)
		}
	}
}

func send(t testing.TB, c *websocket.Conn, v any) {
	t.Helper()
	var err error
	if s, ok := v.(string); ok {
		err = c.WriteMessage(websocket.TextMessage, []byte(s))
	} else {
		err = c.WriteJSON(v)
	}
	if err != nil {
		t.Fatalf("write: %v", err)
	}
}

// say sends one borrower message and returns the replies and status.
func say(t testing.TB, c *websocket.Conn, text string) ([]frame, frame) {
	t.Helper()
	send(t, c, ClientFrame{Type: FrameMessage, Text: text})
	return untilStatus(t, c)
}

// promiseScripts drive a conversation from the greeting to a recorded
// promise to pay the full balance on Friday.
var promiseScripts = map[string][]string{
	"en-US": {"07/21/1988", "I can pay the full amount on Friday", "yes"},
	"zh-CN": {"1992年3月15日", "我这周五还全款", "是的"},
}

func texts(fs []frame) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.From + ": " + f.Text + "\n")
	}
	return b.String()
}
