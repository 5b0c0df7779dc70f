package bot

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// record builds one commit: turns numbered after the session's last,
// audit events sealed onto the conversation's chain, and the records an
// outcome implies. Nothing touches the session until the commit succeeds
// (Session.applied).
type record struct {
	s     *Session
	now   time.Time
	today compliance.Date
	conv  store.Conversation
	c     store.TurnCommit
	seq   int64
	audit *compliance.AuditRecord
	// sealed holds the last record sealed by this commit (audit points at
	// it then), so that sealing does not allocate a record per event.
	sealed compliance.AuditRecord
	out    Output
}

func (s *Session) newRecord() *record {
	now := s.rt.deps.Clock.Now()
	s.pending = nil
	r := &record{
		s: s, now: now, today: compliance.DateOf(now.In(s.loc)),
		conv: s.conv, seq: s.seq, audit: s.lastAudit,
	}
	// Room for a usual step (a borrower's turn, two replies, their guard
	// events, the records event and one more) without regrowing.
	r.c.Turns = make([]store.Turn, 0, 3)
	r.c.Audit = make([]store.AuditEvent, 0, 5)
	r.out.Replies = make([]Reply, 0, 2)
	return r
}

// Turn meta and audit data written on every turn are structs, not maps:
// one marshal without sorting keys or boxing values. Their fields are in
// key order, so that they encode exactly as the maps they replace did.
type (
	// botTurnMeta is the meta of a bot's turn.
	botTurnMeta struct {
		Act      dialog.ActKind    `json:"act"`
		Blocked  bool              `json:"blocked"`
		Replaced bool              `json:"replaced"`
		Source   compliance.Source `json:"source"`
	}
	// borrowerTurnMeta is the meta of a borrower's turn: the parse and
	// every model call of the turn, for replay and audit.
	borrowerTurnMeta struct {
		ModelCalls []ModelCall   `json:"model_calls"`
		Parse      *dialog.Parse `json:"parse"`
		// Voice is how a spoken turn was heard; absent on chat.
		Voice *VoiceInput `json:"voice,omitempty"`
	}
	// guardAudit is a guard.passed or guard.blocked event's data.
	guardAudit struct {
		Act        dialog.ActKind         `json:"act"`
		Source     compliance.Source      `json:"source"`
		Text       string                 `json:"text"`
		Violations []compliance.Violation `json:"violations"`
	}
	// outcomeAudit is an outcome event's data.
	outcomeAudit struct {
		By      string          `json:"by"`
		Outcome *dialog.Outcome `json:"outcome"`
	}
	// verificationAudit is a verification event's data.
	verificationAudit struct {
		Failures int  `json:"failures"`
		Passed   bool `json:"passed"`
	}
)

// turn appends a turn; turns from the bot or an agent are also replies to
// deliver. meta is a map (a name is added to it) or, on the hot path, one
// of the meta structs above (which carry no name).
func (r *record) turn(from, name, text, messageID string, meta any) {
	r.seq++
	if name != "" {
		m, _ := meta.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m["name"] = name
		meta = m
	}
	var raw json.RawMessage
	if meta != nil {
		raw, _ = json.Marshal(meta)
	}
	r.c.Turns = append(r.c.Turns, store.Turn{
		ConversationID: r.conv.ID, Seq: r.seq, From: from, Text: text, Meta: raw, MessageID: messageID, At: r.now.UTC(),
	})
	if from != FromBorrower {
		r.out.Replies = append(r.out.Replies, Reply{From: from, Name: name, Text: text, Seq: r.seq})
	}
}

// setMeta replaces the meta of turn i of this commit.
func (r *record) setMeta(i int, meta any) {
	raw, _ := json.Marshal(meta)
	r.c.Turns[i].Meta = raw
}

// addAudit seals an event onto the conversation's chain.
func (r *record) addAudit(kind string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("audit %s: %w", kind, err)
	}
	rec := compliance.Seal(r.audit, compliance.AuditRecord{Chain: r.conv.ID, Kind: kind, Data: b, At: r.now.UTC()})
	r.sealed = rec
	r.audit = &r.sealed
	r.c.Audit = append(r.c.Audit, auditEvent(rec))
	return nil
}

// outcome records an outcome on the conversation, with the promise, plan
// or do-not-contact it implies, created by "bot" or an agent's id.
func (r *record) outcome(o dialog.Outcome, createdBy string) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("outcome: %w", err)
	}
	r.conv.Outcome, r.conv.OutcomeType = b, string(o.Type)
	if err := r.addAudit("outcome", outcomeAudit{By: createdBy, Outcome: &o}); err != nil {
		return err
	}
	conv := r.conv
	switch o.Type {
	case dialog.OutcomePTP, dialog.OutcomePayNow:
		due := o.DueDate
		if due.IsZero() {
			due = r.today
		}
		r.c.Promises = append(r.c.Promises, store.Promise{
			ID: newID("p"), AccountID: conv.AccountID, DebtID: conv.DebtID, ConversationID: conv.ID,
			AmountMinor: o.Amount.Minor, Currency: o.Amount.Currency, DueDate: due.String(),
			Status: store.DealOpen, CreatedBy: createdBy, CreatedAt: r.now.UTC(),
		})
	case dialog.OutcomePlan:
		pl := store.Plan{
			ID: newID("l"), AccountID: conv.AccountID, DebtID: conv.DebtID, ConversationID: conv.ID,
			Currency: o.Amount.Currency, Status: store.DealOpen, CreatedBy: createdBy, CreatedAt: r.now.UTC(),
		}
		for _, in := range o.Installments {
			pl.TotalMinor += in.Amount.Minor
			pl.Installments = append(pl.Installments, store.PlanInstallment{AmountMinor: in.Amount.Minor, DueDate: in.DueDate.String()})
			if pl.Currency == "" {
				pl.Currency = in.Amount.Currency
			}
		}
		r.c.Plans = append(r.c.Plans, pl)
	}
	// A cease is saved as a statement on the account (statements.go), for
	// every channel unless the borrower named some, in this transaction;
	// one heard before verification only ends this conversation.
	return nil
}

// end marks the conversation ended.
func (r *record) end() {
	r.conv.Mode = store.ModeEnded
	t := r.now.UTC()
	r.conv.EndedAt = &t
}

// commit finishes the commit: the new state (when given) and the next
// version. The chain seals what the commit stores (each turn's text by
// hash, promises, plans, statements, do-not-contact) in one records event,
// last, so that editing the transcript or a deal shows in audit verify.
func (r *record) commit(state *dialog.State) (Output, *store.TurnCommit, error) {
	if b, ok := audit.AppendRecords(make([]byte, 0, 160+110*len(r.c.Turns)), &r.c); ok {
		rec := compliance.Seal(r.audit, compliance.AuditRecord{Chain: r.conv.ID, Kind: audit.KindRecords, Data: b, At: r.now.UTC()})
		r.sealed = rec
		r.audit = &r.sealed
		r.c.Audit = append(r.c.Audit, auditEvent(rec))
	}
	r.s.pending = nil
	if state != nil {
		st, err := json.Marshal(*state)
		if err != nil {
			return Output{}, nil, fmt.Errorf("state: %w", err)
		}
		r.conv.State = st
		r.conv.Stage = string(state.Stage)
		r.conv.LateReason = state.LateReason
		// Kept, so that the session does not decode what it just encoded
		// once the commit is durable.
		r.s.pending = state
	}
	r.conv.Version++
	r.conv.UpdatedAt = r.now.UTC()
	r.c.Conversation = r.conv
	return r.out, &r.c, nil
}
