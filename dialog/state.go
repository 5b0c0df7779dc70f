package dialog

import "github.com/collectagent/collectagent/compliance"

// ProposalKind names a way to resolve the debt.
type ProposalKind string

// Proposal kinds; they are also the Facts.Offers codes.
const (
	ProposalPayNow    ProposalKind = "pay_now"
	ProposalPTP       ProposalKind = "ptp"
	ProposalPlan      ProposalKind = "plan"
	ProposalExtension ProposalKind = "extension"
)

// Proposal is a concrete way to resolve the debt, inside policy, as the
// bot read it back or offered it.
type Proposal struct {
	Kind         ProposalKind     `json:"kind"`
	Amount       compliance.Money `json:"amount"` // total
	Date         compliance.Date  `json:"date,omitzero"`
	Installments []Installment    `json:"installments,omitempty"`
	// Counter is set when the bot offered this instead of what the
	// borrower asked for.
	Counter bool `json:"counter,omitempty"`
}

// Draft is a proposal the borrower has started but not completed: an
// amount without a date, a plan without a count.
type Draft struct {
	Kind         ProposalKind     `json:"kind"`
	Amount       compliance.Money `json:"amount,omitzero"`
	Date         compliance.Date  `json:"date,omitzero"`
	Installments int              `json:"installments,omitempty"`
	// Parts is a proposed schedule waiting for a missing date.
	Parts []Part `json:"parts,omitempty"`
}

// State is one conversation's position in the script. It is plain data,
// JSON-serialisable, saved by the runtime after every turn; the engine
// never mutates a State it was given.
type State struct {
	Stage    Stage `json:"stage"`
	Verified bool  `json:"verified"`
	// VerifyFailures counts identity answers that did not match.
	VerifyFailures int `json:"verify_failures"`
	// Factors are the identity factors matched so far ("dob", "id"),
	// when the policy asks for more than one.
	Factors []string `json:"factors,omitempty"`
	// ThirdParty locks the conversation into third-party handling: the
	// speaker said they are not the borrower, so nothing about the debt
	// is said and no identity answer is accepted from then on. Party is
	// PartyThirdParty or PartyWrongNumber.
	ThirdParty bool   `json:"third_party,omitempty"`
	Party      string `json:"party,omitempty"`
	// PendingCease is a request to stop contact heard before
	// verification: once verified, the borrower is asked to confirm it
	// before anything about the debt is said.
	PendingCease bool `json:"pending_cease,omitempty"`
	// Misunderstood counts consecutive messages the engine could not use.
	Misunderstood int `json:"misunderstood"`
	// OffPolicy counts requests outside policy that got a counter-offer.
	OffPolicy int `json:"off_policy"`
	// Pending is the proposal read back and awaiting a yes (StageConfirm).
	Pending *Proposal `json:"pending,omitempty"`
	// Draft is a half-made proposal while the bot asks for the rest.
	Draft *Draft `json:"draft,omitempty"`
	// Disclosed lists the disclosures given, in order.
	Disclosed []ActKind `json:"disclosed,omitempty"`
	// Offers lists every concrete proposal the bot read back or offered.
	Offers []Proposal `json:"offers,omitempty"`
	// Outcome is the last recorded outcome.
	Outcome *Outcome `json:"outcome,omitempty"`
	// Expect is what the bot's last question waits for.
	Expect Expect `json:"expect,omitempty"`
	// Week is a day of the week the borrower named as a whole (下周,
	// "next week") and the bot read back as a date: a weekday said next
	// ("周三") is read inside it. Zero when none is pending.
	Week compliance.Date `json:"week,omitzero"`
	// LateReason is the borrower's stated reason for lateness (a Late*
	// code), the latest one heard.
	LateReason string `json:"late_reason,omitempty"`
	// Ended is set when the bot's part of the conversation is over (closed,
	// ended, or handed to a person).
	Ended bool `json:"ended"`
}

// NewState returns the state of a conversation that has not started.
func NewState() State { return State{Stage: StageGreeting} }
