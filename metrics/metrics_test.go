package metrics

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/store"
)

// commitStore accepts every commit.
type commitStore struct{ store.Store }

func (commitStore) CommitTurn(context.Context, store.TurnCommit) error { return nil }

func TestStoreCountsWhatACommitRecorded(t *testing.T) {
	m := New("test")
	st := m.Store(commitStore{})
	blocked, _ := json.Marshal(map[string]any{"violations": []map[string]string{{"rule": "fact_lock"}, {"rule": "banned_phrase"}}})
	outcome, _ := json.Marshal(map[string]any{"outcome": map[string]any{"type": "ptp"}})
	err := st.CommitTurn(context.Background(), store.TurnCommit{
		Conversation: store.Conversation{ID: "c1", Channel: "chat", Locale: "en-US"},
		Audit: []store.AuditEvent{
			{Kind: "guard.passed", Data: json.RawMessage(`{}`)},
			{Kind: "guard.blocked", Data: blocked},
			{Kind: "outcome", Data: outcome},
		},
		Promises:    []store.Promise{{ID: "p1"}},
		Escalations: []store.Escalation{{ID: "e1", Reason: "hardship"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.guard.WithLabelValues("passed", "none")), 1, "guard passed"},
		{testutil.ToFloat64(m.guard.WithLabelValues("blocked", "fact_lock")), 1, "blocked fact_lock"},
		{testutil.ToFloat64(m.guard.WithLabelValues("blocked", "banned_phrase")), 1, "blocked banned_phrase"},
		{testutil.ToFloat64(m.outcomes.WithLabelValues("chat", "ptp")), 1, "outcome ptp"},
		{testutil.ToFloat64(m.promises.WithLabelValues("promise")), 1, "promise"},
		{testutil.ToFloat64(m.escalations.WithLabelValues("hardship")), 1, "escalation"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.commits); n != 1 {
		t.Errorf("%d commit latency series, want 1", n)
	}
}

func TestModelSeriesExistBeforeTheFirstCall(t *testing.T) {
	m := New("test")
	m.Model(func() llm.Stats { return llm.Stats{} })
	m.ObserveRequest("GET", "GET /healthz", 0, time.Millisecond)
	const want = `
# HELP collectagent_model_breaker_opens_total Circuit breaker openings, all operations.
# TYPE collectagent_model_breaker_opens_total counter
collectagent_model_breaker_opens_total 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "collectagent_model_breaker_opens_total"); err != nil {
		t.Error(err)
	}
	n, err := testutil.GatherAndCount(m.Registry(), "collectagent_model_calls_total", "collectagent_model_breaker_open")
	if err != nil || n != 6 {
		t.Errorf("model calls and breaker series: %d %v, want 3 operations each", n, err)
	}
	if v := testutil.ToFloat64(m.requests.WithLabelValues("GET", "GET /healthz", "200")); v != 1 {
		t.Errorf("a request with no status written counts as 200: %v", v)
	}
}
