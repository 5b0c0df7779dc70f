package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/internal/records"
)

// Statements the writer runs often, prepared once on its connection.
const (
	stUpdateConv = `UPDATE conversations SET mode = ?, stage = ?, state = ?, outcome = ?, outcome_type = ?,
		version = ?, updated_at = ?, ended_at = ?, late_reason = ? WHERE id = ? AND version = ?`
	stInsertTurn = `INSERT INTO turns (conversation_id, seq, from_party, text, meta, message_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (conversation_id, message_id) WHERE message_id <> '' DO NOTHING`
	stInsertAudit = `INSERT INTO audit_events (chain, seq, kind, data, at, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	stInsertPromise = `INSERT INTO promises (id, account_id, debt_id, conversation_id, amount_minor, currency,
		due_date, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	stInsertPlan = `INSERT INTO plans (id, account_id, debt_id, conversation_id, currency, total_minor,
		installments, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	stInsertEscalation = `INSERT INTO escalations (id, conversation_id, account_id, reason, priority, status,
		agent_id, packet, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	stInsertContact = `INSERT INTO contact_attempts (id, account_id, debt_id, channel, result, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	stInsertStatement = `INSERT INTO statements (id, account_id, kind, channels, details, conversation_id, turn_seq,
		channel, at, cleared_at, cleared_by, clear_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	stInsertConv = `INSERT INTO conversations (id, account_id, debt_id, channel, locale, mode,
		stage, state, outcome, outcome_type, version, created_at, updated_at, ended_at, late_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	stUpsertAccount = `INSERT INTO accounts (id, name, date_of_birth, id_last4, locale, timezone,
		phone, email, portfolio, consent_chat, consent_voice, consent_sms, consent_recording,
		dnc_chat, dnc_voice, dnc_sms, dnc_email, flag_attorney, flag_dispute, flag_bankruptcy,
		flag_deceased, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, date_of_birth = excluded.date_of_birth,
		id_last4 = excluded.id_last4, locale = excluded.locale, timezone = excluded.timezone,
		phone = excluded.phone, email = excluded.email, portfolio = excluded.portfolio,
		consent_chat = excluded.consent_chat, consent_voice = excluded.consent_voice,
		consent_sms = excluded.consent_sms, consent_recording = excluded.consent_recording,
		dnc_chat = excluded.dnc_chat, dnc_voice = excluded.dnc_voice, dnc_sms = excluded.dnc_sms,
		dnc_email = excluded.dnc_email, flag_attorney = excluded.flag_attorney,
		flag_dispute = excluded.flag_dispute, flag_bankruptcy = excluded.flag_bankruptcy,
		flag_deceased = excluded.flag_deceased, updated_at = excluded.updated_at`
	stDeleteDebts = `DELETE FROM debts WHERE account_id = ?`
	stInsertDebt  = `INSERT INTO debts (id, account_id, position, creditor, amount_minor,
		currency, due_date, days_past_due, min_payment_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// Multi-row inserts: a turn's rows of one table go in one statement, one
// prepared statement per row count up to maxMultiRows.
const (
	turnInsertHead  = `INSERT INTO turns (conversation_id, seq, from_party, text, meta, message_id, at) VALUES `
	turnInsertRow   = `(?, ?, ?, ?, ?, ?, ?)`
	turnInsertTail  = ` ON CONFLICT (conversation_id, message_id) WHERE message_id <> '' DO NOTHING`
	auditInsertHead = `INSERT INTO audit_events (chain, seq, kind, data, at, prev_hash, hash) VALUES `
	auditInsertRow  = `(?, ?, ?, ?, ?, ?, ?)`
	eventInsertHead = `INSERT INTO event_outbox (id, kind, at, data) VALUES `
	eventInsertRow  = `(?, ?, ?, ?)`
	maxMultiRows    = 8
)

// multiRows are the multi-row inserts prepared at Open.
var multiRows = []struct{ head, row, tail string }{
	{turnInsertHead, turnInsertRow, turnInsertTail},
	{auditInsertHead, auditInsertRow, ""},
	{eventInsertHead, eventInsertRow, ""},
}

// prepareMulti prepares the statement inserting n rows. It runs at Open:
// the writer's one connection is taken by the transaction later on.
func (s *Store) prepareMulti(ctx context.Context, head, row, tail string, n int) error {
	q := head + strings.Repeat(row+", ", n-1) + row + tail
	st, err := s.w.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	s.multi[multiKey{head, n}] = st
	return nil
}

type multiKey struct {
	head string
	n    int
}

// execRows inserts rows (each a slice of one row's arguments) with as few
// statements as possible: chunks of up to maxMultiRows rows, each one
// prepared multi-row INSERT. Writer goroutine only.
func (s *Store) execRows(ctx context.Context, tx *sql.Tx, head string, width int, args []any) error {
	n := len(args) / width
	for start := 0; start < n; start += maxMultiRows {
		k := min(maxMultiRows, n-start)
		if _, err := tx.StmtContext(ctx, s.multi[multiKey{head, k}]).ExecContext(ctx, args[start*width:(start+k)*width]...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) prepare(ctx context.Context) error {
	for _, q := range []string{stUpdateConv, stInsertTurn, stInsertAudit, stInsertPromise, stInsertPlan, stInsertEscalation,
		stInsertContact, stInsertStatement, stInsertConv, stUpsertAccount, reErase, stDeleteDebts, stInsertDebt} {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		s.stmts[q] = st
	}
	for _, m := range multiRows {
		for n := 1; n <= maxMultiRows; n++ {
			if err := s.prepareMulti(ctx, m.head, m.row, m.tail, n); err != nil {
				return fmt.Errorf("sqlite: prepare: %w", err)
			}
		}
	}
	return nil
}

func (s *Store) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st, ok := s.stmts[q]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return records.FormatTime(*t)
}

// UpsertAccounts implements store.Store. An account's debts are replaced by
// the ones given.
func (s *Store) UpsertAccounts(ctx context.Context, accts []store.Account) error {
	accts, err := records.Accounts(accts, s.now())
	if err != nil {
		return fmt.Errorf("sqlite: upsert accounts: %w", err)
	}
	if len(accts) == 0 {
		return nil
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i, a := range accts {
			_, err := s.exec(ctx, tx, stUpsertAccount,
				a.ID, a.Name, a.DateOfBirth, a.IDLast4, a.Locale, a.Timezone, a.Phone, a.Email, a.Portfolio,
				b2i(a.Consent.Chat), b2i(a.Consent.Voice), b2i(a.Consent.SMS), b2i(a.Consent.Recording),
				b2i(a.DoNotContact.Chat), b2i(a.DoNotContact.Voice), b2i(a.DoNotContact.SMS), b2i(a.DoNotContact.Email),
				b2i(a.Flags.Attorney), b2i(a.Flags.Dispute), b2i(a.Flags.Bankruptcy), b2i(a.Flags.Deceased),
				records.FormatTime(a.CreatedAt), records.FormatTime(a.UpdatedAt))
			if err != nil {
				return fmt.Errorf("accounts[%d]: %w", i, mapErr(err))
			}
			if _, err := s.exec(ctx, tx, reErase, a.ID); err != nil {
				return fmt.Errorf("accounts[%d]: %w", i, mapErr(err))
			}
			if _, err := s.exec(ctx, tx, stDeleteDebts, a.ID); err != nil {
				return fmt.Errorf("accounts[%d]: delete debts: %w", i, err)
			}
			for k, d := range a.Debts {
				_, err := s.exec(ctx, tx, stInsertDebt,
					d.ID, a.ID, k, d.Creditor, d.AmountMinor, d.Currency, d.DueDate, d.DaysPastDue, d.MinPaymentMinor)
				if err != nil {
					// A debt id already held by another account is a bad
					// batch, not a race.
					return fmt.Errorf("accounts[%d].debts[%d]: %w", i, k, asInvalid(mapErr(err)))
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: upsert accounts: %w", err)
	}
	return nil
}

// reErase keeps an erased account erased when an import brings its
// personal data back: the debts are updated, the rest stays empty.
const reErase = `UPDATE accounts SET name = '', date_of_birth = '', id_last4 = '', phone = '', email = '',
	consent_chat = 0, consent_voice = 0, consent_sms = 0, consent_recording = 0,
	dnc_chat = 1, dnc_voice = 1, dnc_sms = 1, dnc_email = 1 WHERE id = ? AND erased_at IS NOT NULL`

func asInvalid(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}

const accountCols = `id, name, date_of_birth, id_last4, locale, timezone, phone, email, portfolio,
	consent_chat, consent_voice, consent_sms, consent_recording, dnc_chat, dnc_voice, dnc_sms, dnc_email,
	flag_attorney, flag_dispute, flag_bankruptcy, flag_deceased, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(row scanner) (store.Account, error) {
	var a store.Account
	var created, updated string
	err := row.Scan(&a.ID, &a.Name, &a.DateOfBirth, &a.IDLast4, &a.Locale, &a.Timezone, &a.Phone, &a.Email, &a.Portfolio,
		&a.Consent.Chat, &a.Consent.Voice, &a.Consent.SMS, &a.Consent.Recording,
		&a.DoNotContact.Chat, &a.DoNotContact.Voice, &a.DoNotContact.SMS, &a.DoNotContact.Email,
		&a.Flags.Attorney, &a.Flags.Dispute, &a.Flags.Bankruptcy, &a.Flags.Deceased, &created, &updated)
	if err != nil {
		return a, err
	}
	if a.CreatedAt, err = records.ParseTime(created); err != nil {
		return a, err
	}
	a.UpdatedAt, err = records.ParseTime(updated)
	return a, err
}

// loadDebts fills in the debts of accts, which must be exactly the accounts
// that match cond (a condition on accounts with its arguments), in any
// order. Selecting by condition rather than by a list of ids keeps the
// query within SQLite's limit on bound variables for any page size.
func loadDebts(ctx context.Context, tx *sql.Tx, accts []store.Account, cond string, args ...any) error {
	if len(accts) == 0 {
		return nil
	}
	idx := make(map[string]int, len(accts))
	for i, a := range accts {
		idx[a.ID] = i
		accts[i].Debts = []store.Debt{}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, account_id, creditor, amount_minor, currency, due_date,
		days_past_due, min_payment_minor FROM debts WHERE account_id IN (SELECT id FROM accounts WHERE `+cond+`)
		ORDER BY account_id, position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d store.Debt
		if err := rows.Scan(&d.ID, &d.AccountID, &d.Creditor, &d.AmountMinor, &d.Currency, &d.DueDate,
			&d.DaysPastDue, &d.MinPaymentMinor); err != nil {
			return err
		}
		i, ok := idx[d.AccountID]
		if !ok {
			return fmt.Errorf("debt %q of an account outside the page", d.ID)
		}
		accts[i].Debts = append(accts[i].Debts, d)
	}
	return rows.Err()
}

// qGetAccount reads an account and its debts in one statement (a single
// statement reads one snapshot, so no transaction is needed), prepared once
// on the reader pool: it runs twice per conversation (session and connect).
const qGetAccount = `SELECT a.id, a.name, a.date_of_birth, a.id_last4, a.locale, a.timezone, a.phone, a.email,
	a.portfolio, a.consent_chat, a.consent_voice, a.consent_sms, a.consent_recording, a.dnc_chat, a.dnc_voice,
	a.dnc_sms, a.dnc_email, a.flag_attorney, a.flag_dispute, a.flag_bankruptcy, a.flag_deceased, a.created_at,
	a.updated_at, d.id, d.creditor, d.amount_minor, d.currency, d.due_date, d.days_past_due, d.min_payment_minor
	FROM accounts a LEFT JOIN debts d ON d.account_id = a.id WHERE a.id = ? ORDER BY d.position`

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	if s.isClosed() {
		return store.Account{}, store.ErrClosed
	}
	rows, err := s.query(ctx, qGetAccount, id)
	if err != nil {
		return store.Account{}, fmt.Errorf("sqlite: get account: %w", err)
	}
	defer rows.Close()
	var (
		a     store.Account
		found bool
	)
	for rows.Next() {
		var (
			cur              store.Account
			created, updated string
			did, cred, ccy   sql.NullString
			due              sql.NullString
			amt, dpd, minp   sql.NullInt64
		)
		err := rows.Scan(&cur.ID, &cur.Name, &cur.DateOfBirth, &cur.IDLast4, &cur.Locale, &cur.Timezone, &cur.Phone,
			&cur.Email, &cur.Portfolio, &cur.Consent.Chat, &cur.Consent.Voice, &cur.Consent.SMS, &cur.Consent.Recording,
			&cur.DoNotContact.Chat, &cur.DoNotContact.Voice, &cur.DoNotContact.SMS, &cur.DoNotContact.Email,
			&cur.Flags.Attorney, &cur.Flags.Dispute, &cur.Flags.Bankruptcy, &cur.Flags.Deceased, &created, &updated,
			&did, &cred, &amt, &ccy, &due, &dpd, &minp)
		if err != nil {
			return store.Account{}, fmt.Errorf("sqlite: get account: %w", err)
		}
		if !found {
			a, found = cur, true
			a.Debts = []store.Debt{}
			if a.CreatedAt, err = records.ParseTime(created); err != nil {
				return store.Account{}, fmt.Errorf("sqlite: get account: %w", err)
			}
			if a.UpdatedAt, err = records.ParseTime(updated); err != nil {
				return store.Account{}, fmt.Errorf("sqlite: get account: %w", err)
			}
		}
		if did.Valid {
			a.Debts = append(a.Debts, store.Debt{ID: did.String, AccountID: a.ID, Creditor: cred.String,
				AmountMinor: amt.Int64, Currency: ccy.String, DueDate: due.String, DaysPastDue: int(dpd.Int64),
				MinPaymentMinor: minp.Int64})
		}
	}
	if err := rows.Err(); err != nil {
		return store.Account{}, fmt.Errorf("sqlite: get account: %w", err)
	}
	if !found {
		return store.Account{}, fmt.Errorf("sqlite: get account: account %q: %w", id, store.ErrNotFound)
	}
	return a, nil
}

// ListAccounts implements store.Store. A limit <= 0 means no limit.
func (s *Store) ListAccounts(ctx context.Context, after string, limit int) ([]store.Account, error) {
	var out []store.Account
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id > ? ORDER BY id LIMIT ?`,
			after, sqlLimit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return loadDebts(ctx, tx, out, "id > ? ORDER BY id LIMIT ?", after, sqlLimit(limit))
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts: %w", err)
	}
	return out, nil
}

// sqlLimit maps "no limit" (<= 0) to SQLite's LIMIT -1.
func sqlLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// CreateConversation implements store.Store. A duplicate id is
// store.ErrConflict; an unknown account store.ErrInvalid.
func (s *Store) CreateConversation(ctx context.Context, c store.Conversation) error {
	c, err := records.Conversation(c, s.now())
	if err != nil {
		return fmt.Errorf("sqlite: create conversation: %w", err)
	}
	state, err := records.JSON("state", c.State)
	if err != nil {
		return fmt.Errorf("sqlite: create conversation: %w", err)
	}
	outcome, err := records.JSON("outcome", c.Outcome)
	if err != nil {
		return fmt.Errorf("sqlite: create conversation: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, stInsertConv,
			c.ID, c.AccountID, c.DebtID, c.Channel, c.Locale, c.Mode, c.Stage, nullJSON(state), nullJSON(outcome),
			c.OutcomeType, c.Version, records.FormatTime(c.CreatedAt), records.FormatTime(c.UpdatedAt), nullTime(c.EndedAt), c.LateReason)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create conversation %q: %w", c.ID, err)
	}
	return nil
}

const convCols = `id, account_id, debt_id, channel, locale, mode, stage, state, outcome, outcome_type, version,
	created_at, updated_at, ended_at, late_reason`

func scanConversation(row scanner) (store.Conversation, error) {
	var c store.Conversation
	var state, outcome, ended sql.NullString
	var created, updated string
	err := row.Scan(&c.ID, &c.AccountID, &c.DebtID, &c.Channel, &c.Locale, &c.Mode, &c.Stage, &state, &outcome,
		&c.OutcomeType, &c.Version, &created, &updated, &ended, &c.LateReason)
	if err != nil {
		return c, err
	}
	if state.Valid {
		c.State = json.RawMessage(state.String)
	}
	if outcome.Valid {
		c.Outcome = json.RawMessage(outcome.String)
	}
	if c.CreatedAt, err = records.ParseTime(created); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = records.ParseTime(updated); err != nil {
		return c, err
	}
	if ended.Valid {
		t, err := records.ParseTime(ended.String)
		if err != nil {
			return c, err
		}
		c.EndedAt = &t
	}
	return c, nil
}

// GetConversation implements store.Store.
func (s *Store) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	if s.isClosed() {
		return store.Conversation{}, store.ErrClosed
	}
	c, err := scanConversation(s.queryRow(ctx, `SELECT `+convCols+` FROM conversations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlite: conversation %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: get conversation: %w", err)
	}
	return c, nil
}

// ListConversations implements store.Store: newest first (created_at, then
// id, descending).
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		where = append(where, "account_id = ?")
		args = append(args, f.AccountID)
	}
	if f.Mode != "" {
		where = append(where, "mode = ?")
		args = append(args, f.Mode)
	}
	q := `SELECT ` + convCols + ` FROM conversations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, sqlLimit(f.Limit))
	// One statement, prepared once per filter shape: no transaction needed.
	return queryAll(ctx, s, "list conversations", q, args, scanConversation)
}

// CommitTurn implements store.Store.
func (s *Store) CommitTurn(ctx context.Context, c store.TurnCommit) error {
	c, err := records.TurnCommit(c, s.now())
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	conv := c.Conversation
	state, err := records.JSON("state", conv.State)
	if err != nil {
		return fmt.Errorf("sqlite: commit turn: %w", err)
	}
	outcome, err := records.JSON("outcome", conv.Outcome)
	if err != nil {
		return fmt.Errorf("sqlite: commit turn: %w", err)
	}
	metas := make([][]byte, len(c.Turns))
	for i, t := range c.Turns {
		if metas[i], err = records.JSON("turn meta", t.Meta); err != nil {
			return fmt.Errorf("sqlite: commit turn: %w", err)
		}
	}
	installments := make([][]byte, len(c.Plans))
	for i, p := range c.Plans {
		inst := p.Installments
		if inst == nil {
			inst = []store.PlanInstallment{}
		}
		if installments[i], err = json.Marshal(inst); err != nil {
			return fmt.Errorf("sqlite: commit turn: plan installments: %w", err)
		}
	}
	packets := make([][]byte, len(c.Escalations))
	for i, e := range c.Escalations {
		if packets[i], err = records.JSON("escalation packet", e.Packet); err != nil {
			return fmt.Errorf("sqlite: commit turn: %w", err)
		}
	}
	datas := make([][]byte, len(c.Audit))
	for i, e := range c.Audit {
		if datas[i], err = records.JSON("audit data", e.Data); err != nil {
			return fmt.Errorf("sqlite: commit turn: %w", err)
		}
	}

	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, stUpdateConv, conv.Mode, conv.Stage, nullJSON(state), nullJSON(outcome),
			conv.OutcomeType, conv.Version, records.FormatTime(conv.UpdatedAt), nullTime(conv.EndedAt),
			conv.LateReason, conv.ID, conv.Version-1)
		if err != nil {
			return mapErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var v int64
			err := tx.QueryRowContext(ctx, `SELECT version FROM conversations WHERE id = ?`, conv.ID).Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("conversation %q: %w", conv.ID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("conversation %q at version %d, commit brings %d: %w", conv.ID, v, conv.Version, store.ErrConflict)
		}
		if len(c.Turns) > 0 {
			args := make([]any, 0, 7*len(c.Turns))
			for i, t := range c.Turns {
				args = append(args, t.ConversationID, t.Seq, t.From, t.Text, nullJSON(metas[i]), t.MessageID, records.FormatTime(t.At))
			}
			if err := s.execRows(ctx, tx, turnInsertHead, 7, args); err != nil {
				return fmt.Errorf("turns: %w", mapErr(err))
			}
		}
		for i, p := range c.Promises {
			if _, err := s.exec(ctx, tx, stInsertPromise, p.ID, p.AccountID, p.DebtID, p.ConversationID, p.AmountMinor,
				p.Currency, p.DueDate, p.Status, p.CreatedBy, records.FormatTime(p.CreatedAt)); err != nil {
				return fmt.Errorf("promises[%d]: %w", i, mapErr(err))
			}
		}
		for i, p := range c.Plans {
			if _, err := s.exec(ctx, tx, stInsertPlan, p.ID, p.AccountID, p.DebtID, p.ConversationID, p.Currency,
				p.TotalMinor, string(installments[i]), p.Status, p.CreatedBy, records.FormatTime(p.CreatedAt)); err != nil {
				return fmt.Errorf("plans[%d]: %w", i, mapErr(err))
			}
		}
		for i, e := range c.Escalations {
			if _, err := s.exec(ctx, tx, stInsertEscalation, e.ID, e.ConversationID, e.AccountID, e.Reason, e.Priority,
				e.Status, e.AgentID, nullJSON(packets[i]), records.FormatTime(e.CreatedAt),
				records.FormatTime(e.UpdatedAt)); err != nil {
				return fmt.Errorf("escalations[%d]: %w", i, mapErr(err))
			}
		}
		if len(c.Audit) > 0 {
			args := make([]any, 0, 7*len(c.Audit))
			for i, e := range c.Audit {
				args = append(args, e.Chain, e.Seq, e.Kind, nullJSON(datas[i]), records.FormatTime(e.At), e.PrevHash, e.Hash)
			}
			if err := s.execRows(ctx, tx, auditInsertHead, 7, args); err != nil {
				return fmt.Errorf("audit: %w", mapErr(err))
			}
		}
		if a := c.Contact; a != nil {
			if _, err := s.exec(ctx, tx, stInsertContact, a.ID, a.AccountID, a.DebtID, a.Channel, a.Result, a.Reason,
				records.FormatTime(a.At)); err != nil {
				return fmt.Errorf("contact: %w", mapErr(err))
			}
		}
		if sc := c.StopContact; sc != nil {
			for _, ch := range sc.Channels {
				q := `UPDATE accounts SET ` + records.DNCColumn[ch] + ` = 1, updated_at = ? WHERE id = ?`
				if _, err := tx.ExecContext(ctx, q, records.FormatTime(conv.UpdatedAt), sc.AccountID); err != nil {
					return fmt.Errorf("stop contact: %w", mapErr(err))
				}
			}
		}
		for i, st := range c.Statements {
			if err := s.insertStatement(ctx, tx, st); err != nil {
				return fmt.Errorf("statements[%d]: %w", i, err)
			}
		}
		if len(c.Events) > 0 {
			args := make([]any, 0, 4*len(c.Events))
			for _, e := range c.Events {
				args = append(args, e.ID, e.Kind, records.FormatTime(e.At), string(e.Data))
			}
			if err := s.execRows(ctx, tx, eventInsertHead, 4, args); err != nil {
				return fmt.Errorf("events: %w", mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: commit turn %q v%d: %w", conv.ID, conv.Version, err)
	}
	return nil
}

// queryAll runs a read through its prepared statement and scans every
// row; errors name the operation.
func queryAll[T any](ctx context.Context, s *Store, op, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return out, nil
}

// ListTurns implements store.Store, in seq order.
func (s *Store) ListTurns(ctx context.Context, conversationID string) ([]store.Turn, error) {
	return queryAll(ctx, s, "list turns", `SELECT conversation_id, seq, from_party, text, meta, message_id, at
		FROM turns WHERE conversation_id = ? ORDER BY seq`, []any{conversationID}, func(r scanner) (store.Turn, error) {
		var t store.Turn
		var meta sql.NullString
		var at string
		if err := r.Scan(&t.ConversationID, &t.Seq, &t.From, &t.Text, &meta, &t.MessageID, &at); err != nil {
			return t, err
		}
		if meta.Valid {
			t.Meta = json.RawMessage(meta.String)
		}
		var err error
		t.At, err = records.ParseTime(at)
		return t, err
	})
}

// ListPromises implements store.Store, oldest first.
func (s *Store) ListPromises(ctx context.Context, accountID string) ([]store.Promise, error) {
	return queryAll(ctx, s, "list promises", `SELECT id, account_id, debt_id, conversation_id, amount_minor, currency,
		due_date, status, created_by, created_at FROM promises WHERE account_id = ? ORDER BY created_at, id`,
		[]any{accountID}, func(r scanner) (store.Promise, error) {
			var p store.Promise
			var created string
			if err := r.Scan(&p.ID, &p.AccountID, &p.DebtID, &p.ConversationID, &p.AmountMinor, &p.Currency,
				&p.DueDate, &p.Status, &p.CreatedBy, &created); err != nil {
				return p, err
			}
			var err error
			p.CreatedAt, err = records.ParseTime(created)
			return p, err
		})
}

// ListPlans implements store.Store, oldest first.
func (s *Store) ListPlans(ctx context.Context, accountID string) ([]store.Plan, error) {
	return queryAll(ctx, s, "list plans", `SELECT id, account_id, debt_id, conversation_id, currency, total_minor,
		installments, status, created_by, created_at FROM plans WHERE account_id = ? ORDER BY created_at, id`,
		[]any{accountID}, func(r scanner) (store.Plan, error) {
			var p store.Plan
			var inst, created string
			if err := r.Scan(&p.ID, &p.AccountID, &p.DebtID, &p.ConversationID, &p.Currency, &p.TotalMinor,
				&inst, &p.Status, &p.CreatedBy, &created); err != nil {
				return p, err
			}
			if err := json.Unmarshal([]byte(inst), &p.Installments); err != nil {
				return p, fmt.Errorf("installments: %w", err)
			}
			var err error
			p.CreatedAt, err = records.ParseTime(created)
			return p, err
		})
}

// ListEscalations implements store.Store, oldest first.
func (s *Store) ListEscalations(ctx context.Context, f store.EscalationFilter) ([]store.Escalation, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	var where []string
	var args []any
	if f.ConversationID != "" {
		where = append(where, "conversation_id = ?")
		args = append(args, f.ConversationID)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	q := `SELECT id, conversation_id, account_id, reason, priority, status, agent_id, packet, created_at, updated_at
		FROM escalations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, id LIMIT ?"
	args = append(args, sqlLimit(f.Limit))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list escalations: %w", err)
	}
	defer rows.Close()
	var out []store.Escalation
	for rows.Next() {
		var e store.Escalation
		var packet sql.NullString
		var created, updated string
		if err := rows.Scan(&e.ID, &e.ConversationID, &e.AccountID, &e.Reason, &e.Priority, &e.Status, &e.AgentID,
			&packet, &created, &updated); err != nil {
			return nil, fmt.Errorf("sqlite: list escalations: %w", err)
		}
		if packet.Valid {
			e.Packet = json.RawMessage(packet.String)
		}
		if e.CreatedAt, err = records.ParseTime(created); err != nil {
			return nil, fmt.Errorf("sqlite: list escalations: %w", err)
		}
		if e.UpdatedAt, err = records.ParseTime(updated); err != nil {
			return nil, fmt.Errorf("sqlite: list escalations: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list escalations: %w", err)
	}
	return out, nil
}

// UpdateEscalation implements store.Store: it sets reason, priority,
// status, agent and packet of an existing escalation (its account,
// conversation and creation time stay). UpdatedAt defaults to now.
func (s *Store) UpdateEscalation(ctx context.Context, e store.Escalation) error {
	if e.ID == "" {
		return fmt.Errorf("sqlite: update escalation: id is empty: %w", store.ErrInvalid)
	}
	packet, err := records.JSON("packet", e.Packet)
	if err != nil {
		return fmt.Errorf("sqlite: update escalation: %w", err)
	}
	updated := records.Time(records.OrNow(e.UpdatedAt, s.now()))
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE escalations SET reason = ?, priority = ?, status = ?, agent_id = ?,
			packet = ?, updated_at = ? WHERE id = ?`,
			e.Reason, e.Priority, e.Status, e.AgentID, nullJSON(packet), records.FormatTime(updated), e.ID)
		if err != nil {
			return mapErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("escalation %q: %w", e.ID, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: update escalation: %w", err)
	}
	return nil
}

// RecordContactAttempt implements store.Store. An empty id is generated.
func (s *Store) RecordContactAttempt(ctx context.Context, a store.ContactAttempt) error {
	a, err := records.ContactAttempt(a, s.now())
	if err != nil {
		return fmt.Errorf("sqlite: record contact attempt: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, stInsertContact, a.ID, a.AccountID, a.DebtID, a.Channel, a.Result, a.Reason,
			records.FormatTime(a.At))
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: record contact attempt: %w", err)
	}
	return nil
}

// ListContactAttempts implements store.Store: attempts at or after since,
// oldest first.
func (s *Store) ListContactAttempts(ctx context.Context, accountID string, since time.Time) ([]store.ContactAttempt, error) {
	return queryAll(ctx, s, "list contact attempts", `SELECT id, account_id, debt_id, channel, result, reason, at
		FROM contact_attempts WHERE account_id = ? AND at >= ? ORDER BY at, id`,
		[]any{accountID, records.FormatTime(since)}, func(r scanner) (store.ContactAttempt, error) {
			var a store.ContactAttempt
			var at string
			if err := r.Scan(&a.ID, &a.AccountID, &a.DebtID, &a.Channel, &a.Result, &a.Reason, &at); err != nil {
				return a, err
			}
			var err error
			a.At, err = records.ParseTime(at)
			return a, err
		})
}

// AppendAudit implements store.Store. An event whose (chain, seq) is taken
// fails the whole append with store.ErrConflict: the caller read a stale
// LastAudit and must re-read and re-link.
func (s *Store) AppendAudit(ctx context.Context, evs []store.AuditEvent) error {
	evs, err := records.Audit(evs, s.now())
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	datas := make([][]byte, len(evs))
	for i, e := range evs {
		if datas[i], err = records.JSON("audit data", e.Data); err != nil {
			return fmt.Errorf("sqlite: append audit: %w", err)
		}
	}
	if len(evs) == 0 {
		return nil
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i, e := range evs {
			if _, err := s.exec(ctx, tx, stInsertAudit, e.Chain, e.Seq, e.Kind, nullJSON(datas[i]),
				records.FormatTime(e.At), e.PrevHash, e.Hash); err != nil {
				return fmt.Errorf("audit[%d]: %w", i, mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	return nil
}

const auditCols = `chain, seq, kind, data, at, prev_hash, hash`

func scanAudit(row scanner) (store.AuditEvent, error) {
	var e store.AuditEvent
	var data sql.NullString
	var at string
	if err := row.Scan(&e.Chain, &e.Seq, &e.Kind, &data, &at, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	if data.Valid {
		e.Data = json.RawMessage(data.String)
	}
	var err error
	e.At, err = records.ParseTime(at)
	return e, err
}

// LastAudit implements store.Store.
func (s *Store) LastAudit(ctx context.Context, chain string) (store.AuditEvent, error) {
	if s.isClosed() {
		return store.AuditEvent{}, store.ErrClosed
	}
	e, err := scanAudit(s.queryRow(ctx, `SELECT `+auditCols+` FROM audit_events WHERE chain = ?
		ORDER BY seq DESC LIMIT 1`, chain))
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuditEvent{}, nil
	}
	if err != nil {
		return store.AuditEvent{}, fmt.Errorf("sqlite: last audit: %w", err)
	}
	return e, nil
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, chain string) ([]store.AuditEvent, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	q := `SELECT ` + auditCols + ` FROM audit_events ORDER BY chain, seq`
	var args []any
	if chain != "" {
		q = `SELECT ` + auditCols + ` FROM audit_events WHERE chain = ? ORDER BY seq`
		args = append(args, chain)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	return out, nil
}

func (s *Store) insertStatement(ctx context.Context, tx *sql.Tx, st store.Statement) error {
	_, err := s.exec(ctx, tx, stInsertStatement, st.ID, st.AccountID, st.Kind, records.Channels(st.Channels),
		nullJSON(st.Details), st.ConversationID, st.TurnSeq, st.Channel, records.FormatTime(st.At),
		nullTime(st.ClearedAt), st.ClearedBy, st.ClearReason)
	return mapErr(err)
}

const statementCols = `id, account_id, kind, channels, details, conversation_id, turn_seq, channel, at,
	cleared_at, cleared_by, clear_reason`

func scanStatement(r scanner) (store.Statement, error) {
	var st store.Statement
	var chs, at string
	var details, cleared sql.NullString
	if err := r.Scan(&st.ID, &st.AccountID, &st.Kind, &chs, &details, &st.ConversationID, &st.TurnSeq,
		&st.Channel, &at, &cleared, &st.ClearedBy, &st.ClearReason); err != nil {
		return st, err
	}
	st.Channels = records.ParseChannels(chs)
	if details.Valid {
		st.Details = json.RawMessage(details.String)
	}
	var err error
	if st.At, err = records.ParseTime(at); err != nil {
		return st, err
	}
	if cleared.Valid {
		t, err := records.ParseTime(cleared.String)
		if err != nil {
			return st, err
		}
		st.ClearedAt = &t
	}
	return st, nil
}

// ListStatements implements store.Store, oldest first.
func (s *Store) ListStatements(ctx context.Context, accountID string) ([]store.Statement, error) {
	return queryAll(ctx, s, "list statements", `SELECT `+statementCols+` FROM statements
		WHERE account_id = ? ORDER BY at, id`, []any{accountID}, scanStatement)
}

// ClearStatement implements store.Store.
func (s *Store) ClearStatement(ctx context.Context, c store.StatementClear) (store.Statement, error) {
	c, err := records.StatementClear(c, s.now())
	if err != nil {
		return store.Statement{}, fmt.Errorf("sqlite: clear statement: %w", err)
	}
	datas := make([][]byte, len(c.Audit))
	for i, e := range c.Audit {
		if datas[i], err = records.JSON("audit data", e.Data); err != nil {
			return store.Statement{}, fmt.Errorf("sqlite: clear statement: %w", err)
		}
	}
	var out store.Statement
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE statements SET cleared_at = ?, cleared_by = ?, clear_reason = ?
			WHERE id = ? AND account_id = ? AND cleared_at IS NULL`,
			records.FormatTime(c.At), c.By, c.Reason, c.ID, c.AccountID)
		if err != nil {
			return mapErr(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM statements WHERE id = ? AND account_id = ?`, c.ID, c.AccountID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("statement %q of account %q: %w", c.ID, c.AccountID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("statement %q was cleared already: %w", c.ID, store.ErrConflict)
		}
		for i, e := range c.Audit {
			if _, err := s.exec(ctx, tx, stInsertAudit, e.Chain, e.Seq, e.Kind, nullJSON(datas[i]),
				records.FormatTime(e.At), e.PrevHash, e.Hash); err != nil {
				return fmt.Errorf("audit[%d]: %w", i, mapErr(err))
			}
		}
		out, err = scanStatement(tx.QueryRowContext(ctx, `SELECT `+statementCols+` FROM statements WHERE id = ?`, c.ID))
		return err
	})
	if err != nil {
		return store.Statement{}, fmt.Errorf("sqlite: clear statement: %w", err)
	}
	return out, nil
}

// PendingEvents implements store.Outbox.
func (s *Store) PendingEvents(ctx context.Context, until time.Time, limit int) ([]store.Event, error) {
	return queryAll(ctx, s, "pending events", `SELECT id, kind, at, data FROM event_outbox
		WHERE at <= ? ORDER BY seq LIMIT ?`, []any{records.FormatTime(records.Time(until)), sqlLimit(limit)},
		func(sc scanner) (store.Event, error) {
			var e store.Event
			var at, data string
			if err := sc.Scan(&e.ID, &e.Kind, &at, &data); err != nil {
				return e, err
			}
			e.Data = json.RawMessage(data)
			var err error
			e.At, err = records.ParseTime(at)
			return e, err
		})
}

// DeleteEvents implements store.Outbox: one statement for all of ids.
func (s *Store) DeleteEvents(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	q := `DELETE FROM event_outbox WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete events: %w", err)
	}
	return nil
}
