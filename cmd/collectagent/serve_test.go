package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const (
	crashKey    = "crash-test-key-0123456789"
	crashSecret = "crash-test-secret-0123456789abcdef"
)

// buildBinary builds collectagent into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "collectagent")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serveProc is a running `collectagent serve`.
type serveProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	admin  string // the admin listener's base URL
	stderr *syncBuffer
	exited chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServe(t *testing.T, bin, data string) *serveProc {
	t.Helper()
	return startServeEnv(t, bin, nil, "--data", data)
}

// startServeEnv starts serve with extra environment variables and flags;
// the admin listener is on a free loopback port.
func startServeEnv(t *testing.T, bin string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "COLLECT_API_KEY="+crashKey, "COLLECT_TOKEN_SECRET="+crashSecret, "COLLECT_DEMO=false", "COLLECT_ADMIN_ADDR=127.0.0.1:0")
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, cmd: cmd, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	admin := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "chat page: "); ok {
				urls <- strings.TrimSuffix(u, "/")
			}
			if u, ok := strings.CutPrefix(sc.Text(), "admin (metrics, pprof): "); ok {
				admin <- strings.TrimSuffix(u, "/metrics")
			}
		}
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case p.admin = <-admin:
	case err := <-p.exited:
		t.Fatalf("serve exited before listening: %v\n%s", err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not print its admin URL\n%s", p.stderr.String())
	}
	select {
	case p.url = <-urls:
	case err := <-p.exited:
		t.Fatalf("serve exited before listening: %v\n%s", err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not print its URL\n%s", p.stderr.String())
	}
	return p
}

func (p *serveProc) wait(timeout time.Duration) error {
	select {
	case err := <-p.exited:
		return err
	case <-time.After(timeout):
		p.t.Fatalf("serve did not exit within %v\n%s", timeout, p.stderr.String())
		return nil
	}
}

func (p *serveProc) call(method, path string, body any, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+crashKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			p.t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
	if res.StatusCode >= 300 {
		p.t.Logf("%s %s = %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode
}

type wsFrame struct {
	Type, From, Text, Mode, Stage, Outcome, Code string
	Seq                                          int64
}

func (p *serveProc) dial(token string) *websocket.Conn {
	p.t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(p.url, "http")+"/v1/chat?token="+token, nil)
	if err != nil {
		p.t.Fatalf("dial: %v", err)
	}
	p.t.Cleanup(func() { c.Close() })
	return c
}

func untilStatus(t *testing.T, c *websocket.Conn) ([]wsFrame, wsFrame) {
	t.Helper()
	var msgs []wsFrame
	for {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		var f wsFrame
		if err := c.ReadJSON(&f); err != nil {
			t.Fatalf("read: %v", err)
		}
		switch f.Type {
		case "status":
			return msgs, f
		case "message":
			msgs = append(msgs, f)
		default:
			t.Fatalf("unexpected frame %+v", f)
		}
	}
}

func say(t *testing.T, c *websocket.Conn, text string) wsFrame {
	t.Helper()
	if err := c.WriteJSON(map[string]string{"type": "message", "text": text}); err != nil {
		t.Fatal(err)
	}
	_, st := untilStatus(t, c)
	return st
}

type transcript struct {
	Mode    string `json:"mode"`
	Stage   string `json:"stage"`
	Outcome struct {
		Type    string          `json:"type"`
		Amount  json.RawMessage `json:"amount"`
		DueDate string          `json:"due_date"`
	} `json:"outcome"`
	Transcript []struct {
		Seq  int64  `json:"seq"`
		From string `json:"from"`
		Text string `json:"text"`
	} `json:"transcript"`
}

type promises struct {
	Promises []struct {
		ID      string          `json:"id"`
		Amount  json.RawMessage `json:"amount"`
		DueDate string          `json:"due_date"`
	} `json:"promises"`
}

func crashAccount(id, name, dob string, now time.Time) map[string]any {
	return map[string]any{
		"id": id, "name": name, "date_of_birth": dob, "id_last4": "4417", "locale": "en-US",
		"timezone": "America/Chicago", "consent": map[string]bool{"chat": true, "recording": true},
		"debts": []map[string]any{{"id": id + "-d1", "creditor": "Demo Finance", "amount_due": 240.00,
			"currency": "USD", "due_date": now.AddDate(0, 0, -9).Format(time.DateOnly), "days_past_due": 9}},
	}
}

// TestServeSurvivesKill holds conversations against a real serve process,
// kills it with SIGKILL, restarts it on the same data, and checks that
// every acknowledged turn and the promise survived and that borrowers can
// reconnect with the same tokens and continue. Then SIGTERM drains it.
func TestServeSurvivesKill(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	p1 := startServe(t, bin, data)

	now := time.Now()
	body := map[string]any{"accounts": []any{
		crashAccount("crash-a", "Maria Lopez", "1988-07-21", now),
		crashAccount("crash-b", "James Carter", "1979-02-03", now),
	}}
	if code := p1.call("POST", "/v1/accounts", body, nil); code != 200 {
		t.Fatalf("POST /v1/accounts = %d", code)
	}
	var sa, sb struct{ Token, Conversation_ID string }
	if p1.call("POST", "/v1/sessions", map[string]string{"account_id": "crash-a", "channel": "chat"}, &sa) != 201 ||
		p1.call("POST", "/v1/sessions", map[string]string{"account_id": "crash-b", "channel": "chat"}, &sb) != 201 {
		t.Fatal("POST /v1/sessions failed")
	}

	// A reaches a recorded promise; B is verified and stops mid-way.
	ca := p1.dial(sa.Token)
	untilStatus(t, ca)
	say(t, ca, "07/21/1988")
	say(t, ca, "I can pay the full amount tomorrow")
	if st := say(t, ca, "yes"); st.Outcome != "ptp" {
		t.Fatalf("A did not reach a promise: %+v", st)
	}
	cb := p1.dial(sb.Token)
	untilStatus(t, cb)
	if st := say(t, cb, "02/03/1979"); st.Stage == "verify" {
		t.Fatalf("B not verified: %+v", st)
	}
	var beforeA, beforeB transcript
	var promA promises
	p1.call("GET", "/v1/conversations/"+sa.Conversation_ID, nil, &beforeA)
	p1.call("GET", "/v1/conversations/"+sb.Conversation_ID, nil, &beforeB)
	p1.call("GET", "/v1/accounts/crash-a/promises", nil, &promA)
	if len(promA.Promises) != 1 || beforeA.Outcome.Type != "ptp" {
		t.Fatalf("before the kill: promises %+v outcome %+v", promA, beforeA.Outcome)
	}

	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := p1.wait(30 * time.Second); !errors.As(err, &exitErr) {
		t.Fatalf("killed serve exited with %v", err)
	}

	p2 := startServe(t, bin, data)
	var afterA, afterB transcript
	var promA2 promises
	if p2.call("GET", "/v1/conversations/"+sa.Conversation_ID, nil, &afterA) != 200 ||
		p2.call("GET", "/v1/conversations/"+sb.Conversation_ID, nil, &afterB) != 200 ||
		p2.call("GET", "/v1/accounts/crash-a/promises", nil, &promA2) != 200 {
		t.Fatal("reads after restart failed")
	}
	if !sameJSON(beforeA, afterA) || !sameJSON(beforeB, afterB) {
		t.Errorf("transcripts changed across the kill:\nA before %+v\nA after  %+v\nB before %+v\nB after  %+v", beforeA, afterA, beforeB, afterB)
	}
	if !sameJSON(promA, promA2) {
		t.Errorf("promises changed across the kill: %+v -> %+v", promA, promA2)
	}

	// Same tokens, new process: the replay is the stored transcript.
	for _, c := range []struct {
		name  string
		token string
		want  transcript
	}{{"A", sa.Token, afterA}, {"B", sb.Token, afterB}} {
		conn := p2.dial(c.token)
		replay, st := untilStatus(t, conn)
		if len(replay) != len(c.want.Transcript) {
			t.Fatalf("%s: replay %d lines, transcript %d", c.name, len(replay), len(c.want.Transcript))
		}
		for i, f := range replay {
			w := c.want.Transcript[i]
			// The API withholds verification answers; the borrower's own
			// replay shows the borrower's words.
			withheld := w.From == "borrower" && strings.Contains(w.Text, "withheld")
			if f.Seq != w.Seq || f.From != w.From || (f.Text != w.Text && !withheld) {
				t.Errorf("%s: replay[%d] = %+v, want %+v", c.name, i, f, w)
			}
		}
		if st.Stage != c.want.Stage {
			t.Errorf("%s: stage %q after reconnect, want %q", c.name, st.Stage, c.want.Stage)
		}
		if c.name == "B" {
			say(t, conn, "I can pay the full amount tomorrow")
			if st := say(t, conn, "yes"); st.Outcome != "ptp" {
				t.Errorf("B could not continue to a promise: %+v", st)
			}
			var promB promises
			p2.call("GET", "/v1/accounts/crash-b/promises", nil, &promB)
			if len(promB.Promises) != 1 {
				t.Errorf("B promises after continuing: %+v", promB)
			}
			// SIGTERM drains: the open chat is closed with 1001 and the
			// process exits cleanly.
			if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, _, err := conn.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Errorf("chat during drain: %v, want close 1001", err)
			}
			if err := p2.wait(30 * time.Second); err != nil {
				t.Errorf("serve after SIGTERM: %v\n%s", err, p2.stderr.String())
			}
		}
	}
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestServeDemoPrintsURLAndKey runs `serve --demo` and reads the demo
// borrowers the chat page lists.
func TestServeDemoPrintsURLAndKey(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "COLLECT_API_KEY=", "COLLECT_TOKEN_SECRET=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var url, key string
	for (url == "" || key == "") && sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "chat page: "); ok {
			url = strings.TrimSuffix(u, "/")
		}
		if k, ok := strings.CutPrefix(line, "demo API key: "); ok {
			key = k
		}
	}
	if url == "" || key == "" {
		t.Fatalf("serve --demo printed no URL or key\n%s", stderr.String())
	}
	res, err := http.Get(url + "/demo/accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var demo struct {
		Accounts []struct{ ID, Name, Locale, Currency string } `json:"accounts"`
	}
	if err := json.NewDecoder(res.Body).Decode(&demo); err != nil {
		t.Fatal(err)
	}
	locales := map[string]bool{}
	names := []string{}
	for _, a := range demo.Accounts {
		locales[a.Locale] = true
		names = append(names, a.Name)
	}
	if !locales["en-US"] || !locales["zh-CN"] || !strings.Contains(fmt.Sprint(names), "王芳") || !strings.Contains(fmt.Sprint(names), "Maria Lopez") {
		t.Errorf("demo accounts = %+v", demo.Accounts)
	}
	req, _ := http.NewRequest("GET", url+"/v1/accounts/demo-maria", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != 200 {
		t.Errorf("printed demo API key refused: %d", res2.StatusCode)
	}
}

// TestServeSecondSignalExits: the first SIGTERM drains, waiting for a chat
// client that does not answer the close (close_grace is long here); the
// second exits at once with status 1.
func TestServeSecondSignalExits(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte("shutdown_timeout: 10m\nweb:\n  close_grace: 5m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "COLLECT_API_KEY="+crashKey, "COLLECT_TOKEN_SECRET="+crashSecret, "COLLECT_DEMO=false", "COLLECT_ADMIN_ADDR=127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(prefix string) string {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("serve exited before printing %q\n%s", prefix, stderr.String())
				}
				if rest, found := strings.CutPrefix(l, prefix); found {
					return rest
				}
			case <-timeout:
				t.Fatalf("no %q line\n%s", prefix, stderr.String())
			}
		}
	}
	p := &serveProc{t: t, cmd: cmd, url: strings.TrimSuffix(waitLine("chat page: "), "/"), stderr: &stderr}
	now := time.Now()
	if code := p.call("POST", "/v1/accounts", map[string]any{"accounts": []any{crashAccount("sig-a", "Maria Lopez", "1988-07-21", now)}}, nil); code != 200 {
		t.Fatalf("POST /v1/accounts = %d", code)
	}
	var s struct{ Token string }
	if p.call("POST", "/v1/sessions", map[string]string{"account_id": "sig-a"}, &s) != 201 {
		t.Fatal("no session")
	}
	c := p.dial(s.Token)
	untilStatus(t, c) // then stop reading: the close frame goes unanswered

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLine("draining")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("after a second SIGTERM: %v, want exit status 1", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit on the second signal\n%s", stderr.String())
	}
}

// TestServeAdminListener: the operators' endpoints answer on their own
// loopback listener, not on the public one even with the API key (issue
// 9.12).
func TestServeAdminListener(t *testing.T) {
	bin := buildBinary(t)
	p := startServe(t, bin, t.TempDir())
	if !strings.HasPrefix(p.admin, "http://127.0.0.1:") {
		t.Errorf("admin listener at %q, want loopback", p.admin)
	}
	if code := p.call("GET", "/debug/vars", nil, nil); code != http.StatusNotFound {
		t.Errorf("/debug/vars on the public listener: %d, want 404", code)
	}
	res, err := http.Get(p.admin + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/debug/vars on the admin listener: %d", res.StatusCode)
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.wait(30 * time.Second)
}
