package web

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/collectagent/collectagent/ratelimit"
)

// Limits of the edge. docs/security.md gives the figures behind the
// defaults; every one is a field of Config.

// bodyLimit is the most a request to r may send: the bulk import gets
// MaxBody, sign-in a few KiB, everything else MaxSmallBody. Unknown routes
// get the small limit too.
func (s *Server) bodyLimit(r *http.Request) int64 {
	switch r.URL.Path {
	case "/v1/accounts":
		return s.cfg.MaxBody
	case "/v1/agent/signin":
		return s.cfg.MaxSignInBody
	}
	return s.cfg.MaxSmallBody
}

// limitBody refuses a body whose declared length is over the route's
// limit before anything reads it, and caps an undeclared (chunked) one
// while it is read.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	n := s.bodyLimit(r)
	if r.ContentLength > n {
		// The body stays unread: the connection cannot be reused.
		w.Header().Set("Connection", "close")
		s.writeError(w, r, ErrBodyTooLarge)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, n)
	return true
}

// semaphore bounds concurrent work without waiting: acquire fails at once
// when every slot is taken.
type semaphore chan struct{}

func (s semaphore) tryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s semaphore) release() { <-s }

// retryAfter sets the Retry-After header (whole seconds, at least 1).
func retryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int((d + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
}

// capListener refuses connections over its cap with a plain 503 written
// straight to the socket (nothing is read from it), so a flood of idle or
// slow connections cannot take every file descriptor from the borrowers
// already connected.
type capListener struct {
	net.Listener
	max  int64
	open atomic.Int64
	// refused counts connections turned away, for tests and /debug/vars.
	refused atomic.Int64
}

// overCapResponse is what a connection over the cap gets.
var overCapResponse = func() []byte {
	body := `{"error":{"code":"` + CodeOverCapacity + `","message":"too many connections; retry in a few seconds"}}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\n" +
		"Content-Type: application/json; charset=utf-8\r\n" +
		"Retry-After: 5\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.refused.Add(1)
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = c.Write(overCapResponse)
			_ = c.Close()
			continue
		}
		return &capConn{Conn: c, l: l}, nil
	}
}

type capConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *capConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// Admission refusals of the chat WebSocket. Each is an HTTP error before
// the upgrade, with Retry-After.
var (
	ErrTooManyForToken   = errors.New("web: too many connections for this session")
	ErrTooManyForAddress = errors.New("web: too many connections from this address")
	ErrOverCapacity      = errors.New("web: server at capacity")
)

// admission counts chat connections per conversation (one session token
// names one), per client address and in total, and paces new ones with a
// node-wide token bucket, so a reconnect storm is turned away cheaply
// (before any store read) instead of slowing every borrower down.
type admission struct {
	perToken, perAddr, total int

	mu     sync.Mutex // guards the rest
	tokens map[string]int
	addrs  map[string]int
	n      int
	rate   *ratelimit.Bucket
	// paces are each conversation's reconnect buckets: a client that
	// reconnects in a loop is turned away before it costs a store read.
	paces     map[string]*ratelimit.Bucket
	paceRate  float64
	paceBurst int
}

func newAdmission(cfg Config) *admission {
	return &admission{
		perToken: cfg.MaxConnsPerToken, perAddr: cfg.MaxConnsPerAddress, total: cfg.MaxChatConns,
		tokens: map[string]int{}, addrs: map[string]int{},
		rate:  ratelimit.New(cfg.ConnectsPerSecond, cfg.ConnectBurst, time.Now()),
		paces: map[string]*ratelimit.Bucket{}, paceRate: cfg.ReconnectsPerMinute / 60, paceBurst: cfg.ReconnectBurst,
	}
}

// admit takes a slot for a connection of conversation conv from addr, or
// says why not and when to try again. release gives the slot back.
func (a *admission) admit(conv, addr string) (release func(), retry time.Duration, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.n >= a.total:
		return nil, 5 * time.Second, ErrOverCapacity
	case a.tokens[conv] >= a.perToken:
		return nil, 10 * time.Second, ErrTooManyForToken
	case a.addrs[addr] >= a.perAddr:
		return nil, 10 * time.Second, ErrTooManyForAddress
	}
	// The paces use the wall clock: they limit work per real second.
	now := time.Now()
	p, ok := a.paces[conv]
	if !ok {
		if len(a.paces) > 100000 {
			// Bounded memory: forget every pace rather than grow; each
			// conversation gets its burst again at worst.
			clear(a.paces)
		}
		p = ratelimit.New(a.paceRate, a.paceBurst, now)
		a.paces[conv] = p
	}
	if !p.Peek(now) {
		return nil, time.Duration(float64(time.Second) / a.paceRate), ErrTooManyForToken
	}
	if !a.rate.Allow(now) {
		return nil, time.Second, ErrOverCapacity
	}
	p.Allow(now)
	a.n++
	a.tokens[conv]++
	a.addrs[addr]++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.n--
			if a.tokens[conv]--; a.tokens[conv] <= 0 {
				delete(a.tokens, conv)
			}
			if a.addrs[addr]--; a.addrs[addr] <= 0 {
				delete(a.addrs, addr)
			}
		})
	}, 0, nil
}
