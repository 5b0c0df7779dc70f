package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/collectagent/collectagent/bot/llm"
	"github.com/collectagent/collectagent/handoff"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

// modelCollector reads a model client's counters at each scrape.
type modelCollector struct {
	stats func() llm.Stats

	calls, ok, failed, retries, tokens, latency, breaker, opens, fallbacks *prometheus.Desc
}

// Model registers the counters of the model client stats returns (llm
// Client.Stats): calls, errors, retries, tokens, latency quantiles, breaker
// state and fallbacks by reason.
func (m *Metrics) Model(stats func() llm.Stats) {
	m.reg.MustRegister(&modelCollector{
		stats:     stats,
		calls:     desc("model_calls_total", "Model calls that went out, by operation.", "op"),
		ok:        desc("model_answers_used_total", "Model answers used, by operation.", "op"),
		failed:    desc("model_errors_total", "Model calls whose answer was not used (error, timeout, bad output), by operation.", "op"),
		retries:   desc("model_retries_total", "Extra model attempts, by operation.", "op"),
		tokens:    desc("model_tokens_total", "Tokens reported by the model server, by operation and direction (in, out).", "op", "direction"),
		latency:   desc("model_latency_seconds", "Model call latency quantiles since start, by operation (quantile 0.5, 0.99, 1).", "op", "quantile"),
		breaker:   desc("model_breaker_open", "1 while an operation's circuit breaker is open or half-open (state label), else 0.", "op", "state"),
		opens:     desc("model_breaker_opens_total", "Circuit breaker openings, all operations."),
		fallbacks: desc("model_fallbacks_total", "Turns, acts or summaries that fell back to rules or templates, by reason.", "reason"),
	})
}

func (c *modelCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.calls, c.ok, c.failed, c.retries, c.tokens, c.latency, c.breaker, c.opens, c.fallbacks} {
		ch <- d
	}
}

func (c *modelCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	// Every operation, breaker and fallback reason is exposed from the
	// start (at zero), so dashboards and alerts see the series before the
	// first call.
	if s.Ops == nil {
		s.Ops = map[string]llm.OpStats{}
	}
	if s.Breakers == nil {
		s.Breakers = map[string]string{}
	}
	if s.Fallbacks == nil {
		s.Fallbacks = map[string]uint64{}
	}
	for _, op := range []string{llm.OpUnderstand, llm.OpPhrase, llm.OpSummarize} {
		if _, ok := s.Ops[op]; !ok {
			s.Ops[op] = llm.OpStats{}
		}
		if _, ok := s.Breakers[op]; !ok {
			s.Breakers[op] = "closed"
		}
	}
	for _, r := range []string{llm.FallbackBreakerOpen, llm.FallbackTimeout, llm.FallbackRateLimited, llm.FallbackServer,
		llm.FallbackRequest, llm.FallbackTransport, llm.FallbackBadOutput, llm.FallbackStream, llm.FallbackPlaceholder,
		llm.FallbackCanceled, llm.FallbackFigure} {
		if _, ok := s.Fallbacks[r]; !ok {
			s.Fallbacks[r] = 0
		}
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for op, o := range s.Ops {
		counter(c.calls, o.Calls, op)
		counter(c.ok, o.OK, op)
		counter(c.failed, o.Failed, op)
		counter(c.retries, o.Retries, op)
		counter(c.tokens, o.TokensIn, op, "in")
		counter(c.tokens, o.TokensOut, op, "out")
		for q, d := range map[string]time.Duration{"0.5": o.LatencyP50, "0.99": o.LatencyP99, "1": o.LatencyMax} {
			ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, d.Seconds(), op, q)
		}
	}
	for op, state := range s.Breakers {
		v := 0.0
		if state != "closed" {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.breaker, prometheus.GaugeValue, v, op, state)
	}
	counter(c.opens, s.BreakerOpens)
	for reason, n := range s.Fallbacks {
		counter(c.fallbacks, n, reason)
	}
}

// natsCollector reads a NATS connection's state at each scrape.
type natsCollector struct {
	nc                 *nats.Conn
	connected, reconns *prometheus.Desc
}

// NATS registers the connection's state (1 connected, 0 not) and its
// reconnect count.
func (m *Metrics) NATS(nc *nats.Conn) {
	m.reg.MustRegister(&natsCollector{
		nc:        nc,
		connected: desc("nats_connected", "1 while the node's NATS connection is connected, else 0."),
		reconns:   desc("nats_reconnects_total", "Reconnections of the node's NATS connection."),
	})
}

func (c *natsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.connected; ch <- c.reconns }

func (c *natsCollector) Collect(ch chan<- prometheus.Metric) {
	v := 0.0
	if c.nc.IsConnected() {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, v)
	ch <- prometheus.MustNewConstMetric(c.reconns, prometheus.CounterValue, float64(c.nc.Stats().Reconnects))
}

// queueCollector reads the handoff board at each scrape; the wait
// histogram is fed by WatchQueue.
type queueCollector struct {
	q                    *handoff.Queue
	now                  func() time.Time
	depth, cases, oldest *prometheus.Desc
}

// Queue registers the escalation queue's depth by priority, its cases by
// status and the oldest waiting case's wait, and returns a function that
// follows the board until ctx ends, observing each claim's wait (from
// waiting to claimed) in collectagent_handoff_wait_seconds.
func (m *Metrics) Queue(q *handoff.Queue, now func() time.Time) func(ctx context.Context) {
	m.reg.MustRegister(&queueCollector{
		q: q, now: now,
		depth:  desc("handoff_queue_depth", "Escalations waiting for an agent, by priority (1 most urgent).", "priority"),
		cases:  desc("handoff_cases", "Cases on the handoff board, by status.", "status"),
		oldest: desc("handoff_oldest_wait_seconds", "How long the longest-waiting escalation has waited."),
	})
	wait := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "handoff", Name: "wait_seconds",
		Help:    "Time an escalation waited for an agent before a claim.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600},
	})
	m.reg.MustRegister(wait)
	return func(ctx context.Context) {
		changes, stop := q.Changes()
		defer stop()
		seen := map[string]int{}
		var mu sync.Mutex
		scan := func() {
			mu.Lock()
			defer mu.Unlock()
			live := make(map[string]bool)
			for _, c := range q.Board() {
				live[c.ID] = true
				if c.Claims > seen[c.ID] && !c.ClaimedAt.IsZero() {
					seen[c.ID] = c.Claims
					wait.Observe(max(c.ClaimedAt.Sub(c.WaitingSince), 0).Seconds())
				}
			}
			for id := range seen {
				if !live[id] {
					delete(seen, id)
				}
			}
		}
		for {
			scan()
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changes:
				if !ok {
					return
				}
			}
		}
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.cases
	ch <- c.oldest
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	depth := map[int]int{}
	for p := handoff.MinPriority; p <= handoff.MaxPriority; p++ {
		depth[p] = 0
	}
	oldest := time.Duration(0)
	now := c.now()
	for _, w := range c.q.Waiting() {
		depth[w.Priority()]++
		oldest = max(oldest, now.Sub(w.WaitingSince))
	}
	for p, n := range depth {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n), itoa(p))
	}
	status := map[string]int{}
	for _, b := range c.q.Board() {
		status[string(b.Status)]++
	}
	for s, n := range status {
		ch <- prometheus.MustNewConstMetric(c.cases, prometheus.GaugeValue, float64(n), s)
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, oldest.Seconds())
}

func itoa(n int) string {
	if n >= 0 && n < 10 {
		return string(rune('0' + n))
	}
	return "other"
}
