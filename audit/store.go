package audit

import (
	"context"

	"github.com/collectagent/collectagent/store"
)

// sealedStore passes every call to the store it wraps and tells the
// checkpointer about each audit event the store has committed.
type sealedStore struct {
	store.Store
	cp *Checkpointer
}

// WrapStore returns st with every committed audit event (of a turn, an
// append or a cleared statement) noted by cp for its next checkpoint.
func WrapStore(st store.Store, cp *Checkpointer) store.Store {
	return &sealedStore{Store: st, cp: cp}
}

// CommitTurn implements store.Store.
func (s *sealedStore) CommitTurn(ctx context.Context, c store.TurnCommit) error {
	if err := s.Store.CommitTurn(ctx, c); err != nil {
		return err
	}
	s.cp.Observe(c.Audit)
	return nil
}

// AppendAudit implements store.Store.
func (s *sealedStore) AppendAudit(ctx context.Context, evs []store.AuditEvent) error {
	if err := s.Store.AppendAudit(ctx, evs); err != nil {
		return err
	}
	s.cp.Observe(evs)
	return nil
}

// ClearStatement implements store.Store.
func (s *sealedStore) ClearStatement(ctx context.Context, c store.StatementClear) (store.Statement, error) {
	st, err := s.Store.ClearStatement(ctx, c)
	if err != nil {
		return st, err
	}
	s.cp.Observe(c.Audit)
	return st, nil
}

// PlaceHold implements store.Store.
func (s *sealedStore) PlaceHold(ctx context.Context, h store.Hold, evs []store.AuditEvent) (store.Hold, error) {
	out, err := s.Store.PlaceHold(ctx, h, evs)
	if err != nil {
		return out, err
	}
	s.cp.Observe(evs)
	return out, nil
}

// ReleaseHold implements store.Store.
func (s *sealedStore) ReleaseHold(ctx context.Context, r store.HoldRelease) (store.Hold, error) {
	out, err := s.Store.ReleaseHold(ctx, r)
	if err != nil {
		return out, err
	}
	s.cp.Observe(r.Audit)
	return out, nil
}

// Purge implements store.Store. A purged chain is gone from the store;
// its record on the account's chain is what the next checkpoint notes.
func (s *sealedStore) Purge(ctx context.Context, p store.Purge) (store.PurgeResult, error) {
	out, err := s.Store.Purge(ctx, p)
	if err != nil {
		return out, err
	}
	s.cp.Observe(p.Audit)
	return out, nil
}

// Erase implements store.Store. Erased events keep their hashes, so the
// heads checkpointed before still match.
func (s *sealedStore) Erase(ctx context.Context, e store.Erasure) (store.ErasureResult, error) {
	out, err := s.Store.Erase(ctx, e)
	if err != nil {
		return out, err
	}
	s.cp.Observe(e.Audit)
	return out, nil
}
