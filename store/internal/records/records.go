// Package records holds the rules every store implementation applies to the
// records it is handed before writing them: required identifiers, batch
// consistency and the canonical form of timestamps. It keeps the SQLite and
// PostgreSQL stores in agreement; it knows no SQL.
package records

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/collectagent/collectagent/store"
)

// TimeLayout is the text form of a timestamp where a database keeps time as
// text: UTC, fixed width, so that text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Time returns t as stored: in UTC, truncated to the microsecond (the
// precision of PostgreSQL's timestamptz, applied everywhere so that every
// implementation returns the same value).
func Time(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// FormatTime renders t in TimeLayout after normalising it with Time.
func FormatTime(t time.Time) string {
	return Time(t).Format(TimeLayout)
}

// ParseTime reads a TimeLayout value.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// OrNow returns t, or now when t is the zero time.
func OrNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// JSON returns raw, or nil when it is empty, so that an absent document is
// stored as NULL. It fails with store.ErrInvalid when raw is not JSON.
func JSON(field string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s is not valid JSON: %w", field, store.ErrInvalid)
	}
	return []byte(raw), nil
}

// NewID returns a random 128-bit identifier in hex, for records whose
// caller left the id empty (contact attempts only).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Accounts checks a batch for UpsertAccounts and returns copies with every
// debt's AccountID filled in and created/updated times set (created from
// now when zero; updated always now unless given). Duplicate account ids,
// duplicate debt ids anywhere in the batch, empty ids and a debt naming
// another account are store.ErrInvalid, with the offending position named.
func Accounts(accts []store.Account, now time.Time) ([]store.Account, error) {
	out := make([]store.Account, len(accts))
	seenAcct := make(map[string]int, len(accts))
	seenDebt := make(map[string]string)
	for i, a := range accts {
		if a.ID == "" {
			return nil, fmt.Errorf("accounts[%d].id is empty: %w", i, store.ErrInvalid)
		}
		if j, dup := seenAcct[a.ID]; dup {
			return nil, fmt.Errorf("accounts[%d].id duplicates accounts[%d]: %w", i, j, store.ErrInvalid)
		}
		seenAcct[a.ID] = i
		a.CreatedAt = Time(OrNow(a.CreatedAt, now))
		a.UpdatedAt = Time(OrNow(a.UpdatedAt, now))
		debts := make([]store.Debt, len(a.Debts))
		for k, d := range a.Debts {
			if d.ID == "" {
				return nil, fmt.Errorf("accounts[%d].debts[%d].id is empty: %w", i, k, store.ErrInvalid)
			}
			if d.AccountID != "" && d.AccountID != a.ID {
				return nil, fmt.Errorf("accounts[%d].debts[%d].account_id names another account: %w", i, k, store.ErrInvalid)
			}
			if owner, dup := seenDebt[d.ID]; dup {
				return nil, fmt.Errorf("accounts[%d].debts[%d].id duplicates a debt of account index %s: %w", i, k, owner, store.ErrInvalid)
			}
			seenDebt[d.ID] = fmt.Sprint(i)
			if d.AmountMinor < 0 || d.MinPaymentMinor < 0 {
				return nil, fmt.Errorf("accounts[%d].debts[%d] has a negative amount: %w", i, k, store.ErrInvalid)
			}
			d.AccountID = a.ID
			debts[k] = d
		}
		a.Debts = debts
		out[i] = a
	}
	return out, nil
}

// Conversation checks a conversation header for CreateConversation and
// fills in defaults: mode "bot" and times from now when zero.
func Conversation(c store.Conversation, now time.Time) (store.Conversation, error) {
	if c.ID == "" {
		return c, fmt.Errorf("conversation.id is empty: %w", store.ErrInvalid)
	}
	if c.AccountID == "" {
		return c, fmt.Errorf("conversation.account_id is empty: %w", store.ErrInvalid)
	}
	if c.Mode == "" {
		c.Mode = store.ModeBot
	}
	c.CreatedAt = Time(OrNow(c.CreatedAt, now))
	c.UpdatedAt = Time(OrNow(c.UpdatedAt, now))
	if c.EndedAt != nil {
		t := Time(*c.EndedAt)
		c.EndedAt = &t
	}
	return c, nil
}

// TurnCommit checks a commit and returns a copy with conversation ids and
// times filled in: every turn, promise, plan and escalation belongs to the
// committed conversation (an empty id is filled, a different one is
// store.ErrInvalid); zero times become now.
func TurnCommit(c store.TurnCommit, now time.Time) (store.TurnCommit, error) {
	conv := c.Conversation
	if conv.ID == "" {
		return c, fmt.Errorf("commit: conversation.id is empty: %w", store.ErrInvalid)
	}
	if conv.Version < 1 {
		return c, fmt.Errorf("commit: conversation.version %d < 1: %w", conv.Version, store.ErrInvalid)
	}
	conv.UpdatedAt = Time(OrNow(conv.UpdatedAt, now))
	if conv.EndedAt != nil {
		t := Time(*conv.EndedAt)
		conv.EndedAt = &t
	}
	out := store.TurnCommit{Conversation: conv}

	out.Turns = make([]store.Turn, len(c.Turns))
	for i, t := range c.Turns {
		if t.ConversationID == "" {
			t.ConversationID = conv.ID
		} else if t.ConversationID != conv.ID {
			return c, fmt.Errorf("commit: turns[%d] belongs to another conversation: %w", i, store.ErrInvalid)
		}
		if t.Seq < 1 {
			return c, fmt.Errorf("commit: turns[%d].seq %d < 1: %w", i, t.Seq, store.ErrInvalid)
		}
		if t.Seq > store.MaxTurns {
			return c, fmt.Errorf("commit: turns[%d].seq %d: more than %d turns in one conversation: %w", i, t.Seq, store.MaxTurns, store.ErrLimit)
		}
		t.At = Time(OrNow(t.At, now))
		out.Turns[i] = t
	}
	out.Promises = make([]store.Promise, len(c.Promises))
	for i, p := range c.Promises {
		if p.ID == "" || p.AccountID == "" {
			return c, fmt.Errorf("commit: promises[%d] needs id and account_id: %w", i, store.ErrInvalid)
		}
		if p.ConversationID == "" {
			p.ConversationID = conv.ID
		}
		p.CreatedAt = Time(OrNow(p.CreatedAt, now))
		out.Promises[i] = p
	}
	out.Plans = make([]store.Plan, len(c.Plans))
	for i, p := range c.Plans {
		if p.ID == "" || p.AccountID == "" {
			return c, fmt.Errorf("commit: plans[%d] needs id and account_id: %w", i, store.ErrInvalid)
		}
		if p.ConversationID == "" {
			p.ConversationID = conv.ID
		}
		p.CreatedAt = Time(OrNow(p.CreatedAt, now))
		out.Plans[i] = p
	}
	out.Escalations = make([]store.Escalation, len(c.Escalations))
	for i, e := range c.Escalations {
		e, err := Escalation(e, now)
		if err != nil {
			return c, fmt.Errorf("commit: escalations[%d]: %w", i, err)
		}
		if e.ConversationID == "" {
			e.ConversationID = conv.ID
		}
		out.Escalations[i] = e
	}
	audit, err := Audit(c.Audit, now)
	if err != nil {
		return c, fmt.Errorf("commit: %w", err)
	}
	out.Audit = audit
	if c.Contact != nil {
		a, err := ContactAttempt(*c.Contact, now)
		if err != nil {
			return c, fmt.Errorf("commit: %w", err)
		}
		out.Contact = &a
	}
	if sc := c.StopContact; sc != nil {
		if sc.AccountID == "" {
			return c, fmt.Errorf("commit: stop_contact.account_id is empty: %w", store.ErrInvalid)
		}
		for i, ch := range sc.Channels {
			if _, ok := DNCColumn[ch]; !ok {
				return c, fmt.Errorf("commit: stop_contact.channels[%d] %q is not chat, voice, sms or email: %w", i, ch, store.ErrInvalid)
			}
		}
		out.StopContact = sc
	}
	out.Statements = make([]store.Statement, len(c.Statements))
	for i, st := range c.Statements {
		st, err := Statement(st, now)
		if err != nil {
			return c, fmt.Errorf("commit: statements[%d]: %w", i, err)
		}
		if st.ConversationID == "" {
			st.ConversationID = conv.ID
		}
		out.Statements[i] = st
	}
	out.Events = make([]store.Event, len(c.Events))
	for i, e := range c.Events {
		if e.Kind == "" {
			return c, fmt.Errorf("commit: events[%d].kind is empty: %w", i, store.ErrInvalid)
		}
		if _, err := JSON("event data", e.Data); err != nil {
			return c, fmt.Errorf("commit: events[%d]: %w", i, err)
		}
		if len(e.Data) == 0 {
			e.Data = json.RawMessage("null")
		}
		if e.ID == "" {
			e.ID = NewID()
		}
		e.At = Time(OrNow(e.At, now))
		out.Events[i] = e
	}
	return out, nil
}

// Statement checks a borrower statement and fills its id and time: a known
// kind, an account, channels only on a cease and only known ones, details
// as JSON.
func Statement(st store.Statement, now time.Time) (store.Statement, error) {
	if st.AccountID == "" {
		return st, fmt.Errorf("statement.account_id is empty: %w", store.ErrInvalid)
	}
	if !slices.Contains(store.StatementKinds, st.Kind) {
		return st, fmt.Errorf("statement.kind %q is not one of %v: %w", st.Kind, store.StatementKinds, store.ErrInvalid)
	}
	if len(st.Channels) > 0 && st.Kind != store.StatementCease {
		return st, fmt.Errorf("statement.channels: only a cease is limited to channels: %w", store.ErrInvalid)
	}
	for i, ch := range st.Channels {
		if _, ok := DNCColumn[ch]; !ok {
			return st, fmt.Errorf("statement.channels[%d] %q is not chat, voice, sms or email: %w", i, ch, store.ErrInvalid)
		}
	}
	if _, err := JSON("statement details", st.Details); err != nil {
		return st, err
	}
	if st.ID == "" {
		st.ID = NewID()
	}
	st.At = Time(OrNow(st.At, now))
	if st.ClearedAt != nil {
		t := Time(*st.ClearedAt)
		st.ClearedAt = &t
	}
	return st, nil
}

// StatementClear checks a clear request and fills its time.
func StatementClear(c store.StatementClear, now time.Time) (store.StatementClear, error) {
	if c.AccountID == "" || c.ID == "" {
		return c, fmt.Errorf("clear statement needs account_id and id: %w", store.ErrInvalid)
	}
	if strings.TrimSpace(c.Reason) == "" {
		return c, fmt.Errorf("clear statement needs a reason: %w", store.ErrInvalid)
	}
	c.At = Time(OrNow(c.At, now))
	audit, err := Audit(c.Audit, now)
	if err != nil {
		return c, err
	}
	c.Audit = audit
	return c, nil
}

// Channels encodes a cease's channels for a text column ("" for all).
func Channels(chs []string) string { return strings.Join(chs, ",") }

// ParseChannels reads Channels' form back.
func ParseChannels(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Escalation checks an escalation and fills its times.
func Escalation(e store.Escalation, now time.Time) (store.Escalation, error) {
	if e.ID == "" || e.AccountID == "" {
		return e, fmt.Errorf("escalation needs id and account_id: %w", store.ErrInvalid)
	}
	e.CreatedAt = Time(OrNow(e.CreatedAt, now))
	e.UpdatedAt = Time(OrNow(e.UpdatedAt, now))
	return e, nil
}

// ContactAttempt checks an attempt, gives it an id when it has none and
// fills its time.
func ContactAttempt(a store.ContactAttempt, now time.Time) (store.ContactAttempt, error) {
	if a.AccountID == "" || a.Channel == "" {
		return a, fmt.Errorf("contact attempt needs account_id and channel: %w", store.ErrInvalid)
	}
	if a.ID == "" {
		a.ID = NewID()
	}
	a.At = Time(OrNow(a.At, now))
	return a, nil
}

// Audit checks audit events: a chain name and a positive seq each.
func Audit(evs []store.AuditEvent, now time.Time) ([]store.AuditEvent, error) {
	out := make([]store.AuditEvent, len(evs))
	for i, e := range evs {
		if e.Chain == "" || e.Seq < 1 {
			return nil, fmt.Errorf("audit[%d] needs a chain and seq >= 1: %w", i, store.ErrInvalid)
		}
		e.At = Time(OrNow(e.At, now))
		out[i] = e
	}
	return out, nil
}

// DNCColumn maps a channel to its accounts column; both stores use the same
// column names, and only these names ever reach SQL text.
var DNCColumn = map[string]string{"chat": "dnc_chat", "voice": "dnc_voice", "sms": "dnc_sms", "email": "dnc_email"}
