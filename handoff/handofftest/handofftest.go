// Package handofftest runs the handoff against real NATS servers in
// tests: an embedded JetStream server per test (restartable on the same
// store), or the external server named by COLLECT_TEST_NATS_URL under a
// prefix of its own that is deleted at cleanup. It also has the fake
// clock and the polling helper the tests use instead of sleeps.
package handofftest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Environment variables read by the helpers.
const (
	EnvNATSURL    = "COLLECT_TEST_NATS_URL"
	EnvRequireAll = "COLLECT_TEST_REQUIRE_ALL"
)

// Server is an embedded server that a test can stop and start again on
// the same store directory.
type Server struct {
	t   testing.TB
	cfg handoff.Config

	mu  sync.Mutex
	srv *server.Server
}

// Embedded starts an embedded JetStream server on a random port with its
// store in a temporary directory; it is shut down at cleanup.
func Embedded(t testing.TB) *Server {
	t.Helper()
	cfg := handoff.Config{Port: -1, StoreDir: t.TempDir()}
	s := &Server{t: t, cfg: cfg}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server (again).
func (s *Server) Start() {
	s.t.Helper()
	srv, err := handoff.StartEmbedded(s.cfg, nil)
	if err != nil {
		s.t.Fatalf("start embedded nats: %v", err)
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

// Stop shuts the server down and waits for it. Idempotent.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart stops the server and starts it on the same store.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

// NATS returns the running server.
func (s *Server) NATS() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Conn opens an in-process connection, closed at cleanup.
func (s *Server) Conn(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := handoff.Connect(context.Background(), s.cfg, s.NATS(), nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// ExternalURL returns COLLECT_TEST_NATS_URL, skipping the test when it is
// unset (failing it when COLLECT_TEST_REQUIRE_ALL=1).
func ExternalURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvNATSURL)
	if u == "" {
		if os.Getenv(EnvRequireAll) == "1" {
			t.Fatalf("%s is not set and %s=1", EnvNATSURL, EnvRequireAll)
		}
		t.Skipf("%s not set", EnvNATSURL)
	}
	return u
}

// ExternalConn connects to the external server, closed at cleanup.
func ExternalConn(t testing.TB) *nats.Conn {
	t.Helper()
	u := ExternalURL(t)
	nc, err := handoff.Connect(context.Background(), handoff.Config{URL: u}, nil, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", u, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// UniquePrefix is a subject prefix no other test uses.
func UniquePrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// Open opens a node on nc under cfg (a unique prefix when cfg has none).
// At cleanup it closes the node and, when destroy is set, deletes the
// prefix's streams (on a shared external server).
func Open(t testing.TB, nc *nats.Conn, cfg handoff.Config, deps handoff.Deps, destroy bool) *handoff.Node {
	t.Helper()
	if cfg.Prefix == "" {
		cfg.Prefix = UniquePrefix()
	}
	if destroy {
		// Registered first, so it runs last and also when Open fails
		// half-way.
		t.Cleanup(func() {
			if nc.IsClosed() {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			js, err := jetstream.New(nc)
			if err == nil {
				err = handoff.Destroy(ctx, js, cfg.Prefix)
			}
			if err != nil {
				t.Errorf("destroy %s: %v", cfg.Prefix, err)
			}
		})
	}
	n, err := handoff.Open(context.Background(), nc, cfg, deps)
	if err != nil {
		t.Fatalf("open handoff: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// Backend is a NATS server a test runs against.
type Backend struct {
	Name string
	// Conn opens a new connection to it (one per simulated node).
	Conn func(t testing.TB) *nats.Conn
	// Shared is true for the external server: tests delete their streams.
	Shared bool
}

// Backends returns the embedded server, and the external one when
// COLLECT_TEST_NATS_URL is set (or required).
func Backends(t testing.TB) []Backend {
	t.Helper()
	bs := []Backend{{Name: "embedded", Conn: Embedded(t).Conn}}
	if os.Getenv(EnvNATSURL) != "" || os.Getenv(EnvRequireAll) == "1" {
		ExternalURL(t)
		bs = append(bs, Backend{Name: "external", Conn: ExternalConn, Shared: true})
	}
	return bs
}

// WaitFor polls f every few milliseconds until it returns nil, failing
// the test with f's last error after total.
func WaitFor(t testing.TB, total time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	every := 2 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", total, err)
		}
		time.Sleep(every)
		every = min(every*2, 50*time.Millisecond)
	}
}

// Errorf is fmt.Errorf, for WaitFor conditions.
func Errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
