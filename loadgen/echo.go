package loadgen

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// EchoServer is a bare gorilla/websocket echo server on a loopback port:
// every message is written back as it came. It is the ceiling a real
// server's figures are compared with.
type EchoServer struct {
	ln     net.Listener
	srv    *http.Server
	logger *slog.Logger
	served chan struct{}

	mu     sync.Mutex
	closed bool
	conns  map[*websocket.Conn]struct{}
	wg     sync.WaitGroup // echo loops
}

// StartEcho listens on 127.0.0.1 on a free port and serves until Close.
func StartEcho(logger *slog.Logger) (*EchoServer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("echo: listen: %w", err)
	}
	e := &EchoServer{
		ln:     ln,
		logger: logger,
		served: make(chan struct{}),
		conns:  make(map[*websocket.Conn]struct{}),
	}
	e.srv = &http.Server{Handler: http.HandlerFunc(e.handle), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(e.served)
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("echo server stopped", "err", err)
		}
	}()
	return e, nil
}

// URL is the server's base URL (http://127.0.0.1:port); any path upgrades.
func (e *EchoServer) URL() *url.URL {
	return &url.URL{Scheme: "http", Host: e.ln.Addr().String()}
}

var echoUpgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	// Loopback only and no cookies: any origin may connect.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (e *EchoServer) handle(w http.ResponseWriter, r *http.Request) {
	conn, err := echoUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		conn.Close()
		return
	}
	e.conns[conn] = struct{}{}
	e.wg.Add(1)
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.conns, conn)
		e.mu.Unlock()
		conn.Close()
		e.wg.Done()
	}()
	conn.SetReadLimit(4096)
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if err := conn.WriteMessage(kind, data); err != nil {
			return
		}
	}
}

// Close stops the server and every connection, and waits for them. It is
// safe to call more than once.
func (e *EchoServer) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	err := e.srv.Close()
	<-e.served
	e.wg.Wait()
	return err
}
