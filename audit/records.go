package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/collectagent/collectagent/store"
)

// KindRecords is the audit event kind that seals what one conversation
// step stored besides its audit events.
const KindRecords = "records"

// Records is the data of a KindRecords event. Turn texts are kept by hash
// (the chain need not repeat the transcript, only vouch for it); promises,
// plans and statements by the fields that make them what they are, not by
// their status, which later events change.
type Records struct {
	Turns       []TurnSeal      `json:"turns,omitempty"`
	Promises    []PromiseSeal   `json:"promises,omitempty"`
	Plans       []PlanSeal      `json:"plans,omitempty"`
	Statements  []StatementSeal `json:"statements,omitempty"`
	StopContact []string        `json:"stop_contact,omitempty"` // channels set do-not-contact
}

// TurnSeal is one turn: who said it, where, and the hash of what.
type TurnSeal struct {
	Seq    int64  `json:"seq"`
	From   string `json:"from"`
	SHA256 string `json:"sha256"` // of the text
}

// PromiseSeal is one promise to pay.
type PromiseSeal struct {
	ID          string `json:"id"`
	DebtID      string `json:"debt_id"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	DueDate     string `json:"due_date"`
	CreatedBy   string `json:"created_by"`
}

// PlanSeal is one installment plan.
type PlanSeal struct {
	ID           string                  `json:"id"`
	DebtID       string                  `json:"debt_id"`
	Currency     string                  `json:"currency"`
	TotalMinor   int64                   `json:"total_minor"`
	Installments []store.PlanInstallment `json:"installments"`
	CreatedBy    string                  `json:"created_by"`
}

// StatementSeal is one statement the borrower made about their rights
// (account state: cease, dispute, validation, attorney, bankruptcy).
type StatementSeal struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Channels []string `json:"channels,omitempty"`
	Channel  string   `json:"channel"`
	TurnSeq  int64    `json:"turn_seq,omitempty"`
	Details  string   `json:"details_sha256,omitempty"`
}

// TextHash is the hex SHA-256 of a turn's text.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// RecordsOf is what c stores that its chain must vouch for; ok is false
// when c stores nothing of the kind (a step of audit events only).
func RecordsOf(c *store.TurnCommit) (r Records, ok bool) {
	for _, t := range c.Turns {
		r.Turns = append(r.Turns, TurnSeal{Seq: t.Seq, From: t.From, SHA256: TextHash(t.Text)})
	}
	for _, p := range c.Promises {
		r.Promises = append(r.Promises, promiseSeal(p))
	}
	for _, p := range c.Plans {
		r.Plans = append(r.Plans, planSeal(p))
	}
	for _, s := range c.Statements {
		r.Statements = append(r.Statements, statementSeal(s))
	}
	if c.StopContact != nil {
		r.StopContact = slices.Clone(c.StopContact.Channels)
	}
	ok = len(r.Turns)+len(r.Promises)+len(r.Plans)+len(r.Statements)+len(r.StopContact) > 0
	return r, ok
}

// Marshal is the event data of r.
func (r Records) Marshal() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("audit: records: %w", err)
	}
	return b, nil
}

func promiseSeal(p store.Promise) PromiseSeal {
	return PromiseSeal{ID: p.ID, DebtID: p.DebtID, AmountMinor: p.AmountMinor, Currency: p.Currency, DueDate: p.DueDate, CreatedBy: p.CreatedBy}
}

func planSeal(p store.Plan) PlanSeal {
	return PlanSeal{ID: p.ID, DebtID: p.DebtID, Currency: p.Currency, TotalMinor: p.TotalMinor,
		Installments: slices.Clone(p.Installments), CreatedBy: p.CreatedBy}
}

func statementSeal(s store.Statement) StatementSeal {
	st := StatementSeal{ID: s.ID, Kind: s.Kind, Channels: slices.Clone(s.Channels), Channel: s.Channel, TurnSeq: s.TurnSeq}
	if len(s.Details) > 0 {
		st.Details = TextHash(string(s.Details))
	}
	return st
}

// Stored is what the store holds for one conversation, to check against
// its chain: promises, plans and statements already narrowed to it.
type Stored struct {
	Turns      []store.Turn
	Promises   []store.Promise
	Plans      []store.Plan
	Statements []store.Statement
	// Erased: an erasure the account's chain records covers the
	// conversation, so its turns' texts are empty, not the ones sealed.
	Erased bool
	// TranscriptPurged: a purge the account's chain records removed the
	// conversation's turns, so sealed turns are expected to be gone.
	TranscriptPurged bool
}

// CheckRecords compares what the store holds for one conversation with
// what the records events of its chain sealed, and names every turn,
// promise, plan or statement that is missing, altered, or stored without
// being sealed. evs is the chain (already verified link by link).
func CheckRecords(chain string, evs []store.AuditEvent, s Stored) []Finding {
	var out []Finding
	bad := func(what, problem string) { out = append(out, Finding{Chain: chain, What: what, Problem: problem}) }
	turns := map[int64]TurnSeal{}
	promises := map[string]PromiseSeal{}
	plans := map[string]PlanSeal{}
	stmts := map[string]StatementSeal{}
	for _, ev := range evs {
		if ev.Kind != KindRecords {
			continue
		}
		var r Records
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			bad("event "+strconv.FormatInt(ev.Seq, 10), "records event unreadable: "+err.Error())
			continue
		}
		for _, t := range r.Turns {
			turns[t.Seq] = t
		}
		for _, p := range r.Promises {
			promises[p.ID] = p
		}
		for _, p := range r.Plans {
			plans[p.ID] = p
		}
		for _, st := range r.Statements {
			stmts[st.ID] = st
		}
	}
	for _, t := range s.Turns {
		what := "turn " + strconv.FormatInt(t.Seq, 10)
		sealed, ok := turns[t.Seq]
		delete(turns, t.Seq)
		switch {
		case !ok:
			bad(what, notSealed)
		case sealed.From != t.From:
			bad(what, fmt.Sprintf("altered: from %q, sealed as from %q", t.From, sealed.From))
		case s.Erased && t.Text == "":
			// Erased: the seal keeps the text's hash, the store nothing.
		case sealed.SHA256 != TextHash(t.Text):
			bad(what, "altered: the text differs from the one sealed")
		}
	}
	for _, seq := range sortedKeys(turns) {
		if s.TranscriptPurged {
			break
		}
		bad("turn "+strconv.FormatInt(seq, 10), "missing: sealed in the audit chain, not stored (deleted)")
	}
	compareSealed(bad, "promise", s.Promises, promises, func(p store.Promise) string { return p.ID }, promiseSeal,
		"altered: amount, date, debt or author differ from the ones sealed")
	compareSealed(bad, "plan", s.Plans, plans, func(p store.Plan) string { return p.ID }, planSeal,
		"altered: payments, total or author differ from the ones sealed")
	compareSealed(bad, "statement", s.Statements, stmts, func(st store.Statement) string { return st.ID }, statementSeal,
		"altered: kind, channels or details differ from the ones sealed")
	return out
}

// compareSealed names each stored record of one kind that its chain does
// not seal or sealed differently, and each sealed one no longer stored.
// sealed is consumed.
func compareSealed[R, S any](bad func(what, problem string), kind string, stored []R, sealed map[string]S,
	id func(R) string, seal func(R) S, altered string) {
	for _, r := range stored {
		k := id(r)
		got, ok := sealed[k]
		delete(sealed, k)
		switch {
		case !ok:
			bad(kind+" "+k, notSealed)
		case !equalJSON(got, seal(r)):
			bad(kind+" "+k, altered)
		}
	}
	for _, k := range sortedKeys(sealed) {
		bad(kind+" "+k, "missing: sealed in the audit chain, not stored (deleted)")
	}
}

// notSealed is said of a record the chain does not vouch for.
const notSealed = "stored but not sealed in the audit chain (added afterwards, or the event sealing it is gone)"

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Finding is one thing verification found wrong: in which chain, about
// what (a turn, an event, a range of seqs, a checkpoint line), and how.
type Finding struct {
	Chain   string `json:"chain,omitempty"`
	What    string `json:"what"`
	Problem string `json:"problem"`
}

func (f Finding) String() string {
	if f.Chain == "" {
		return f.What + ": " + f.Problem
	}
	return "chain " + strconv.Quote(f.Chain) + ": " + f.What + ": " + f.Problem
}
