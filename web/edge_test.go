package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/collectagent/collectagent/logmask"
)

// serveReal runs e's server on a real listener through Server.Serve (the
// timeouts and the connection cap live there, not in httptest) and
// returns its base URL. e's cleanup shuts it down.
func serveReal(t testing.TB, e *testEnv) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.srv.Shutdown(ctx)
		<-done
	})
	return "http://" + ln.Addr().String()
}

// heapWatch samples the heap in use while a test runs and reports the
// peak above where it started.
type heapWatch struct {
	stop  chan struct{}
	done  chan struct{}
	base  uint64
	peak  atomic.Uint64
	alloc uint64
}

func watchHeap() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h := &heapWatch{stop: make(chan struct{}), done: make(chan struct{}), base: ms.HeapInuse, alloc: ms.TotalAlloc}
	go func() {
		defer close(h.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// end returns the peak heap growth and the bytes allocated meanwhile.
func (h *heapWatch) end() (peak, allocated uint64) {
	close(h.stop)
	<-h.done
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := h.peak.Load()
	if p < h.base {
		p = h.base
	}
	return p - h.base, ms.TotalAlloc - h.alloc
}

// zeroReader is an endless body of "a"s (no length: sent chunked).
type zeroReader struct{ left int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	z.left -= n
	return int(n), nil
}

// TestSignInOversizedBodies is the memory attack of issue 9.1: 40
// parallel 16 MiB sign-ins, half with a declared length and half chunked.
// Each is refused (413, or 429/503 once the address's allowance or the
// concurrency cap is spent) having read at most a few KiB, so the heap
// barely moves. Before the limits it grew by hundreds of MiB.
func TestSignInOversizedBodies(t *testing.T) {
	e := newConsoleEnv(t)
	const parallel, size = 40, 16 << 20
	prefix := []byte(`{"user":"ann","password":"`)
	h := watchHeap()
	var wg sync.WaitGroup
	codes := make([]int, parallel)
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body io.Reader = io.MultiReader(bytes.NewReader(prefix), &zeroReader{left: size})
			req, _ := http.NewRequest("POST", e.ts.URL+"/v1/agent/signin", body)
			if i%2 == 0 {
				req.ContentLength = int64(len(prefix)) + size
			}
			req.Header.Set("Content-Type", "application/json")
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			res, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
			if err != nil {
				// The server answered and closed before the client had
				// written its 16 MiB: a refusal too.
				codes[i] = -1
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes[i] = res.StatusCode
		}()
	}
	wg.Wait()
	peak, allocated := h.end()
	t.Logf("40 parallel 16 MiB sign-ins: peak heap growth %.1f MiB, allocated %.1f MiB, statuses %v",
		float64(peak)/(1<<20), float64(allocated)/(1<<20), codes)
	for i, c := range codes {
		switch c {
		case -1, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		default:
			t.Errorf("request %d: status %d, want a refusal", i, c)
		}
	}
	if allocated > 64<<20 {
		t.Errorf("the server allocated %d MiB for 40 refused sign-ins, want under 64", allocated>>20)
	}
	// A reasonable sign-in still works afterwards (from another test
	// address the allowance is not spent; here the burst may be).
	e.clock.Advance(10 * time.Minute)
	e.signIn("ann")
}

// TestBodyLimitsPerRoute: each endpoint refuses a body over what it
// accepts, by declared length before reading, with 413 too_large.
func TestBodyLimitsPerRoute(t *testing.T) {
	e := newEnv(t, nil)
	big := `{"account_id":"` + strings.Repeat("x", 70<<10) + `"}`
	code, b := e.do("POST", "/v1/sessions", big, testKey)
	if code != http.StatusRequestEntityTooLarge || decodeError(t, b).Error.Code != CodeTooLarge {
		t.Errorf("70 KiB session request: %d %s, want 413 too_large", code, b)
	}
	// The bulk import keeps its larger limit.
	code, b = e.do("POST", "/v1/accounts", `{"accounts":[`+strings.Repeat(" ", 100<<10)+`]}`, testKey)
	if code == http.StatusRequestEntityTooLarge {
		t.Errorf("100 KiB import refused: %s", b)
	}
}

// TestSignInTimingHidesUserNames: an unknown user name costs what a wrong
// password for a real one costs (issue 9.5), with hashes at the default
// cost as production makes them.
func TestSignInTimingHidesUserNames(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("real-password-1"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	e := newConsoleEnv(t, func(c *Config) {
		c.Console.Users = append(c.Console.Users, AgentUser{ID: "dee", Name: "Dee", Role: RoleAgent, PasswordHash: string(h)})
		c.Console.SignInBurst = 100
	})
	median := func(user string) time.Duration {
		var ds []time.Duration
		for range 5 {
			start := time.Now()
			code, _ := e.call("POST", "/v1/agent/signin", "", map[string]string{"user": user, "password": "wrong-password"})
			ds = append(ds, time.Since(start))
			if code != http.StatusUnauthorized {
				t.Fatalf("sign-in as %s: %d, want 401", user, code)
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	known, unknown := median("dee"), median("nobody-here")
	t.Logf("wrong password for a real user: %v; unknown user: %v", known, unknown)
	if unknown < known/2 || unknown > known*2 {
		t.Errorf("unknown user takes %v, a real one %v: the difference tells names apart", unknown, known)
	}
}

// signInFrom signs in from a given loopback address (127.0.0.x), so tests
// can be two clients.
func signInFrom(t *testing.T, e *consoleEnv, local, user, password string) int {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	body := fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)
	res, err := (&http.Client{Transport: tr}).Post(e.ts.URL+"/v1/agent/signin", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// TestSignInLockoutIsPerAddress: an attacker guessing ann's password from
// one address is throttled, and ann still signs in from hers (issue 9.5).
func TestSignInLockoutIsPerAddress(t *testing.T) {
	e := newConsoleEnv(t)
	throttled := false
	for range 12 {
		if signInFrom(t, e, "127.0.0.2", "ann", "guess") == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("12 wrong passwords from one address were never throttled")
	}
	if code := signInFrom(t, e, "127.0.0.3", "ann", "ann-secret-1"); code != http.StatusOK {
		t.Errorf("ann from her own address after the attack: %d, want 200", code)
	}
}

// TestSlowBodyIsCutOff: a client that sends headers and then trickles
// nothing is disconnected after ReadTimeout (issue 9.2).
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ReadHeaderTimeout = 200 * time.Millisecond; c.ReadTimeout = 300 * time.Millisecond })
	base := serveReal(t, e)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", testKey)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the slow request was still open after %v", time.Since(start))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cut off after %v, want about the read timeout", d)
	}
}

// TestConnectionCap: idle connections beyond MaxConns are answered 503
// with Retry-After and closed; the node serves again once they go
// (issue 9.2).
func TestConnectionCap(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConns = 20 })
	base := serveReal(t, e)
	addr := strings.TrimPrefix(base, "http://")
	var idle []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("21st connection: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	c.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || decodeError(t, b).Error.Code != CodeOverCapacity {
		t.Errorf("21st connection: %d %v %s, want 503 over_capacity with Retry-After", res.StatusCode, res.Header, b)
	}
	for _, c := range idle {
		c.Close()
	}
	waitFor(t, 5*time.Second, func() bool {
		tr := &http.Transport{DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		res, err := (&http.Client{Transport: tr}).Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// waitFor polls ok until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dialFrom dials the chat from a loopback address.
func (e *testEnv) dialFrom(local, token string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).DialContext}
	c, res, err := d.Dial(e.wsURL(token), nil)
	if err == nil {
		e.t.Cleanup(func() { c.Close() })
		// The greeting is sent before the status: read up to it so the
		// connection is fully open.
		untilStatus(e.t, c)
	}
	return c, res, err
}

func refusal(t *testing.T, res *http.Response, err error) (int, string, string) {
	t.Helper()
	if err == nil {
		t.Fatal("connected, want a refusal")
	}
	if res == nil {
		t.Fatalf("no HTTP response: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, decodeError(t, b).Error.Code, res.Header.Get("Retry-After")
}

// TestChatAdmission: connections are capped per session token, per client
// address and per node, each refusal a clear status with Retry-After
// before the upgrade (issue 9.3).
func TestChatAdmission(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConnsPerToken = 2; c.MaxConnsPerAddress = 3; c.MaxChatConns = 4 })
	var toks []string
	for i := range 5 {
		id := fmt.Sprintf("adm-%d", i)
		e.addAccounts(maria(id))
		toks = append(toks, e.mint(id).Token)
	}
	// Per token.
	for range 2 {
		if _, _, err := e.dialFrom("127.0.0.1", toks[0]); err != nil {
			t.Fatal(err)
		}
	}
	c, res, err := e.dialFrom("127.0.0.1", toks[0])
	if err == nil {
		c.Close()
	}
	if code, ec, ra := refusal(t, res, err); code != http.StatusTooManyRequests || ec != CodeTooManyConns || ra == "" {
		t.Errorf("third connection of one token: %d %s Retry-After %q, want 429 %s with Retry-After", code, ec, ra, CodeTooManyConns)
	}
	// Per address: two open from 127.0.0.1, the third of another token
	// is the last one allowed.
	if _, _, err := e.dialFrom("127.0.0.1", toks[1]); err != nil {
		t.Fatal(err)
	}
	_, res, err = e.dialFrom("127.0.0.1", toks[2])
	if code, ec, _ := refusal(t, res, err); code != http.StatusTooManyRequests || ec != CodeTooManyConns {
		t.Errorf("fourth connection from one address: %d %s, want 429", code, ec)
	}
	// Per node: a fourth from elsewhere fills it, a fifth is 503.
	if _, _, err := e.dialFrom("127.0.0.5", toks[3]); err != nil {
		t.Fatal(err)
	}
	_, res, err = e.dialFrom("127.0.0.6", toks[4])
	if code, ec, ra := refusal(t, res, err); code != http.StatusServiceUnavailable || ec != CodeOverCapacity || ra == "" {
		t.Errorf("connection over the node's cap: %d %s Retry-After %q, want 503 %s with Retry-After", code, ec, ra, CodeOverCapacity)
	}
}

// TestChatConnectPace: a burst of connects beyond ConnectBurst is turned
// away with 503 and Retry-After before any store work, and one session
// reconnecting in a loop gets 429 past its own burst (issue 9.3).
func TestChatConnectPace(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ConnectsPerSecond = 1; c.ConnectBurst = 3 })
	var toks []string
	for i := range 6 {
		id := fmt.Sprintf("pace-%d", i)
		e.addAccounts(maria(id))
		toks = append(toks, e.mint(id).Token)
	}
	refused := 0
	for _, tok := range toks {
		c, res, err := e.dial(tok, nil)
		if err == nil {
			c.Close()
			continue
		}
		if code, ec, ra := refusal(t, res, err); code == http.StatusServiceUnavailable && ec == CodeOverCapacity && ra != "" {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("6 connects against a burst of 3: %d refused with 503, want 3", refused)
	}

	loop := newEnv(t, func(c *Config) { c.ReconnectsPerMinute = 1; c.ReconnectBurst = 2 })
	loop.addAccounts(maria("loop"))
	tok := loop.mint("loop").Token
	for range 2 {
		c := loop.mustDial(tok)
		c.Close()
	}
	c, res, err := loop.dial(tok, nil)
	if err == nil {
		c.Close()
	}
	if code, ec, ra := refusal(t, res, err); code != http.StatusTooManyRequests || ec != CodeTooManyConns || ra == "" {
		t.Errorf("third reconnect within the burst of 2: %d %s Retry-After %q, want 429 %s", code, ec, ra, CodeTooManyConns)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
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

// captureLogs makes the servers t starts log, at debug level, through
// the process's masking rule into the returned buffer.
func captureLogs(t *testing.T) *syncBuffer {
	buf := &syncBuffer{}
	logSinks.Store(t, slog.New(logmask.Handler(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	t.Cleanup(func() { logSinks.Delete(t) })
	return buf
}

// TestLogsMaskAccountIDs: the web layer and the runtime log an account by
// the same masked reference, never in full (issue 9.15).
func TestLogsMaskAccountIDs(t *testing.T) {
	logs := captureLogs(t)
	e := newEnv(t, nil)
	const id = "acct-private-7731"
	e.addAccounts(maria(id))
	s := e.mint(id)
	c := e.mustDial(s.Token)
	untilStatus(t, c)
	say(t, c, "07/21/1988")
	c.Close()
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "chat ") })
	out := logs.String()
	if strings.Contains(out, id) {
		t.Errorf("a log line names %s in full:\n%s", id, grepLines(out, id))
	}
	if !strings.Contains(out, "account=***7731") {
		t.Errorf("no masked account reference in the logs:\n%s", out)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
