package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// ContactRefusedError is why a contact may not go ahead. It matches
// ErrNotAllowed (errors.Is).
type ContactRefusedError struct {
	Channel  Channel
	Decision compliance.ContactDecision
}

func (e *ContactRefusedError) Error() string {
	s := fmt.Sprintf("contact on %s refused: %s", e.Channel, e.Decision.Reason)
	if !e.Decision.NextAllowed.IsZero() {
		s += " (next allowed " + e.Decision.NextAllowed.UTC().Format(time.RFC3339) + ")"
	}
	return s
}

// Is makes a refusal an ErrNotAllowed.
func (e *ContactRefusedError) Is(target error) bool { return target == ErrNotAllowed }

// contactAttempt is the one constructor of the contact attempts the
// runtime records: the conversation that starts (Session.Start) and the
// outbound contact refused (Begin).
func contactAttempt(accountID, debtID string, ch Channel, result, reason string, at time.Time) store.ContactAttempt {
	return store.ContactAttempt{
		ID: newID("a"), AccountID: accountID, DebtID: debtID, Channel: string(ch),
		Result: result, Reason: reason, At: at.UTC(),
	}
}

// mayReach asks the account's pack whether the collector may contact the
// borrower on ch now about debtID. A refusal is recorded as a blocked
// attempt (which counts against no cap) and returned as a
// *ContactRefusedError.
func (r *Runtime) mayReach(ctx context.Context, a store.Account, ch Channel, debtID string) error {
	pol := r.policyFor(a.Portfolio)
	g, ok := r.guards[pol.Pack]
	if !ok {
		return fmt.Errorf("begin: pack %q: %w", pol.Pack, ErrConfig)
	}
	now := r.deps.Clock.Now()
	req, err := r.contactRequest(ctx, a, ch, debtID, now, r.zone(a.Timezone, normLocale(a.Locale)))
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	d := g.Pack().MayContact(req)
	if d.Allowed {
		return nil
	}
	at := contactAttempt(a.ID, debtID, ch, compliance.ResultBlocked, d.Reason, now)
	if err := r.deps.Store.RecordContactAttempt(ctx, at); err != nil {
		return fmt.Errorf("begin: record the refused attempt: %w", err)
	}
	r.publishAttempt(ctx, at)
	return &ContactRefusedError{Channel: ch, Decision: d}
}

// publishAttempt tells the outside world of a recorded attempt.
func (r *Runtime) publishAttempt(ctx context.Context, a store.ContactAttempt) {
	if p := r.deps.Publisher; p != nil {
		if err := p.PublishEvent(ctx, "contact.attempted", a); err != nil {
			r.log.Warn("publish event failed", "kind", "contact.attempted", "err", err)
		}
	}
}
