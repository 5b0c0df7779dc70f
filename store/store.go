// Package store persists accounts, conversations, turns, outcomes, promises,
// plans, contact attempts, escalations and audit events behind one Store
// interface, with an embedded SQLite implementation (the default) and a
// PostgreSQL one. Schema changes are embedded migrations.
//
// It imports only the standard library and database drivers: it knows
// nothing of dialogs, guards or transports. Callers hand it plain records.
package store

import (
	"context"
	"encoding/json"
	"time"
)

// Store is everything the runtime and the API persist. Every method is safe
// for concurrent use. Implementations must pass the conformance suite in
// storetest.
//
// Timestamps come back in UTC, truncated to the microsecond; a zero
// timestamp on a record being written is set from the store's clock. JSON
// fields are kept byte for byte (invalid JSON is ErrInvalid). Errors wrap
// ErrNotFound, ErrConflict, ErrInvalid or ErrClosed where they apply.
type Store interface {
	// UpsertAccounts inserts or replaces borrowers with their debts, all or
	// nothing: on error nothing was written.
	UpsertAccounts(ctx context.Context, accts []Account) error
	GetAccount(ctx context.Context, id string) (Account, error)
	// ListAccounts returns up to limit accounts ordered by id, after the id
	// given (keyset pagination; "" starts at the beginning). Ids compare
	// byte-wise. A limit <= 0 means no limit.
	ListAccounts(ctx context.Context, after string, limit int) ([]Account, error)

	// CreateConversation stores a new conversation: ErrConflict if the id
	// exists, ErrInvalid if the account does not. An empty Mode is ModeBot.
	CreateConversation(ctx context.Context, c Conversation) error
	GetConversation(ctx context.Context, id string) (Conversation, error)
	// ListConversations returns matching conversations, newest first
	// (CreatedAt, then id, descending).
	ListConversations(ctx context.Context, f ConversationFilter) ([]Conversation, error)
	// CommitTurn durably records one step of a conversation in a single
	// transaction: the new state, the turns, and every promise, plan,
	// escalation and audit event the step produced. A reply is sent only
	// after CommitTurn returns nil. It fails with ErrConflict when
	// c.Version is not the stored version + 1 (another node moved on), and
	// with ErrNotFound when the conversation does not exist. Records whose
	// ConversationID is empty are given c.Conversation.ID.
	CommitTurn(ctx context.Context, c TurnCommit) error
	// ListTurns returns a conversation's turns in seq order.
	ListTurns(ctx context.Context, conversationID string) ([]Turn, error)

	// ListPromises and ListPlans return an account's records, oldest first.
	ListPromises(ctx context.Context, accountID string) ([]Promise, error)
	ListPlans(ctx context.Context, accountID string) ([]Plan, error)
	// ListEscalations returns matching escalations, oldest first.
	ListEscalations(ctx context.Context, f EscalationFilter) ([]Escalation, error)
	// UpdateEscalation sets the reason, priority, status, agent and packet
	// of a stored escalation (ErrNotFound if there is none).
	UpdateEscalation(ctx context.Context, e Escalation) error

	// RecordContactAttempt stores an attempt; an empty ID is generated.
	RecordContactAttempt(ctx context.Context, a ContactAttempt) error
	// ListContactAttempts returns an account's attempts at or after since,
	// oldest first.
	ListContactAttempts(ctx context.Context, accountID string, since time.Time) ([]ContactAttempt, error)

	// AppendAudit appends events outside a turn (e.g. a blocked contact),
	// all or nothing: ErrConflict if a (chain, seq) is taken, i.e. the
	// caller linked to a stale LastAudit.
	AppendAudit(ctx context.Context, evs []AuditEvent) error
	// LastAudit returns the newest event of a chain (zero value, nil error
	// when the chain is empty), so the next event can link to its hash.
	LastAudit(ctx context.Context, chain string) (AuditEvent, error)
	// ListAudit returns a chain's events in order; chain "" returns all
	// events ordered by chain then seq.
	ListAudit(ctx context.Context, chain string) ([]AuditEvent, error)

	// ListStatements returns what the borrower stated about their rights
	// on an account (cease, dispute, validation, attorney, bankruptcy),
	// oldest first, cleared ones included.
	ListStatements(ctx context.Context, accountID string) ([]Statement, error)
	// ClearStatement marks one of an account's statements cleared, with
	// who cleared it, why and when, and appends c.Audit in the same
	// transaction. ErrNotFound when the account has no such statement,
	// ErrConflict when it was cleared already, ErrInvalid without a
	// reason. It returns the statement as now stored.
	ClearStatement(ctx context.Context, c StatementClear) (Statement, error)

	Retention
	Outbox

	Ping(ctx context.Context) error
	Close() error
}

// Account is a borrower with their debts.
type Account struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	DateOfBirth  string       `json:"date_of_birth"` // YYYY-MM-DD
	IDLast4      string       `json:"id_last4"`
	Locale       string       `json:"locale"`
	Timezone     string       `json:"timezone"`
	Phone        string       `json:"phone"`
	Email        string       `json:"email"`
	Portfolio    string       `json:"portfolio,omitempty"`
	Consent      Consent      `json:"consent"`
	DoNotContact DoNotContact `json:"do_not_contact"`
	Flags        Flags        `json:"flags"`
	Debts        []Debt       `json:"debts"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

// Consent records what the borrower agreed to.
type Consent struct {
	Chat      bool `json:"chat"`
	Voice     bool `json:"voice"`
	SMS       bool `json:"sms"`
	Recording bool `json:"recording"`
}

// DoNotContact blocks a channel for the account.
type DoNotContact struct {
	Chat  bool `json:"chat"`
	Voice bool `json:"voice"`
	SMS   bool `json:"sms"`
	Email bool `json:"email"`
}

// Flags are account conditions that change what may be said.
type Flags struct {
	Attorney   bool `json:"attorney"`
	Dispute    bool `json:"dispute"`
	Bankruptcy bool `json:"bankruptcy"`
	Deceased   bool `json:"deceased"`
}

// Debt is one obligation of an account. Amounts are minor units.
type Debt struct {
	ID              string `json:"id"`
	AccountID       string `json:"account_id"`
	Creditor        string `json:"creditor"`
	AmountMinor     int64  `json:"amount_minor"`
	Currency        string `json:"currency"`
	DueDate         string `json:"due_date"` // YYYY-MM-DD
	DaysPastDue     int    `json:"days_past_due"`
	MinPaymentMinor int64  `json:"min_payment_minor"`
}

// Conversation modes.
const (
	ModeBot          = "bot"
	ModeWaitingAgent = "waiting_agent"
	ModeAgent        = "agent"
	ModeEnded        = "ended"
)

// Conversation is one conversation's header and saved state.
type Conversation struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	DebtID    string `json:"debt_id"`
	Channel   string `json:"channel"` // "chat", "voice", "phone"
	Locale    string `json:"locale"`
	Mode      string `json:"mode"`
	Stage     string `json:"stage"`
	// State is the dialog engine's state, opaque to the store.
	State json.RawMessage `json:"state,omitempty"`
	// Outcome is the outcome record, opaque to the store (JSON).
	Outcome     json.RawMessage `json:"outcome,omitempty"`
	OutcomeType string          `json:"outcome_type"`
	// LateReason is the borrower's stated reason for lateness (a
	// dialog.Late* code), "" until one is stated.
	LateReason string     `json:"late_reason,omitempty"`
	Version    int64      `json:"version"` // bumped by every CommitTurn
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
}

// ConversationFilter selects conversations; zero fields match all.
type ConversationFilter struct {
	AccountID string
	Mode      string
	Limit     int
}

// Turn is one utterance in a conversation.
type Turn struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`  // 1-based, per conversation, assigned by the caller
	From           string `json:"from"` // "borrower", "bot", "agent", "system"
	Text           string `json:"text"`
	// Meta is free-form JSON: the parse, the act, guard decision, message id.
	Meta json.RawMessage `json:"meta,omitempty"`
	// MessageID makes appends idempotent: a turn whose (conversation,
	// message id) is already stored is skipped, not duplicated.
	MessageID string    `json:"message_id,omitempty"`
	At        time.Time `json:"at"`
}

// Promise is a recorded promise to pay.
type Promise struct {
	ID             string     `json:"id"`
	AccountID      string     `json:"account_id"`
	DebtID         string     `json:"debt_id"`
	ConversationID string     `json:"conversation_id"`
	AmountMinor    int64      `json:"amount_minor"`
	Currency       string     `json:"currency"`
	DueDate        string     `json:"due_date"`
	Status         DealStatus `json:"status"`

	CreatedBy string    `json:"created_by"` // "bot" or an agent id
	CreatedAt time.Time `json:"created_at"`
}

// Plan is a recorded installment plan.
type Plan struct {
	ID             string            `json:"id"`
	AccountID      string            `json:"account_id"`
	DebtID         string            `json:"debt_id"`
	ConversationID string            `json:"conversation_id"`
	Currency       string            `json:"currency"`
	TotalMinor     int64             `json:"total_minor"`
	Installments   []PlanInstallment `json:"installments"`
	Status         DealStatus        `json:"status"`
	CreatedBy      string            `json:"created_by"`
	CreatedAt      time.Time         `json:"created_at"`
}

// DealStatus is where a recorded promise or plan stands: the one
// spelling for the runtime, the stores and the API. A deal is recorded
// open; the lender's payment feed marks it kept or broken; cancelled ones
// were replaced or withdrawn.
type DealStatus string

const (
	DealOpen      DealStatus = "open"
	DealKept      DealStatus = "kept"
	DealBroken    DealStatus = "broken"
	DealCancelled DealStatus = "cancelled"
)

// PlanInstallment is one payment of a plan.
type PlanInstallment struct {
	AmountMinor int64  `json:"amount_minor"`
	DueDate     string `json:"due_date"`
}

// EscalationStatus is where a request for a human stands. This is the one
// spelling of the handoff protocol's statuses: the runtime, the queue, the
// console and the store all use these constants. A case is initiated by the
// runtime, queued for agents, accepted by one and then completed; or it
// fails (the borrower left, the packet was unreadable) or expires (no agent
// within the SLA; a callback may then be offered).
type EscalationStatus string

const (
	EscalationInitiated EscalationStatus = "initiated"
	EscalationQueued    EscalationStatus = "queued"
	EscalationAccepted  EscalationStatus = "accepted"
	EscalationCompleted EscalationStatus = "completed"
	EscalationFailed    EscalationStatus = "failed"
	EscalationExpired   EscalationStatus = "expired"
)

// Finished reports whether s is terminal: completed, failed or expired.
func (s EscalationStatus) Finished() bool {
	return s == EscalationCompleted || s == EscalationFailed || s == EscalationExpired
}

// Waiting reports whether s still waits for an agent: initiated or queued.
func (s EscalationStatus) Waiting() bool {
	return s == EscalationInitiated || s == EscalationQueued
}

// Escalation is a request for a human.
type Escalation struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	AccountID      string `json:"account_id"`
	Reason         string `json:"reason"`
	Priority       int    `json:"priority"`
	// Status follows the handoff protocol.
	Status    EscalationStatus `json:"status"`
	AgentID   string           `json:"agent_id,omitempty"`
	Packet    json.RawMessage  `json:"packet,omitempty"` // the handoff packet
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// EscalationFilter selects escalations; zero fields match all.
type EscalationFilter struct {
	ConversationID string
	Status         EscalationStatus
	Limit          int
}

// ContactAttempt is one attempt to reach a borrower, allowed or not.
type ContactAttempt struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	DebtID    string `json:"debt_id"`
	Channel   string `json:"channel"`
	// Result: "connected", "no_answer", "voicemail", "blocked", "conversation".
	Result string    `json:"result"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// AuditEvent is one link of a hash-chained, append-only audit log. Chains
// are per conversation (chain = conversation id) or "system", so nodes never
// contend for one global chain. Hash = SHA-256(PrevHash || canonical event);
// compliance computes and verifies it, the store only keeps it.
type AuditEvent struct {
	Chain    string          `json:"chain"`
	Seq      int64           `json:"seq"`  // 1-based within the chain
	Kind     string          `json:"kind"` // "guard.blocked", "guard.passed", "outcome", "disclosure", ...
	Data     json.RawMessage `json:"data"`
	At       time.Time       `json:"at"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// TurnCommit is everything one conversation step writes, atomically.
type TurnCommit struct {
	Conversation Conversation // with the new Mode, Stage, State, Outcome and Version
	Turns        []Turn
	Promises     []Promise
	Plans        []Plan
	Escalations  []Escalation
	Audit        []AuditEvent
	Contact      *ContactAttempt
	// StopContact records a borrower's request to stop contact on some
	// channels (do-not-contact), in the same transaction as the turn that
	// acknowledged it.
	StopContact *StopContact
	// Statements are what the borrower stated about their rights in this
	// step, saved on the account with the turn that stated them.
	Statements []Statement
	// Events are what the step tells the outside world (a promise made, a
	// conversation ended), written to the outbox in the same transaction,
	// so that a relay publishes them after the reply and none is lost
	// with the process.
	Events []Event
}

// Event is one event in the outbox: committed with the step that caused
// it, published by a relay after the reply, and deleted once the broker
// has stored it. A relay that dies between the two publishes it again;
// the broker drops the second copy by ID.
type Event struct {
	ID   string          `json:"id"`   // the broker's message id; "" is generated
	Kind string          `json:"kind"` // dot-separated subject tokens ("ptp.created")
	At   time.Time       `json:"at"`   // zero is the commit's time
	Data json.RawMessage `json:"data"` // JSON
}

// Outbox is what a relay needs of the store: the events still to
// publish, and forgetting the published ones.
type Outbox interface {
	// PendingEvents returns up to limit outbox events committed at or
	// before until, oldest first (limit <= 0 means no limit).
	PendingEvents(ctx context.Context, until time.Time, limit int) ([]Event, error)
	// DeleteEvents removes published events; ids not in the outbox are
	// ignored (another relay published them first).
	DeleteEvents(ctx context.Context, ids []string) error
}

// Statement kinds: what a borrower may state about their rights, which
// every channel, callback and campaign honours until the lender clears it.
const (
	StatementCease      = "cease"      // stop contacting me (all channels, or Channels)
	StatementDispute    = "dispute"    // I do not owe this / not this much
	StatementValidation = "validation" // prove that I owe this
	StatementAttorney   = "attorney"   // I am represented by an attorney
	StatementBankruptcy = "bankruptcy" // I have filed for bankruptcy
)

// StatementKinds lists the kinds in a fixed order.
var StatementKinds = []string{StatementCease, StatementDispute, StatementValidation, StatementAttorney, StatementBankruptcy}

// Statement is one thing the borrower stated about their rights: what,
// when, how (the channel) and in which conversation and turn.
type Statement struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Kind      string `json:"kind"`
	// Channels limits a cease to these channels; empty means every
	// channel.
	Channels []string `json:"channels,omitempty"`
	// Details is free-form JSON, e.g. the attorney's name and phone.
	Details        json.RawMessage `json:"details,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	TurnSeq        int64           `json:"turn_seq,omitempty"`
	// Channel is how the statement was made ("chat", "voice", "phone").
	Channel     string     `json:"channel"`
	At          time.Time  `json:"at"`
	ClearedAt   *time.Time `json:"cleared_at,omitempty"`
	ClearedBy   string     `json:"cleared_by,omitempty"`
	ClearReason string     `json:"clear_reason,omitempty"`
}

// Active reports whether the statement still holds.
func (s Statement) Active() bool { return s.ClearedAt == nil }

// StatementClear clears one statement of an account.
type StatementClear struct {
	AccountID string
	ID        string
	By        string // who cleared it (an API key's name, an agent id)
	Reason    string
	At        time.Time    // zero: the store's clock
	Audit     []AuditEvent // appended in the same transaction
}

// StopContact sets do-not-contact on channels ("chat", "voice", "sms",
// "email") of an account.
type StopContact struct {
	AccountID string   `json:"account_id"`
	Channels  []string `json:"channels"`
}
