package loadgen

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the floor's SQLite driver, the one the server uses
)

// Floor stores.
const (
	FloorSQLite   = "sqlite"
	FloorPostgres = "postgres"
)

const (
	defaultFloorInserts = 5
	maxFloorInserts     = 100
	// floorLines is how many borrower messages a conversation has; the
	// floor answers the last one with the outcome the client waits for.
	floorLines = 3
)

// FloorConfig configures a floor server.
type FloorConfig struct {
	// Addr is the listen address; empty means 127.0.0.1 on a free port.
	Addr string
	// Store is FloorSQLite (default) or FloorPostgres.
	Store string
	// DSN is the SQLite database file (empty: a new file in a temporary
	// directory, removed on Close) or the PostgreSQL URL (required).
	DSN string
	// Inserts is the number of rows each turn's transaction inserts
	// (default 5).
	Inserts int
	Logger  *slog.Logger
}

func (c FloorConfig) withDefaults() FloorConfig {
	if c.Store == "" {
		c.Store = FloorSQLite
	}
	if c.Inserts == 0 {
		c.Inserts = defaultFloorInserts
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate names the first bad field by its loadgen flag.
func (c FloorConfig) Validate() error {
	c = c.withDefaults()
	switch c.Store {
	case FloorSQLite:
	case FloorPostgres:
		if c.DSN == "" {
			return fmt.Errorf("%w: floor-dsn: required for the postgres floor", ErrConfig)
		}
	default:
		return fmt.Errorf("%w: floor-store: want %s or %s, got %q", ErrConfig, FloorSQLite, FloorPostgres, c.Store)
	}
	if c.Inserts < 1 || c.Inserts > maxFloorInserts {
		return fmt.Errorf("%w: floor-inserts: must be 1..%d, got %d", ErrConfig, maxFloorInserts, c.Inserts)
	}
	return nil
}

// floorDB is where a floor server commits its turns.
type floorDB interface {
	// turn commits one transaction of n rows for a borrower message.
	turn(ctx context.Context, conv string, seq int, text string) error
	// accounts commits one transaction with a row per account.
	accounts(ctx context.Context, ids []string) error
	// rows counts the turn rows committed.
	rows(ctx context.Context) (int64, error)
	close() error
}

// FloorServer is the storage floor a real server is measured against: a bare
// gorilla/websocket server answering the load generator's API subset
// (POST /v1/accounts, POST /v1/sessions, GET /v1/chat, GET /readyz) that
// parses every frame and commits one transaction of Inserts rows per
// borrower message before it answers, and does nothing else.
type FloorServer struct {
	cfg    FloorConfig
	db     floorDB
	ln     net.Listener
	srv    *http.Server
	served chan struct{}

	mu       sync.Mutex
	closed   bool
	sessions map[string]string // token -> conversation id
	conns    map[*websocket.Conn]struct{}
	wg       sync.WaitGroup
}

// StartFloor opens the floor's store and serves until Close.
func StartFloor(ctx context.Context, cfg FloorConfig) (*FloorServer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var db floorDB
	var err error
	switch cfg.Store {
	case FloorPostgres:
		db, err = openFloorPostgres(ctx, cfg.DSN, cfg.Inserts)
	default:
		db, err = openFloorSQLite(ctx, cfg.DSN, cfg.Inserts)
	}
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		db.close()
		return nil, fmt.Errorf("floor: listen: %w", err)
	}
	f := &FloorServer{
		cfg: cfg, db: db, ln: ln,
		served:   make(chan struct{}),
		sessions: make(map[string]string),
		conns:    make(map[*websocket.Conn]struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /v1/accounts", f.handleAccounts)
	mux.HandleFunc("POST /v1/sessions", f.handleSession)
	mux.HandleFunc("GET /v1/chat", f.handleChat)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.served)
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("floor server stopped", "err", err)
		}
	}()
	return f, nil
}

// URL is the server's base URL.
func (f *FloorServer) URL() *url.URL {
	return &url.URL{Scheme: "http", Host: f.ln.Addr().String()}
}

// Rows counts the turn rows committed so far.
func (f *FloorServer) Rows(ctx context.Context) (int64, error) { return f.db.rows(ctx) }

// Close stops serving, waits for every chat and closes the store (a
// temporary SQLite file or PostgreSQL schema is removed). It is safe to
// call more than once.
func (f *FloorServer) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	err := f.srv.Close()
	<-f.served
	f.wg.Wait()
	return errors.Join(err, f.db.close())
}

func (f *FloorServer) handleAccounts(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Accounts []struct {
			ID string `json:"id"`
		} `json:"accounts"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&body); err != nil || len(body.Accounts) == 0 {
		http.Error(w, "bad accounts", http.StatusBadRequest)
		return
	}
	ids := make([]string, len(body.Accounts))
	for i, a := range body.Accounts {
		ids[i] = a.ID
	}
	if err := f.db.accounts(r.Context(), ids); err != nil {
		f.cfg.Logger.Error("floor: accounts", "err", err)
		http.Error(w, "store", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"imported":%d}`, len(ids))
}

func (f *FloorServer) handleSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AccountID string `json:"account_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body); err != nil || body.AccountID == "" {
		http.Error(w, "bad session", http.StatusBadRequest)
		return
	}
	token, conv := randomID(), randomID()
	f.mu.Lock()
	f.sessions[token] = conv
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(session{Token: token, ConversationID: conv})
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var floorUpgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func (f *FloorServer) handleChat(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	f.mu.Lock()
	conv, ok := f.sessions[token]
	delete(f.sessions, token)
	f.mu.Unlock()
	if !ok {
		http.Error(w, "unknown token", http.StatusUnauthorized)
		return
	}
	conn, err := floorUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		conn.Close()
		return
	}
	f.conns[conn] = struct{}{}
	f.wg.Add(1)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, conn)
		f.mu.Unlock()
		conn.Close()
		f.wg.Done()
	}()
	conn.SetReadLimit(4096)
	if err := f.answer(conn, "Hello.", Frame{Type: FrameStatus, Mode: "bot", Stage: "greeting"}); err != nil {
		return
	}
	for seq := 1; ; seq++ {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var in Frame
		if err := json.Unmarshal(data, &in); err != nil || in.Type != FrameMessage {
			_ = conn.WriteJSON(Frame{Type: FrameError, Code: "bad_frame", Message: "not a message frame"})
			return
		}
		if err := f.db.turn(r.Context(), conv, seq, in.Text); err != nil {
			f.cfg.Logger.Error("floor: turn", "err", err)
			_ = conn.WriteJSON(Frame{Type: FrameError, Code: "store", Message: "turn not stored"})
			return
		}
		st := Frame{Type: FrameStatus, Mode: "bot", Stage: "talk"}
		if seq >= floorLines {
			st = Frame{Type: FrameStatus, Mode: "ended", Stage: "closed", Outcome: "ptp"}
		}
		if err := f.answer(conn, "Noted: "+in.Text, st); err != nil || seq >= floorLines {
			return
		}
	}
}

// answer writes a bot message and a status frame.
func (f *FloorServer) answer(conn *websocket.Conn, text string, st Frame) error {
	if err := conn.WriteJSON(Frame{Type: FrameMessage, From: "bot", Text: text}); err != nil {
		return err
	}
	return conn.WriteJSON(st)
}

// floorSQLite is the SQLite floor: WAL, synchronous=NORMAL, one writer
// connection that every turn queues for.
type floorSQLite struct {
	db      *sql.DB
	ins     *sql.Stmt
	acct    *sql.Stmt
	inserts int
	tmpDir  string
}

func openFloorSQLite(ctx context.Context, path string, inserts int) (_ *floorSQLite, err error) {
	s := &floorSQLite{inserts: inserts}
	if path == "" {
		if s.tmpDir, err = os.MkdirTemp("", "loadgen-floor-"); err != nil {
			return nil, err
		}
		path = filepath.Join(s.tmpDir, "floor.db")
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	s.db, err = sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	s.db.SetMaxOpenConns(1) // one writer
	s.db.SetMaxIdleConns(1)
	s.db.SetConnMaxLifetime(0)
	for _, ddl := range []string{
		`CREATE TABLE IF NOT EXISTS floor_accounts (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS floor_turns (conv TEXT NOT NULL, seq INTEGER NOT NULL, part INTEGER NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)`,
	} {
		if _, err = s.db.ExecContext(ctx, ddl); err != nil {
			return nil, err
		}
	}
	if s.ins, err = s.db.PrepareContext(ctx, `INSERT INTO floor_turns (conv, seq, part, body, at) VALUES (?, ?, ?, ?, ?)`); err != nil {
		return nil, err
	}
	if s.acct, err = s.db.PrepareContext(ctx, `INSERT OR REPLACE INTO floor_accounts (id, created_at) VALUES (?, ?)`); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *floorSQLite) turn(ctx context.Context, conv string, seq int, text string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ins := tx.StmtContext(ctx, s.ins)
	at := time.Now().UnixNano()
	for part := range s.inserts {
		if _, err := ins.ExecContext(ctx, conv, seq, part, text, at); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func (s *floorSQLite) accounts(ctx context.Context, ids []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st := tx.StmtContext(ctx, s.acct)
	at := time.Now().UnixNano()
	for _, id := range ids {
		if _, err := st.ExecContext(ctx, id, at); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func (s *floorSQLite) rows(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM floor_turns`).Scan(&n)
	return n, err
}

func (s *floorSQLite) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.ins, s.acct} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.tmpDir != "" {
		errs = append(errs, os.RemoveAll(s.tmpDir))
	}
	return errors.Join(errs...)
}

// floorPostgres is the PostgreSQL floor: a connection pool, each turn's
// rows sent as one batch in one round trip and one implicit transaction.
type floorPostgres struct {
	pool    *pgxpool.Pool
	schema  string
	inserts int
}

func openFloorPostgres(ctx context.Context, dsn string, inserts int) (*floorPostgres, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	// A schema of its own, dropped on close, so a run leaves nothing behind.
	p := &floorPostgres{pool: pool, inserts: inserts, schema: "loadgen_floor_" + strconv.Itoa(os.Getpid()) + "_" + randomID()[:8]}
	schema := pgx.Identifier{p.schema}.Sanitize()
	for _, ddl := range []string{
		`CREATE SCHEMA ` + schema,
		`CREATE TABLE ` + schema + `.floor_accounts (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)`,
		`CREATE TABLE ` + schema + `.floor_turns (conv TEXT NOT NULL, seq INTEGER NOT NULL, part INTEGER NOT NULL, body TEXT NOT NULL, at BIGINT NOT NULL)`,
	} {
		if _, err := pool.Exec(ctx, ddl); err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

func (p *floorPostgres) table(name string) string {
	return pgx.Identifier{p.schema, name}.Sanitize()
}

func (p *floorPostgres) turn(ctx context.Context, conv string, seq int, text string) error {
	b := &pgx.Batch{}
	at := time.Now().UnixNano()
	q := `INSERT INTO ` + p.table("floor_turns") + ` (conv, seq, part, body, at) VALUES ($1, $2, $3, $4, $5)`
	for part := range p.inserts {
		b.Queue(q, conv, seq, part, text, at)
	}
	// A batch outside a transaction runs in one implicit transaction.
	return p.pool.SendBatch(ctx, b).Close()
}

func (p *floorPostgres) accounts(ctx context.Context, ids []string) error {
	at := time.Now().UnixNano()
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
	_, err = tx.CopyFrom(ctx, pgx.Identifier{p.schema, "floor_accounts"}, []string{"id", "created_at"},
		pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) { return []any{ids[i], at}, nil }))
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (p *floorPostgres) rows(ctx context.Context) (int64, error) {
	var n int64
	err := p.pool.QueryRow(ctx, `SELECT count(*) FROM `+p.table("floor_turns")).Scan(&n)
	return n, err
}

func (p *floorPostgres) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{p.schema}.Sanitize()+` CASCADE`)
	p.pool.Close()
	return err
}
