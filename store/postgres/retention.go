package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/internal/records"
)

const holdCols = `id, account_id, reason, placed_by, placed_at, released_at, released_by, release_reason`

func scanHold(r pgx.Row) (store.Hold, error) {
	var h store.Hold
	var released *time.Time
	if err := r.Scan(&h.ID, &h.AccountID, &h.Reason, &h.PlacedBy, &h.PlacedAt, &released, &h.ReleasedBy, &h.ReleaseReason); err != nil {
		return h, err
	}
	h.PlacedAt = h.PlacedAt.UTC()
	if released != nil {
		t := released.UTC()
		h.ReleasedAt = &t
	}
	return h, nil
}

func insertAudit(ctx context.Context, tx pgx.Tx, evs []store.AuditEvent) error {
	for i, e := range evs {
		data, err := records.JSON("audit data", e.Data)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, qInsertAudit, e.Chain, e.Seq, e.Kind, data, e.At, e.PrevHash, e.Hash); err != nil {
			return fmt.Errorf("audit[%d]: %w", i, mapErr(err))
		}
	}
	return nil
}

// lockAccount takes the account's row lock for the transaction, so that a
// hold, a purge and an erasure of one account run one after the other.
func lockAccount(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("account %q: %w", id, store.ErrNotFound)
	}
	return err
}

// PlaceHold implements store.Store.
func (s *Store) PlaceHold(ctx context.Context, h store.Hold, audit []store.AuditEvent) (store.Hold, error) {
	h, err := records.Hold(h, s.now())
	if err != nil {
		return store.Hold{}, fmt.Errorf("postgres: place hold: %w", err)
	}
	if audit, err = records.Audit(audit, s.now()); err != nil {
		return store.Hold{}, fmt.Errorf("postgres: place hold: %w", err)
	}
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, h.AccountID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: %w", store.ErrInvalid, err)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO legal_holds (id, account_id, reason, placed_by, placed_at)
			VALUES ($1, $2, $3, $4, $5)`, h.ID, h.AccountID, h.Reason, h.PlacedBy, h.PlacedAt); err != nil {
			return mapErr(err)
		}
		return insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return store.Hold{}, fmt.Errorf("postgres: place hold: %w", err)
	}
	return h, nil
}

// ReleaseHold implements store.Store.
func (s *Store) ReleaseHold(ctx context.Context, r store.HoldRelease) (store.Hold, error) {
	r, err := records.HoldRelease(r, s.now())
	if err != nil {
		return store.Hold{}, fmt.Errorf("postgres: release hold: %w", err)
	}
	var out store.Hold
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		h, err := scanHold(tx.QueryRow(ctx, `SELECT `+holdCols+` FROM legal_holds WHERE id = $1 AND account_id = $2 FOR UPDATE`, r.ID, r.AccountID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("hold %q of account %q: %w", r.ID, r.AccountID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !h.Active() {
			return fmt.Errorf("hold %q was released already: %w", r.ID, store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE legal_holds SET released_at = $1, released_by = $2, release_reason = $3 WHERE id = $4`,
			r.At, r.By, r.Reason, r.ID); err != nil {
			return mapErr(err)
		}
		at := r.At
		h.ReleasedAt, h.ReleasedBy, h.ReleaseReason = &at, r.By, r.Reason
		out = h
		return insertAudit(ctx, tx, r.Audit)
	})
	if err != nil {
		return store.Hold{}, fmt.Errorf("postgres: release hold: %w", err)
	}
	return out, nil
}

// ListHolds implements store.Store, oldest first.
func (s *Store) ListHolds(ctx context.Context, accountID string) ([]store.Hold, error) {
	var out []store.Hold
	err := s.tx(ctx, readOnly, func(tx pgx.Tx) error {
		q, args := `SELECT `+holdCols+` FROM legal_holds WHERE account_id = $1 ORDER BY placed_at, id`, []any{accountID}
		if accountID == "" {
			q, args = `SELECT `+holdCols+` FROM legal_holds WHERE released_at IS NULL ORDER BY placed_at, id`, nil
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h, err := scanHold(rows)
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list holds: %w", err)
	}
	return out, nil
}

var purgeCond = map[string]struct{ cond, column string }{
	store.KindTranscripts:     {`EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = a.id AND c.transcript_purged_at IS NULL)`, "transcript_purged_at"},
	store.KindAudit:           {`EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = a.id AND c.audit_purged_at IS NULL)`, "audit_purged_at"},
	store.KindContactAttempts: {`EXISTS (SELECT 1 FROM contact_attempts x WHERE x.account_id = a.id)`, ""},
}

// PurgeCandidates implements store.Store.
func (s *Store) PurgeCandidates(ctx context.Context, kind string, before time.Time, after string, n int) ([]store.PurgeCandidate, error) {
	pc, ok := purgeCond[kind]
	if !ok {
		return nil, fmt.Errorf("postgres: purge candidates: kind %q: %w", kind, store.ErrInvalid)
	}
	var out []store.PurgeCandidate
	err := s.tx(ctx, readOnly, func(tx pgx.Tx) error {
		out = nil
		ids, err := column(ctx, tx, `SELECT a.id FROM accounts a WHERE a.id > $1
			AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.account_id = a.id AND h.released_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = a.id AND c.updated_at >= $2)
			AND NOT EXISTS (SELECT 1 FROM contact_attempts x WHERE x.account_id = a.id AND x.at >= $2)
			AND `+pc.cond+` ORDER BY a.id LIMIT $3`, after, records.Time(before), limit(n))
		if err != nil {
			return err
		}
		for _, id := range ids {
			c := store.PurgeCandidate{AccountID: id}
			if pc.column != "" {
				if c.Conversations, err = column(ctx, tx, `SELECT id FROM conversations WHERE account_id = $1 AND `+
					pc.column+` IS NULL ORDER BY id`, id); err != nil {
					return err
				}
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: purge candidates: %w", err)
	}
	return out, nil
}

func column(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func held(ctx context.Context, tx pgx.Tx, accountID string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM legal_holds WHERE account_id = $1 AND released_at IS NULL`, accountID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("account %q: %w", accountID, store.ErrHeld)
	}
	return nil
}

func affected(ctx context.Context, tx pgx.Tx, q string, args ...any) (int, error) {
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// Purge implements store.Store.
func (s *Store) Purge(ctx context.Context, p store.Purge) (store.PurgeResult, error) {
	p, err := records.Purge(p, s.now())
	if err != nil {
		return store.PurgeResult{}, fmt.Errorf("postgres: purge: %w", err)
	}
	var out store.PurgeResult
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		out = store.PurgeResult{}
		if err := lockAccount(ctx, tx, p.AccountID); err != nil {
			return err
		}
		if err := held(ctx, tx, p.AccountID); err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM conversations WHERE account_id = $1 AND updated_at >= $2)
			+ (SELECT count(*) FROM contact_attempts WHERE account_id = $1 AND at >= $2)`, p.AccountID, p.Before).Scan(&recent); err != nil {
			return err
		}
		if recent > 0 {
			return fmt.Errorf("account %q had activity since %s: %w", p.AccountID, p.Before.Format(time.RFC3339), store.ErrConflict)
		}
		switch p.Kind {
		case store.KindTranscripts:
			for _, id := range p.Conversations {
				n, err := affected(ctx, tx, `UPDATE conversations SET state = NULL, transcript_purged_at = $1
					WHERE id = $2 AND account_id = $3`, p.At, id, p.AccountID)
				if err != nil {
					return err
				}
				if n == 0 {
					continue // not the account's: nothing of it is touched
				}
				if n, err = affected(ctx, tx, `DELETE FROM turns WHERE conversation_id = $1`, id); err != nil {
					return err
				}
				out.Turns += n
				if _, err := affected(ctx, tx, `UPDATE escalations SET packet = NULL WHERE conversation_id = $1`, id); err != nil {
					return err
				}
			}
		case store.KindAudit:
			for _, id := range p.Conversations {
				n, err := affected(ctx, tx, `UPDATE conversations SET audit_purged_at = $1 WHERE id = $2 AND account_id = $3`, p.At, id, p.AccountID)
				if err != nil {
					return err
				}
				if n == 0 {
					continue
				}
				if n, err = affected(ctx, tx, `DELETE FROM audit_events WHERE chain = $1`, id); err != nil {
					return err
				}
				out.AuditEvents += n
			}
		case store.KindContactAttempts:
			n, err := affected(ctx, tx, `DELETE FROM contact_attempts WHERE account_id = $1 AND at < $2`, p.AccountID, p.Before)
			if err != nil {
				return err
			}
			out.ContactAttempts = n
		}
		return insertAudit(ctx, tx, p.Audit)
	})
	if err != nil {
		return store.PurgeResult{}, fmt.Errorf("postgres: purge: %w", err)
	}
	return out, nil
}

// Erase implements store.Store.
func (s *Store) Erase(ctx context.Context, e store.Erasure) (store.ErasureResult, error) {
	e, err := records.Erasure(e, s.now())
	if err != nil {
		return store.ErasureResult{}, fmt.Errorf("postgres: erase: %w", err)
	}
	var out store.ErasureResult
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		out = store.ErasureResult{}
		if err := lockAccount(ctx, tx, e.AccountID); err != nil {
			return err
		}
		if err := held(ctx, tx, e.AccountID); err != nil {
			return err
		}
		convs, err := column(ctx, tx, `SELECT id FROM conversations WHERE account_id = $1 ORDER BY id FOR UPDATE`, e.AccountID)
		if err != nil {
			return err
		}
		if !records.SameSet(convs, e.Conversations) {
			return fmt.Errorf("account %q has %d conversations, the erasure lists %d: %w", e.AccountID, len(convs), len(e.Conversations), store.ErrConflict)
		}
		if _, err := affected(ctx, tx, `UPDATE accounts SET name = '', date_of_birth = '', id_last4 = '', phone = '', email = '',
			consent_chat = false, consent_voice = false, consent_sms = false, consent_recording = false,
			dnc_chat = true, dnc_voice = true, dnc_sms = true, dnc_email = true, erased_at = $1, updated_at = $1 WHERE id = $2`, e.At, e.AccountID); err != nil {
			return err
		}
		for _, id := range convs {
			out.Conversations++
			if _, err := affected(ctx, tx, `UPDATE conversations SET state = NULL, outcome = NULL WHERE id = $1`, id); err != nil {
				return err
			}
			n, err := affected(ctx, tx, `UPDATE turns SET text = '', meta = NULL WHERE conversation_id = $1 AND (text <> '' OR meta IS NOT NULL)`, id)
			if err != nil {
				return err
			}
			out.Turns += n
			if n, err = affected(ctx, tx, `UPDATE escalations SET packet = NULL WHERE conversation_id = $1 AND packet IS NOT NULL`, id); err != nil {
				return err
			}
			out.Escalations += n
			rows, err := tx.Query(ctx, `SELECT `+auditCols+` FROM audit_events WHERE chain = $1 ORDER BY seq`, id)
			if err != nil {
				return err
			}
			var evs []store.AuditEvent
			for rows.Next() {
				ev, err := scanAudit(rows)
				if err != nil {
					rows.Close()
					return err
				}
				evs = append(evs, ev)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, ev := range evs {
				data := e.RedactAudit(ev)
				if bytes.Equal(data, ev.Data) {
					continue
				}
				d, err := records.JSON("audit data", data)
				if err != nil {
					return err
				}
				if _, err := affected(ctx, tx, `UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = $3`, d, ev.Chain, ev.Seq); err != nil {
					return err
				}
				out.AuditEvents++
			}
		}
		return insertAudit(ctx, tx, e.Audit)
	})
	if err != nil {
		return store.ErasureResult{}, fmt.Errorf("postgres: erase: %w", err)
	}
	return out, nil
}

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if name == "" || holder == "" {
		return false, fmt.Errorf("postgres: acquire lease: a name and a holder: %w", store.ErrInvalid)
	}
	var got bool
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		n, err := affected(ctx, tx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
			name, holder, records.Time(until), records.Time(now))
		got = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: acquire lease: %w", err)
	}
	return got, nil
}
