// Package metrics is a node's Prometheus metrics: the HTTP edge (requests,
// borrower turns, open chats and connections), what each committed step
// recorded (outcomes, guard decisions by rule, escalations, store commit
// latency), the handoff queue (depth, wait), the model (calls, latency,
// errors, breaker state), the NATS connection, and the Go runtime.
//
// It reads what the other packages already count or commit; it decides
// nothing and knows no transport. The admin listener serves Handler.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the service.
const Namespace = "collectagent"

// latencyBuckets suit turns and commits: 1 ms to 30 s.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics holds a node's registry and the instruments the edge and the
// store decorator feed. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	reqDuration   *prometheus.HistogramVec
	turns         *prometheus.CounterVec
	turnLatency   *prometheus.HistogramVec
	commits       *prometheus.HistogramVec
	outcomes      *prometheus.CounterVec
	guard         *prometheus.CounterVec
	escalations   *prometheus.CounterVec
	promises      *prometheus.CounterVec
	conversations *prometheus.CounterVec
}

// New returns metrics on a fresh registry with the Go runtime and process
// collectors and the build information registered.
func New(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	m.reqDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help: "HTTP request duration by route pattern (a WebSocket counts until it closes).", Buckets: latencyBuckets,
	}, []string{"method", "route"})
	m.turns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "turns_total",
		Help: "Borrower turns handled by channel, locale and result (ok or error).",
	}, []string{"channel", "locale", "result"})
	m.turnLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "turn_duration_seconds",
		Help: "Borrower turn latency (understand, step, guard, commit) by channel and locale.", Buckets: latencyBuckets,
	}, []string{"channel", "locale"})
	m.commits = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "store", Name: "commit_duration_seconds",
		Help: "Store commit latency by operation and result.", Buckets: latencyBuckets,
	}, []string{"op", "result"})
	m.outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "outcomes_total",
		Help: "Conversation outcomes recorded, by type (ptp, plan, pay_now, cease, ...).",
	}, []string{"channel", "type"})
	m.guard = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "guard", Name: "decisions_total",
		Help: "Guard decisions on outgoing utterances: decision passed or blocked, rule of each violation (\"none\" when passed).",
	}, []string{"decision", "rule"})
	m.escalations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "escalations_total",
		Help: "Escalations to a human committed, by reason.",
	}, []string{"reason"})
	m.promises = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "arrangements_total",
		Help: "Promises to pay and payment plans committed, by kind.",
	}, []string{"kind"})
	m.conversations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "conversations_started_total",
		Help: "Conversations created, by channel and locale.",
	}, []string{"channel", "locale"})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels name the build.", ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.reqDuration, m.turns, m.turnLatency, m.commits,
		m.outcomes, m.guard, m.escalations, m.promises, m.conversations, info,
	)
	return m
}

// Registry is where other collectors (the handoff queue, the model, NATS)
// are registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records one HTTP request. route is the matched pattern
// ("GET /v1/accounts/{id}"), never the raw path, so ids stay out.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, codeLabel(status)).Inc()
	m.reqDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// ObserveTurn records one borrower turn.
func (m *Metrics) ObserveTurn(channel, locale string, d time.Duration, ok bool) {
	result := "ok"
	if !ok {
		result = "error"
	}
	m.turns.WithLabelValues(channel, locale, result).Inc()
	if ok {
		m.turnLatency.WithLabelValues(channel, locale).Observe(d.Seconds())
	}
}

// GaugeFunc registers a gauge read from f at each scrape.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

func codeLabel(status int) string {
	if status <= 0 {
		status = http.StatusOK
	}
	return strconv.Itoa(status)
}
