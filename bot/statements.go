package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

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
	// other conversations since its last successful verification.
	priorVerifyFailures int
}

// maxPriorConversations bounds how far back failed identity answers are
// looked for.
const maxPriorConversations = 50

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
	convs, err := r.deps.Store.ListConversations(ctx, store.ConversationFilter{AccountID: accountID, Limit: maxPriorConversations})
	if err != nil {
		return out, fmt.Errorf("conversations: %w", err)
	}
	for _, c := range convs { // newest first
		if c.ID == skip || len(c.State) == 0 {
			continue
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
			break
		}
		out.priorVerifyFailures += st.VerifyFailures
	}
	return out, nil
}

// StatementChannel maps a conversation channel to the contact channel a
// cease names ("phone" and "voice" calls are both "voice").
func StatementChannel(channel string) string {
	switch channel {
	case "voice", "phone":
		return "voice"
	}
	return channel
}

// Covers reports whether an active statement stops contact on channel:
// every statement but a channel-limited cease stops every channel.
func Covers(s store.Statement, channel string) bool {
	if s.Kind != store.StatementCease || len(s.Channels) == 0 {
		return true
	}
	return slices.Contains(s.Channels, StatementChannel(channel))
}

// apply sets on the engine's account what the statements mean for a
// conversation on channel.
func (st accountState) apply(a *dialog.Account, channel string) {
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
