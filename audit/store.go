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
