package metrics

import (
	"context"
	"encoding/json"
	"time"

	"github.com/collectagent/collectagent/store"
)

// Store wraps st so every commit is timed and what it recorded (outcomes,
// guard decisions, escalations, promises and plans) is counted once, when
// it is durable. Everything else passes through unchanged.
func (m *Metrics) Store(st store.Store) store.Store {
	return &instrumentedStore{Store: st, m: m}
}

type instrumentedStore struct {
	store.Store
	m *Metrics
}

func (s *instrumentedStore) time(op string, start time.Time, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	s.m.commits.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

func (s *instrumentedStore) CreateConversation(ctx context.Context, c store.Conversation) error {
	start := time.Now()
	err := s.Store.CreateConversation(ctx, c)
	s.time("create_conversation", start, err)
	if err == nil {
		s.m.conversations.WithLabelValues(c.Channel, c.Locale).Inc()
	}
	return err
}

func (s *instrumentedStore) CommitTurn(ctx context.Context, c store.TurnCommit) error {
	start := time.Now()
	err := s.Store.CommitTurn(ctx, c)
	s.time("commit_turn", start, err)
	if err != nil {
		return err
	}
	for _, a := range c.Audit {
		switch a.Kind {
		case "guard.passed":
			s.m.guard.WithLabelValues("passed", "none").Inc()
		case "guard.blocked":
			rules := violationRules(a.Data)
			if len(rules) == 0 {
				rules = []string{"unknown"}
			}
			for _, r := range rules {
				s.m.guard.WithLabelValues("blocked", r).Inc()
			}
		case "outcome":
			s.m.outcomes.WithLabelValues(c.Conversation.Channel, outcomeType(a.Data)).Inc()
		}
	}
	for _, e := range c.Escalations {
		s.m.escalations.WithLabelValues(e.Reason).Inc()
	}
	if n := len(c.Promises); n > 0 {
		s.m.promises.WithLabelValues("promise").Add(float64(n))
	}
	if n := len(c.Plans); n > 0 {
		s.m.promises.WithLabelValues("plan").Add(float64(n))
	}
	return nil
}

func (s *instrumentedStore) UpdateEscalation(ctx context.Context, e store.Escalation) error {
	start := time.Now()
	err := s.Store.UpdateEscalation(ctx, e)
	s.time("update_escalation", start, err)
	return err
}

func (s *instrumentedStore) AppendAudit(ctx context.Context, evs []store.AuditEvent) error {
	start := time.Now()
	err := s.Store.AppendAudit(ctx, evs)
	s.time("append_audit", start, err)
	return err
}

func (s *instrumentedStore) UpsertAccounts(ctx context.Context, accts []store.Account) error {
	start := time.Now()
	err := s.Store.UpsertAccounts(ctx, accts)
	s.time("upsert_accounts", start, err)
	return err
}

// violationRules reads the rule of each violation of a guard.blocked
// audit event ({"violations":[{"rule":...}]}).
func violationRules(data json.RawMessage) []string {
	var d struct {
		Violations []struct {
			Rule string `json:"rule"`
		} `json:"violations"`
	}
	if json.Unmarshal(data, &d) != nil {
		return nil
	}
	var rules []string
	for _, v := range d.Violations {
		if v.Rule != "" {
			rules = append(rules, v.Rule)
		}
	}
	return rules
}

// outcomeType reads the type of an outcome audit event
// ({"outcome":{"type":...}}).
func outcomeType(data json.RawMessage) string {
	var d struct {
		Outcome struct {
			Type string `json:"type"`
		} `json:"outcome"`
	}
	if json.Unmarshal(data, &d) != nil || d.Outcome.Type == "" {
		return "unknown"
	}
	return d.Outcome.Type
}
