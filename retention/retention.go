// Package retention keeps a lender's data only as long as it must: a purge
// job that removes each kind of data (transcripts, recordings, audit
// chains, contact attempts) once its retention period has run out since the
// account's last collection activity, legal holds that stop it, and the
// erasure of a borrower's personal data on request, keeping what the law
// requires. Every purge, hold and erasure is sealed onto the account's
// audit chain (bot.AccountChain) in the same transaction as the change.
//
// It knows the store, the audit chain's sealing and the recordings' blob
// store; it knows nothing of transports, dialogs or HTTP.
package retention

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/internal/fielderr"
	"github.com/collectagent/collectagent/store"
)

// Errors of the service. The HTTP edge maps them to status codes.
var (
	ErrInvalid  = errors.New("retention: invalid request")
	ErrNotFound = errors.New("retention: not found")
	ErrHeld     = errors.New("retention: account under legal hold")
	ErrDone     = errors.New("retention: released already")
	ErrConfig   = errors.New("retention: bad configuration")
)

// RegFRecordsPeriod is Reg F's record keeping: evidence of compliance kept
// until three years after the last collection activity on a debt (12 CFR
// 1006.100(a)).
const RegFRecordsPeriod = 3 * 365 * 24 * time.Hour

// MaxReasonRunes bounds the reason of a hold, a release or an erasure.
const MaxReasonRunes = 500

// Config sets the retention period of each kind of data, counted from the
// account's last collection activity (a conversation step or a contact
// attempt). Zero keeps that kind for ever.
type Config struct {
	// Every is how often the purge runs (on one node at a time); 0 turns
	// it off.
	Every time.Duration `yaml:"every" validate:"min=0"`
	// Lease is how long a node holds the purge once it took it; another
	// node takes over when it lapses (a node that died). Default Every.
	Lease time.Duration `yaml:"lease" validate:"min=0"`
	// Batch is how many accounts one store call looks at.
	Batch int `yaml:"batch" validate:"min=0"`
	// RecordsPeriod is the shortest the law lets transcripts, audit
	// chains and contact attempts be kept (Reg F: three years).
	RecordsPeriod time.Duration `yaml:"records_period" validate:"min=0"`

	Transcripts     time.Duration `yaml:"transcripts" validate:"min=0"`
	Recordings      time.Duration `yaml:"recordings" validate:"min=0"`
	Audit           time.Duration `yaml:"audit" validate:"min=0"`
	ContactAttempts time.Duration `yaml:"contact_attempts" validate:"min=0"`
}

// DefaultConfig purges nothing (every period zero) until the lender sets
// periods; the job looks hourly.
func DefaultConfig() Config {
	return Config{Every: time.Hour, Batch: 100, RecordsPeriod: RegFRecordsPeriod}
}

// WithDefaults fills zero Lease and Batch.
func (c Config) WithDefaults() Config {
	if c.Lease == 0 {
		c.Lease = max(c.Every, time.Minute)
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	return c
}

// Validate names the field that is wrong.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"retention.transcripts", c.Transcripts}, {"retention.audit", c.Audit}, {"retention.contact_attempts", c.ContactAttempts}} {
		if f.d < 0 || (f.d > 0 && f.d < c.RecordsPeriod) {
			return fmt.Errorf("%w: %w", ErrConfig, fielderr.Errorf(f.name, "%v is shorter than retention.records_period %v (Reg F 1006.100 keeps records three years)", f.d, c.RecordsPeriod))
		}
	}
	if c.Audit > 0 && (c.Transcripts == 0 || c.Audit < c.Transcripts) {
		// The chain vouches for the transcript: it must not go first.
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.Errorf("retention.audit", "%v must not be shorter than retention.transcripts %v", c.Audit, c.Transcripts))
	}
	if c.Every < 0 || c.Lease < 0 || c.Recordings < 0 || c.Batch < 0 {
		return fmt.Errorf("%w: %w", ErrConfig, fielderr.New("retention", "every, lease, batch and recordings must not be negative"))
	}
	return nil
}

// period returns a kind's retention.
func (c Config) period(kind string) time.Duration {
	switch kind {
	case store.KindTranscripts:
		return c.Transcripts
	case store.KindAudit:
		return c.Audit
	case store.KindContactAttempts:
		return c.ContactAttempts
	}
	return 0
}

// Deps are the service's collaborators.
type Deps struct {
	Store store.Store
	// Recordings, when set, are pruned with the recordings period and
	// deleted on erasure.
	Recordings Recordings
	Clock      clock.Clock  // nil: the system clock
	Logger     *slog.Logger // nil discards
	// Node names this node as the purge lease's holder; empty: the host
	// name and a random suffix.
	Node string
	// Observe, when set, receives the report of every purge this node
	// ran (metrics).
	Observe func(Report)
}

// Service runs the purge and serves holds and erasures.
type Service struct {
	cfg   Config
	st    store.Store
	rec   Recordings
	clock clock.Clock
	log   *slog.Logger
	node  string
	obs   func(Report)
}

// New checks cfg and returns a service.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil {
		return nil, fmt.Errorf("%w: a store is required", ErrConfig)
	}
	s := &Service{cfg: cfg, st: deps.Store, rec: deps.Recordings, clock: deps.Clock, log: deps.Logger, node: deps.Node, obs: deps.Observe}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.node == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		s.node = host + "-" + hex.EncodeToString(b[:])
	}
	return s, nil
}

// LeaseName is the store lease the purge runs under.
const LeaseName = "retention.purge"

// Run purges every cfg.Every until ctx ends (nothing when Every is 0).
// Each round runs only on the node that holds the lease.
func (s *Service) Run(ctx context.Context) {
	if s.cfg.Every <= 0 {
		return
	}
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		if _, err := s.PurgeOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Report counts what one purge removed.
type Report struct {
	Ran              bool `json:"ran"` // false: another node holds the lease
	Accounts         int  `json:"accounts"`
	Turns            int  `json:"turns"`
	AuditEvents      int  `json:"audit_events"`
	ContactAttempts  int  `json:"contact_attempts"`
	Recordings       int  `json:"recordings"`
	SkippedHeldOrNew int  `json:"skipped"` // held or active again since they were chosen
}

// PurgeOnce runs one purge round if this node gets the lease.
func (s *Service) PurgeOnce(ctx context.Context) (Report, error) {
	rep, err := s.purgeOnce(ctx)
	if rep.Ran && s.obs != nil {
		s.obs(rep)
	}
	return rep, err
}

func (s *Service) purgeOnce(ctx context.Context) (Report, error) {
	var rep Report
	now := s.clock.Now().UTC()
	ok, err := s.st.AcquireLease(ctx, LeaseName, s.node, now, now.Add(s.cfg.Lease))
	if err != nil || !ok {
		return rep, err
	}
	rep.Ran = true
	accounts := map[string]bool{}
	// Transcripts before audit chains: a chain outlives what it vouches for.
	for _, kind := range store.PurgeKinds {
		d := s.cfg.period(kind)
		if d <= 0 {
			continue
		}
		before := now.Add(-d)
		after := ""
		for {
			cands, err := s.st.PurgeCandidates(ctx, kind, before, after, s.cfg.Batch)
			if err != nil {
				return rep, err
			}
			for _, c := range cands {
				res, err := s.purge(ctx, kind, before, now, c)
				switch {
				case errors.Is(err, store.ErrHeld), errors.Is(err, store.ErrConflict):
					rep.SkippedHeldOrNew++
					continue
				case err != nil:
					return rep, err
				}
				accounts[c.AccountID] = true
				rep.Turns += res.Turns
				rep.AuditEvents += res.AuditEvents
				rep.ContactAttempts += res.ContactAttempts
			}
			if len(cands) < s.cfg.Batch {
				break
			}
			after = cands[len(cands)-1].AccountID
			// A long round keeps the lease.
			if _, err := s.st.AcquireLease(ctx, LeaseName, s.node, s.clock.Now(), s.clock.Now().Add(s.cfg.Lease)); err != nil {
				return rep, err
			}
		}
	}
	rep.Accounts = len(accounts)
	if s.rec != nil && s.cfg.Recordings > 0 {
		n, err := s.pruneRecordings(ctx, now.Add(-s.cfg.Recordings), now)
		rep.Recordings = n
		if err != nil {
			return rep, err
		}
	}
	if rep.Accounts+rep.Recordings+rep.SkippedHeldOrNew > 0 {
		s.log.Info("purge", "accounts", rep.Accounts, "turns", rep.Turns, "audit_events", rep.AuditEvents,
			"contact_attempts", rep.ContactAttempts, "recordings", rep.Recordings, "skipped", rep.SkippedHeldOrNew)
	}
	return rep, nil
}

// PurgeRecord is the data of a "retention.purged" event on an account's
// chain: what went, of which kind, and the cut-off.
type PurgeRecord struct {
	Kind          string    `json:"kind"`
	Before        time.Time `json:"before"`
	Conversations []string  `json:"conversations,omitempty"`
}

// ErasureRecord is the data of an "erasure" event on an account's chain.
type ErasureRecord struct {
	By            string   `json:"by"`
	Reason        string   `json:"reason,omitempty"`
	Conversations []string `json:"conversations"`
}

// HoldRecord is the data of "hold.placed" and "hold.released" events.
type HoldRecord struct {
	ID     string `json:"id"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Audit event kinds on an account's chain.
const (
	KindPurged       = "retention.purged"
	KindErasure      = "erasure"
	KindHoldPlaced   = "hold.placed"
	KindHoldReleased = "hold.released"
	// KindRecordingsPurged is on the "system" chain: recordings are
	// pruned by age across accounts.
	KindRecordingsPurged = "retention.recordings"
)

// SystemChain is the chain of events that belong to no account.
const SystemChain = "system"

// seal runs write with one event sealed onto chain after its head, and
// seals again when another writer moved the chain meanwhile.
func (s *Service) seal(ctx context.Context, chain, kind string, data any, write func(ev store.AuditEvent) error) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		head, err := s.st.LastAudit(ctx, chain)
		if err != nil {
			return err
		}
		var prev *compliance.AuditRecord
		if head.Seq > 0 {
			r := compliance.AuditRecord{Chain: head.Chain, Seq: head.Seq, Kind: head.Kind, Data: head.Data, At: head.At, PrevHash: head.PrevHash, Hash: head.Hash}
			prev = &r
		}
		r := compliance.Seal(prev, compliance.AuditRecord{Chain: chain, Kind: kind, Data: b, At: s.clock.Now()})
		err = write(store.AuditEvent{Chain: r.Chain, Seq: r.Seq, Kind: r.Kind, Data: r.Data, At: r.At, PrevHash: r.PrevHash, Hash: r.Hash})
		if !errors.Is(err, store.ErrConflict) || attempt >= 3 {
			return err
		}
		// Seal again only when the chain moved on (another writer took
		// the seq); any other conflict is the caller's.
		now, herr := s.st.LastAudit(ctx, chain)
		if herr != nil || now.Seq == head.Seq {
			return err
		}
	}
}

func (s *Service) purge(ctx context.Context, kind string, before, now time.Time, c store.PurgeCandidate) (store.PurgeResult, error) {
	var res store.PurgeResult
	rec := PurgeRecord{Kind: kind, Before: before, Conversations: c.Conversations}
	err := s.seal(ctx, bot.AccountChain(c.AccountID), KindPurged, rec, func(ev store.AuditEvent) error {
		var err error
		res, err = s.st.Purge(ctx, store.Purge{AccountID: c.AccountID, Kind: kind, Before: before,
			Conversations: c.Conversations, At: now, Audit: []store.AuditEvent{ev}})
		return err
	})
	return res, err
}

func checkReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "" && required:
		return "", fmt.Errorf("%w: %w", ErrInvalid, fielderr.New("reason", "a reason is required"))
	case utf8.RuneCountInString(reason) > MaxReasonRunes:
		return "", fmt.Errorf("%w: %w", ErrInvalid, fielderr.Errorf("reason", "longer than %d characters", MaxReasonRunes))
	}
	return reason, nil
}

// PlaceHold places a legal hold on an account: nothing of it is purged or
// erased until it is released.
func (s *Service) PlaceHold(ctx context.Context, accountID, by, reason string) (store.Hold, error) {
	reason, err := checkReason(reason, true)
	if err != nil {
		return store.Hold{}, err
	}
	if _, err := s.st.GetAccount(ctx, accountID); errors.Is(err, store.ErrNotFound) {
		return store.Hold{}, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
	} else if err != nil {
		return store.Hold{}, err
	}
	h := store.Hold{ID: newID(), AccountID: accountID, Reason: reason, PlacedBy: by, PlacedAt: s.clock.Now()}
	var out store.Hold
	err = s.seal(ctx, bot.AccountChain(accountID), KindHoldPlaced, HoldRecord{ID: h.ID, By: by, Reason: reason}, func(ev store.AuditEvent) error {
		var err error
		out, err = s.st.PlaceHold(ctx, h, []store.AuditEvent{ev})
		return err
	})
	if err != nil {
		return store.Hold{}, fmt.Errorf("place hold: %w", err)
	}
	return out, nil
}

// ReleaseHold releases one of an account's holds.
func (s *Service) ReleaseHold(ctx context.Context, accountID, id, by, reason string) (store.Hold, error) {
	reason, err := checkReason(reason, true)
	if err != nil {
		return store.Hold{}, err
	}
	var out store.Hold
	err = s.seal(ctx, bot.AccountChain(accountID), KindHoldReleased, HoldRecord{ID: id, By: by, Reason: reason}, func(ev store.AuditEvent) error {
		var err error
		out, err = s.st.ReleaseHold(ctx, store.HoldRelease{AccountID: accountID, ID: id, By: by, Reason: reason,
			At: s.clock.Now(), Audit: []store.AuditEvent{ev}})
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Hold{}, fmt.Errorf("hold %q of account %q: %w", id, accountID, ErrNotFound)
	case errors.Is(err, store.ErrConflict):
		return store.Hold{}, fmt.Errorf("hold %q: %w", id, ErrDone)
	case err != nil:
		return store.Hold{}, fmt.Errorf("release hold: %w", err)
	}
	return out, nil
}

// Holds lists an account's holds, oldest first.
func (s *Service) Holds(ctx context.Context, accountID string) ([]store.Hold, error) {
	if _, err := s.st.GetAccount(ctx, accountID); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	return s.st.ListHolds(ctx, accountID)
}

// Erasure is what an erasure removed and what it kept, and why.
type Erasure struct {
	AccountID  string              `json:"account_id"`
	At         time.Time           `json:"at"`
	Erased     store.ErasureResult `json:"erased"`
	Recordings int                 `json:"recordings"`
	Kept       []string            `json:"kept"`
}

// Kept names what an erasure keeps, and why (the response says it).
var Kept = []string{
	"account id, debts, promises and plans: the lender's claim and what the borrower agreed to",
	"statements (cease, dispute, validation, attorney, bankruptcy): every channel must keep honouring them",
	"contact attempts, conversation headers, turn authors and times, audit event kinds and times, SHA-256 of each turn's text: records of collection activity (Reg F 12 CFR 1006.100: three years after the last), removed by the retention periods",
}

// Erase removes or irreversibly redacts an account's personal data (see
// store.Erasure) and deletes its recordings, sealing an "erasure" event
// onto the account's chain in the same transaction. An account under a
// legal hold is not erased (ErrHeld). Erasing again is harmless.
func (s *Service) Erase(ctx context.Context, accountID, by, reason string) (Erasure, error) {
	reason, err := checkReason(reason, false)
	if err != nil {
		return Erasure{}, err
	}
	out := Erasure{AccountID: accountID, Kept: Kept}
	for attempt := 0; ; attempt++ {
		convs, err := s.conversations(ctx, accountID)
		if err != nil {
			return Erasure{}, err
		}
		out.At = s.clock.Now().UTC().Truncate(time.Microsecond)
		err = s.seal(ctx, bot.AccountChain(accountID), KindErasure, ErasureRecord{By: by, Reason: reason, Conversations: convs}, func(ev store.AuditEvent) error {
			var err error
			out.Erased, err = s.st.Erase(ctx, store.Erasure{AccountID: accountID, Conversations: convs, At: out.At,
				RedactAudit: redactAudit, Audit: []store.AuditEvent{ev}})
			return err
		})
		switch {
		case errors.Is(err, store.ErrConflict) && attempt < 3:
			continue // a conversation started meanwhile: list them again
		case errors.Is(err, store.ErrHeld):
			return Erasure{}, fmt.Errorf("account %q: %w", accountID, ErrHeld)
		case errors.Is(err, store.ErrNotFound):
			return Erasure{}, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
		case err != nil:
			return Erasure{}, fmt.Errorf("erase: %w", err)
		}
		if s.rec != nil {
			for _, c := range convs {
				n, err := s.rec.DeleteConversation(ctx, c)
				out.Recordings += n
				if err != nil {
					// The erasure is recorded; erasing again deletes the rest.
					return out, fmt.Errorf("erase: recordings of %s: %w", c, err)
				}
			}
		}
		s.log.Info("erasure", "account", accountID, "conversations", out.Erased.Conversations, "turns", out.Erased.Turns,
			"audit_events", out.Erased.AuditEvents, "recordings", out.Recordings)
		return out, nil
	}
}

func (s *Service) conversations(ctx context.Context, accountID string) ([]string, error) {
	if _, err := s.st.GetAccount(ctx, accountID); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	cs, err := s.st.ListConversations(ctx, store.ConversationFilter{AccountID: accountID})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// redactAudit keeps records events (hashes, ids and amounts: no personal
// data; the chain keeps vouching for turns and promises) and erases every
// other event's data where that leaves the chain verifiable
// (compliance.Erase).
func redactAudit(ev store.AuditEvent) []byte {
	if ev.Kind == audit.KindRecords {
		return ev.Data
	}
	r, _ := compliance.Erase(compliance.AuditRecord{Chain: ev.Chain, Seq: ev.Seq, Kind: ev.Kind, Data: ev.Data, At: ev.At, PrevHash: ev.PrevHash, Hash: ev.Hash})
	return r.Data
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "hold-" + hex.EncodeToString(b[:])
}
