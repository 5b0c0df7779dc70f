package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// Agent is a person acting on a conversation from the agent console. Any
// node may run these methods: they commit through the store like a
// borrower's turn, and a node holding a stale session reloads on conflict.
type Agent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// BlockedError is returned when the guard stops an agent's message. The
// message was not sent or recorded; the console shows the violations so
// the agent can rephrase.
type BlockedError struct {
	Decision compliance.Decision
}

func (e *BlockedError) Error() string {
	rules := make([]string, 0, len(e.Decision.Violations))
	for _, v := range e.Decision.Violations {
		rules = append(rules, v.Rule+": "+v.Detail)
	}
	return "bot: the guard stopped the message (" + strings.Join(rules, "; ") + ")"
}

// Unwrap makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// notice renders a system notice (a person joined, left, ...) in the
// borrower's locale for the conversation's channel; neutral, no figures.
func (s *Session) notice(name, agent string) string {
	text, err := s.rt.render.Notice(name, s.acct.Locale, s.channel, respond.NoticeData{Name: agent})
	if err != nil {
		// The templates are checked at start (every notice in every
		// locale); this is a bug, and the borrower still gets the name.
		s.log.Error("notice failed", "notice", name, "err", err)
		return agent
	}
	return text
}

// Notice renders the notice name (respond.Notice...) in the borrower's
// locale for the conversation's channel: a channel's own lines, such as a
// call's keypad-only notice or its call-back offer. "" when it cannot be
// rendered (logged).
func (s *Session) Notice(name string) string { return s.notice(name, "") }

// UnqueuedNotice is what the borrower is told when their request for a
// person is saved but cannot reach the agents' queue right now.
func (s *Session) UnqueuedNotice() string {
	return s.notice(respond.NoticeUnqueued, "")
}

func checkAgent(a Agent) error {
	if strings.TrimSpace(a.ID) == "" || strings.TrimSpace(a.Name) == "" {
		return refuse(ErrNotAllowed, "an agent needs an id and a name")
	}
	return nil
}

// Join hands the conversation to an agent: from a waiting escalation, or a
// supervisor taking over a bot conversation. The bot stops answering.
func (s *Session) Join(ctx context.Context, a Agent) (Output, error) {
	if err := checkAgent(a); err != nil {
		return Output{}, err
	}
	out, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		switch s.conv.Mode {
		case store.ModeWaitingAgent, store.ModeBot:
		case store.ModeAgent:
			return Output{}, nil, refuse(ErrWrongMode, "another agent holds the conversation")
		default:
			return Output{}, nil, ErrEnded
		}
		r := s.newRecord()
		r.conv.Mode = store.ModeAgent
		r.turn(FromSystem, "", s.notice(respond.NoticeAgentJoined, a.Name), "", map[string]any{"agent_id": a.ID})
		if err := r.addAudit("handoff.accepted", map[string]any{"agent_id": a.ID}); err != nil {
			return Output{}, nil, err
		}
		return r.commit(nil)
	})
	if err != nil {
		return Output{}, err
	}
	s.markEscalations(ctx, store.EscalationAccepted, a.ID)
	return out, nil
}

// CheckAgentText tells an agent, before sending, whether the guard would
// stop a message: the console warns on banned phrases and debt details
// before verification. Figures in an agent's words are the agent's to
// state, so the fact-lock allows the account's own balance and dates.
func (s *Session) CheckAgentText(text string) compliance.Decision {
	return s.guard.Check(compliance.Utterance{
		Text: text, Locale: s.acct.Locale, Stage: string(s.state.Stage), Source: compliance.SourceAgent,
		Facts: s.agentFacts(),
	})
}

// agentFacts are the figures an agent may state: the debt's own.
func (s *Session) agentFacts() compliance.Facts {
	d := s.acct.Debt
	f := compliance.Facts{Verified: s.state.Verified, Creditor: d.Creditor, Amounts: []compliance.Money{d.AmountDue}, Dates: []compliance.Date{d.DueDate}}
	if d.DaysPastDue > 0 {
		f.Counts = []int{d.DaysPastDue}
	}
	for _, o := range s.state.Offers {
		f.Amounts = append(f.Amounts, o.Amount)
		if !o.Date.IsZero() {
			f.Dates = append(f.Dates, o.Date)
		}
		for _, in := range o.Installments {
			f.Amounts = append(f.Amounts, in.Amount)
			f.Dates = append(f.Dates, in.DueDate)
		}
		if n := len(o.Installments); n > 0 {
			f.Counts = append(f.Counts, n)
		}
	}
	return f
}

// AgentSay sends an agent's message to the borrower. A message the guard
// stops returns a *BlockedError and is neither sent nor recorded; the
// attempt is audited.
func (s *Session) AgentSay(ctx context.Context, a Agent, text, messageID string) (Output, error) {
	if err := checkAgent(a); err != nil {
		return Output{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Output{}, ErrEmptyMessage
	}
	if utf8.RuneCountInString(text) > MaxMessageRunes {
		return Output{}, ErrMessageTooLong
	}
	var blocked *BlockedError
	out, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		blocked = nil
		if messageID != "" && s.seen[messageID] {
			return Output{Status: s.Status()}, nil, nil
		}
		if s.conv.Mode != store.ModeAgent {
			return Output{}, nil, refuse(ErrWrongMode, "the conversation is %s", s.conv.Mode)
		}
		dec := s.CheckAgentText(text)
		r := s.newRecord()
		if !dec.Allowed {
			blocked = &BlockedError{Decision: dec}
			if err := r.addAudit("guard.blocked", map[string]any{"source": compliance.SourceAgent, "agent_id": a.ID, "violations": dec.Violations, "text": text}); err != nil {
				return Output{}, nil, err
			}
			return r.commit(nil)
		}
		if err := r.addAudit("guard.passed", map[string]any{"source": compliance.SourceAgent, "agent_id": a.ID}); err != nil {
			return Output{}, nil, err
		}
		r.turn(FromAgent, a.Name, text, messageID, map[string]any{"agent_id": a.ID})
		return r.commit(nil)
	})
	if err != nil {
		return Output{}, err
	}
	if blocked != nil {
		return Output{}, blocked
	}
	return out, nil
}

// PlanFor is the engine's standard plan of n payments on this
// conversation's account, the first on first and the rest every everyDays
// (0: the policy's interval). It is only a draft: AgentRecord checks it
// against the policy like any other deal.
func (s *Session) PlanFor(n int, first compliance.Date, everyDays int) dialog.Proposal {
	acct := s.acct
	if everyDays > 0 {
		acct.Policy.InstallmentEveryDays = everyDays
	}
	return dialog.PlanFor(acct, n, first)
}

// AgentRecord records a promise or a plan an agent agreed with the
// borrower, inside the same policy the bot negotiates within
// (dialog.CheckProposal); an off-policy proposal fails with an error
// wrapping dialog.ErrOffPolicy and records nothing. The borrower receives
// the same confirmation the bot would send.
func (s *Session) AgentRecord(ctx context.Context, a Agent, p dialog.Proposal) (Output, error) {
	if err := checkAgent(a); err != nil {
		return Output{}, err
	}
	return s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		if s.conv.Mode != store.ModeAgent {
			return Output{}, nil, refuse(ErrWrongMode, "the conversation is %s", s.conv.Mode)
		}
		if !s.state.Verified {
			return Output{}, nil, refuse(ErrNotAllowed, "the borrower is not verified")
		}
		r := s.newRecord()
		if p.Amount.Currency == "" {
			p.Amount.Currency = s.acct.Debt.AmountDue.Currency
		}
		for i := range p.Installments {
			if p.Installments[i].Amount.Currency == "" {
				p.Installments[i].Amount.Currency = p.Amount.Currency
			}
		}
		if err := dialog.CheckProposal(s.acct, p, r.today); err != nil {
			return Output{}, nil, err
		}
		// The same outcome and confirmation the bot records on a yes, with
		// the payment link filled in by the engine.
		o, act := dialog.Deal(s.acct, p, r.today)
		act.Facts.Verified = s.state.Verified
		act.Facts.Creditor = s.acct.Debt.Creditor
		if err := r.outcome(o, a.ID); err != nil {
			return Output{}, nil, err
		}
		text, err := s.rt.render.Render(act, s.acct.Locale, s.channel, s.acct)
		if err != nil {
			return Output{}, nil, fmt.Errorf("confirmation: %w", err)
		}
		dec := s.guard.Check(compliance.Utterance{Text: text, Locale: s.acct.Locale, Channel: s.channel, Stage: string(s.state.Stage), Source: compliance.SourceTemplate, Facts: act.Facts})
		kind := "guard.passed"
		if !dec.Allowed {
			text, kind = s.guard.SafeText(s.acct.Locale, true), "guard.blocked"
		}
		if err := r.addAudit(kind, map[string]any{"act": act.Kind, "source": compliance.SourceTemplate, "agent_id": a.ID, "violations": dec.Violations, "text": text}); err != nil {
			return Output{}, nil, err
		}
		r.turn(FromAgent, a.Name, text, "", map[string]any{"agent_id": a.ID, "act": act.Kind})
		st := s.state
		st.Outcome = &o
		st.Offers = append(append([]dialog.Proposal(nil), st.Offers...), p)
		return r.commit(&st)
	})
}

// HandBack returns the conversation to the bot, which picks up at the right
// stage (the resolution question, or verification if it never passed).
func (s *Session) HandBack(ctx context.Context, a Agent) (Output, error) {
	if err := checkAgent(a); err != nil {
		return Output{}, err
	}
	out, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		if s.conv.Mode != store.ModeAgent {
			return Output{}, nil, refuse(ErrWrongMode, "the conversation is %s", s.conv.Mode)
		}
		r := s.newRecord()
		r.conv.Mode = store.ModeBot
		r.turn(FromSystem, "", s.notice(respond.NoticeAgentLeft, a.Name), "", map[string]any{"agent_id": a.ID})
		if err := r.addAudit("handoff.handed_back", map[string]any{"agent_id": a.ID}); err != nil {
			return Output{}, nil, err
		}
		if recordedDeal(s.state.Outcome) {
			// The agent reached a promise or plan (already read back to the
			// borrower): the bot closes the conversation.
			act := dialog.Act{Kind: dialog.ActConversationClosed, Facts: compliance.Facts{Verified: s.state.Verified}}
			if err := s.say(ctx, r, act, dialog.StageClosed, "", ""); err != nil {
				return Output{}, nil, err
			}
			r.end()
			st := s.state
			st.Stage, st.Ended = dialog.StageClosed, true
			return r.commit(&st)
		}
		next, res := dialog.Step(s.rt.flow, s.acct, s.state, dialog.Input{Kind: dialog.EventHandBack, Today: r.today})
		for _, act := range res.Acts {
			if err := s.say(ctx, r, act, next.Stage, "", ""); err != nil {
				return Output{}, nil, err
			}
		}
		if res.Ended {
			r.end()
		}
		return r.commit(&next)
	})
	if err != nil {
		return Output{}, err
	}
	s.markEscalations(ctx, store.EscalationCompleted, a.ID)
	return out, nil
}

// recordedDeal reports whether o is a promise, plan or payment.
func recordedDeal(o *dialog.Outcome) bool {
	return o != nil && (o.Type == dialog.OutcomePTP || o.Type == dialog.OutcomePlan || o.Type == dialog.OutcomePayNow)
}

// Requeue puts a conversation whose agent went away (the claim lapsed, or
// the agent released it) back to waiting for a person, and tells the
// borrower. A conversation not held by an agent is left as it is.
func (s *Session) Requeue(ctx context.Context, agentName string) (Output, error) {
	if strings.TrimSpace(agentName) == "" {
		agentName = s.notice(respond.NoticeAgentDefaultName, "")
	}
	out, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		if s.conv.Mode != store.ModeAgent {
			return Output{Status: s.Status()}, nil, nil
		}
		r := s.newRecord()
		r.conv.Mode = store.ModeWaitingAgent
		r.turn(FromSystem, "", s.notice(respond.NoticeAgentRequeued, agentName), "", nil)
		if err := r.addAudit("handoff.requeued", map[string]any{}); err != nil {
			return Output{}, nil, err
		}
		return r.commit(nil)
	})
	if err != nil {
		return Output{}, err
	}
	s.markEscalations(ctx, store.EscalationQueued, "")
	return out, nil
}

// AgentClose ends the conversation. A recorded outcome stands; otherwise
// the agent's outcome (e.g. "escalated", "dispute", "none") with a reason
// is recorded.
func (s *Session) AgentClose(ctx context.Context, a Agent, outcome dialog.OutcomeType, reason string) (Output, error) {
	if err := checkAgent(a); err != nil {
		return Output{}, err
	}
	switch outcome {
	case "", dialog.OutcomeNone, dialog.OutcomeEscalated, dialog.OutcomeDispute, dialog.OutcomeCease, dialog.OutcomeWrongParty:
	default:
		return Output{}, refuse(ErrNotAllowed, "outcome %q is recorded with AgentRecord, not on close", outcome)
	}
	out, err := s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		if s.conv.Mode == store.ModeEnded {
			return Output{}, nil, ErrEnded
		}
		if s.conv.Mode != store.ModeAgent {
			return Output{}, nil, refuse(ErrWrongMode, "the conversation is %s", s.conv.Mode)
		}
		r := s.newRecord()
		if outcome != "" && (s.state.Outcome == nil || s.conv.OutcomeType == "" || s.conv.OutcomeType == string(dialog.OutcomeNone) || s.conv.OutcomeType == string(dialog.OutcomeEscalated)) {
			if err := r.outcome(dialog.Outcome{Type: outcome, Reason: reason}, a.ID); err != nil {
				return Output{}, nil, err
			}
		}
		r.turn(FromSystem, "", s.notice(respond.NoticeAgentClosed, a.Name), "", map[string]any{"agent_id": a.ID})
		if err := r.addAudit("handoff.completed", map[string]any{"agent_id": a.ID, "outcome": outcome, "reason": reason}); err != nil {
			return Output{}, nil, err
		}
		r.end()
		st := s.state
		st.Ended = true
		return r.commit(&st)
	})
	if err != nil {
		return Output{}, err
	}
	s.markEscalations(ctx, store.EscalationCompleted, a.ID)
	return out, nil
}

// markEscalations moves the conversation's open escalations to status. The
// queue (NATS) is where claims are decided; this keeps the store's record
// in step, so a failure is logged, not returned.
func (s *Session) markEscalations(ctx context.Context, status store.EscalationStatus, agentID string) {
	es, err := s.rt.deps.Store.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.conv.ID})
	if err != nil {
		s.log.Warn("list escalations failed", "err", err)
		return
	}
	for _, e := range es {
		if e.Status == store.EscalationCompleted || e.Status == store.EscalationFailed || e.Status == status ||
			(e.Status == store.EscalationExpired && status != store.EscalationCompleted) {
			continue
		}
		e.Status, e.AgentID, e.UpdatedAt = status, agentID, s.rt.deps.Clock.Now().UTC()
		if err := s.rt.deps.Store.UpdateEscalation(ctx, e); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("update escalation failed", "err", err)
		}
	}
}
