package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// What the borrower stated about their rights (cease, dispute, validation,
// attorney, bankruptcy) is account state: saved with the turn that stated
// it, read by every later session, callback and campaign.

// accountState is what earlier conversations left on an account that
// changes what a new one may say.
type accountState struct {
	statements []store.Statement // active ones
	// priorVerifyFailures counts failed identity answers in the account's
	// other conversations since its last successful verification or
	// the last unlock.
	priorVerifyFailures int
	// unlock is the account chain's last verification unlock, if any.
	unlock *store.AuditEvent
}

// maxPriorConversations bounds how far back failed identity answers are
// looked for.
const maxPriorConversations = 50

// firstPriorConversations is how many are read before the rest.
const firstPriorConversations = 4

// priorFailures counts the failed identity answers of convs (newest
// first) back to the last conversation that verified the borrower, which
// sets done; conversations before unlock and skip do not count.
func priorFailures(convs []store.Conversation, skip string, unlock *store.AuditEvent) (failures int, done bool) {
	for _, c := range convs {
		if c.ID == skip || len(c.State) == 0 {
			continue
		}
		if unlock != nil && c.UpdatedAt.Before(unlock.At) {
			continue // its failed answers were forgiven
		}
		var st struct {
			Verified       bool `json:"verified"`
			VerifyFailures int  `json:"verify_failures"`
			ThirdParty     bool `json:"third_party"`
		}
		if json.Unmarshal(c.State, &st) != nil {
			continue
		}
		if st.Verified && !st.ThirdParty {
			return failures, true
		}
		failures += st.VerifyFailures
	}
	return failures, false
}

// readAccountState loads an account's active statements and the failed
// identity answers of its other conversations (all but skip).
func (r *Runtime) readAccountState(ctx context.Context, accountID, skip string) (accountState, error) {
	var out accountState
	sts, err := r.deps.Store.ListStatements(ctx, accountID)
	if err != nil {
		return out, fmt.Errorf("statements: %w", err)
	}
	for _, s := range sts {
		if s.Active() {
			out.statements = append(out.statements, s)
		}
	}
	if out.unlock, err = r.lastUnlock(ctx, accountID); err != nil {
		return out, err
	}
	// Most accounts' last conversation verified the borrower, which ends
	// the count: read a few first, and the rest only when they do not.
	for _, limit := range []int{firstPriorConversations, maxPriorConversations} {
		convs, err := r.deps.Store.ListConversations(ctx, store.ConversationFilter{AccountID: accountID, Limit: limit})
		if err != nil {
			return out, fmt.Errorf("conversations: %w", err)
		}
		failures, done := priorFailures(convs, skip, out.unlock)
		out.priorVerifyFailures = failures
		if done || len(convs) < limit {
			break
		}
	}
	return out, nil
}

// Covers reports whether an active statement stops contact on channel:
// every statement but a channel-limited cease stops every channel. A
// cease names contact channels (a call is "voice" however placed).
func Covers(s store.Statement, channel Channel) bool {
	if s.Kind != store.StatementCease || len(s.Channels) == 0 {
		return true
	}
	return slices.Contains(s.Channels, string(channel.Contact()))
}

// apply sets on the engine's account what the statements mean for a
// conversation on channel.
func (st accountState) apply(a *dialog.Account, channel Channel) {
	for _, s := range st.statements {
		switch s.Kind {
		case store.StatementCease:
			if Covers(s, channel) {
				a.Cease = true
			}
		case store.StatementDispute:
			a.Dispute = true
		case store.StatementValidation:
			a.Validation = true
		case store.StatementAttorney:
			a.Attorney = true
		case store.StatementBankruptcy:
			a.Bankruptcy = true
		}
	}
	a.PriorVerifyFailures = st.priorVerifyFailures
}

// statements adds what the engine heard the verified borrower state to
// the commit, with the turn that stated it, and audits each.
func (r *record) statements(ss []dialog.Statement, turnSeq int64) error {
	for _, s := range ss {
		var details json.RawMessage
		if s.Details != "" {
			details, _ = json.Marshal(map[string]string{"text": s.Details})
		}
		st := store.Statement{
			ID: newID("s"), AccountID: r.conv.AccountID, Kind: s.Kind, Channels: s.Channels, Details: details,
			ConversationID: r.conv.ID, TurnSeq: turnSeq, Channel: r.conv.Channel, At: r.now.UTC(),
		}
		r.c.Statements = append(r.c.Statements, st)
		if err := r.addAudit("statement", map[string]any{"id": st.ID, "kind": st.Kind, "channels": st.Channels, "turn": turnSeq}); err != nil {
			return err
		}
	}
	return nil
}

// ContactFlags are the account states that stop contact on channel: the
// flags the lender imported and the borrower's active statements (a
// cease covering the channel, a dispute or pending validation request, an
// attorney, a bankruptcy).
func ContactFlags(a store.Account, active []store.Statement, channel Channel) compliance.AccountFlags {
	f := compliance.AccountFlags{Attorney: a.Flags.Attorney, Bankruptcy: a.Flags.Bankruptcy, Deceased: a.Flags.Deceased, Dispute: a.Flags.Dispute}
	for _, s := range active {
		if !s.Active() {
			continue
		}
		switch s.Kind {
		case store.StatementCease:
			if Covers(s, channel) {
				f.CeaseRequested = true
			}
		case store.StatementDispute, store.StatementValidation:
			f.Dispute = true
		case store.StatementAttorney:
			f.Attorney = true
		case store.StatementBankruptcy:
			f.Bankruptcy = true
		}
	}
	return f
}

// contactLookback is how far back contact attempts are read for the
// packs' frequency caps (the widest is 7 days, Reg F 1006.14(b)(2)).
const contactLookback = 8 * 24 * time.Hour

// MayContact decides, through the account's compliance pack, whether the
// account may be contacted on channel now (for debtID, "" for any): its
// consent and do-not-contact, the lender's flags, the borrower's
// statements as they stand in the store, its time zone and its recent
// attempts. Every outbound contact (a callback, a campaign) asks here
// first.
func (r *Runtime) MayContact(ctx context.Context, accountID string, channel Channel, debtID string) (compliance.ContactDecision, error) {
	a, err := r.deps.Store.GetAccount(ctx, accountID)
	if err != nil {
		return compliance.ContactDecision{}, fmt.Errorf("may contact: %w", err)
	}
	pol := r.policyFor(a.Portfolio)
	g, ok := r.guards[pol.Pack]
	if !ok {
		return compliance.ContactDecision{}, fmt.Errorf("may contact: pack %q: %w", pol.Pack, ErrConfig)
	}
	now := r.deps.Clock.Now()
	req, err := r.contactRequest(ctx, a, channel, debtID, now, r.zone(a.Timezone, normLocale(a.Locale)))
	if err != nil {
		return compliance.ContactDecision{}, err
	}
	return g.Pack().MayContact(req), nil
}

// contactRequest builds the pack's question for an outbound contact.
func (r *Runtime) contactRequest(ctx context.Context, a store.Account, channel Channel, debtID string, now time.Time, loc *time.Location) (compliance.ContactRequest, error) {
	sts, err := r.deps.Store.ListStatements(ctx, a.ID)
	if err != nil {
		return compliance.ContactRequest{}, fmt.Errorf("contact: statements: %w", err)
	}
	req := compliance.ContactRequest{
		Channel:      channel.Contact(),
		DebtID:       debtID,
		Now:          now,
		Location:     loc,
		Consent:      map[compliance.Channel]bool{compliance.ChannelChat: a.Consent.Chat, compliance.ChannelVoice: a.Consent.Voice, compliance.ChannelSMS: a.Consent.SMS},
		DoNotContact: map[compliance.Channel]bool{compliance.ChannelChat: a.DoNotContact.Chat, compliance.ChannelVoice: a.DoNotContact.Voice, compliance.ChannelSMS: a.DoNotContact.SMS, compliance.ChannelEmail: a.DoNotContact.Email},
		Flags:        ContactFlags(a, sts, channel),
	}
	atts, err := r.deps.Store.ListContactAttempts(ctx, a.ID, now.Add(-contactLookback))
	if err != nil {
		return compliance.ContactRequest{}, fmt.Errorf("contact: attempts: %w", err)
	}
	for _, at := range atts {
		ch := compliance.Channel(at.Channel).Contact()
		req.Attempts = append(req.Attempts, compliance.ContactAttempt{At: at.At, Channel: ch, DebtID: at.DebtID, Result: at.Result})
	}
	return req, nil
}

// MaxClearReasonRunes bounds the reason given for clearing a statement.
const MaxClearReasonRunes = 500

// AccountChain is the audit chain of an account's own events (a cleared
// statement), beside the chains of its conversations.
func AccountChain(accountID string) string { return "account:" + accountID }

// ClearStatement clears one of an account's statements (the lender
// verified the debt and answered the dispute, the attorney withdrew, the
// bankruptcy was dismissed): who cleared it and why are saved with it and
// sealed onto the account's audit chain in the same transaction. It fails
// with ErrInvalid without a reason, ErrNotFound when the account has no
// such statement and ErrDone when it was cleared already.
func (r *Runtime) ClearStatement(ctx context.Context, accountID, id, by, reason string) (store.Statement, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return store.Statement{}, refuse(ErrInvalid, "a reason is required")
	case utf8.RuneCountInString(reason) > MaxClearReasonRunes:
		return store.Statement{}, refuse(ErrInvalid, "reason longer than %d characters", MaxClearReasonRunes)
	}
	for attempt := 0; ; attempt++ {
		sts, err := r.deps.Store.ListStatements(ctx, accountID)
		if err != nil {
			return store.Statement{}, fmt.Errorf("clear statement: %w", err)
		}
		i := slices.IndexFunc(sts, func(s store.Statement) bool { return s.ID == id })
		if i < 0 {
			return store.Statement{}, fmt.Errorf("statement %q of account %q: %w", id, accountID, ErrNotFound)
		}
		if !sts[i].Active() {
			return store.Statement{}, fmt.Errorf("statement %q: cleared already: %w", id, ErrDone)
		}
		chain := AccountChain(accountID)
		head, err := r.deps.Store.LastAudit(ctx, chain)
		if err != nil {
			return store.Statement{}, fmt.Errorf("clear statement: audit: %w", err)
		}
		var prev *compliance.AuditRecord
		if head.Seq > 0 {
			rec := auditRecord(head)
			prev = &rec
		}
		now := r.deps.Clock.Now().UTC()
		data, _ := json.Marshal(map[string]any{
			"id": id, "kind": sts[i].Kind, "conversation_id": sts[i].ConversationID, "by": by, "reason": reason,
		})
		rec := compliance.Seal(prev, compliance.AuditRecord{Chain: chain, Kind: "statement.cleared", Data: data, At: now})
		out, err := r.deps.Store.ClearStatement(ctx, store.StatementClear{
			AccountID: accountID, ID: id, By: by, Reason: reason, At: now, Audit: []store.AuditEvent{auditEvent(rec)},
		})
		if errors.Is(err, store.ErrConflict) && attempt == 0 {
			continue // cleared meanwhile, or the chain moved on: look again
		}
		if err != nil {
			return store.Statement{}, fmt.Errorf("clear statement: %w", err)
		}
		return out, nil
	}
}
