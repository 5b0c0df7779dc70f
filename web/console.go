package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/redact"
	"github.com/collectagent/collectagent/store"
)

// Client-visible error codes of the console (docs/console.md).
const (
	CodeSignIn      = "signin_failed"
	CodeRole        = "forbidden_role"
	CodeNotClaimant = "not_claimant"
	CodeClaimed     = "claimed"
	CodeFinished    = "finished"
	CodeWrongMode   = "wrong_mode"
	CodeBlocked     = "blocked"
	CodeOffPolicy   = "off_policy"
	CodeNotVerified = "not_allowed"
)

// console serves the agent console: its page, API and WebSocket.
type console struct {
	s        *Server
	cfg      ConsoleConfig
	auth     *agentAuth
	sessions *sessionBook
	node     *handoff.Node
	q        *handoff.Queue
	deliver  func(ctx context.Context, convID string, out bot.Output) error
	log      *slog.Logger
}

// newConsole returns the console over the chat's handoff bridge, or nil
// (console off) when no user is configured. Users without a bridge (no
// NATS, no queue) are a configuration error.
func newConsole(s *Server, cfg ConsoleConfig, b *live.Bridge, secret []byte) (*console, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Users) == 0 {
		return nil, nil
	}
	if b == nil || b.Queue() == nil {
		return nil, fmt.Errorf("%w: web.console.users: the agent console needs the handoff (a bridge with a queue)", ErrBadConfig)
	}
	auth, err := newAgentAuth(cfg, secret)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	book, err := openSessionBook(ctx, b.Node().JetStream(), b.Node().Config().Prefix, cfg.TokenTTL)
	if err != nil {
		return nil, err
	}
	c := &console{s: s, cfg: cfg, auth: auth, sessions: book, node: b.Node(), q: b.Queue(), deliver: b.Deliver, log: s.log.With("component", "console")}
	// A configuration change (a user removed or given another role)
	// applies to the sessions already open.
	if err := book.reconcile(ctx, auth.users); err != nil {
		c.log.Warn("console sessions not reconciled with the configuration", "err", err)
	}
	return c, nil
}

// registerConsole adds the console's routes to m. Without a console they
// answer 404, so the page never half-works.
func (s *Server) registerConsole(m *http.ServeMux) {
	c := s.console
	if c == nil {
		m.HandleFunc("/agent", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, ErrNoRoute) })
		return
	}
	m.HandleFunc("GET /agent", c.page)
	m.HandleFunc("POST /v1/agent/signin", c.signIn)
	m.HandleFunc("POST /v1/agent/signout", c.authed(c.signOut))
	m.HandleFunc("GET /v1/agent/sessions", c.authed(c.listSessions))
	m.HandleFunc("POST /v1/agent/sessions/{id}/revoke", c.authed(c.revokeSession))
	m.HandleFunc("GET /v1/agent/me", c.authed(c.me))
	m.HandleFunc("GET /v1/agent/queue", c.authed(c.queue))
	m.HandleFunc("GET /v1/agent/cases/{id}", c.authed(c.caseDetail))
	m.HandleFunc("POST /v1/agent/cases/{id}/claim", c.authed(c.claim))
	m.HandleFunc("POST /v1/agent/cases/{id}/renew", c.authed(c.renew))
	m.HandleFunc("POST /v1/agent/cases/{id}/release", c.authed(c.release))
	m.HandleFunc("POST /v1/agent/cases/{id}/check", c.authed(c.check))
	m.HandleFunc("POST /v1/agent/cases/{id}/messages", c.authed(c.say))
	m.HandleFunc("POST /v1/agent/cases/{id}/record", c.authed(c.record))
	m.HandleFunc("POST /v1/agent/cases/{id}/handback", c.authed(c.handBack))
	m.HandleFunc("POST /v1/agent/cases/{id}/close", c.authed(c.close))
	m.HandleFunc("GET /v1/agent/conversations", c.authed(c.conversations))
	m.HandleFunc("GET /v1/agent/conversations/{id}", c.authed(c.conversation))
	m.HandleFunc("GET /v1/agent/callbacks", c.authed(c.callbacks))
	m.HandleFunc("POST /v1/agent/callbacks/{id}/done", c.authed(c.callbackDone))
	m.HandleFunc("GET /v1/agent/accounts/{id}/verification", c.authed(c.verificationStatus))
	m.HandleFunc("POST /v1/agent/accounts/{id}/verification/unlock", c.authed(c.unlockVerification))
	m.HandleFunc("GET /v1/agent/ws", c.ws)
	// A known path with another method is a JSON 405, as for the rest of
	// the API.
	for path, allow := range map[string]string{
		"/agent": "GET", "/v1/agent/signin": "POST", "/v1/agent/me": "GET", "/v1/agent/queue": "GET",
		"/v1/agent/cases/{id}": "GET", "/v1/agent/cases/{id}/claim": "POST", "/v1/agent/cases/{id}/renew": "POST",
		"/v1/agent/cases/{id}/release": "POST", "/v1/agent/cases/{id}/check": "POST", "/v1/agent/cases/{id}/messages": "POST",
		"/v1/agent/cases/{id}/record": "POST", "/v1/agent/cases/{id}/handback": "POST", "/v1/agent/cases/{id}/close": "POST",
		"/v1/agent/conversations": "GET", "/v1/agent/conversations/{id}": "GET", "/v1/agent/ws": "GET",
		"/v1/agent/callbacks": "GET", "/v1/agent/callbacks/{id}/done": "POST",
		"/v1/agent/signout": "POST", "/v1/agent/sessions": "GET", "/v1/agent/sessions/{id}/revoke": "POST",
	} {
		if allow == "GET" {
			allow = "GET, HEAD"
		}
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, ErrMethod)
		})
	}
}

// page serves the console's HTML; its script and style come from the
// static tree like the chat page's.
func (c *console) page(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(staticFS, "static/console.html")
	if err != nil {
		c.s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// writeError maps the console's errors, then the server's.
func (c *console) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var blocked *bot.BlockedError
	var a apiError
	extra := map[string]any{}
	switch {
	case errors.As(err, &blocked):
		a = apiError{Status: http.StatusUnprocessableEntity, Code: CodeBlocked, Message: "the guard stopped the message; rephrase it"}
		extra["violations"] = blocked.Decision.Violations
	case errors.Is(err, dialog.ErrOffPolicy):
		a = apiError{Status: http.StatusUnprocessableEntity, Code: CodeOffPolicy, Message: offPolicyText(err)}
	case errors.Is(err, ErrSignIn):
		a = apiError{Status: http.StatusUnauthorized, Code: CodeSignIn, Message: "wrong user or password"}
	case errors.Is(err, ErrAgentToken):
		a = apiError{Status: http.StatusUnauthorized, Code: CodeTokenInvalid, Message: "missing or invalid console token; sign in"}
	case errors.Is(err, errSessionsUnavailable):
		w.Header().Set("Retry-After", "2")
		a = apiError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "console sessions cannot be checked right now; retry"}
	case errors.Is(err, ErrAgentRevoked):
		a = apiError{Status: http.StatusUnauthorized, Code: CodeRevoked, Message: "console session ended; sign in again"}
	case errors.Is(err, ErrAgentExpired):
		a = apiError{Status: http.StatusUnauthorized, Code: CodeTokenExpired, Message: "console token expired; sign in again"}
	case errors.Is(err, ErrRole):
		a = apiError{Status: http.StatusForbidden, Code: CodeRole, Message: "not allowed for your role"}
	case errors.Is(err, ErrNotClaimant), errors.Is(err, handoff.ErrNotClaimant):
		a = apiError{Status: http.StatusForbidden, Code: CodeNotClaimant, Message: "you do not hold this case"}
	case errors.Is(err, ErrClaimed), errors.Is(err, handoff.ErrAlreadyClaimed):
		a = apiError{Status: http.StatusConflict, Code: CodeClaimed, Message: "claimed by another agent"}
	case errors.Is(err, handoff.ErrFinished):
		a = apiError{Status: http.StatusConflict, Code: CodeFinished, Message: "the case is already finished"}
	case errors.Is(err, handoff.ErrNotFound):
		a = apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such case"}
	case errors.Is(err, bot.ErrDone):
		a = apiError{Status: http.StatusConflict, Code: CodeDone, Message: "the callback is already done"}
	case errors.Is(err, bot.ErrInvalid):
		a = apiError{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: strings.TrimPrefix(err.Error(), "bot: ")}
	case errors.Is(err, bot.ErrWrongMode):
		a = apiError{Status: http.StatusConflict, Code: CodeWrongMode, Message: strings.TrimPrefix(err.Error(), "bot: ")}
	case errors.Is(err, bot.ErrNotAllowed):
		a = apiError{Status: http.StatusForbidden, Code: CodeNotVerified, Message: strings.TrimPrefix(err.Error(), "bot: ")}
	default:
		c.s.writeError(w, r, err)
		return
	}
	c.s.log.Debug("console request rejected", "method", r.Method, "path", r.URL.Path, "code", a.Code, "err", err)
	body := map[string]any{"code": a.Code, "message": a.Message}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, a.Status, map[string]any{"error": body})
}

// offPolicyText is the rule a proposal broke, as the dialog names it.
func offPolicyText(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, dialog.ErrOffPolicy.Error()); i >= 0 {
		if rest := strings.TrimLeft(msg[i+len(dialog.ErrOffPolicy.Error()):], ": "); rest != "" {
			return rest
		}
	}
	return msg
}

// agentCtx is the signed-in user of a request.
type agentCtx struct {
	agentClaims
}

func (a agentCtx) bot() bot.Agent   { return bot.Agent{ID: a.User, Name: a.Name} }
func (a agentCtx) supervisor() bool { return a.Role == RoleSupervisor }

// authed requires a valid console token.
func (c *console) authed(h func(http.ResponseWriter, *http.Request, agentCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := c.session(r.Context(), consoleToken(r))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="collectagent console"`)
			c.writeError(w, r, err)
			return
		}
		h(w, r, a)
	}
}

type signInReq struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

type userView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// signIn is POST /v1/agent/signin: a password or an API token in, a
// console token out. Attempts are limited per client address and per user
// name, so neither one address nor many addresses can guess freely.
//
// What an attempt costs the server is bounded before its body is read:
// the client address's allowance and a slot among MaxSignIns concurrent
// checks come first, and the body is capped at MaxSignInBody (ServeHTTP).
// Failures are then counted per user name and address together, and per
// user name across addresses with a larger allowance, so guessing from one
// address locks out only that address, not the agent.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	now := c.s.clock.Now()
	ip := clientIP(r)
	if !c.auth.allow("ip:"+ip, now) {
		c.tooManySignIns(w)
		return
	}
	if !c.s.signIns.tryAcquire() {
		retryAfter(w, time.Second)
		c.writeError(w, r, ErrOverCapacity)
		return
	}
	defer c.s.signIns.release()
	var req signInReq
	if err := c.s.decodeJSON(w, r, &req); err != nil {
		c.writeError(w, r, err)
		return
	}
	if (req.Password == "") == (req.Token == "") || (req.Password != "" && req.User == "") {
		c.writeError(w, r, fmt.Errorf("%w: give user and password, or token", ErrInvalid))
		return
	}
	if req.User != "" && (!c.auth.allowed("fail:"+req.User+"|"+ip, now) || !c.auth.allowed("fail:"+req.User, now)) {
		// Checked without taking: only failures count.
		c.tooManySignIns(w)
		return
	}
	u, err := c.auth.signIn(req.User, req.Password, req.Token)
	if err != nil {
		if req.User != "" {
			c.auth.allow("fail:"+req.User+"|"+ip, now)
			c.auth.allow("fail:"+req.User, now)
		}
		c.log.Info("console sign-in refused", "user", maskUser(req.User), "ip", ip)
		c.writeError(w, r, err)
		return
	}
	exp := now.Add(c.cfg.TokenTTL)
	sess := consoleSession{ID: newSessionID(), User: u.ID, Name: u.Name, Role: u.Role, Address: ip, CreatedAt: now.UTC(), ExpiresAt: exp.UTC()}
	if err := c.sessions.put(r.Context(), sess); err != nil {
		c.writeError(w, r, err)
		return
	}
	tok, err := c.auth.signer.mint(agentClaims{Session: sess.ID, User: u.ID, Name: u.Name, Role: u.Role, Expires: exp.Unix()})
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.log.Info("console sign-in", "user", u.ID, "role", u.Role)
	writeJSON(w, http.StatusOK, map[string]any{
		"token": tok, "expires_at": exp.UTC().Format(time.RFC3339),
		"user": userView{ID: u.ID, Name: u.Name, Role: u.Role},
	})
}

func (c *console) tooManySignIns(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(60/c.cfg.SignInPerMinute)+1))
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": apiError{Code: CodeRateLimited, Message: "too many sign-in attempts; wait a minute"}})
}

// maskUser keeps a refused user name out of the log but for its start.
func maskUser(u string) string {
	if utf8.RuneCountInString(u) <= 2 {
		return "**"
	}
	r, _ := utf8.DecodeRuneInString(u)
	return string(r) + "**"
}

func (c *console) me(w http.ResponseWriter, r *http.Request, a agentCtx) {
	writeJSON(w, http.StatusOK, map[string]any{"user": userView{ID: a.User, Name: a.Name, Role: a.Role}, "expires_at": time.Unix(a.Expires, 0).UTC().Format(time.RFC3339)})
}

// caseView is a case as the queue list shows it.
type caseView struct {
	ID             string   `json:"id"`
	ConversationID string   `json:"conversation_id"`
	AccountRef     string   `json:"account_ref"`
	Reason         string   `json:"reason"`
	Priority       int      `json:"priority"`
	Status         string   `json:"status"`
	Resolution     string   `json:"resolution,omitempty"`
	AgentID        string   `json:"agent_id,omitempty"`
	Locale         string   `json:"locale"`
	Channel        string   `json:"channel"`
	Verified       bool     `json:"verified"`
	Disclosures    []string `json:"disclosures"`
	Offers         []string `json:"offers"`
	Summary        string   `json:"summary"`
	Situation      string   `json:"situation,omitempty"`
	Stage          string   `json:"stage,omitempty"`
	QueuedAt       string   `json:"queued_at"`
	// WaitingSeconds is how long the case has waited for an agent (for a
	// claimed case, how long it had waited when claimed).
	WaitingSeconds int64  `json:"waiting_seconds"`
	Position       int    `json:"position,omitempty"`
	LeaseUntil     string `json:"lease_until,omitempty"`
}

func (c *console) view(k handoff.Case, now time.Time) caseView {
	p := k.Packet
	v := caseView{
		ID: k.ID, ConversationID: p.ConversationID, AccountRef: p.AccountRef, Reason: p.Reason, Priority: k.Priority(),
		Status: k.Status, Resolution: k.Resolution, AgentID: k.AgentID, Locale: p.Locale, Channel: p.Channel,
		Verified: p.Verified, Stage: p.Stage, QueuedAt: k.QueuedAt.UTC().Format(time.RFC3339),
		Disclosures: []string{}, Offers: []string{},
	}
	for _, d := range p.Disclosures {
		v.Disclosures = append(v.Disclosures, string(d))
	}
	for _, o := range p.Offers {
		v.Offers = append(v.Offers, bot.FormatProposal(o))
	}
	if p.Summary != nil {
		v.Summary, v.Situation = redact.Text(p.Summary.Text, now), redact.Text(p.Summary.Situation, now)
		if len(v.Offers) == 0 && len(p.Summary.Offers) > 0 {
			v.Offers = append(v.Offers, p.Summary.Offers...)
		}
	}
	end := now
	if k.Status != handoff.StatusQueued && !k.ClaimedAt.IsZero() {
		end = k.ClaimedAt
	}
	if !k.WaitingSince.IsZero() && end.After(k.WaitingSince) {
		v.WaitingSeconds = int64(end.Sub(k.WaitingSince) / time.Second)
	}
	if !k.LeaseUntil.IsZero() {
		v.LeaseUntil = k.LeaseUntil.UTC().Format(time.RFC3339)
	}
	return v
}

// queueView is what the queue list shows: the waiting cases (priority,
// then time queued), the agent's own, and for a supervisor every case on
// the board.
type queueView struct {
	Waiting []caseView `json:"waiting"`
	Mine    []caseView `json:"mine"`
	Board   []caseView `json:"board,omitempty"`
}

func (c *console) queueOf(a agentCtx) queueView {
	now := c.s.clock.Now()
	v := queueView{Waiting: []caseView{}, Mine: []caseView{}}
	for i, k := range c.q.Waiting() {
		cv := c.view(k, now)
		cv.Position = i + 1 // Waiting is in queue order
		v.Waiting = append(v.Waiting, cv)
	}
	board := c.q.Board()
	for _, k := range board {
		if k.Status == handoff.StatusAccepted && k.AgentID == a.User {
			v.Mine = append(v.Mine, c.view(k, now))
		}
	}
	if a.supervisor() {
		v.Board = []caseView{}
		for _, k := range board {
			v.Board = append(v.Board, c.view(k, now))
		}
	}
	return v
}

func (c *console) queue(w http.ResponseWriter, r *http.Request, a agentCtx) {
	writeJSON(w, http.StatusOK, c.queueOf(a))
}

// accountView is the borrower's account as an agent sees it: enough to
// talk about the debt, masked where it identifies the person (the name's
// initials, the last digits of the phone and ID).
type accountView struct {
	Ref         string             `json:"ref"`
	Name        string             `json:"name"`
	Phone       string             `json:"phone,omitempty"`
	IDLast      string             `json:"id_last,omitempty"`
	Locale      string             `json:"locale"`
	Timezone    string             `json:"timezone"`
	Creditor    string             `json:"creditor"`
	AmountDue   string             `json:"amount_due"`
	AmountMinor int64              `json:"amount_minor"`
	Currency    string             `json:"currency"`
	DueDate     string             `json:"due_date"`
	DaysPastDue int                `json:"days_past_due"`
	MinPayment  string             `json:"min_payment,omitempty"`
	Flags       store.Flags        `json:"flags"`
	Consent     store.Consent      `json:"consent"`
	DNC         store.DoNotContact `json:"do_not_contact"`
}

func maskAccount(a store.Account, debtID string) accountView {
	v := accountView{Ref: a.ID, Name: initials(a.Name), Phone: lastDigits(a.Phone, 4, "•••"), IDLast: lastDigits(a.IDLast4, 2, "••"),
		Locale: a.Locale, Timezone: a.Timezone, Flags: a.Flags, Consent: a.Consent, DNC: a.DoNotContact}
	for i, d := range a.Debts {
		if d.ID != debtID && (debtID != "" || i > 0) {
			continue
		}
		v.Creditor, v.AmountMinor, v.Currency, v.DueDate, v.DaysPastDue = d.Creditor, d.AmountMinor, d.Currency, d.DueDate, d.DaysPastDue
		v.AmountDue = compliance.Money{Minor: d.AmountMinor, Currency: d.Currency}.String()
		if d.MinPaymentMinor > 0 {
			v.MinPayment = compliance.Money{Minor: d.MinPaymentMinor, Currency: d.Currency}.String()
		}
		break
	}
	return v
}

// initials keeps the first letter of each part of a name ("M. L."); a
// Chinese name keeps its surname character ("王*").
func initials(name string) string {
	parts := strings.Fields(name)
	if len(parts) == 0 {
		return ""
	}
	if len(parts) == 1 {
		r, _ := utf8.DecodeRuneInString(parts[0])
		return string(r) + "*"
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		r, _ := utf8.DecodeRuneInString(p)
		out = append(out, string(r)+".")
	}
	return strings.Join(out, " ")
}

// lastDigits keeps the last n digits of s behind a mask.
func lastDigits(s string, n int, mask string) string {
	var ds []rune
	for _, r := range s {
		if r >= '0' && r <= '9' {
			ds = append(ds, r)
		}
	}
	if len(ds) == 0 {
		return ""
	}
	if len(ds) <= n {
		n = len(ds) / 2
	}
	return mask + string(ds[len(ds)-n:])
}

// turnView is one line of a transcript.
type turnView struct {
	Seq  int64  `json:"seq"`
	From string `json:"from"`
	Name string `json:"name,omitempty"`
	Text string `json:"text"`
	At   string `json:"at"`
}

// transcript is a conversation's lines as agents see them: a borrower's
// verification answers and identity numbers are withheld (redact), on
// every case, claimed or not; the store keeps them for the audit.
func (c *console) transcript(ctx context.Context, convID, locale string) ([]turnView, error) {
	ts, err := c.s.store.ListTurns(ctx, convID)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	out := make([]turnView, 0, len(ts))
	now := c.s.clock.Now()
	for _, t := range ts {
		v := turnView{Seq: t.Seq, From: t.From, Text: redact.Turn(t.From, t.Text, t.Meta, locale, now), At: t.At.UTC().Format(time.RFC3339)}
		if t.From == bot.FromAgent && len(t.Meta) > 0 {
			var m struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(t.Meta, &m)
			v.Name = m.Name
		}
		out = append(out, v)
	}
	return out, nil
}

// detailView is a case opened: the case, the account, the conversation's
// state and its full transcript.
type detailView struct {
	Case         *caseView    `json:"case,omitempty"`
	Conversation convView     `json:"conversation"`
	Account      accountView  `json:"account"`
	Transcript   []turnView   `json:"transcript"`
	ReadOnly     bool         `json:"read_only"`
	PlanDefaults planDefaults `json:"plan_defaults"`
}

type planDefaults struct {
	EveryDays int `json:"every_days"`
}

// convView is a conversation's header.
type convView struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Channel   string `json:"channel"`
	Locale    string `json:"locale"`
	Mode      string `json:"mode"`
	Stage     string `json:"stage"`
	Outcome   string `json:"outcome,omitempty"`
	// LateReason is the borrower's stated reason for lateness
	// (dialog.Late*), "" until one is stated.
	LateReason string `json:"late_reason,omitempty"`
	UpdatedAt  string `json:"updated_at"`
	CreatedAt  string `json:"created_at"`
}

func viewConv(cv store.Conversation) convView {
	return convView{ID: cv.ID, AccountID: cv.AccountID, Channel: cv.Channel, Locale: cv.Locale, Mode: cv.Mode, Stage: cv.Stage,
		Outcome: cv.OutcomeType, LateReason: cv.LateReason, UpdatedAt: cv.UpdatedAt.UTC().Format(time.RFC3339), CreatedAt: cv.CreatedAt.UTC().Format(time.RFC3339)}
}

func (c *console) detail(ctx context.Context, convID string, k *handoff.Case, readOnly bool) (detailView, error) {
	cv, err := c.s.store.GetConversation(ctx, convID)
	if err != nil {
		return detailView{}, fmt.Errorf("conversation: %w", err)
	}
	acct, err := c.s.store.GetAccount(ctx, cv.AccountID)
	if err != nil {
		return detailView{}, fmt.Errorf("account: %w", err)
	}
	tr, err := c.transcript(ctx, convID, cv.Locale)
	if err != nil {
		return detailView{}, err
	}
	d := detailView{Conversation: viewConv(cv), Account: maskAccount(acct, cv.DebtID), Transcript: tr, ReadOnly: readOnly,
		PlanDefaults: planDefaults{EveryDays: c.cfg.PlanEveryDays}}
	if k != nil {
		v := c.view(*k, c.s.clock.Now())
		if k.Status == handoff.StatusQueued {
			if pos, err := c.q.Position(k.ID); err == nil {
				v.Position = pos
			}
		}
		d.Case = &v
		if n := planEvery(k.Packet.Offers); n > 0 {
			d.PlanDefaults.EveryDays = n
		}
	}
	return d, nil
}

// planEvery is the interval of a plan the bot offered, 0 without one.
func planEvery(offers []dialog.Proposal) int {
	for _, o := range offers {
		if len(o.Installments) > 1 {
			return o.Installments[0].DueDate.DaysUntil(o.Installments[1].DueDate)
		}
	}
	return 0
}

// getCase reads a case from the board.
func (c *console) getCase(ctx context.Context, id string) (handoff.Case, error) {
	k, err := c.q.Get(ctx, id)
	if err != nil {
		return handoff.Case{}, fmt.Errorf("case %s: %w", id, err)
	}
	return k, nil
}

// caseDetail is GET /v1/agent/cases/{id}: an agent may open a waiting case
// (to decide whether to claim it) or one it holds; a supervisor any case,
// read-only unless it holds it.
func (c *console) caseDetail(w http.ResponseWriter, r *http.Request, a agentCtx) {
	k, err := c.getCase(r.Context(), r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	mine := k.Status == handoff.StatusAccepted && k.AgentID == a.User
	if !a.supervisor() && !mine && k.Status != handoff.StatusQueued {
		c.writeError(w, r, ErrNotClaimant)
		return
	}
	d, err := c.detail(r.Context(), k.Packet.ConversationID, &k, !mine)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// claim is POST /v1/agent/cases/{id}/claim: the queue's compare-and-swap
// decides the winner; the winner joins the conversation. A loser gets 409
// "claimed by another agent".
func (c *console) claim(w http.ResponseWriter, r *http.Request, a agentCtx) {
	ctx := r.Context()
	id := r.PathValue("id")
	k, err := c.q.Claim(ctx, a.User, id)
	if err != nil {
		c.writeError(w, r, fmt.Errorf("claim %s: %w", id, err))
		return
	}
	convID := k.Packet.ConversationID
	sess, err := c.s.rt.Open(ctx, convID)
	if err == nil {
		var out bot.Output
		out, err = sess.Join(ctx, a.bot())
		if errors.Is(err, bot.ErrWrongMode) && sess.Conversation().Mode == store.ModeAgent {
			// A renewed claim of a conversation the agent already holds.
			err = nil
		} else if err == nil {
			c.send(ctx, convID, out)
		}
	}
	if err != nil {
		// The conversation cannot be taken (the borrower left, it ended):
		// put the case back rather than hold it.
		if _, rerr := c.q.Release(context.WithoutCancel(ctx), a.User, id); rerr != nil {
			c.log.Warn("release after failed join", "case", id, "err", rerr)
		}
		c.writeError(w, r, fmt.Errorf("join %s: %w", convID, err))
		return
	}
	c.log.Info("case claimed", "case", id, "conversation", convID, "agent", a.User)
	d, err := c.detail(ctx, convID, &k, false)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// held returns a case the agent holds.
func (c *console) held(ctx context.Context, a agentCtx, id string) (handoff.Case, error) {
	k, err := c.getCase(ctx, id)
	if err != nil {
		return handoff.Case{}, err
	}
	if k.Finished() {
		return handoff.Case{}, fmt.Errorf("case %s: %w", id, handoff.ErrFinished)
	}
	if k.Status != handoff.StatusAccepted || k.AgentID != a.User {
		return handoff.Case{}, fmt.Errorf("case %s: %w", id, ErrNotClaimant)
	}
	return k, nil
}

func (c *console) renew(w http.ResponseWriter, r *http.Request, a agentCtx) {
	k, err := c.q.Renew(r.Context(), a.User, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c.view(k, c.s.clock.Now()))
}

// release puts a held case back in the queue. The conversation stays with
// a person (waiting_agent) as far as the borrower knows: the queue tells
// the borrower's node.
func (c *console) release(w http.ResponseWriter, r *http.Request, a agentCtx) {
	k, err := c.q.Release(r.Context(), a.User, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c.view(k, c.s.clock.Now()))
}

type textReq struct {
	Text string `json:"text"`
	ID   string `json:"id"`
}

// open loads the conversation of a case the agent holds.
func (c *console) open(ctx context.Context, a agentCtx, id string) (handoff.Case, *bot.Session, error) {
	k, err := c.held(ctx, a, id)
	if err != nil {
		return handoff.Case{}, nil, err
	}
	sess, err := c.s.rt.Open(ctx, k.Packet.ConversationID)
	if err != nil {
		return handoff.Case{}, nil, fmt.Errorf("open conversation: %w", err)
	}
	return k, sess, nil
}

// check is POST /v1/agent/cases/{id}/check: would the guard let this text
// through? The console asks as the agent types.
func (c *console) check(w http.ResponseWriter, r *http.Request, a agentCtx) {
	var req textReq
	if err := c.s.decodeJSON(w, r, &req); err != nil {
		c.writeError(w, r, err)
		return
	}
	_, sess, err := c.open(r.Context(), a, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	dec := sess.CheckAgentText(req.Text)
	if dec.Violations == nil {
		dec.Violations = []compliance.Violation{}
	}
	writeJSON(w, http.StatusOK, dec)
}

// say is POST /v1/agent/cases/{id}/messages: the agent's line, through the
// guard, recorded, then delivered. A blocked line is 422 with the guard's
// violations; nothing is sent or recorded.
func (c *console) say(w http.ResponseWriter, r *http.Request, a agentCtx) {
	var req textReq
	if err := c.s.decodeJSON(w, r, &req); err != nil {
		c.writeError(w, r, err)
		return
	}
	if len(req.ID) > 64 {
		c.writeError(w, r, &ValidationError{Fields: []FieldError{{Field: "id", Message: "at most 64 characters"}}})
		return
	}
	ctx := r.Context()
	_, sess, err := c.open(ctx, a, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	out, err := sess.AgentSay(ctx, a.bot(), req.Text, req.ID)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.send(ctx, sess.ID(), out)
	c.renewQuietly(ctx, a, r.PathValue("id"))
	writeJSON(w, http.StatusOK, out)
}

// recordReq is the promise or plan form. Amount is in major units as the
// agent types it ("120.50"); dates are YYYY-MM-DD.
type recordReq struct {
	Kind      string      `json:"kind"` // "ptp", "pay_now", "plan", "extension"
	Amount    json.Number `json:"amount"`
	Date      string      `json:"date"`
	Count     int         `json:"count"`
	FirstDate string      `json:"first_date"`
	EveryDays int         `json:"every_days"`
}

// proposal turns the form into the dialog's proposal. A plan is the
// engine's standard plan for the account (its minimums included); the
// session checks every deal against the policy before recording it.
func (c *console) proposal(req recordReq, k handoff.Case, sess *bot.Session, acct store.Account, debtID string) (dialog.Proposal, error) {
	var fields []FieldError
	view := maskAccount(acct, debtID)
	cur := view.Currency
	var p dialog.Proposal
	switch dialog.ProposalKind(req.Kind) {
	case dialog.ProposalPTP, dialog.ProposalPayNow, dialog.ProposalExtension:
		p.Kind = dialog.ProposalKind(req.Kind)
		amt, err := strconv.ParseFloat(strings.TrimSpace(req.Amount.String()), 64)
		if err != nil || amt <= 0 || amt > 1e12 {
			fields = append(fields, FieldError{Field: "amount", Message: "a positive amount, e.g. 120.50"})
		}
		p.Amount = compliance.MoneyFromMajor(amt, cur)
		if p.Kind != dialog.ProposalPayNow {
			d, err := compliance.ParseISODate(req.Date)
			if err != nil {
				fields = append(fields, FieldError{Field: "date", Message: "a date, YYYY-MM-DD"})
			}
			p.Date = d
		}
	case dialog.ProposalPlan:
		if req.Count < 2 || req.Count > 60 {
			fields = append(fields, FieldError{Field: "count", Message: "2 to 60 payments"})
		}
		first, err := compliance.ParseISODate(req.FirstDate)
		if err != nil {
			fields = append(fields, FieldError{Field: "first_date", Message: "a date, YYYY-MM-DD"})
		}
		every := req.EveryDays
		if every == 0 {
			every = planEvery(k.Packet.Offers)
		}
		if every == 0 {
			every = c.cfg.PlanEveryDays
		}
		if every < 1 || every > 92 {
			fields = append(fields, FieldError{Field: "every_days", Message: "1 to 92 days"})
		}
		if len(fields) == 0 {
			p = sess.PlanFor(req.Count, first, every)
		}
	default:
		fields = append(fields, FieldError{Field: "kind", Message: "one of ptp, pay_now, plan, extension"})
	}
	if len(fields) > 0 {
		return dialog.Proposal{}, &ValidationError{Fields: fields}
	}
	return p, nil
}

// record is POST /v1/agent/cases/{id}/record: a promise or plan, checked
// against the same policy the bot negotiates within. Off policy is 422
// with the rule; nothing is recorded.
func (c *console) record(w http.ResponseWriter, r *http.Request, a agentCtx) {
	var req recordReq
	if err := c.s.decodeJSON(w, r, &req); err != nil {
		c.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	k, sess, err := c.open(ctx, a, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	cv := sess.Conversation()
	acct, err := c.s.store.GetAccount(ctx, cv.AccountID)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	p, err := c.proposal(req, k, sess, acct, cv.DebtID)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	out, err := sess.AgentRecord(ctx, a.bot(), p)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.send(ctx, sess.ID(), out)
	c.renewQuietly(ctx, a, k.ID)
	writeJSON(w, http.StatusOK, out)
}

type closeReq struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	Note    string `json:"note"`
}

// handBack is POST /v1/agent/cases/{id}/handback: the bot takes over at the
// right stage; the case is completed as handed back.
func (c *console) handBack(w http.ResponseWriter, r *http.Request, a agentCtx) {
	var req closeReq
	if r.ContentLength != 0 {
		if err := c.s.decodeJSON(w, r, &req); err != nil {
			c.writeError(w, r, err)
			return
		}
	}
	ctx := r.Context()
	k, sess, err := c.open(ctx, a, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	out, err := sess.HandBack(ctx, a.bot())
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	// The conversation is the bot's now (durable in the store); the
	// queue's record follows, and tells the borrower's node.
	if _, err := c.q.HandBack(context.WithoutCancel(ctx), a.User, k.ID, req.Note); err != nil {
		c.log.Warn("queue hand-back failed", "case", k.ID, "err", err)
	}
	c.send(ctx, sess.ID(), out)
	writeJSON(w, http.StatusOK, out)
}

var closeOutcomes = map[string]dialog.OutcomeType{
	"": "", "none": dialog.OutcomeNone, "escalated": dialog.OutcomeEscalated, "dispute": dialog.OutcomeDispute,
	"cease": dialog.OutcomeCease, "wrong_party": dialog.OutcomeWrongParty,
}

// close is POST /v1/agent/cases/{id}/close: the agent ends the conversation
// with an outcome (a recorded promise or plan stands).
func (c *console) close(w http.ResponseWriter, r *http.Request, a agentCtx) {
	var req closeReq
	if r.ContentLength != 0 {
		if err := c.s.decodeJSON(w, r, &req); err != nil {
			c.writeError(w, r, err)
			return
		}
	}
	oc, ok := closeOutcomes[req.Outcome]
	if !ok {
		c.writeError(w, r, &ValidationError{Fields: []FieldError{{Field: "outcome", Message: "one of none, escalated, dispute, cease, wrong_party"}}})
		return
	}
	ctx := r.Context()
	k, sess, err := c.open(ctx, a, r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	out, err := sess.AgentClose(ctx, a.bot(), oc, req.Reason)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	note := out.Status.Outcome
	if note == "" {
		note = req.Outcome
	}
	if _, err := c.q.Complete(context.WithoutCancel(ctx), a.User, k.ID, note); err != nil {
		c.log.Warn("queue complete failed", "case", k.ID, "err", err)
	}
	c.send(ctx, sess.ID(), out)
	writeJSON(w, http.StatusOK, out)
}

// renewQuietly extends the claim after the agent acted; the console's
// WebSocket renews too, so a failure is only logged.
func (c *console) renewQuietly(ctx context.Context, a agentCtx, id string) {
	if _, err := c.q.Renew(context.WithoutCancel(ctx), a.User, id); err != nil {
		c.log.Debug("renew after action failed", "case", id, "err", err)
	}
}

// send delivers an operation's output to the borrower. The store already
// holds it; a borrower whose node missed it replays it on reconnect, so a
// failure is logged.
func (c *console) send(ctx context.Context, convID string, out bot.Output) {
	if err := c.deliver(context.WithoutCancel(ctx), convID, out); err != nil {
		c.log.Warn("deliver to borrower failed", "conversation", convID, "err", err)
	}
}

// liveModes are the modes of a conversation in progress.
var liveModes = []string{store.ModeAgent, store.ModeWaitingAgent, store.ModeBot}

// conversations is GET /v1/agent/conversations, for supervisors: every
// live conversation, bot and human, newest first within each mode.
func (c *console) conversations(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if !a.supervisor() {
		c.writeError(w, r, ErrRole)
		return
	}
	limit := 200
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v < 1000 {
		limit = v
	}
	out := []convView{}
	for _, m := range liveModes {
		cs, err := c.s.store.ListConversations(r.Context(), store.ConversationFilter{Mode: m, Limit: limit})
		if err != nil {
			c.writeError(w, r, err)
			return
		}
		for _, cv := range cs {
			out = append(out, viewConv(cv))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// conversation is GET /v1/agent/conversations/{id}, for supervisors: any
// conversation, read-only, with its case if one is on the board.
func (c *console) conversation(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if !a.supervisor() {
		c.writeError(w, r, ErrRole)
		return
	}
	id := r.PathValue("id")
	var kp *handoff.Case
	for _, k := range c.q.Board() {
		if k.Packet.ConversationID == id && (kp == nil || !k.Finished()) {
			kk := k
			kp = &kk
		}
	}
	d, err := c.detail(r.Context(), id, kp, true)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
