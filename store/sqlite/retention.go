package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/internal/records"
)

const holdCols = `id, account_id, reason, placed_by, placed_at, released_at, released_by, release_reason`

func scanHold(r scanner) (store.Hold, error) {
	var h store.Hold
	var placed string
	var released sql.NullString
	if err := r.Scan(&h.ID, &h.AccountID, &h.Reason, &h.PlacedBy, &placed, &released, &h.ReleasedBy, &h.ReleaseReason); err != nil {
		return h, err
	}
	var err error
	if h.PlacedAt, err = records.ParseTime(placed); err != nil {
		return h, err
	}
	if released.Valid {
		t, err := records.ParseTime(released.String)
		if err != nil {
			return h, err
		}
		h.ReleasedAt = &t
	}
	return h, nil
}

func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, evs []store.AuditEvent) error {
	for i, e := range evs {
		data, err := records.JSON("audit data", e.Data)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, stInsertAudit, e.Chain, e.Seq, e.Kind, nullJSON(data),
			records.FormatTime(e.At), e.PrevHash, e.Hash); err != nil {
			return fmt.Errorf("audit[%d]: %w", i, mapErr(err))
		}
	}
	return nil
}

// PlaceHold implements store.Store.
func (s *Store) PlaceHold(ctx context.Context, h store.Hold, audit []store.AuditEvent) (store.Hold, error) {
	h, err := records.Hold(h, s.now())
	if err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: place hold: %w", err)
	}
	if audit, err = records.Audit(audit, s.now()); err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: place hold: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO legal_holds (id, account_id, reason, placed_by, placed_at)
			VALUES (?, ?, ?, ?, ?)`, h.ID, h.AccountID, h.Reason, h.PlacedBy, records.FormatTime(h.PlacedAt)); err != nil {
			return mapErr(err)
		}
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: place hold: %w", err)
	}
	return h, nil
}

// ReleaseHold implements store.Store.
func (s *Store) ReleaseHold(ctx context.Context, r store.HoldRelease) (store.Hold, error) {
	r, err := records.HoldRelease(r, s.now())
	if err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: release hold: %w", err)
	}
	var out store.Hold
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		h, err := scanHold(tx.QueryRowContext(ctx, `SELECT `+holdCols+` FROM legal_holds WHERE id = ? AND account_id = ?`, r.ID, r.AccountID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("hold %q of account %q: %w", r.ID, r.AccountID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !h.Active() {
			return fmt.Errorf("hold %q was released already: %w", r.ID, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE legal_holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ?`,
			records.FormatTime(r.At), r.By, r.Reason, r.ID); err != nil {
			return mapErr(err)
		}
		at := r.At
		h.ReleasedAt, h.ReleasedBy, h.ReleaseReason = &at, r.By, r.Reason
		out = h
		return s.insertAudit(ctx, tx, r.Audit)
	})
	if err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: release hold: %w", err)
	}
	return out, nil
}

// ListHolds implements store.Store, oldest first.
func (s *Store) ListHolds(ctx context.Context, accountID string) ([]store.Hold, error) {
	if accountID == "" {
		return queryAll(ctx, s, "list holds", `SELECT `+holdCols+` FROM legal_holds
			WHERE released_at IS NULL ORDER BY placed_at, id`, nil, scanHold)
	}
	return queryAll(ctx, s, "list holds", `SELECT `+holdCols+` FROM legal_holds
		WHERE account_id = ? ORDER BY placed_at, id`, []any{accountID}, scanHold)
}

// purgeCond is, per kind, what an account must still hold to be a
// candidate, and the conversations column that marks it purged.
var purgeCond = map[string]struct{ cond, column string }{
	store.KindTranscripts:     {`EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = a.id AND c.transcript_purged_at IS NULL)`, "transcript_purged_at"},
	store.KindAudit:           {`EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = a.id AND c.audit_purged_at IS NULL)`, "audit_purged_at"},
	store.KindContactAttempts: {`EXISTS (SELECT 1 FROM contact_attempts x WHERE x.account_id = a.id)`, ""},
}

// PurgeCandidates implements store.Store.
func (s *Store) PurgeCandidates(ctx context.Context, kind string, before time.Time, after string, limit int) ([]store.PurgeCandidate, error) {
	pc, ok := purgeCond[kind]
	if !ok {
		return nil, fmt.Errorf("sqlite: purge candidates: kind %q: %w", kind, store.ErrInvalid)
	}
	b := records.FormatTime(before)
	var out []store.PurgeCandidate
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.id FROM accounts a WHERE a.id > ?
			AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.account_id = a.id AND h.released_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = a.id AND c.updated_at >= ?)
			AND NOT EXISTS (SELECT 1 FROM contact_attempts x WHERE x.account_id = a.id AND x.at >= ?)
			AND `+pc.cond+` ORDER BY a.id LIMIT ?`, after, b, b, sqlLimit(limit))
		if err != nil {
			return err
		}
		for rows.Next() {
			var c store.PurgeCandidate
			if err := rows.Scan(&c.AccountID); err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil || pc.column == "" {
			return err
		}
		for i := range out {
			if out[i].Conversations, err = column(ctx, tx, `SELECT id FROM conversations WHERE account_id = ? AND `+
				pc.column+` IS NULL ORDER BY id`, out[i].AccountID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge candidates: %w", err)
	}
	return out, nil
}

func column(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// held fails with store.ErrHeld when the account has an active hold.
func held(ctx context.Context, tx *sql.Tx, accountID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM legal_holds WHERE account_id = ? AND released_at IS NULL`, accountID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("account %q: %w", accountID, store.ErrHeld)
	}
	return nil
}

func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Purge implements store.Store.
func (s *Store) Purge(ctx context.Context, p store.Purge) (store.PurgeResult, error) {
	p, err := records.Purge(p, s.now())
	if err != nil {
		return store.PurgeResult{}, fmt.Errorf("sqlite: purge: %w", err)
	}
	var out store.PurgeResult
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = store.PurgeResult{}
		if err := held(ctx, tx, p.AccountID); err != nil {
			return err
		}
		b := records.FormatTime(p.Before)
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM conversations WHERE account_id = ? AND updated_at >= ?)
			+ (SELECT count(*) FROM contact_attempts WHERE account_id = ? AND at >= ?)`, p.AccountID, b, p.AccountID, b).Scan(&recent); err != nil {
			return err
		}
		if recent > 0 {
			return fmt.Errorf("account %q had activity since %s: %w", p.AccountID, b, store.ErrConflict)
		}
		at := records.FormatTime(p.At)
		switch p.Kind {
		case store.KindTranscripts:
			for _, id := range p.Conversations {
				n, err := affected(tx.ExecContext(ctx, `UPDATE conversations SET state = NULL, transcript_purged_at = ?
					WHERE id = ? AND account_id = ?`, at, id, p.AccountID))
				if err != nil {
					return err
				}
				if n == 0 {
					continue // not the account's: nothing of it is touched
				}
				if n, err = affected(tx.ExecContext(ctx, `DELETE FROM turns WHERE conversation_id = ?`, id)); err != nil {
					return err
				}
				out.Turns += n
				if _, err := tx.ExecContext(ctx, `UPDATE escalations SET packet = NULL WHERE conversation_id = ?`, id); err != nil {
					return mapErr(err)
				}
			}
		case store.KindAudit:
			for _, id := range p.Conversations {
				n, err := affected(tx.ExecContext(ctx, `UPDATE conversations SET audit_purged_at = ? WHERE id = ? AND account_id = ?`, at, id, p.AccountID))
				if err != nil {
					return err
				}
				if n == 0 {
					continue
				}
				if n, err = affected(tx.ExecContext(ctx, `DELETE FROM audit_events WHERE chain = ?`, id)); err != nil {
					return err
				}
				out.AuditEvents += n
			}
		case store.KindContactAttempts:
			n, err := affected(tx.ExecContext(ctx, `DELETE FROM contact_attempts WHERE account_id = ? AND at < ?`, p.AccountID, b))
			if err != nil {
				return err
			}
			out.ContactAttempts = n
		}
		return s.insertAudit(ctx, tx, p.Audit)
	})
	if err != nil {
		return store.PurgeResult{}, fmt.Errorf("sqlite: purge: %w", err)
	}
	return out, nil
}

// Erase implements store.Store.
func (s *Store) Erase(ctx context.Context, e store.Erasure) (store.ErasureResult, error) {
	e, err := records.Erasure(e, s.now())
	if err != nil {
		return store.ErasureResult{}, fmt.Errorf("sqlite: erase: %w", err)
	}
	var out store.ErasureResult
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = store.ErasureResult{}
		at := records.FormatTime(e.At)
		n, err := affected(tx.ExecContext(ctx, `UPDATE accounts SET name = '', date_of_birth = '', id_last4 = '', phone = '', email = '',
			consent_chat = 0, consent_voice = 0, consent_sms = 0, consent_recording = 0,
			dnc_chat = 1, dnc_voice = 1, dnc_sms = 1, dnc_email = 1, erased_at = ?, updated_at = ? WHERE id = ?`, at, at, e.AccountID))
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("account %q: %w", e.AccountID, store.ErrNotFound)
		}
		if err := held(ctx, tx, e.AccountID); err != nil {
			return err
		}
		convs, err := column(ctx, tx, `SELECT id FROM conversations WHERE account_id = ? ORDER BY id`, e.AccountID)
		if err != nil {
			return err
		}
		if !records.SameSet(convs, e.Conversations) {
			return fmt.Errorf("account %q has %d conversations, the erasure lists %d: %w", e.AccountID, len(convs), len(e.Conversations), store.ErrConflict)
		}
		for _, id := range convs {
			out.Conversations++
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET state = NULL, outcome = NULL WHERE id = ?`, id); err != nil {
				return mapErr(err)
			}
			n, err := affected(tx.ExecContext(ctx, `UPDATE turns SET text = '', meta = NULL WHERE conversation_id = ? AND (text <> '' OR meta IS NOT NULL)`, id))
			if err != nil {
				return err
			}
			out.Turns += n
			if n, err = affected(tx.ExecContext(ctx, `UPDATE escalations SET packet = NULL WHERE conversation_id = ? AND packet IS NOT NULL`, id)); err != nil {
				return err
			}
			out.Escalations += n
			rows, err := tx.QueryContext(ctx, `SELECT chain, seq, kind, data, at, prev_hash, hash FROM audit_events WHERE chain = ? ORDER BY seq`, id)
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
				if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET data = ? WHERE chain = ? AND seq = ?`, nullJSON(data), ev.Chain, ev.Seq); err != nil {
					return mapErr(err)
				}
				out.AuditEvents++
			}
		}
		return s.insertAudit(ctx, tx, e.Audit)
	})
	if err != nil {
		return store.ErasureResult{}, fmt.Errorf("sqlite: erase: %w", err)
	}
	return out, nil
}

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if name == "" || holder == "" {
		return false, fmt.Errorf("sqlite: acquire lease: a name and a holder: %w", store.ErrInvalid)
	}
	var got bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
			name, holder, records.FormatTime(until), records.FormatTime(now)))
		got = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: acquire lease: %w", err)
	}
	return got, nil
}
