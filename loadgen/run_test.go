package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeServer speaks the chat API's wire format with a fixed script, so the
// client side can be tested without the conversation runtime. It checks
// what the borrower says, like the real bot would.
type fakeServer struct {
	t              *testing.T
	apiKey         string
	readyStatus    int
	accountsStatus int
	sessionStatus  int
	errorOnTurn    int           // send an error frame instead of replying to this turn (1-based)
	outcome        string        // outcome after the confirmation; "" means ptp
	delayTurn      int           // delay the reply to this turn ...
	delay          time.Duration // ... by this long

	mu        sync.Mutex
	accounts  map[string]fakeAccount
	sessions  map[string]string // token -> account id
	posts     int
	completed int
	open      int
	maxOpen   int
}

type fakeAccount struct {
	ID          string `json:"id"`
	DateOfBirth string `json:"date_of_birth"`
	Locale      string `json:"locale"`
	Debts       []struct {
		AmountDue float64 `json:"amount_due"`
		Currency  string  `json:"currency"`
	} `json:"debts"`
}

func newFakeServer(t *testing.T) *fakeServer {
	return &fakeServer{
		t: t, apiKey: "test-key-0123456789",
		readyStatus: 200, accountsStatus: 200, sessionStatus: 201,
		accounts: map[string]fakeAccount{}, sessions: map[string]string{},
	}
}

func (f *fakeServer) start() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(f.readyStatus) })
	mux.HandleFunc("POST /v1/accounts", f.postAccounts)
	mux.HandleFunc("POST /v1/sessions", f.postSession)
	mux.HandleFunc("GET /v1/chat", f.chat)
	srv := httptest.NewServer(mux)
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeServer) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+f.apiKey
}

func (f *fakeServer) postAccounts(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	if f.accountsStatus != 200 {
		http.Error(w, `{"error":"no"}`, f.accountsStatus)
		return
	}
	var req struct{ Accounts []fakeAccount }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Accounts) == 0 {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts++
	for _, a := range req.Accounts {
		if a.DateOfBirth == "" || len(a.Debts) != 1 || a.Debts[0].AmountDue <= 0 {
			http.Error(w, "bad account", http.StatusUnprocessableEntity)
			return
		}
		f.accounts[a.ID] = a
	}
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `{"upserted":%d}`, len(req.Accounts))
}

func (f *fakeServer) postSession(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) || f.sessionStatus != 201 {
		http.Error(w, `{"error":"no"}`, max(f.sessionStatus, 401))
		return
	}
	var req struct {
		AccountID string `json:"account_id"`
		Channel   string `json:"channel"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Channel != "chat" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.accounts[req.AccountID]; !ok {
		http.Error(w, "unknown account", http.StatusNotFound)
		return
	}
	tok := fmt.Sprintf("tok+%d/%s=", len(f.sessions), req.AccountID)
	f.sessions[tok] = req.AccountID
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "conversation_id": "c-" + req.AccountID, "expires_at": "2026-11-22T21:00:00Z"})
}

// dobSaid is how a borrower of the locale says their date of birth; the
// fake computes it independently of the package's script.
func dobSaid(locale, dob string) string {
	d, _ := time.Parse(time.DateOnly, dob)
	if locale == "zh-CN" {
		return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
	}
	return fmt.Sprintf("%02d/%02d/%04d", int(d.Month()), d.Day(), d.Year())
}

func (f *fakeServer) chat(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	id, ok := f.sessions[r.URL.Query().Get("token")]
	acct := f.accounts[id]
	f.mu.Unlock()
	if !ok {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	// A conversation counts as open from the upgrade until the server
	// sends its final status (or the connection ends): the client opens
	// its next one only after reading that status, so the count is exact,
	// whereas the handler's return lags the client's close.
	f.mu.Lock()
	f.open++
	f.maxOpen = max(f.maxOpen, f.open)
	f.mu.Unlock()
	var closeOnce sync.Once
	closed := func() {
		closeOnce.Do(func() {
			f.mu.Lock()
			f.open--
			f.mu.Unlock()
		})
	}
	defer closed()

	seq := int64(0)
	say := func(text string) error {
		seq++
		return ws.WriteJSON(map[string]any{"type": "message", "from": "bot", "text": text, "seq": seq})
	}
	status := func(mode, stage, outcome string) error {
		if mode == "ended" {
			closed()
		}
		return ws.WriteJSON(map[string]any{"type": "status", "mode": mode, "stage": stage, "outcome": outcome})
	}
	if say("Hi, I am an automated assistant; this chat is recorded.") != nil ||
		say("Please tell me your date of birth.") != nil ||
		status("bot", "verify", "") != nil {
		return
	}
	stage := "verify"
	for turn := 1; ; turn++ {
		var in struct{ Type, Text string }
		if err := ws.ReadJSON(&in); err != nil {
			return
		}
		if in.Type != "message" {
			return
		}
		if turn == f.delayTurn {
			<-time.After(f.delay) // simulated processing time
		}
		if turn == f.errorOnTurn {
			_ = ws.WriteJSON(map[string]string{"type": "error", "code": "rate_limited", "message": "slow down"})
			continue
		}
		var err error
		switch {
		case stage == "verify" && in.Text == dobSaid(acct.Locale, acct.DateOfBirth):
			stage = "negotiate"
			err = errors.Join(say("Thank you. You owe the balance."), status("bot", stage, ""))
		case stage == "negotiate" && (in.Text == "I can pay the full amount tomorrow" || in.Text == "我明天还全款"):
			stage = "confirm"
			err = errors.Join(say("To confirm: the full amount tomorrow?"), status("bot", stage, ""))
		case stage == "confirm" && (in.Text == "yes" || in.Text == "是的"):
			outcome := f.outcome
			if outcome == "" {
				outcome = "ptp"
				f.mu.Lock()
				f.completed++
				f.mu.Unlock()
			}
			err = errors.Join(say("Thank you, recorded."), status("ended", "close", outcome))
		default:
			err = errors.Join(say("Sorry, I did not understand."), status("bot", stage, ""))
		}
		if err != nil {
			return
		}
	}
}

func testConfig(url string) Config {
	return Config{
		URL:           url,
		APIKey:        "test-key-0123456789",
		Conversations: 12,
		Rounds:        3,
		NoThink:       true,
		Ramp:          time.Millisecond,
		TurnTimeout:   10 * time.Second,
		BatchSize:     10,
	}
}

func TestRunAgainstFakeServer(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*fakeServer, *Config)
		check  func(t *testing.T, f *fakeServer, rep Report)
		errors map[string]uint64
	}{
		{
			name:  "promise to pay",
			setup: func(*fakeServer, *Config) {},
			check: func(t *testing.T, f *fakeServer, rep Report) {
				if rep.Completed != 36 || rep.Failed != 0 || rep.Turns != 108 {
					t.Fatalf("completed %d failed %d turns %d, want 36 0 108", rep.Completed, rep.Failed, rep.Turns)
				}
				if rep.Turn.Count != 108 || rep.Greeting.Count != 36 || rep.Session.Count != 36 || rep.Connect.Count != 36 {
					t.Fatalf("latency counts turn %d greeting %d session %d connect %d", rep.Turn.Count, rep.Greeting.Count, rep.Session.Count, rep.Connect.Count)
				}
				locales := map[string]int{}
				for _, a := range f.accounts {
					locales[a.Locale]++
				}
				if len(f.accounts) != 36 || locales["en-US"] != 18 || locales["zh-CN"] != 18 || f.posts != 4 {
					t.Fatalf("server saw %d accounts %v in %d posts, want 36 (18/18) in 4", len(f.accounts), locales, f.posts)
				}
				if f.completed != 36 || f.maxOpen > 12 || rep.MaxOpen > 12 || rep.MaxOpen < 1 {
					t.Fatalf("server completed %d, open at most %d (client says %d)", f.completed, f.maxOpen, rep.MaxOpen)
				}
				if rep.TurnsPerSec <= 0 || rep.ConversationsPerSec <= 0 {
					t.Fatalf("throughput %v turns/s %v conv/s", rep.TurnsPerSec, rep.ConversationsPerSec)
				}
			},
		},
		{
			name:   "error frame",
			setup:  func(f *fakeServer, _ *Config) { f.errorOnTurn = 2 },
			errors: map[string]uint64{"error_frame:rate_limited": 36},
			check: func(t *testing.T, f *fakeServer, rep Report) {
				if rep.Turns != 36 || rep.Completed != 0 {
					t.Fatalf("turns %d completed %d, want 36 0", rep.Turns, rep.Completed)
				}
			},
		},
		{
			name:   "no promise",
			setup:  func(f *fakeServer, _ *Config) { f.outcome = "escalated" },
			errors: map[string]uint64{"outcome:escalated": 36},
		},
		{
			name:   "sessions refused",
			setup:  func(f *fakeServer, _ *Config) { f.sessionStatus = 403 },
			errors: map[string]uint64{"session_403": 36},
		},
		{
			name:   "zh-CN only",
			setup:  func(_ *fakeServer, c *Config) { c.Locales = LocaleMix{{LocaleZhCN, 1}} },
			errors: map[string]uint64{},
			check: func(t *testing.T, f *fakeServer, rep Report) {
				if f.completed != 36 || rep.Locales != "zh-CN=1" {
					t.Fatalf("completed %d with %s", f.completed, rep.Locales)
				}
			},
		},
		{
			name: "slow turn",
			setup: func(f *fakeServer, c *Config) {
				f.delayTurn, f.delay = 2, 30*time.Millisecond
				c.Conversations, c.Rounds = 4, 1
			},
			errors: map[string]uint64{},
			check: func(t *testing.T, f *fakeServer, rep Report) {
				// One turn in three is slow: the median is not, the maximum is.
				if rep.Turn.Count != 12 || time.Duration(rep.Turn.Max) < 30*time.Millisecond || time.Duration(rep.Turn.P50) >= 30*time.Millisecond {
					t.Fatalf("turn latency %+v", rep.Turn)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			srv := f.start()
			cfg := testConfig(srv.URL)
			tt.setup(f, &cfg)
			res, err := Run(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Runs) != 1 || res.Runs[0].Target != TargetServer {
				t.Fatalf("runs %+v", res.Runs)
			}
			rep := res.Runs[0]
			if tt.errors != nil {
				if fmt.Sprint(rep.Errors) != fmt.Sprint(tt.errors) {
					t.Fatalf("errors %v, want %v", rep.Errors, tt.errors)
				}
				var n uint64
				for _, c := range tt.errors {
					n += c
				}
				if rep.Failed != n {
					t.Fatalf("failed %d, want %d", rep.Failed, n)
				}
			} else if len(rep.Errors) != 0 {
				t.Fatalf("errors %v", rep.Errors)
			}
			if tt.check != nil {
				f.mu.Lock()
				defer f.mu.Unlock()
				tt.check(t, f, rep)
			}
		})
	}
}

func TestRunRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeServer, *Config)
		want  error
	}{
		{"not ready", func(f *fakeServer, _ *Config) { f.readyStatus = 503 }, ErrServerNotReady},
		{"wrong key", func(_ *fakeServer, c *Config) { c.APIKey = "wrong" }, ErrSetup},
		{"accounts rejected", func(f *fakeServer, _ *Config) { f.accountsStatus = 422 }, ErrSetup},
		{"remote target", func(_ *fakeServer, c *Config) { c.URL = "http://192.0.2.1:80" }, ErrNotLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			cfg := testConfig(f.start().URL)
			tt.setup(f, &cfg)
			_, err := Run(t.Context(), cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Run = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRunDuration(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(f.start().URL)
	cfg.Rounds, cfg.Duration, cfg.Conversations = 0, 300*time.Millisecond, 5
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Runs[0]
	if rep.Completed == 0 || rep.Failed != 0 || rep.TimedOut {
		t.Fatalf("completed %d failed %d timed out %v errors %v", rep.Completed, rep.Failed, rep.TimedOut, rep.Errors)
	}
	if time.Duration(rep.Elapsed) < 300*time.Millisecond {
		t.Fatalf("elapsed %v, shorter than the duration", rep.Elapsed)
	}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, total time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(total)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
		<-time.After(5 * time.Millisecond)
	}
	return true
}

func TestRunEcho(t *testing.T) {
	before := runtime.NumGoroutine()
	cfg := Config{Echo: true, Conversations: 30, Rounds: 2, NoThink: true, Ramp: time.Millisecond}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 {
		t.Fatalf("runs %+v", res.Runs)
	}
	rep := res.Runs[0]
	if rep.Target != TargetEcho || rep.Completed != 60 || rep.Failed != 0 || rep.Turns != 180 || rep.Turn.Count != 180 || len(rep.Errors) != 0 {
		t.Fatalf("echo report %+v", rep)
	}
	if rep.Greeting != nil || rep.Session != nil {
		t.Fatal("echo run reports greeting or session latency")
	}
	if rep.Memory.Samples == 0 && rep.Memory.Error == "" {
		t.Fatal("no memory samples")
	}
	if res.Machine.CPUs < 1 || res.Machine.GoVersion == "" {
		t.Fatalf("machine %+v", res.Machine)
	}
	// Everything the run started has stopped.
	if !waitFor(t, 5*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}

func TestRunEchoAndServer(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(f.start().URL)
	cfg.Echo = true
	cfg.Rounds = 1
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || res.Runs[0].Target != TargetEcho || res.Runs[1].Target != TargetServer {
		t.Fatalf("runs %+v", res.Runs)
	}
	for _, r := range res.Runs {
		if r.Completed != 12 || r.Failed != 0 {
			t.Fatalf("%s: completed %d failed %d %v", r.Target, r.Completed, r.Failed, r.Errors)
		}
	}
	var table, js strings.Builder
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`turn latency p99\s+\d`, `echo http://127\.0\.0\.1:\d+\s+server http://127\.0\.0\.1:`, `conversations completed\s+12\s+12\n`, `errors\s+0\s+0\n`} {
		if !regexp.MustCompile(want).MatchString(table.String()) {
			t.Errorf("table does not match %q:\n%s", want, table.String())
		}
	}
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil {
		t.Fatal(err)
	}
	if back.Runs[1].Turn.Count != 36 || (time.Duration(back.Runs[1].Turn.P99-res.Runs[1].Turn.P99)).Abs() > time.Microsecond {
		t.Fatalf("JSON round trip: %+v vs %+v", back.Runs[1].Turn, res.Runs[1].Turn)
	}
}
