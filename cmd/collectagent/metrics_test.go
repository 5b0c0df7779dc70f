package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the admin listener's /metrics and parses the Prometheus
// text format.
func scrape(t *testing.T, admin string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value sums the family's samples whose labels include want (a counter's
// or gauge's value, a histogram's count).
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	sum, found := 0.0, false
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// TestServeMetricsAfterAConversation holds a conversation to a promise
// and another to an escalation against a real serve process, then parses
// its /metrics and checks the turns, latency, outcome, guard, escalation,
// queue, store, NATS and runtime series; and that the request log names
// routes, never paths, with one component per line.
func TestServeMetricsAfterAConversation(t *testing.T) {
	bin := buildBinary(t)
	p := startServe(t, bin, t.TempDir())
	now := time.Now()
	body := map[string]any{"accounts": []any{
		crashAccount("metrics-a", "Maria Lopez", "1988-07-21", now),
		crashAccount("metrics-b", "James Carter", "1979-02-03", now),
	}}
	if code := p.call("POST", "/v1/accounts", body, nil); code != 200 {
		t.Fatalf("POST /v1/accounts = %d", code)
	}
	var sa, sb struct{ Token, Conversation_ID string }
	if p.call("POST", "/v1/sessions", map[string]string{"account_id": "metrics-a", "channel": "chat"}, &sa) != 201 ||
		p.call("POST", "/v1/sessions", map[string]string{"account_id": "metrics-b", "channel": "chat"}, &sb) != 201 {
		t.Fatal("POST /v1/sessions failed")
	}
	ca := p.dial(sa.Token)
	untilStatus(t, ca)
	say(t, ca, "07/21/1988")
	say(t, ca, "I can pay the full amount tomorrow")
	if st := say(t, ca, "yes"); st.Outcome != "ptp" {
		t.Fatalf("no promise: %+v", st)
	}
	cb := p.dial(sb.Token)
	untilStatus(t, cb)
	say(t, cb, "02/03/1979")
	if st := say(t, cb, "I want to talk to a real person"); st.Mode != "waiting_agent" {
		t.Fatalf("no escalation: %+v", st)
	}

	var fams map[string]*dto.MetricFamily
	// The queue gauge follows the board, which the escalation reaches
	// over NATS: poll briefly.
	deadline := time.Now().Add(10 * time.Second)
	for {
		fams = scrape(t, p.admin)
		if v, _ := value(fams, "collectagent_handoff_queue_depth", nil); v >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	chat := map[string]string{"channel": "chat", "locale": "en-US"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
		max    float64 // 0: no upper bound
	}{
		{"collectagent_turns_total", map[string]string{"channel": "chat", "locale": "en-US", "result": "ok"}, 5, 5},
		{"collectagent_turn_duration_seconds", chat, 5, 5},
		{"collectagent_conversations_started_total", chat, 2, 2},
		{"collectagent_outcomes_total", map[string]string{"type": "ptp"}, 1, 1},
		{"collectagent_arrangements_total", map[string]string{"kind": "promise"}, 1, 1},
		{"collectagent_escalations_total", nil, 1, 1},
		{"collectagent_handoff_queue_depth", nil, 1, 1},
		{"collectagent_handoff_oldest_wait_seconds", nil, 0, 0},
		{"collectagent_guard_decisions_total", map[string]string{"decision": "passed"}, 1, 0},
		{"collectagent_store_commit_duration_seconds", map[string]string{"op": "commit_turn", "result": "ok"}, 7, 0},
		{"collectagent_chat_connections", nil, 2, 2},
		{"collectagent_http_connections", nil, 2, 0},
		{"collectagent_http_requests_total", map[string]string{"route": "POST /v1/sessions", "code": "201"}, 2, 2},
		{"collectagent_http_requests_total", map[string]string{"route": "POST /v1/accounts", "code": "200"}, 1, 1},
		{"collectagent_nats_connected", nil, 1, 1},
		{"collectagent_model_breaker_opens_total", nil, 0, 0},
		{"collectagent_build_info", nil, 1, 1},
		{"collectagent_retention_last_purge_timestamp_seconds", nil, 1, 0}, // the only node runs the purge at start
		{"collectagent_retention_purged_total", map[string]string{"kind": "turns"}, 0, 0},
		{"go_goroutines", nil, 1, 0},
		{"process_resident_memory_bytes", nil, 1, 0},
	} {
		v, ok := value(fams, c.name, c.labels)
		if !ok {
			t.Errorf("%s%v: missing", c.name, c.labels)
			continue
		}
		if v < c.min || (c.max > 0 && v > c.max) {
			t.Errorf("%s%v = %v, want %v..%v", c.name, c.labels, v, c.min, c.max)
		}
	}

	// The Grafana dashboard shows only series the node exposes.
	checkDashboard(t, fams)

	// The request log: routes, not paths (no account or conversation id),
	// and exactly one component per line.
	log := p.stderr.String()
	if !strings.Contains(log, `msg="http request" component=http method=POST route="POST /v1/sessions" status=201`) {
		t.Errorf("no request line for POST /v1/sessions in:\n%s", log)
	}
	for _, id := range []string{"metrics-a", "metrics-b", "Maria", "Lopez", "1988-07-21", "07/21/1988"} {
		if strings.Contains(log, id) {
			t.Errorf("log holds %q:\n%s", id, log)
		}
	}
	// The embedded NATS server's banner and notices stay at debug.
	if strings.Contains(log, "component=nats-server") {
		t.Errorf("NATS server lines at info level:\n%s", log)
	}
	comp := regexp.MustCompile(`\bcomponent=`)
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if n := len(comp.FindAllString(line, -1)); n != 1 {
			t.Errorf("%d component keys in %q", n, line)
		}
	}
}

// checkDashboard fails when the provisioned Grafana dashboard queries a
// metric the node does not expose (histograms by their _bucket series).
func checkDashboard(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy/grafana/dashboards/collectagent.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	name := regexp.MustCompile(`\b(collectagent_[a-z_]+|go_[a-z_]+|process_[a-z_]+)\b`)
	used := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				used++
				base := n
				if f, ok := fams[strings.TrimSuffix(n, "_bucket")]; ok && f.GetType() == dto.MetricType_HISTOGRAM {
					base = strings.TrimSuffix(n, "_bucket")
				}
				if _, ok := fams[base]; !ok {
					t.Errorf("dashboard panel %q queries %s, which /metrics does not expose", p.Title, n)
				}
			}
		}
	}
	if used < 20 {
		t.Errorf("the dashboard queries only %d series", used)
	}
}
