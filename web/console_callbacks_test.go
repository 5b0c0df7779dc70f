package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

type callbacksBody struct {
	Callbacks []struct {
		ID             string      `json:"id"`
		ConversationID string      `json:"conversation_id"`
		Account        accountView `json:"account"`
		Reason         string      `json:"reason"`
		CallbackAt     string      `json:"callback_at"`
		Channel        string      `json:"channel"`
		Rule           string      `json:"rule"`
		Locale         string      `json:"locale"`
		WaitingSince   string      `json:"waiting_since"`
		WaitingSeconds int64       `json:"waiting_seconds"`
	} `json:"callbacks"`
}

// expire lets the SLA of a conversation's escalation lapse through the
// runtime: the borrower is offered a callback, the escalation becomes a
// callback task.
func (e *consoleEnv) expire(convID string) {
	e.t.Helper()
	ctx := context.Background()
	sess, err := e.srv.rt.Open(ctx, convID)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := sess.OfferCallback(ctx)
	if err != nil || len(out.Replies) != 1 {
		e.t.Fatalf("offer callback: %+v %v", out, err)
	}
}

func TestConsoleCallbacks(t *testing.T) {
	e := newConsoleEnv(t)
	ctx := context.Background()
	_, convA, _ := e.escalate("acct-cb-a")
	_, convB, _ := e.escalate("acct-cb-b")

	// B expires at 22:30 in Chicago: the call is due at 08:00 the next
	// morning. A expires later, in hours: its call is due at once, after
	// B's.
	e.clock.Advance(150 * time.Minute) // 04:30Z
	e.expire(convB)
	e.clock.Advance(10 * time.Hour) // 14:30Z
	e.expire(convA)

	ann, sue := e.signIn("ann"), e.signIn("sue")
	var list callbacksBody
	e.mustCall("GET", "/v1/agent/callbacks", ann, nil, http.StatusOK, &list)
	if len(list.Callbacks) != 2 {
		t.Fatalf("callbacks: %+v", list)
	}
	b, a := list.Callbacks[0], list.Callbacks[1]
	if b.ConversationID != convB || b.CallbackAt != "2026-11-23T14:00:00Z" || b.Rule != "outside_hours" {
		t.Errorf("first task %+v, want %s at 2026-11-23T14:00:00Z", b, convB)
	}
	if a.ConversationID != convA || a.CallbackAt != "2026-11-23T14:30:00Z" || a.Rule != "ok" {
		t.Errorf("second task %+v, want %s at 2026-11-23T14:30:00Z", a, convA)
	}
	if b.Channel != "voice" || b.Locale != "en-US" || b.Reason == "" || b.WaitingSince != "2026-11-23T02:00:00Z" || b.WaitingSeconds != int64((12*time.Hour+30*time.Minute)/time.Second) {
		t.Errorf("task fields %+v", b)
	}
	if b.Account.Name != "M. L." || b.Account.Phone != "•••0100" || b.Account.AmountDue != "240.00 USD" {
		t.Errorf("account not masked: %+v", b.Account)
	}
	_, raw := e.call("GET", "/v1/agent/callbacks", sue, nil)
	for _, pii := range []string{"Maria", "Lopez", "5550100", "m@example.com", "1988"} {
		if strings.Contains(string(raw), pii) {
			t.Errorf("callback list shows %q", pii)
		}
	}

	// Done: gone from the list, completed in the store with the result.
	var done struct {
		Status, AgentID string
	}
	e.mustCall("POST", "/v1/agent/callbacks/"+b.ID+"/done", ann, map[string]string{"result": "no_answer", "note": "left a voicemail"}, http.StatusOK, &done)
	e.mustCall("GET", "/v1/agent/callbacks", sue, nil, http.StatusOK, &list)
	if len(list.Callbacks) != 1 || list.Callbacks[0].ID != a.ID {
		t.Fatalf("after done: %+v", list)
	}
	es, err := e.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: convB})
	if err != nil || len(es) != 1 {
		t.Fatalf("escalations: %+v %v", es, err)
	}
	var p struct {
		Callback bot.Callback     `json:"callback"`
		Done     bot.CallbackDone `json:"callback_done"`
	}
	if err := json.Unmarshal(es[0].Packet, &p); err != nil {
		t.Fatal(err)
	}
	if es[0].Status != "completed" || es[0].AgentID != "ann" || p.Done.Result != "no_answer" || p.Done.Note != "left a voicemail" || p.Callback.At.IsZero() {
		t.Errorf("stored %+v %s", es[0], es[0].Packet)
	}

	tests := []struct {
		name, method, path, token string
		body                      any
		want                      int
		code                      string
	}{
		{"done twice", "POST", "/v1/agent/callbacks/" + b.ID + "/done", sue, nil, 409, CodeDone},
		{"unknown task", "POST", "/v1/agent/callbacks/e-nope/done", ann, nil, 404, CodeNotFound},
		{"bad result", "POST", "/v1/agent/callbacks/" + a.ID + "/done", ann, map[string]string{"result": "maybe"}, 422, CodeInvalid},
		{"list unauthenticated", "GET", "/v1/agent/callbacks", "", nil, 401, CodeTokenInvalid},
		{"done unauthenticated", "POST", "/v1/agent/callbacks/" + a.ID + "/done", "", nil, 401, CodeTokenInvalid},
		{"list with a borrower's token", "GET", "/v1/agent/callbacks", e.mint("acct-cb-a").Token, nil, 401, CodeTokenInvalid},
		{"wrong method", "GET", "/v1/agent/callbacks/" + a.ID + "/done", ann, nil, 405, CodeMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := e.call(tt.method, tt.path, tt.token, tt.body)
			if code != tt.want {
				t.Fatalf("= %d %s, want %d", code, body, tt.want)
			}
			if got := decodeConsoleErr(t, body).Error.Code; got != tt.code {
				t.Errorf("code %s, want %s", got, tt.code)
			}
		})
	}
	// A supervisor works tasks too; an empty body means reached.
	e.mustCall("POST", "/v1/agent/callbacks/"+a.ID+"/done", sue, nil, http.StatusOK, &done)
	e.mustCall("GET", "/v1/agent/callbacks", ann, nil, http.StatusOK, &list)
	if len(list.Callbacks) != 0 {
		t.Fatalf("after both done: %+v", list)
	}
}
