package web

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/accounts"
)

// BenchmarkConsoleLatency measures, through the whole stack (borrower
// WebSocket, runtime, SQLite, embedded NATS, the console's API and
// WebSocket), the two latencies agents and borrowers feel:
//
//   - escalate: the borrower's "I want to talk to a person" frame sent →
//     the case listed in a queue frame on a connected console;
//   - agent→borrower: the console's POST of a message sent → the
//     message frame read by the borrower's client.
//
// One op is one escalated conversation (verification, escalation, claim,
// one agent message, hand-back); p50 and p99 of each latency are
// reported.
func BenchmarkConsoleLatency(b *testing.B) {
	e := newConsoleEnv(b)
	ann := e.signIn("ann")
	cw, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann), nil)
	if err != nil {
		b.Fatalf("console ws: %v", err)
	}
	defer cw.Close()
	readConsole(b, cw)
	var batch []accounts.Account
	for i := 0; i < b.N; i++ {
		if batch = append(batch, maria(fmt.Sprintf("lat-%d", i))); len(batch) == 1000 || i == b.N-1 {
			e.addAccounts(batch...)
			batch = batch[:0]
		}
	}
	escalate := make([]time.Duration, 0, b.N)
	toBorrower := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := e.mint(fmt.Sprintf("lat-%d", i))
		c := e.mustDial(s.Token)
		untilStatus(b, c)
		say(b, c, "07/21/1988")

		start := time.Now()
		send(b, c, ClientFrame{Type: FrameMessage, Text: "I want to talk to a person"})
		var caseID string
		for caseID == "" {
			f := readConsole(b, cw)
			if f.Queue == nil {
				continue
			}
			for _, w := range f.Queue.Waiting {
				if w.ConversationID == s.ConversationID {
					caseID = w.ID
				}
			}
		}
		escalate = append(escalate, time.Since(start))

		untilMode(b, c, "agent", func() {
			e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)
		})
		start = time.Now()
		e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hello, I'm Ann."}, http.StatusOK, nil)
		untilText(b, c, "agent", "I'm Ann")
		toBorrower = append(toBorrower, time.Since(start))

		untilMode(b, c, "bot", func() {
			e.mustCall("POST", "/v1/agent/cases/"+caseID+"/handback", ann, nil, http.StatusOK, nil)
		})
		c.Close()
	}
	b.StopTimer()
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"escalate", escalate}, {"agent→borrower", toBorrower}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(pct(m.d, 50).Microseconds())/1000, m.name+"-p50-ms")
		b.ReportMetric(float64(pct(m.d, 99).Microseconds())/1000, m.name+"-p99-ms")
	}
}

// pct is the p-th percentile of sorted durations.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, (len(d)*p+99)/100-1)]
}
