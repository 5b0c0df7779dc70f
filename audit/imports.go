package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// Account imports (the API's POST /v1/accounts, `collectagent import`,
// the demo accounts) are sealed on a chain of their own, one event per
// batch: for each account of the batch, the SHA-256 of what was imported
// and the channels imported as do-not-contact. Verify holds every stored
// account to the newest import that sealed it.

// ImportChain is the audit chain of account imports.
const ImportChain = "imports"

// KindImport is the kind of an import's event.
const KindImport = "accounts.imported"

// importData is an import event's data.
type importData struct {
	Source   string                   `json:"source"` // "api", "csv", "demo"
	By       string                   `json:"by,omitempty"`
	Count    int                      `json:"count"`
	Debts    int                      `json:"debts"`
	Batch    string                   `json:"batch"` // SHA-256 over the accounts' digests, in id order
	Accounts map[string]importAccount `json:"accounts"`
}

type importAccount struct {
	Hash string   `json:"h"`
	DNC  []string `json:"dnc,omitempty"`
}

// digestAccount is what an account's digest covers: everything imported
// but do-not-contact (which conversations may set later; checked apart)
// and the store's timestamps.
type digestAccount struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	DateOfBirth string        `json:"dob"`
	IDLast4     string        `json:"id4"`
	Locale      string        `json:"locale"`
	Timezone    string        `json:"tz"`
	Phone       string        `json:"phone"`
	Email       string        `json:"email"`
	Portfolio   string        `json:"portfolio"`
	Consent     store.Consent `json:"consent"`
	Flags       store.Flags   `json:"flags"`
	Debts       []digestDebt  `json:"debts"`
}

type digestDebt struct {
	ID              string `json:"id"`
	Creditor        string `json:"creditor"`
	AmountMinor     int64  `json:"amount"`
	Currency        string `json:"currency"`
	DueDate         string `json:"due"`
	DaysPastDue     int    `json:"dpd"`
	MinPaymentMinor int64  `json:"min"`
}

// AccountDigest is the SHA-256 (hex) of an account as imported: its
// identity, contact details, consent, flags and debts in order.
func AccountDigest(a store.Account) string {
	d := digestAccount{
		ID: a.ID, Name: a.Name, DateOfBirth: a.DateOfBirth, IDLast4: a.IDLast4, Locale: a.Locale,
		Timezone: a.Timezone, Phone: a.Phone, Email: a.Email, Portfolio: a.Portfolio,
		Consent: a.Consent, Flags: a.Flags, Debts: make([]digestDebt, len(a.Debts)),
	}
	for i, x := range a.Debts {
		d.Debts[i] = digestDebt{ID: x.ID, Creditor: x.Creditor, AmountMinor: x.AmountMinor, Currency: x.Currency,
			DueDate: x.DueDate, DaysPastDue: x.DaysPastDue, MinPaymentMinor: x.MinPaymentMinor}
	}
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func dncChannels(d store.DoNotContact) []string {
	var out []string
	for _, c := range []struct {
		on   bool
		name string
	}{{d.Chat, "chat"}, {d.Voice, "voice"}, {d.SMS, "sms"}, {d.Email, "email"}} {
		if c.on {
			out = append(out, c.name)
		}
	}
	return out
}

// SealImport appends one event to the import chain for a batch of
// accounts the store has just upserted: source says how they came
// ("api", "csv", "demo"), by who sent them. Call it after the upsert
// succeeded; a batch whose seal failed is reported by Verify as stored
// but not sealed.
func SealImport(ctx context.Context, st store.Store, accts []store.Account, source, by string, now time.Time) error {
	if len(accts) == 0 {
		return nil
	}
	d := importData{Source: source, By: by, Count: len(accts), Accounts: make(map[string]importAccount, len(accts))}
	ids := make([]string, 0, len(accts))
	for _, a := range accts {
		d.Debts += len(a.Debts)
		d.Accounts[a.ID] = importAccount{Hash: AccountDigest(a), DNC: dncChannels(a.DoNotContact)}
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id + " " + d.Accounts[id].Hash + "\n"))
	}
	d.Batch = hex.EncodeToString(h.Sum(nil))
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("audit: seal import: %w", err)
	}
	for attempt := 0; ; attempt++ {
		head, err := st.LastAudit(ctx, ImportChain)
		if err != nil {
			return fmt.Errorf("audit: seal import: %w", err)
		}
		var prev *compliance.AuditRecord
		if head.Seq > 0 {
			prev = &compliance.AuditRecord{Chain: head.Chain, Seq: head.Seq, Kind: head.Kind, Data: head.Data, At: head.At, PrevHash: head.PrevHash, Hash: head.Hash}
		}
		rec := compliance.Seal(prev, compliance.AuditRecord{Chain: ImportChain, Kind: KindImport, Data: data, At: now})
		err = st.AppendAudit(ctx, []store.AuditEvent{{Chain: rec.Chain, Seq: rec.Seq, Kind: rec.Kind, Data: rec.Data, At: rec.At, PrevHash: rec.PrevHash, Hash: rec.Hash}})
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue // another import sealed meanwhile: link to it
		}
		if err != nil {
			return fmt.Errorf("audit: seal import: %w", err)
		}
		return nil
	}
}

// CheckImports holds the stored accounts to the import chain's events:
// an account stored but in no import, one sealed but no longer stored,
// one whose identity, consent, flags or debts differ from its newest
// import, one whose imported do-not-contact was lifted. Accounts in
// erased (their erasure sealed on their own chains) are redacted on
// purpose and not compared.
func CheckImports(imports []store.AuditEvent, accounts []store.Account, erased map[string]bool) []Finding {
	type sealed struct {
		importAccount
		at  time.Time
		seq int64
	}
	latest := map[string]sealed{}
	var out []Finding
	for _, ev := range imports {
		if ev.Kind != KindImport {
			continue
		}
		var d importData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			out = append(out, Finding{Chain: ImportChain, What: fmt.Sprintf("event %d", ev.Seq), Problem: "unreadable import record: " + err.Error()})
			continue
		}
		for id, a := range d.Accounts {
			latest[id] = sealed{importAccount: a, at: ev.At, seq: ev.Seq}
		}
	}
	bad := func(id, problem string) { out = append(out, Finding{What: "account " + id, Problem: problem}) }
	stored := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		stored[a.ID] = true
		if erased[a.ID] {
			continue
		}
		s, ok := latest[a.ID]
		if !ok {
			bad(a.ID, "stored but not sealed by any import (added to the database directly)")
			continue
		}
		if AccountDigest(a) != s.Hash {
			bad(a.ID, fmt.Sprintf("altered: differs from the import sealed at %s (imports event %d)", stamp(s.at), s.seq))
		}
		have := dncChannels(a.DoNotContact)
		var lifted []string
		for _, c := range s.DNC {
			if !slices.Contains(have, c) {
				lifted = append(lifted, c)
			}
		}
		if len(lifted) > 0 {
			bad(a.ID, fmt.Sprintf("altered: do-not-contact on %s lifted since the import sealed at %s", strings.Join(lifted, ", "), stamp(s.at)))
		}
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		if !stored[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := latest[id]
		bad(id, fmt.Sprintf("missing: sealed by the import at %s (imports event %d), not stored (deleted)", stamp(s.at), s.seq))
	}
	return out
}
