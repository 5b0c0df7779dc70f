package web

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/accounts"
)

// The figures of docs/security.md. They run only with COLLECT_FIGURES=1
// (they take a minute and want an otherwise idle machine):
//
//	COLLECT_FIGURES=1 go test -run 'TestFigure' -v -count=1 ./web

func needFigures(t *testing.T) {
	if os.Getenv("COLLECT_FIGURES") == "" {
		t.Skip("set COLLECT_FIGURES=1 to measure the figures of docs/security.md")
	}
}

// figEnv is a server on a real listener with the defaults but for mod.
type figEnv struct {
	*testEnv
	base string
}

func newFigEnv(t *testing.T, mod func(*Config)) *figEnv {
	e := newEnv(t, mod)
	return &figEnv{testEnv: e, base: serveReal(t, e)}
}

// accounts makes n accounts and a session for each, returning the tokens.
func (e *figEnv) tokens(prefix string, n int) []string {
	var out []string
	for start := 0; start < n; start += 500 {
		var batch []accounts.Account
		for i := start; i < min(n, start+500); i++ {
			batch = append(batch, maria(fmt.Sprintf("%s-%d", prefix, i)))
		}
		e.addAccounts(batch...)
	}
	for i := range n {
		out = append(out, e.mint(fmt.Sprintf("%s-%d", prefix, i)).Token)
	}
	return out
}

// connect dials the chat from a loopback address and reads up to the
// first status frame; it returns the time that took (the greeting time),
// or the refusal's status.
func (e *figEnv) connect(local, token string, keep bool) (time.Duration, int, *websocket.Conn) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second,
		NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).DialContext}
	start := time.Now()
	c, res, err := d.Dial("ws"+strings.TrimPrefix(e.base, "http")+"/v1/chat?token="+token, nil)
	if err != nil {
		if res != nil {
			res.Body.Close()
			return 0, res.StatusCode, nil
		}
		return 0, -1, nil
	}
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	for {
		var f frame
		if err := c.ReadJSON(&f); err != nil {
			c.Close()
			return 0, -2, nil
		}
		if f.Type == FrameStatus {
			break
		}
	}
	d0 := time.Since(start)
	if !keep {
		c.Close()
		return d0, http.StatusSwitchingProtocols, nil
	}
	return d0, http.StatusSwitchingProtocols, c
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// stormRun measures the greeting time of 100 ordinary borrowers, each
// reconnecting every three seconds from 127.0.0.2, while (with rate > 0)
// 200 other conversations reconnect at rate connects a second from
// 127.0.1.1-127.0.1.50 for the same time.
func stormRun(t *testing.T, mod func(*Config), rate int, dur time.Duration) (greet []time.Duration, storm map[int]int) {
	e := newFigEnv(t, mod)
	others := e.tokens("other", 100)
	stormers := e.tokens("storm", 200)
	var mu sync.Mutex
	storm = map[int]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, tok := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread over the interval, as borrowers arrive.
			time.Sleep(time.Duration(i) * 3 * time.Second / time.Duration(len(others)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, code, _ := e.connect("127.0.0.2", tok, false)
				if code == http.StatusSwitchingProtocols {
					mu.Lock()
					greet = append(greet, d)
					mu.Unlock()
				}
				time.Sleep(3 * time.Second)
			}
		}()
	}
	if rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var inflight sync.WaitGroup
			defer inflight.Wait()
			start := time.Now()
			for i := 0; ; {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				// Catch up with the schedule: rate connects a second
				// however late this loop runs.
				for due := int(time.Since(start).Seconds() * float64(rate)); i < due; i++ {
					inflight.Add(1)
					go func(i int) {
						defer inflight.Done()
						_, code, _ := e.connect(fmt.Sprintf("127.0.1.%d", 1+i%50), stormers[i%len(stormers)], false)
						mu.Lock()
						storm[code]++
						mu.Unlock()
					}(i)
				}
			}
		}()
	}
	time.Sleep(dur)
	close(stop)
	wg.Wait()
	return greet, storm
}

// TestFigureReconnectStorm: the other borrowers' greeting time alone,
// during a 700/s reconnect storm with the default admission limits, and
// during the same storm with admission off.
func TestFigureReconnectStorm(t *testing.T) {
	needFigures(t)
	off := func(c *Config) {
		c.MaxConnsPerToken, c.MaxConnsPerAddress, c.MaxChatConns = 1<<20, 1<<20, 1<<20
		c.ConnectsPerSecond, c.ConnectBurst = 1e6, 1<<20
		c.ReconnectsPerMinute, c.ReconnectBurst = 1e6, 1<<20
	}
	for _, run := range []struct {
		name string
		mod  func(*Config)
		rate int
	}{
		{"alone", nil, 0},
		{"storm 700/s, default limits", nil, 700},
		{"storm 700/s, admission off", off, 700},
	} {
		greet, storm := stormRun(t, run.mod, run.rate, 10*time.Second)
		t.Logf("%s: other borrowers' greeting p50 %v p99 %v max %v (n=%d); storm connects by status %v",
			run.name, quantile(greet, 0.5).Round(time.Millisecond), quantile(greet, 0.99).Round(time.Millisecond),
			quantile(greet, 1).Round(time.Millisecond), len(greet), storm)
	}
}

// TestFigureRefusalPoint: with the default limits, chat connections from
// many addresses are opened one by one (under the connect pace) until the
// node answers 503; the count is MaxChatConns.
func TestFigureRefusalPoint(t *testing.T) {
	needFigures(t)
	d := DefaultConfig()
	e := newFigEnv(t, nil)
	toks := e.tokens("cap", d.MaxChatConns+10)
	var open []*websocket.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	var (
		mu              sync.Mutex
		refusedAt, code int
		next            int
	)
	start := time.Now()
	var wg sync.WaitGroup
	// Eight dialers, paced together under ConnectsPerSecond; each open
	// connection keeps a reader so it answers the server's pings.
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				if i >= len(toks) || code != 0 {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				if wait := time.Until(start.Add(time.Duration(float64(i) / (d.ConnectsPerSecond * 0.8) * float64(time.Second)))); wait > 0 {
					time.Sleep(wait)
				}
				_, st, c := e.connect(fmt.Sprintf("127.0.2.%d", 1+i%200), toks[i], true)
				mu.Lock()
				if st != http.StatusSwitchingProtocols {
					if code == 0 {
						refusedAt, code = len(open), st
					}
					mu.Unlock()
					return
				}
				open = append(open, c)
				mu.Unlock()
				go func() {
					for {
						if _, _, err := c.NextReader(); err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	wg.Wait()
	t.Logf("chat connections open when the node first refused: %d (status %d); MaxChatConns %d", refusedAt, code, d.MaxChatConns)
	if code != http.StatusServiceUnavailable || refusedAt != d.MaxChatConns {
		t.Errorf("refused at %d with %d, want 503 at %d", refusedAt, code, d.MaxChatConns)
	}
	// Beyond the chat cap, plain TCP connections up to MaxConns are
	// accepted and the next one is answered 503 on the socket.
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	var tcpRefused atomic.Int64
	host := strings.TrimPrefix(e.base, "http://")
	for i := len(open); i < d.MaxConns+5; i++ {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		idle = append(idle, c)
	}
	for _, c := range idle[len(idle)-10:] {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 12)
		if n, _ := c.Read(b); n == 12 && string(b) == "HTTP/1.1 503" {
			tcpRefused.Add(1)
		}
	}
	t.Logf("TCP connections beyond MaxConns (%d) answered 503: %d of the last 10 dialled", d.MaxConns, tcpRefused.Load())
}
