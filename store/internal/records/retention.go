package records

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/collectagent/collectagent/store"
)

// Hold checks a hold to place and fills its id and time.
func Hold(h store.Hold, now time.Time) (store.Hold, error) {
	if h.AccountID == "" || strings.TrimSpace(h.Reason) == "" {
		return h, fmt.Errorf("a hold needs an account and a reason: %w", store.ErrInvalid)
	}
	if h.ID == "" {
		h.ID = NewID()
	}
	h.PlacedAt = Time(OrNow(h.PlacedAt, now))
	h.ReleasedAt, h.ReleasedBy, h.ReleaseReason = nil, "", ""
	return h, nil
}

// HoldRelease checks a release and fills its time.
func HoldRelease(r store.HoldRelease, now time.Time) (store.HoldRelease, error) {
	if r.AccountID == "" || r.ID == "" {
		return r, fmt.Errorf("release hold needs account_id and id: %w", store.ErrInvalid)
	}
	if strings.TrimSpace(r.Reason) == "" {
		return r, fmt.Errorf("release hold needs a reason: %w", store.ErrInvalid)
	}
	r.At = Time(OrNow(r.At, now))
	var err error
	r.Audit, err = Audit(r.Audit, now)
	return r, err
}

// Purge checks a purge and fills its time.
func Purge(p store.Purge, now time.Time) (store.Purge, error) {
	if p.AccountID == "" || !slices.Contains(store.PurgeKinds, p.Kind) || p.Before.IsZero() {
		return p, fmt.Errorf("purge needs an account, a kind (%s) and a cut-off: %w", strings.Join(store.PurgeKinds, ", "), store.ErrInvalid)
	}
	p.At = Time(OrNow(p.At, now))
	p.Before = Time(p.Before)
	var err error
	p.Audit, err = Audit(p.Audit, now)
	return p, err
}

// Erasure checks an erasure and fills its time.
func Erasure(e store.Erasure, now time.Time) (store.Erasure, error) {
	if e.AccountID == "" || e.RedactAudit == nil {
		return e, fmt.Errorf("erasure needs an account and RedactAudit: %w", store.ErrInvalid)
	}
	e.At = Time(OrNow(e.At, now))
	var err error
	e.Audit, err = Audit(e.Audit, now)
	return e, err
}

// SameSet reports whether a and b hold the same strings.
func SameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
