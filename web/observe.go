package web

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Observer receives what the edge measures; the metrics package satisfies
// it. A nil Deps.Observer records nothing.
type Observer interface {
	// ObserveRequest is called once per request with its route pattern
	// ("GET /v1/accounts/{id}"), never the raw path.
	ObserveRequest(method, route string, status int, d time.Duration)
	// ObserveTurn is called once per borrower turn.
	ObserveTurn(channel, locale string, d time.Duration, ok bool)
}

// OpenChats is the number of chat WebSockets this node holds.
func (s *Server) OpenChats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// OpenConns is the number of TCP connections the listener holds.
func (s *Server) OpenConns() int64 {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return 0
	}
	return ln.open.Load()
}

// logged wraps one request: after it, the route's metrics and an
// info-level line with method, route, status and duration. The line never
// holds the path, query or body (ids and tokens stay out of the log).
func (s *Server) logged(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w}
	next(rec, r)
	d := time.Since(start)
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if s.observer != nil {
		s.observer.ObserveRequest(r.Method, route, status, d)
	}
	lvl := s.log.Info
	if route == "GET /healthz" || route == "GET /readyz" {
		lvl = s.log.Debug // probes every few seconds
	}
	lvl("http request", "component", "http", "method", r.Method, "route", route, "status", status, "duration_ms", float64(d.Microseconds())/1000)
}

// statusWriter remembers the status written. It passes Hijack (the chat
// WebSocket's upgrade) and Flush through, and Unwrap for
// http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("hijack: %T is not a Hijacker", w.ResponseWriter)
	}
	c, rw, err := h.Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
