package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrAgentRevoked is a console token whose session was signed out,
// revoked by a supervisor, or whose user left the configuration.
var ErrAgentRevoked = errors.New("web: console session revoked")

// errSessionsUnavailable is a session that could not be checked (NATS
// unreachable): 503, retry.
var errSessionsUnavailable = errors.New("web: console sessions unavailable")

// CodeRevoked is the client code of a revoked console session.
const CodeRevoked = "session_revoked"

// consoleSession is the server-side record of one sign-in. A console
// token names its session; the token is honoured only while the record
// exists, so signing out or a revocation takes effect on every node at
// once.
type consoleSession struct {
	ID        string    `json:"id"`
	User      string    `json:"user"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// sessionBook keeps console sessions in a JetStream key-value bucket
// shared by every node (the console always has NATS: it needs the
// handoff). Entries expire with the bucket's MaxAge, the token lifetime.
type sessionBook struct {
	js   jetstream.JetStream
	name string
	ttl  time.Duration

	mu sync.Mutex // guards kv
	kv jetstream.KeyValue
}

var bucketClean = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func openSessionBook(ctx context.Context, js jetstream.JetStream, prefix string, ttl time.Duration) (*sessionBook, error) {
	b := &sessionBook{js: js, name: strings.ToUpper(bucketClean.ReplaceAllString(prefix, "_")) + "_CONSOLE_SESSIONS", ttl: ttl}
	if _, err := b.create(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// create makes the bucket (again: the NATS server may have lost it, and
// every session with it, which then signs in again).
func (b *sessionBook) create(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      b.name,
		Description: "console sign-ins, one key per session",
		History:     1,
		TTL:         b.ttl,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("console sessions bucket %s: %w", b.name, err)
	}
	b.mu.Lock()
	b.kv = kv
	b.mu.Unlock()
	return kv, nil
}

func (b *sessionBook) bucket() jetstream.KeyValue {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kv
}

// lost reports an error that means the bucket itself is gone.
func lost(err error) bool {
	return errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

func (b *sessionBook) put(ctx context.Context, s consoleSession) error {
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("console session: %w", err)
	}
	_, err = b.bucket().Put(ctx, s.ID, v)
	if lost(err) {
		var kv jetstream.KeyValue
		if kv, err = b.create(ctx); err == nil {
			_, err = kv.Put(ctx, s.ID, v)
		}
	}
	if err != nil {
		return fmt.Errorf("console session %s: %w", s.ID, err)
	}
	return nil
}

// get returns a live session; a missing one is ErrAgentRevoked.
func (b *sessionBook) get(ctx context.Context, id string, now time.Time) (consoleSession, error) {
	if id == "" {
		return consoleSession{}, ErrAgentRevoked
	}
	e, err := b.bucket().Get(ctx, id)
	if lost(err) {
		// The server lost its data: every session is gone with it.
		if _, cerr := b.create(ctx); cerr == nil {
			return consoleSession{}, ErrAgentRevoked
		}
	}
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return consoleSession{}, ErrAgentRevoked
	}
	if err != nil {
		return consoleSession{}, fmt.Errorf("console session %s: %w", id, err)
	}
	var s consoleSession
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		return consoleSession{}, fmt.Errorf("console session %s: %w", id, err)
	}
	if !now.Before(s.ExpiresAt) {
		return consoleSession{}, ErrAgentExpired
	}
	return s, nil
}

func (b *sessionBook) revoke(ctx context.Context, id string) error {
	if err := b.bucket().Purge(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !lost(err) {
		return fmt.Errorf("revoke console session %s: %w", id, err)
	}
	return nil
}

// list returns every session, newest first.
func (b *sessionBook) list(ctx context.Context) ([]consoleSession, error) {
	kv := b.bucket()
	keys, err := kv.ListKeys(ctx)
	if lost(err) {
		if kv, err = b.create(ctx); err == nil {
			keys, err = kv.ListKeys(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("console sessions: %w", err)
	}
	out := []consoleSession{}
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue // revoked meanwhile
		}
		var s consoleSession
		if json.Unmarshal(e.Value(), &s) == nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// reconcile brings the stored sessions in line with the configured
// users: a user no longer configured loses every session, a user whose
// role changed keeps them with the new role. Nodes call it at start; each
// request checks the same against the node's configuration anyway.
func (b *sessionBook) reconcile(ctx context.Context, users map[string]AgentUser) error {
	ss, err := b.list(ctx)
	if err != nil {
		return err
	}
	for _, s := range ss {
		u, ok := users[s.User]
		switch {
		case !ok:
			err = errors.Join(err, b.revoke(ctx, s.ID))
		case u.Role != s.Role || u.Name != s.Name:
			s.Role, s.Name = u.Role, u.Name
			err = errors.Join(err, b.put(ctx, s))
		}
	}
	return err
}

// session checks a request's console token against its session and the
// configuration: the role and name are the configuration's now, not the
// token's at sign-in.
func (c *console) session(ctx context.Context, tok string) (agentCtx, error) {
	now := c.s.clock.Now()
	cl, err := c.auth.signer.verify(tok, now)
	if err != nil {
		return agentCtx{}, err
	}
	s, err := c.sessions.get(ctx, cl.Session, now)
	if err != nil {
		if errors.Is(err, ErrAgentRevoked) || errors.Is(err, ErrAgentExpired) {
			return agentCtx{}, err
		}
		// NATS unreachable: the session cannot be checked, so it is not
		// taken on trust.
		return agentCtx{}, fmt.Errorf("%w: %w", errSessionsUnavailable, err)
	}
	u, ok := c.auth.users[cl.User]
	if !ok || s.User != cl.User {
		_ = c.sessions.revoke(context.WithoutCancel(ctx), s.ID)
		return agentCtx{}, ErrAgentRevoked
	}
	if u.Role != s.Role || u.Name != s.Name {
		s.Role, s.Name = u.Role, u.Name
		if err := c.sessions.put(ctx, s); err != nil {
			c.log.Warn("console session not updated", "err", err)
		}
	}
	cl.Role, cl.Name = u.Role, u.Name
	return agentCtx{cl}, nil
}

// signOut is POST /v1/agent/signout: the token's session ends on every
// node.
func (c *console) signOut(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if err := c.sessions.revoke(r.Context(), a.Session); err != nil {
		c.writeError(w, r, err)
		return
	}
	c.log.Info("console sign-out", "user", a.User)
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed_out"})
}

// listSessions is GET /v1/agent/sessions, for supervisors.
func (c *console) listSessions(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if !a.supervisor() {
		c.writeError(w, r, ErrRole)
		return
	}
	ss, err := c.sessions.list(r.Context())
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": ss})
}

// revokeSession is POST /v1/agent/sessions/{id}/revoke, for supervisors.
func (c *console) revokeSession(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if !a.supervisor() {
		c.writeError(w, r, ErrRole)
		return
	}
	id := r.PathValue("id")
	s, err := c.sessions.get(r.Context(), id, c.s.clock.Now())
	if errors.Is(err, ErrAgentRevoked) || errors.Is(err, ErrAgentExpired) {
		c.writeError(w, r, fmt.Errorf("session %s: %w", id, ErrNoRoute))
		return
	}
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	if err := c.sessions.revoke(r.Context(), id); err != nil {
		c.writeError(w, r, err)
		return
	}
	c.log.Info("console session revoked", "by", a.User, "user", s.User)
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
}

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "cs-" + hex.EncodeToString(b[:])
}
