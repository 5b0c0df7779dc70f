package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/telephony/voice"
)

// Deps are the server's collaborators, wired by cmd/collectagent.
type Deps struct {
	Store   store.Store
	Runtime *bot.Runtime
	Clock   clock.Clock  // nil means the system clock
	Logger  *slog.Logger // nil discards
	// Bridge, when set, carries the handoff to the borrower's chat: agent
	// messages and status over NATS (package live). Nil: no handoff.
	Bridge *live.Bridge
	// Observer receives request and turn measurements (metrics); nil
	// records none.
	Observer Observer
	// Metrics, when set, is served at /metrics on the admin listener
	// (AdminHandler).
	Metrics http.Handler
	// Voice, when set, takes calls at /v1/voice and serves their
	// recordings; nil: no voice calls on this node.
	Voice *voice.Service
	// Retention serves legal holds and erasure requests; nil: one on
	// Store with the default configuration (it does not purge here).
	Retention *retention.Service
}

// Server serves the API, the chat WebSocket and the chat page. It is an
// http.Handler; Serve runs it on a listener and Shutdown drains it.
type Server struct {
	cfg       Config
	store     store.Store
	rt        *bot.Runtime
	live      *live.Hub    // the borrowers' live connections
	observer  Observer     // nil records nothing
	metrics   http.Handler // nil: no /metrics
	retention *retention.Service
	voice     *voice.Service // nil: no calls
	clock     clock.Clock
	log       *slog.Logger
	tokens    tokenSigner
	keys      [][]byte
	demo      map[string]bool // demo account ids; nil means all
	mux       *http.ServeMux
	console   *console // nil without console users (console.go)
	admit     *admission
	signIns   semaphore // sign-ins being checked

	mu       sync.Mutex // guards conns, draining, httpSrv, ln
	ln       *capListener
	conns    map[*chatConn]struct{}
	calls    []context.CancelFunc // voice calls in progress (voice.go)
	draining bool
	httpSrv  *http.Server
	handlers sync.WaitGroup // chat handlers in flight
}

// New checks cfg (after defaults) and deps and returns a server.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Runtime == nil {
		return nil, fmt.Errorf("%w: store and runtime are required", ErrBadConfig)
	}
	s := &Server{
		cfg:      cfg,
		store:    deps.Store,
		rt:       deps.Runtime,
		observer: deps.Observer,
		metrics:  deps.Metrics,
		voice:    deps.Voice,
		clock:    deps.Clock,
		log:      deps.Logger,
		conns:    make(map[*chatConn]struct{}),
		admit:    newAdmission(cfg),
		signIns:  make(semaphore, cfg.MaxSignIns),
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.retention = deps.Retention
	if s.retention == nil {
		rs, err := retention.New(retention.DefaultConfig(), retention.Deps{Store: deps.Store, Clock: s.clock, Logger: s.log})
		if err != nil {
			return nil, err
		}
		s.retention = rs
	}
	secret := []byte(cfg.TokenSecret)
	if len(secret) == 0 {
		// Demo only (Validate requires a secret otherwise): tokens die
		// with the process.
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("token secret: %w", err)
		}
	}
	hub, err := live.New(live.Config{TurnTimeout: cfg.TurnTimeout, RatePerSecond: cfg.RatePerSecond, RateBurst: cfg.RateBurst},
		live.Deps{Runtime: deps.Runtime, Bridge: deps.Bridge, Clock: s.clock, Logger: s.log, Observer: s.observer})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	s.live = hub
	s.tokens = tokenSigner{secret: secret}
	for _, k := range cfg.APIKeys {
		s.keys = append(s.keys, []byte(k))
	}
	if len(cfg.DemoAccounts) > 0 {
		s.demo = make(map[string]bool, len(cfg.DemoAccounts))
		for _, id := range cfg.DemoAccounts {
			s.demo[id] = true
		}
	}
	c, err := newConsole(s, cfg.Console, deps.Bridge, secret)
	if err != nil {
		return nil, err
	}
	s.console = c
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("POST /v1/accounts", s.authed(s.postAccounts))
	m.Handle("GET /v1/accounts/{id}", s.authed(s.getAccount))
	m.Handle("GET /v1/accounts/{id}/promises", s.authed(s.getPromises))
	m.Handle("GET /v1/accounts/{id}/plans", s.authed(s.getPlans))
	m.Handle("GET /v1/accounts/{id}/statements", s.authed(s.getStatements))
	m.Handle("POST /v1/accounts/{id}/statements/{sid}/clear", s.authed(s.clearStatement))
	m.Handle("GET /v1/accounts/{id}/holds", s.authed(s.getHolds))
	m.Handle("POST /v1/accounts/{id}/holds", s.authed(s.postHold))
	m.Handle("POST /v1/accounts/{id}/holds/{hid}/release", s.authed(s.releaseHold))
	m.Handle("POST /v1/accounts/{id}/erasure", s.authed(s.postErasure))
	m.Handle("POST /v1/sessions", s.authed(s.postSession))
	m.Handle("GET /v1/conversations/{id}", s.authed(s.getConversation))
	m.HandleFunc("GET /v1/chat", s.chat)
	m.HandleFunc("GET /v1/voice", s.voiceCall)
	m.Handle("GET /v1/conversations/{id}/recordings", s.authed(s.getRecordings))
	m.Handle("GET /v1/conversations/{id}/recordings/{name}", s.authed(s.getRecording))
	// The API's own description (openapi.go). Metrics, expvar and pprof
	// are on the admin listener (AdminHandler), not here.
	m.HandleFunc("GET /v1/openapi.yaml", s.openAPI)
	m.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, ErrNoRoute) })
	// A known path with another method is a JSON 405, not the mux's text.
	for path, allow := range map[string]string{
		"/healthz": "GET", "/readyz": "GET", "/v1/accounts": "POST", "/v1/accounts/{id}": "GET",
		"/v1/accounts/{id}/promises": "GET", "/v1/accounts/{id}/plans": "GET", "/v1/sessions": "POST",
		"/v1/conversations/{id}": "GET", "/v1/chat": "GET", "/v1/openapi.yaml": "GET",
		"/v1/voice": "GET", "/v1/conversations/{id}/recordings": "GET", "/v1/conversations/{id}/recordings/{name}": "GET",
	} {
		if allow == "GET" {
			allow = "GET, HEAD"
		}
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, ErrMethod)
		})
	}
	if s.cfg.Demo {
		m.HandleFunc("GET /demo/accounts", s.demoAccounts)
		m.HandleFunc("POST /demo/sessions", s.demoSession)
	}
	s.registerConsole(m)
	m.Handle("/", s.page())
	s.mux = m
}

// AdminHandler serves the operators' endpoints: Prometheus metrics
// (/metrics, when Deps.Metrics is set), process and model metrics
// (expvar: memstats, "llm" when a model is configured) and pprof. They
// show the process's command line and memory, so they are served on their
// own listener (Config.AdminAddr, loopback by default), never on the
// public one; with an AdminKey they also need it as a bearer token.
func (s *Server) AdminHandler() http.Handler {
	m := http.NewServeMux()
	if s.metrics != nil {
		m.Handle("GET /metrics", s.metrics)
	}
	m.Handle("GET /debug/vars", expvar.Handler())
	m.HandleFunc("GET /debug/pprof/", pprof.Index)
	m.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	m.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	key := []byte(s.cfg.AdminKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(key) > 0 {
			got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), key) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="collectagent admin"`)
				s.writeError(w, r, ErrUnauthorized)
				return
			}
		}
		m.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.logged(w, r, func(w http.ResponseWriter, r *http.Request) {
		if !s.limitBody(w, r) {
			return
		}
		if err := checkRequestText(r.URL.Path, r.URL.RawQuery, r.URL.Query()); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Serve accepts connections on ln until Shutdown. It returns
// http.ErrServerClosed after a Shutdown.
//
// The listener is capped at MaxConns connections; slow clients are cut
// off by the read, write and idle timeouts. A chat WebSocket clears the
// deadlines it inherits from the request when it is upgraded and keeps
// its own (PongWait, WriteWait).
func (s *Server) Serve(ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	cl := &capListener{Listener: ln, max: int64(s.cfg.MaxConns)}
	ln = cl
	s.mu.Lock()
	s.ln = cl
	if s.draining {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.httpSrv = hs
	s.mu.Unlock()
	return hs.Serve(ln)
}

// Shutdown drains the server: it stops accepting connections, lets every
// chat turn in progress finish and deliver its replies, closes each chat
// connection with 1001 (going away), and waits for the handlers. When ctx
// ends first, the remaining connections are dropped. Shutdown is
// idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	hs := s.httpSrv
	s.mu.Unlock()

	var errs []error
	if hs != nil {
		// Hijacked WebSocket connections are not tracked by http.Server;
		// it only stops the listener and idle HTTP connections here.
		if err := hs.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	s.live.Drain()
	// Calls were told to go away too (live.Output.GoAway): each says
	// goodbye and hangs up. Those still up after the grace (at most half
	// the time left) are cut.
	grace := callGoodbyeGrace
	if dl, ok := ctx.Deadline(); ok {
		grace = min(grace, time.Until(dl)/2)
	}
	cut := time.AfterFunc(grace, s.endCalls)
	defer cut.Stop()
	waited := make(chan struct{})
	go func() { s.handlers.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		s.endCalls()
		s.mu.Lock()
		for c := range s.conns {
			c.ws.NetConn().Close()
		}
		s.mu.Unlock()
		<-waited
		errs = append(errs, fmt.Errorf("chat drain: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// track registers a chat connection; it fails once draining started.
func (s *Server) track(c *chatConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.conns[c] = struct{}{}
	s.handlers.Add(1)
	return true
}

func (s *Server) untrack(c *chatConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.handlers.Done()
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.isDraining() {
		s.writeError(w, r, ErrShuttingDown)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readyz: store ping failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": apiError{Code: CodeUnavailable, Message: "store unavailable"}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// authed requires a configured API key as a bearer token.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		key, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !s.validKey([]byte(strings.TrimSpace(key))) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="collectagent"`)
			s.writeError(w, r, ErrUnauthorized)
			return
		}
		h(w, r)
	})
}

func (s *Server) validKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	found := 0
	for _, want := range s.keys {
		found |= subtle.ConstantTimeCompare(k, want)
	}
	return found == 1
}

// writeError writes err as {"error":{...}} with the status classify picks.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a := classify(err)
	if a.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.Debug("request rejected", "method", r.Method, "path", r.URL.Path, "code", a.Code, "err", err)
	}
	writeJSON(w, a.Status, map[string]any{"error": a})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeJSON reads r's body into v, bounded by MaxBody.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrBodyTooLarge
		}
		return fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	// The decoder would quietly turn bytes that are not UTF-8 into U+FFFD.
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: the body is not UTF-8", ErrBadJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrBodyTooLarge
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%w: field %s: want %s", ErrBadJSON, te.Field, te.Type)
		}
		return fmt.Errorf("%w: %s", ErrBadJSON, jsonErrText(err))
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON value", ErrBadJSON)
	}
	return checkText(v)
}

// jsonErrText keeps the decoder's message but not its package prefix.
func jsonErrText(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
