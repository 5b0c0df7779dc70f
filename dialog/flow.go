package dialog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Flow is the script data the engine follows: limits, the escalation
// priority table and each compliance pack's required disclosures. It lives
// as data under prompts/ (flow.json); the runtime loads it once with
// ParseFlow(prompts.FlowJSON()) and passes it to every Step.
type Flow struct {
	Limits Limits `json:"limits"`
	// Priorities maps an escalation reason to its priority (1 highest).
	Priorities map[string]int `json:"escalation_priority"`
	// Packs maps a compliance pack ("us", "cn") to its disclosures.
	Packs map[string]PackFlow `json:"packs"`
	// FallbackPack is used for a policy whose pack is not in Packs; it
	// should be the strictest pack.
	FallbackPack string `json:"fallback_pack"`
	// AskReason makes the bot ask why the borrower is late when they say
	// they cannot pay and have not said why.
	AskReason bool `json:"ask_reason"`
}

// Limits bound how long the engine tries before giving up or handing over.
type Limits struct {
	// VerifyAttempts failed identity answers end the chat.
	VerifyAttempts int `json:"verify_attempts"`
	// Misunderstandings in a row escalate to a person.
	Misunderstandings int `json:"misunderstandings"`
	// OffPolicyAsks requests outside policy escalate to a person; the ones
	// before it get a counter-offer.
	OffPolicyAsks int `json:"off_policy_asks"`
	// AccountVerifyAttempts failed identity answers across the sessions
	// of an account (since its last successful verification) lock
	// verification in chat until a person unlocks it.
	AccountVerifyAttempts int `json:"account_verify_attempts"`
}

// PackFlow lists a pack's exact disclosures, in the order they are said.
type PackFlow struct {
	// OnStart are said when the conversation opens (AI, recording notice).
	OnStart []ActKind `json:"on_start"`
	// OnCallResume are said when a call resumes a conversation begun
	// before it, after the welcome back: a call is a recording of its
	// own, so its recording notice is said again (and the recording
	// starts after it). A chat resume says none of them.
	OnCallResume []ActKind `json:"on_call_resume"`
	// OnVerified are said right after verification, before any debt detail
	// (US: the mini-Miranda, Reg F 1006.18(e)).
	OnVerified []ActKind `json:"on_verified"`
	// AnswerUnverified lists the question topics the bot may answer
	// before the right party is verified; their answers name no debt.
	AnswerUnverified []Topic `json:"answer_unverified"`
	// CeaseByChannel lets a borrower stop contact on some channels only
	// ("don't call me, texts are fine"); without it every cease stops
	// every channel.
	CeaseByChannel bool `json:"cease_by_channel"`
}

// ParseFlow decodes and validates flow data (JSON). Unknown fields are
// errors, so a typo in the data fails at start-up, not mid-conversation.
func ParseFlow(data []byte) (Flow, error) {
	var f Flow
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Flow{}, fmt.Errorf("parse flow: %w: %w", ErrInvalidFlow, err)
	}
	if err := f.Validate(); err != nil {
		return Flow{}, err
	}
	return f, nil
}

// Validate checks that the flow is complete: positive limits, a priority
// for every escalation reason, a greeting in every pack, only known
// disclosure acts.
func (f Flow) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidFlow, fmt.Sprintf(format, a...))
	}
	if f.Limits.VerifyAttempts < 1 {
		return bad("limits.verify_attempts must be at least 1")
	}
	if f.Limits.Misunderstandings < 1 {
		return bad("limits.misunderstandings must be at least 1")
	}
	if f.Limits.OffPolicyAsks < 1 {
		return bad("limits.off_policy_asks must be at least 1")
	}
	if f.Limits.AccountVerifyAttempts < f.Limits.VerifyAttempts {
		return bad("limits.account_verify_attempts must be at least limits.verify_attempts")
	}
	for _, r := range allEscalationReasons {
		p, ok := f.Priorities[r]
		if !ok {
			return bad("escalation_priority: no priority for %q", r)
		}
		if p < 1 {
			return bad("escalation_priority.%s must be at least 1", r)
		}
	}
	if len(f.Packs) == 0 {
		return bad("packs: none")
	}
	if _, ok := f.Packs[f.FallbackPack]; !ok {
		return bad("fallback_pack %q is not in packs", f.FallbackPack)
	}
	for name, p := range f.Packs {
		hasGreeting := false
		for _, k := range p.OnStart {
			if !disclosureKinds[k] {
				return bad("packs.%s.on_start: %q is not a disclosure act", name, k)
			}
			if k == ActGreeting {
				hasGreeting = true
			}
		}
		if !hasGreeting {
			return bad("packs.%s.on_start: the greeting (AI disclosure) is required", name)
		}
		for _, k := range p.OnVerified {
			if !disclosureKinds[k] {
				return bad("packs.%s.on_verified: %q is not a disclosure act", name, k)
			}
		}
		for _, k := range p.OnCallResume {
			if !disclosureKinds[k] {
				return bad("packs.%s.on_call_resume: %q is not a disclosure act", name, k)
			}
		}
	}
	return nil
}

// pack returns the disclosures of the named pack, or of the fallback pack.
// The AI disclosure is never skipped, even with a flow that was not
// validated (or not loaded at all).
func (f *Flow) pack(name string) PackFlow {
	p, ok := f.Packs[name]
	if !ok {
		p = f.Packs[f.FallbackPack]
	}
	if !slices.Contains(p.OnStart, ActGreeting) {
		p.OnStart = append([]ActKind{ActGreeting}, p.OnStart...)
	}
	return p
}

// defaultPriority applies to a reason missing from the table; Validate
// rejects such a flow, so this only guards a flow that skipped it.
const defaultPriority = 3

func (f *Flow) priority(reason string) int {
	if p, ok := f.Priorities[reason]; ok {
		return p
	}
	return defaultPriority
}
