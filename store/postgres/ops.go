package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/internal/records"
)

// limit maps "no limit" (<= 0) to NULL, which PostgreSQL reads as LIMIT ALL.
func limit(n int) *int64 {
	if n <= 0 {
		return nil
	}
	v := int64(n)
	return &v
}

func nullTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := records.Time(*t)
	return &v
}

// UpsertAccounts implements store.Store. An account's debts are replaced by
// the ones given; its creation time is kept.
func (s *Store) UpsertAccounts(ctx context.Context, accts []store.Account) error {
	accts, err := records.Accounts(accts, s.now())
	if err != nil {
		return fmt.Errorf("postgres: upsert accounts: %w", err)
	}
	if len(accts) == 0 {
		return nil
	}
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		type pos struct{ acct, debt int }
		var where []pos
		// Rows are locked in id order, so that two concurrent imports of
		// overlapping accounts wait for each other instead of deadlocking.
		order := make([]int, len(accts))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(x, y int) bool { return accts[order[x]].ID < accts[order[y]].ID })
		for _, i := range order {
			a := accts[i]
			b.Queue(`INSERT INTO accounts (id, name, date_of_birth, id_last4, locale, timezone,
				phone, email, portfolio, consent_chat, consent_voice, consent_sms, consent_recording,
				dnc_chat, dnc_voice, dnc_sms, dnc_email, flag_attorney, flag_dispute, flag_bankruptcy,
				flag_deceased, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, date_of_birth = excluded.date_of_birth,
				id_last4 = excluded.id_last4, locale = excluded.locale, timezone = excluded.timezone,
				phone = excluded.phone, email = excluded.email, portfolio = excluded.portfolio,
				consent_chat = excluded.consent_chat, consent_voice = excluded.consent_voice,
				consent_sms = excluded.consent_sms, consent_recording = excluded.consent_recording,
				dnc_chat = excluded.dnc_chat, dnc_voice = excluded.dnc_voice, dnc_sms = excluded.dnc_sms,
				dnc_email = excluded.dnc_email, flag_attorney = excluded.flag_attorney,
				flag_dispute = excluded.flag_dispute, flag_bankruptcy = excluded.flag_bankruptcy,
				flag_deceased = excluded.flag_deceased, updated_at = excluded.updated_at`,
				a.ID, a.Name, a.DateOfBirth, a.IDLast4, a.Locale, a.Timezone, a.Phone, a.Email, a.Portfolio,
				a.Consent.Chat, a.Consent.Voice, a.Consent.SMS, a.Consent.Recording,
				a.DoNotContact.Chat, a.DoNotContact.Voice, a.DoNotContact.SMS, a.DoNotContact.Email,
				a.Flags.Attorney, a.Flags.Dispute, a.Flags.Bankruptcy, a.Flags.Deceased, a.CreatedAt, a.UpdatedAt)
			where = append(where, pos{i, -1})
			// An erased account stays erased: the debts are updated, its
			// personal data stays empty.
			b.Queue(`UPDATE accounts SET name = '', date_of_birth = '', id_last4 = '', phone = '', email = '',
				consent_chat = false, consent_voice = false, consent_sms = false, consent_recording = false,
				dnc_chat = true, dnc_voice = true, dnc_sms = true, dnc_email = true WHERE id = $1 AND erased_at IS NOT NULL`, a.ID)
			where = append(where, pos{i, -1})
			b.Queue(`DELETE FROM debts WHERE account_id = $1`, a.ID)
			where = append(where, pos{i, -1})
			for k, d := range a.Debts {
				b.Queue(`INSERT INTO debts (id, account_id, position, creditor, amount_minor, currency, due_date,
					days_past_due, min_payment_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
					d.ID, a.ID, k, d.Creditor, d.AmountMinor, d.Currency, d.DueDate, d.DaysPastDue, d.MinPaymentMinor)
				where = append(where, pos{i, k})
			}
		}
		br := tx.SendBatch(ctx, b)
		for _, p := range where {
			if _, err := br.Exec(); err != nil {
				br.Close()
				err = mapErr(err)
				if p.debt >= 0 {
					// A debt id held by another account is a bad batch.
					if errors.Is(err, store.ErrConflict) {
						err = fmt.Errorf("%w: %w", store.ErrInvalid, err)
					}
					return fmt.Errorf("accounts[%d].debts[%d]: %w", p.acct, p.debt, err)
				}
				return fmt.Errorf("accounts[%d]: %w", p.acct, err)
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: upsert accounts: %w", err)
	}
	return nil
}

const accountCols = `id, name, date_of_birth, id_last4, locale, timezone, phone, email, portfolio,
	consent_chat, consent_voice, consent_sms, consent_recording, dnc_chat, dnc_voice, dnc_sms, dnc_email,
	flag_attorney, flag_dispute, flag_bankruptcy, flag_deceased, created_at, updated_at`

func scanAccount(row pgx.Row) (store.Account, error) {
	var a store.Account
	err := row.Scan(&a.ID, &a.Name, &a.DateOfBirth, &a.IDLast4, &a.Locale, &a.Timezone, &a.Phone, &a.Email, &a.Portfolio,
		&a.Consent.Chat, &a.Consent.Voice, &a.Consent.SMS, &a.Consent.Recording,
		&a.DoNotContact.Chat, &a.DoNotContact.Voice, &a.DoNotContact.SMS, &a.DoNotContact.Email,
		&a.Flags.Attorney, &a.Flags.Dispute, &a.Flags.Bankruptcy, &a.Flags.Deceased, &a.CreatedAt, &a.UpdatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a, err
}

func loadDebts(ctx context.Context, tx pgx.Tx, accts []store.Account) error {
	if len(accts) == 0 {
		return nil
	}
	idx := make(map[string]int, len(accts))
	ids := make([]string, len(accts))
	for i, a := range accts {
		idx[a.ID] = i
		ids[i] = a.ID
		accts[i].Debts = []store.Debt{}
	}
	rows, err := tx.Query(ctx, `SELECT id, account_id, creditor, amount_minor, currency, due_date, days_past_due,
		min_payment_minor FROM debts WHERE account_id = ANY($1) ORDER BY account_id, position`, ids)
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
		i := idx[d.AccountID]
		accts[i].Debts = append(accts[i].Debts, d)
	}
	return rows.Err()
}

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	var a store.Account
	err := s.tx(ctx, readOnly, func(tx pgx.Tx) error {
		var err error
		a, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("account %q: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		one := []store.Account{a}
		if err := loadDebts(ctx, tx, one); err != nil {
			return err
		}
		a = one[0]
		return nil
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("postgres: get account: %w", err)
	}
	return a, nil
}

// ListAccounts implements store.Store. A limit <= 0 means no limit.
func (s *Store) ListAccounts(ctx context.Context, after string, n int) ([]store.Account, error) {
	var out []store.Account
	err := s.tx(ctx, readOnly, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+accountCols+` FROM accounts WHERE id > $1 ORDER BY id LIMIT $2`,
			after, limit(n))
		if err != nil {
			return err
		}
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return loadDebts(ctx, tx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list accounts: %w", err)
	}
	return out, nil
}

// CreateConversation implements store.Store. A duplicate id is
// store.ErrConflict; an unknown account store.ErrInvalid.
func (s *Store) CreateConversation(ctx context.Context, c store.Conversation) error {
	c, err := records.Conversation(c, s.now())
	if err != nil {
		return fmt.Errorf("postgres: create conversation: %w", err)
	}
	state, err := records.JSON("state", c.State)
	if err != nil {
		return fmt.Errorf("postgres: create conversation: %w", err)
	}
	outcome, err := records.JSON("outcome", c.Outcome)
	if err != nil {
		return fmt.Errorf("postgres: create conversation: %w", err)
	}
	if s.isClosed() {
		return store.ErrClosed
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO conversations (id, account_id, debt_id, channel, locale, mode, stage,
		state, outcome, outcome_type, version, created_at, updated_at, ended_at, late_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.ID, c.AccountID, c.DebtID, c.Channel, c.Locale, c.Mode, c.Stage, state, outcome, c.OutcomeType,
		c.Version, c.CreatedAt, c.UpdatedAt, nullTime(c.EndedAt), c.LateReason)
	if err != nil {
		return fmt.Errorf("postgres: create conversation %q: %w", c.ID, mapErr(err))
	}
	return nil
}

const convCols = `id, account_id, debt_id, channel, locale, mode, stage, state, outcome, outcome_type, version,
	created_at, updated_at, ended_at, late_reason`

func scanConversation(row pgx.Row) (store.Conversation, error) {
	var c store.Conversation
	var state, outcome []byte
	err := row.Scan(&c.ID, &c.AccountID, &c.DebtID, &c.Channel, &c.Locale, &c.Mode, &c.Stage, &state, &outcome,
		&c.OutcomeType, &c.Version, &c.CreatedAt, &c.UpdatedAt, &c.EndedAt, &c.LateReason)
	if err != nil {
		return c, err
	}
	if state != nil {
		c.State = json.RawMessage(state)
	}
	if outcome != nil {
		c.Outcome = json.RawMessage(outcome)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	c.UpdatedAt = c.UpdatedAt.UTC()
	if c.EndedAt != nil {
		e := c.EndedAt.UTC()
		c.EndedAt = &e
	}
	return c, nil
}

// GetConversation implements store.Store.
func (s *Store) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	if s.isClosed() {
		return store.Conversation{}, store.ErrClosed
	}
	c, err := scanConversation(s.pool.QueryRow(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("postgres: conversation %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: get conversation: %w", err)
	}
	return c, nil
}

// where builds a WHERE clause of equalities over the non-empty values.
func where(cols []string, vals []string) (string, []any) {
	var conds []string
	var args []any
	for i, v := range vals {
		if v == "" {
			continue
		}
		args = append(args, v)
		conds = append(conds, cols[i]+" = $"+strconv.Itoa(len(args)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListConversations implements store.Store: newest first.
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	w, args := where([]string{"account_id", "mode"}, []string{f.AccountID, f.Mode})
	args = append(args, limit(f.Limit))
	rows, err := s.pool.Query(ctx, `SELECT `+convCols+` FROM conversations`+w+
		` ORDER BY created_at DESC, id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list conversations: %w", err)
	}
	defer rows.Close()
	var out []store.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list conversations: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list conversations: %w", err)
	}
	return out, nil
}

const (
	// qUpdateConvChecked updates a conversation at its version and fails
	// (division by zero) when the version check matches no row, so that it
	// aborts the implicit transaction of the batch it leads.
	qUpdateConvChecked = `WITH u AS (UPDATE conversations SET mode = $1, stage = $2, state = $3, outcome = $4,
		outcome_type = $5, version = $6, updated_at = $7, ended_at = $8, late_reason = $11
		WHERE id = $9 AND version = $10 RETURNING 1)
		SELECT 1 / count(*) FROM u`
	qInsertTurn = `INSERT INTO turns (conversation_id, seq, from_party, text, meta, message_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (conversation_id, message_id) WHERE message_id <> '' DO NOTHING`
	qInsertAudit = `INSERT INTO audit_events (chain, seq, kind, data, at, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	qInsertEvent   = `INSERT INTO event_outbox (id, kind, at, data) VALUES ($1, $2, $3, $4)`
	qInsertContact = `INSERT INTO contact_attempts (id, account_id, debt_id, channel, result, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	qInsertStatement = `INSERT INTO statements (id, account_id, kind, channels, details, conversation_id, turn_seq,
		channel, at, cleared_at, cleared_by, clear_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
)

// CommitTurn implements store.Store. The whole step goes to the server as
// one pipelined batch inside the transaction.
func (s *Store) CommitTurn(ctx context.Context, c store.TurnCommit) error {
	c, err := records.TurnCommit(c, s.now())
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	conv := c.Conversation
	state, err := records.JSON("state", conv.State)
	if err != nil {
		return fmt.Errorf("postgres: commit turn: %w", err)
	}
	outcome, err := records.JSON("outcome", conv.Outcome)
	if err != nil {
		return fmt.Errorf("postgres: commit turn: %w", err)
	}

	b := &pgx.Batch{}
	labels := []string{"conversation"}
	b.Queue(qUpdateConvChecked, conv.Mode, conv.Stage, state, outcome, conv.OutcomeType, conv.Version, conv.UpdatedAt,
		nullTime(conv.EndedAt), conv.ID, conv.Version-1, conv.LateReason)
	for i, t := range c.Turns {
		meta, err := records.JSON("turn meta", t.Meta)
		if err != nil {
			return fmt.Errorf("postgres: commit turn: %w", err)
		}
		b.Queue(qInsertTurn, t.ConversationID, t.Seq, t.From, t.Text, meta, t.MessageID, t.At)
		labels = append(labels, fmt.Sprintf("turns[%d]", i))
	}
	for i, p := range c.Promises {
		b.Queue(`INSERT INTO promises (id, account_id, debt_id, conversation_id, amount_minor, currency, due_date,
			status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			p.ID, p.AccountID, p.DebtID, p.ConversationID, p.AmountMinor, p.Currency, p.DueDate, p.Status,
			p.CreatedBy, p.CreatedAt)
		labels = append(labels, fmt.Sprintf("promises[%d]", i))
	}
	for i, p := range c.Plans {
		inst := p.Installments
		if inst == nil {
			inst = []store.PlanInstallment{}
		}
		raw, err := json.Marshal(inst)
		if err != nil {
			return fmt.Errorf("postgres: commit turn: plan installments: %w", err)
		}
		b.Queue(`INSERT INTO plans (id, account_id, debt_id, conversation_id, currency, total_minor, installments,
			status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			p.ID, p.AccountID, p.DebtID, p.ConversationID, p.Currency, p.TotalMinor, raw, p.Status, p.CreatedBy,
			p.CreatedAt)
		labels = append(labels, fmt.Sprintf("plans[%d]", i))
	}
	for i, e := range c.Escalations {
		packet, err := records.JSON("escalation packet", e.Packet)
		if err != nil {
			return fmt.Errorf("postgres: commit turn: %w", err)
		}
		b.Queue(`INSERT INTO escalations (id, conversation_id, account_id, reason, priority, status, agent_id,
			packet, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.ID, e.ConversationID, e.AccountID, e.Reason, e.Priority, e.Status, e.AgentID, packet, e.CreatedAt,
			e.UpdatedAt)
		labels = append(labels, fmt.Sprintf("escalations[%d]", i))
	}
	for i, e := range c.Audit {
		data, err := records.JSON("audit data", e.Data)
		if err != nil {
			return fmt.Errorf("postgres: commit turn: %w", err)
		}
		b.Queue(qInsertAudit, e.Chain, e.Seq, e.Kind, data, e.At, e.PrevHash, e.Hash)
		labels = append(labels, fmt.Sprintf("audit[%d]", i))
	}
	if a := c.Contact; a != nil {
		b.Queue(qInsertContact, a.ID, a.AccountID, a.DebtID, a.Channel, a.Result, a.Reason, a.At)
		labels = append(labels, "contact")
	}
	if sc := c.StopContact; sc != nil {
		for _, ch := range sc.Channels {
			b.Queue(`UPDATE accounts SET `+records.DNCColumn[ch]+` = true, updated_at = $1 WHERE id = $2`, conv.UpdatedAt, sc.AccountID)
			labels = append(labels, "stop_contact")
		}
	}
	for i, st := range c.Statements {
		details, err := records.JSON("statement details", st.Details)
		if err != nil {
			return fmt.Errorf("postgres: commit turn: %w", err)
		}
		b.Queue(qInsertStatement, st.ID, st.AccountID, st.Kind, records.Channels(st.Channels), details,
			st.ConversationID, st.TurnSeq, st.Channel, st.At, nullTime(st.ClearedAt), st.ClearedBy, st.ClearReason)
		labels = append(labels, fmt.Sprintf("statements[%d]", i))
	}
	for i, e := range c.Events {
		b.Queue(qInsertEvent, e.ID, e.Kind, e.At, []byte(e.Data))
		labels = append(labels, fmt.Sprintf("events[%d]", i))
	}

	// One round trip: a batch outside a transaction runs in one implicit
	// transaction (the extended protocol's statements up to one Sync), and
	// the version check fails the whole batch by itself (division by zero
	// when the UPDATE matched no row), so nothing after it is kept.
	err = func() error {
		if s.isClosed() {
			return store.ErrClosed
		}
		br := s.pool.SendBatch(ctx, b)
		defer br.Close()
		for _, label := range labels {
			if _, err := br.Exec(); err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "22012" && label == "conversation" {
					return errStale
				}
				return fmt.Errorf("%s: %w", label, mapErr(err))
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("commit: %w", mapErr(err))
		}
		return nil
	}()
	if errors.Is(err, errStale) {
		err = s.staleReason(ctx, conv)
	}
	if err != nil {
		return fmt.Errorf("postgres: commit turn %q v%d: %w", conv.ID, conv.Version, err)
	}
	return nil
}

// errStale marks a commit whose version check matched no row.
var errStale = errors.New("stale")

// staleReason tells a missing conversation from a version conflict.
func (s *Store) staleReason(ctx context.Context, conv store.Conversation) error {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM conversations WHERE id = $1`, conv.ID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("conversation %q: %w", conv.ID, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("conversation %q at version %d, commit brings %d: %w", conv.ID, v, conv.Version, store.ErrConflict)
}

// ListTurns implements store.Store, in seq order.
func (s *Store) ListTurns(ctx context.Context, conversationID string) ([]store.Turn, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `SELECT conversation_id, seq, from_party, text, meta, message_id, at
		FROM turns WHERE conversation_id = $1 ORDER BY seq`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list turns: %w", err)
	}
	defer rows.Close()
	var out []store.Turn
	for rows.Next() {
		var t store.Turn
		var meta []byte
		if err := rows.Scan(&t.ConversationID, &t.Seq, &t.From, &t.Text, &meta, &t.MessageID, &t.At); err != nil {
			return nil, fmt.Errorf("postgres: list turns: %w", err)
		}
		if meta != nil {
			t.Meta = json.RawMessage(meta)
		}
		t.At = t.At.UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list turns: %w", err)
	}
	return out, nil
}

// ListPromises implements store.Store, oldest first.
func (s *Store) ListPromises(ctx context.Context, accountID string) ([]store.Promise, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `SELECT id, account_id, debt_id, conversation_id, amount_minor, currency,
		due_date, status, created_by, created_at FROM promises WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list promises: %w", err)
	}
	defer rows.Close()
	var out []store.Promise
	for rows.Next() {
		var p store.Promise
		if err := rows.Scan(&p.ID, &p.AccountID, &p.DebtID, &p.ConversationID, &p.AmountMinor, &p.Currency,
			&p.DueDate, &p.Status, &p.CreatedBy, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("postgres: list promises: %w", err)
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list promises: %w", err)
	}
	return out, nil
}

// ListPlans implements store.Store, oldest first.
func (s *Store) ListPlans(ctx context.Context, accountID string) ([]store.Plan, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `SELECT id, account_id, debt_id, conversation_id, currency, total_minor,
		installments, status, created_by, created_at FROM plans WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list plans: %w", err)
	}
	defer rows.Close()
	var out []store.Plan
	for rows.Next() {
		var p store.Plan
		var inst []byte
		if err := rows.Scan(&p.ID, &p.AccountID, &p.DebtID, &p.ConversationID, &p.Currency, &p.TotalMinor,
			&inst, &p.Status, &p.CreatedBy, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("postgres: list plans: %w", err)
		}
		if err := json.Unmarshal(inst, &p.Installments); err != nil {
			return nil, fmt.Errorf("postgres: list plans: installments: %w", err)
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list plans: %w", err)
	}
	return out, nil
}

// ListEscalations implements store.Store, oldest first.
func (s *Store) ListEscalations(ctx context.Context, f store.EscalationFilter) ([]store.Escalation, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	w, args := where([]string{"conversation_id", "status"}, []string{f.ConversationID, string(f.Status)})
	args = append(args, limit(f.Limit))
	rows, err := s.pool.Query(ctx, `SELECT id, conversation_id, account_id, reason, priority, status, agent_id,
		packet, created_at, updated_at FROM escalations`+w+` ORDER BY created_at, id LIMIT $`+strconv.Itoa(len(args)),
		args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list escalations: %w", err)
	}
	defer rows.Close()
	var out []store.Escalation
	for rows.Next() {
		var e store.Escalation
		var packet []byte
		if err := rows.Scan(&e.ID, &e.ConversationID, &e.AccountID, &e.Reason, &e.Priority, &e.Status, &e.AgentID,
			&packet, &e.CreatedAt, &e.UpdatedAt); err != nil {
			return nil, fmt.Errorf("postgres: list escalations: %w", err)
		}
		if packet != nil {
			e.Packet = json.RawMessage(packet)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		e.UpdatedAt = e.UpdatedAt.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list escalations: %w", err)
	}
	return out, nil
}

// UpdateEscalation implements store.Store: it sets reason, priority,
// status, agent and packet of an existing escalation. UpdatedAt defaults to
// now.
func (s *Store) UpdateEscalation(ctx context.Context, e store.Escalation) error {
	if e.ID == "" {
		return fmt.Errorf("postgres: update escalation: id is empty: %w", store.ErrInvalid)
	}
	packet, err := records.JSON("packet", e.Packet)
	if err != nil {
		return fmt.Errorf("postgres: update escalation: %w", err)
	}
	if s.isClosed() {
		return store.ErrClosed
	}
	updated := records.Time(records.OrNow(e.UpdatedAt, s.now()))
	tag, err := s.pool.Exec(ctx, `UPDATE escalations SET reason = $1, priority = $2, status = $3, agent_id = $4,
		packet = $5, updated_at = $6 WHERE id = $7`, e.Reason, e.Priority, e.Status, e.AgentID, packet, updated, e.ID)
	if err != nil {
		return fmt.Errorf("postgres: update escalation: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: escalation %q: %w", e.ID, store.ErrNotFound)
	}
	return nil
}

// RecordContactAttempt implements store.Store. An empty id is generated.
func (s *Store) RecordContactAttempt(ctx context.Context, a store.ContactAttempt) error {
	a, err := records.ContactAttempt(a, s.now())
	if err != nil {
		return fmt.Errorf("postgres: record contact attempt: %w", err)
	}
	if s.isClosed() {
		return store.ErrClosed
	}
	if _, err := s.pool.Exec(ctx, qInsertContact, a.ID, a.AccountID, a.DebtID, a.Channel, a.Result, a.Reason, a.At); err != nil {
		return fmt.Errorf("postgres: record contact attempt: %w", mapErr(err))
	}
	return nil
}

// ListContactAttempts implements store.Store: attempts at or after since,
// oldest first.
func (s *Store) ListContactAttempts(ctx context.Context, accountID string, since time.Time) ([]store.ContactAttempt, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `SELECT id, account_id, debt_id, channel, result, reason, at
		FROM contact_attempts WHERE account_id = $1 AND at >= $2 ORDER BY at, id`, accountID, records.Time(since))
	if err != nil {
		return nil, fmt.Errorf("postgres: list contact attempts: %w", err)
	}
	defer rows.Close()
	var out []store.ContactAttempt
	for rows.Next() {
		var a store.ContactAttempt
		if err := rows.Scan(&a.ID, &a.AccountID, &a.DebtID, &a.Channel, &a.Result, &a.Reason, &a.At); err != nil {
			return nil, fmt.Errorf("postgres: list contact attempts: %w", err)
		}
		a.At = a.At.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list contact attempts: %w", err)
	}
	return out, nil
}

// AppendAudit implements store.Store. An event whose (chain, seq) is taken
// fails the whole append with store.ErrConflict.
func (s *Store) AppendAudit(ctx context.Context, evs []store.AuditEvent) error {
	evs, err := records.Audit(evs, s.now())
	if err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	if len(evs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, e := range evs {
		data, err := records.JSON("audit data", e.Data)
		if err != nil {
			return fmt.Errorf("postgres: append audit: %w", err)
		}
		b.Queue(qInsertAudit, e.Chain, e.Seq, e.Kind, data, e.At, e.PrevHash, e.Hash)
	}
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		for i := range evs {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("audit[%d]: %w", i, mapErr(err))
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	return nil
}

const auditCols = `chain, seq, kind, data, at, prev_hash, hash`

func scanAudit(row pgx.Row) (store.AuditEvent, error) {
	var e store.AuditEvent
	var data []byte
	if err := row.Scan(&e.Chain, &e.Seq, &e.Kind, &data, &e.At, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	if data != nil {
		e.Data = json.RawMessage(data)
	}
	e.At = e.At.UTC()
	return e, nil
}

// LastAudit implements store.Store.
func (s *Store) LastAudit(ctx context.Context, chain string) (store.AuditEvent, error) {
	if s.isClosed() {
		return store.AuditEvent{}, store.ErrClosed
	}
	e, err := scanAudit(s.pool.QueryRow(ctx, `SELECT `+auditCols+` FROM audit_events WHERE chain = $1
		ORDER BY seq DESC LIMIT 1`, chain))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuditEvent{}, nil
	}
	if err != nil {
		return store.AuditEvent{}, fmt.Errorf("postgres: last audit: %w", err)
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
		q = `SELECT ` + auditCols + ` FROM audit_events WHERE chain = $1 ORDER BY seq`
		args = append(args, chain)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	return out, nil
}

const statementCols = `id, account_id, kind, channels, details, conversation_id, turn_seq, channel, at,
	cleared_at, cleared_by, clear_reason`

func scanStatement(r pgx.Row) (store.Statement, error) {
	var st store.Statement
	var chs string
	var details []byte
	var cleared *time.Time
	if err := r.Scan(&st.ID, &st.AccountID, &st.Kind, &chs, &details, &st.ConversationID, &st.TurnSeq,
		&st.Channel, &st.At, &cleared, &st.ClearedBy, &st.ClearReason); err != nil {
		return st, err
	}
	st.Channels = records.ParseChannels(chs)
	if details != nil {
		st.Details = json.RawMessage(details)
	}
	st.At = st.At.UTC()
	if cleared != nil {
		t := cleared.UTC()
		st.ClearedAt = &t
	}
	return st, nil
}

// ListStatements implements store.Store, oldest first.
func (s *Store) ListStatements(ctx context.Context, accountID string) ([]store.Statement, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `SELECT `+statementCols+` FROM statements WHERE account_id = $1 ORDER BY at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list statements: %w", err)
	}
	defer rows.Close()
	var out []store.Statement
	for rows.Next() {
		st, err := scanStatement(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list statements: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list statements: %w", err)
	}
	return out, nil
}

// ClearStatement implements store.Store.
func (s *Store) ClearStatement(ctx context.Context, c store.StatementClear) (store.Statement, error) {
	c, err := records.StatementClear(c, s.now())
	if err != nil {
		return store.Statement{}, fmt.Errorf("postgres: clear statement: %w", err)
	}
	var out store.Statement
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE statements SET cleared_at = $1, cleared_by = $2, clear_reason = $3
			WHERE id = $4 AND account_id = $5 AND cleared_at IS NULL`, c.At, c.By, c.Reason, c.ID, c.AccountID)
		if err != nil {
			return mapErr(err)
		}
		if tag.RowsAffected() == 0 {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM statements WHERE id = $1 AND account_id = $2`, c.ID, c.AccountID).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("statement %q of account %q: %w", c.ID, c.AccountID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("statement %q was cleared already: %w", c.ID, store.ErrConflict)
		}
		for i, e := range c.Audit {
			data, err := records.JSON("audit data", e.Data)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, qInsertAudit, e.Chain, e.Seq, e.Kind, data, e.At, e.PrevHash, e.Hash); err != nil {
				return fmt.Errorf("audit[%d]: %w", i, mapErr(err))
			}
		}
		out, err = scanStatement(tx.QueryRow(ctx, `SELECT `+statementCols+` FROM statements WHERE id = $1`, c.ID))
		return err
	})
	if err != nil {
		return store.Statement{}, fmt.Errorf("postgres: clear statement: %w", err)
	}
	return out, nil
}

// PendingEvents implements store.Outbox.
func (s *Store) PendingEvents(ctx context.Context, until time.Time, limit int) ([]store.Event, error) {
	if s.isClosed() {
		return nil, store.ErrClosed
	}
	var lim any // NULL: no limit
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, kind, at, data FROM event_outbox WHERE at <= $1 ORDER BY seq LIMIT $2`,
		records.Time(until), lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var data []byte
		if err := rows.Scan(&e.ID, &e.Kind, &e.At, &data); err != nil {
			return nil, fmt.Errorf("postgres: pending events: %w", err)
		}
		e.At, e.Data = e.At.UTC(), json.RawMessage(data)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: pending events: %w", err)
	}
	return out, nil
}

// DeleteEvents implements store.Outbox.
func (s *Store) DeleteEvents(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if s.isClosed() {
		return store.ErrClosed
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM event_outbox WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("postgres: delete events: %w", mapErr(err))
	}
	return nil
}
