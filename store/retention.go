package store

import (
	"context"
	"errors"
	"time"
)

// ErrHeld is a purge or an erasure of an account under an active legal
// hold.
var ErrHeld = errors.New("store: account under legal hold")

// Kinds of data with a retention period of their own (retention.Config).
// Recordings are blobs outside the store; the others are rows.
const (
	// KindTranscripts: the turns of a conversation (who said what), its
	// saved dialog state and its escalations' handoff packets.
	KindTranscripts = "transcripts"
	// KindAudit: a conversation's audit chain.
	KindAudit = "audit"
	// KindContactAttempts: an account's contact attempts.
	KindContactAttempts = "contact_attempts"
)

// PurgeKinds lists the kinds the store purges, in a fixed order.
var PurgeKinds = []string{KindTranscripts, KindAudit, KindContactAttempts}

// Retention is what the retention job and the erasure API need of a
// store: legal holds, purges, erasures and a lease so that one node at a
// time purges. It is part of Store.
type Retention interface {
	// PlaceHold places a legal hold on an account and appends audit in the
	// same transaction; an empty ID is generated, a zero PlacedAt is the
	// store's clock. ErrInvalid without a reason or when the account does
	// not exist.
	PlaceHold(ctx context.Context, h Hold, audit []AuditEvent) (Hold, error)
	// ReleaseHold releases one hold of an account: ErrNotFound when the
	// account has no such hold, ErrConflict when it was released already,
	// ErrInvalid without a reason.
	ReleaseHold(ctx context.Context, r HoldRelease) (Hold, error)
	// ListHolds returns an account's holds, oldest first, released ones
	// included; accountID "" returns every active hold.
	ListHolds(ctx context.Context, accountID string) ([]Hold, error)

	// PurgeCandidates returns up to limit accounts, by id after the one
	// given, that have no active hold, no activity (a conversation
	// updated, a contact attempt) at or after before, and still hold data
	// of kind: with the conversations whose data of that kind is still
	// there (none for KindContactAttempts).
	PurgeCandidates(ctx context.Context, kind string, before time.Time, after string, limit int) ([]PurgeCandidate, error)
	// Purge removes one account's data of one kind in one transaction,
	// with p.Audit appended: ErrHeld when the account is under hold,
	// ErrConflict when it had activity at or after p.Before since it was
	// chosen.
	Purge(ctx context.Context, p Purge) (PurgeResult, error)
	// Erase removes or irreversibly redacts an account's personal data and
	// keeps the records the law requires (see Erasure), with e.Audit
	// appended in the same transaction: ErrHeld under a hold, ErrNotFound
	// without the account, ErrConflict when the account has conversations
	// e.Conversations does not list.
	Erase(ctx context.Context, e Erasure) (ErasureResult, error)

	// AcquireLease takes the named lease for holder until until when it is
	// free, expired at now, or holder's already (a renewal), and reports
	// whether holder holds it.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
}

// Hold is a legal hold: while it is active nothing of the account is
// purged or erased.
type Hold struct {
	ID            string     `json:"id"`
	AccountID     string     `json:"account_id"`
	Reason        string     `json:"reason"`
	PlacedBy      string     `json:"placed_by"`
	PlacedAt      time.Time  `json:"placed_at"`
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
}

// Active reports whether the hold still holds.
func (h Hold) Active() bool { return h.ReleasedAt == nil }

// HoldRelease releases one hold of an account.
type HoldRelease struct {
	AccountID string
	ID        string
	By        string
	Reason    string
	At        time.Time    // zero: the store's clock
	Audit     []AuditEvent // appended in the same transaction
}

// PurgeCandidate is an account whose data of one kind is due.
type PurgeCandidate struct {
	AccountID     string
	Conversations []string // whose data of the kind is still stored, by id
}

// Purge removes an account's data of one kind.
type Purge struct {
	AccountID string
	Kind      string
	// Before is the cut-off: the purge fails with ErrConflict when the
	// account has had activity at or after it.
	Before time.Time
	// Conversations are the conversations whose data of Kind goes
	// (transcripts, audit); ignored for contact attempts, which go whole.
	Conversations []string
	At            time.Time    // zero: the store's clock
	Audit         []AuditEvent // the record of the purge, appended in the same transaction
}

// PurgeResult counts what a purge removed.
type PurgeResult struct {
	Turns           int `json:"turns"`
	AuditEvents     int `json:"audit_events"`
	ContactAttempts int `json:"contact_attempts"`
}

// Erasure is a borrower's request that their personal data be erased.
//
// What goes: the account's name, date of birth, ID digits, phone and
// email (emptied; every channel is set do-not-contact and consent
// withdrawn, since nobody can be verified any more; UpsertAccounts keeps
// them so); the text and
// metadata of every turn of the account's conversations (the audit chain
// keeps each text's SHA-256); conversations' saved dialog state and
// outcome documents; escalations' handoff packets; the data of the
// account's conversations' audit events, each replaced by what RedactAudit
// makes of it (the caller keeps the chain verifiable: compliance.Erase
// keeps the digest the event's hash covers, and keeps "records" events,
// which hold hashes and amounts only, whole).
//
// What stays, because the lender must keep it (Reg F 12 CFR 1006.100:
// records of collection activity for three years after the last): the
// account id, its debts, promises and plans, the borrower's statements
// (cease, dispute, attorney...), contact attempts, conversation headers
// (channel, times, outcome type), turns' authors and times, and every
// audit event's kind and time. Those go with the retention periods.
type Erasure struct {
	AccountID string
	// Conversations lists every conversation of the account, read before
	// the audit record was sealed: a conversation started since fails the
	// erasure with ErrConflict, so that the record names all it erased.
	Conversations []string
	// RedactAudit returns what an audit event keeps of its data; its
	// own data to keep it (required).
	RedactAudit func(ev AuditEvent) []byte
	At          time.Time    // zero: the store's clock
	Audit       []AuditEvent // the record of the erasure, appended in the same transaction
}

// ErasureResult counts what an erasure redacted.
type ErasureResult struct {
	Conversations int `json:"conversations"`
	Turns         int `json:"turns"`
	AuditEvents   int `json:"audit_events"`
	Escalations   int `json:"escalations"`
}
