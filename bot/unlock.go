package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// A verification lock: after the flow's account_verify_attempts failed
// identity answers across an account's conversations, chat no longer
// verifies the account (the borrower is told how to reach a person). A
// supervisor who has checked the borrower's identity another way unlocks
// it; the unlock is an event on the account's audit chain, and failed
// answers before it no longer count.

// AuditVerificationUnlocked is the kind of the account-chain event that
// unlocks verification.
const AuditVerificationUnlocked = "verification.unlocked"

// VerificationStatus is where an account's verification stands.
type VerificationStatus struct {
	// Failures counts failed identity answers since the last successful
	// verification or unlock.
	Failures int `json:"failures"`
	// Limit is the flow's account_verify_attempts (0: no lock).
	Limit int `json:"limit"`
	// Locked is Failures >= Limit > 0.
	Locked bool `json:"locked"`
	// UnlockedAt, UnlockedBy and UnlockReason describe the last unlock.
	UnlockedAt   *time.Time `json:"unlocked_at,omitempty"`
	UnlockedBy   string     `json:"unlocked_by,omitempty"`
	UnlockReason string     `json:"unlock_reason,omitempty"`
}

// lastUnlock reads the account chain's newest verification unlock.
func (r *Runtime) lastUnlock(ctx context.Context, accountID string) (*store.AuditEvent, error) {
	evs, err := r.deps.Store.ListAudit(ctx, AccountChain(accountID))
	if err != nil {
		return nil, fmt.Errorf("account chain: %w", err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == AuditVerificationUnlocked {
			return &evs[i], nil
		}
	}
	return nil, nil
}

// VerificationStatus reports the account's failed identity answers and
// whether chat verification is locked.
func (r *Runtime) VerificationStatus(ctx context.Context, accountID string) (VerificationStatus, error) {
	if _, err := r.deps.Store.GetAccount(ctx, accountID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return VerificationStatus{}, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
		}
		return VerificationStatus{}, fmt.Errorf("verification status: %w", err)
	}
	as, err := r.readAccountState(ctx, accountID, "")
	if err != nil {
		return VerificationStatus{}, fmt.Errorf("verification status: %w", err)
	}
	lim := r.flow.Limits.AccountVerifyAttempts
	out := VerificationStatus{Failures: as.priorVerifyFailures, Limit: lim, Locked: lim > 0 && as.priorVerifyFailures >= lim}
	if u := as.unlock; u != nil {
		at := u.At.UTC()
		out.UnlockedAt = &at
		var d struct {
			By     string `json:"by"`
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(u.Data, &d)
		out.UnlockedBy, out.UnlockReason = d.By, d.Reason
	}
	return out, nil
}

// MaxUnlockReasonRunes bounds the reason given for an unlock.
const MaxUnlockReasonRunes = 500

// UnlockVerification lets the account verify in chat again: who unlocked
// it, why and how many failed answers it forgave are sealed onto the
// account's audit chain. It fails with ErrInvalid without a reason,
// ErrNotFound for an unknown account and ErrDone when no failed answer is
// counted against the account.
func (r *Runtime) UnlockVerification(ctx context.Context, accountID, by, reason string) (VerificationStatus, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return VerificationStatus{}, fmt.Errorf("%w: a reason is required", ErrInvalid)
	case utf8.RuneCountInString(reason) > MaxUnlockReasonRunes:
		return VerificationStatus{}, fmt.Errorf("%w: reason longer than %d characters", ErrInvalid, MaxUnlockReasonRunes)
	}
	for attempt := 0; ; attempt++ {
		st, err := r.VerificationStatus(ctx, accountID)
		if err != nil {
			return VerificationStatus{}, fmt.Errorf("unlock verification: %w", err)
		}
		if st.Failures == 0 {
			return st, fmt.Errorf("unlock verification: no failed answers to forgive: %w", ErrDone)
		}
		chain := AccountChain(accountID)
		head, err := r.deps.Store.LastAudit(ctx, chain)
		if err != nil {
			return VerificationStatus{}, fmt.Errorf("unlock verification: audit: %w", err)
		}
		var prev *compliance.AuditRecord
		if head.Seq > 0 {
			rec := auditRecord(head)
			prev = &rec
		}
		now := r.deps.Clock.Now().UTC()
		data, _ := json.Marshal(map[string]any{
			"by": by, "reason": reason, "failures": st.Failures, "locked": st.Locked,
		})
		rec := compliance.Seal(prev, compliance.AuditRecord{Chain: chain, Kind: AuditVerificationUnlocked, Data: data, At: now})
		err = r.deps.Store.AppendAudit(ctx, []store.AuditEvent{auditEvent(rec)})
		if errors.Is(err, store.ErrConflict) && attempt < 2 {
			continue // the chain moved on: link to its new head
		}
		if err != nil {
			return VerificationStatus{}, fmt.Errorf("unlock verification: %w", err)
		}
		r.log.Info("verification unlocked", "account", accountID, "by", by, "failures", st.Failures)
		return VerificationStatus{Limit: st.Limit, UnlockedAt: &now, UnlockedBy: by, UnlockReason: reason}, nil
	}
}
