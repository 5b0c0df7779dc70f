package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
)

type consoleErr struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		Field      string `json:"field"`
		Violations []struct {
			Rule   string `json:"rule"`
			Detail string `json:"detail"`
		} `json:"violations"`
	} `json:"error"`
}

func decodeConsoleErr(t *testing.T, b []byte) consoleErr {
	t.Helper()
	var e consoleErr
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error body: %s (%v)", b, err)
	}
	return e
}

func TestConsoleSignIn(t *testing.T) {
	e := newConsoleEnv(t)
	annTok := e.signIn("ann")
	sess := e.mint2("acct-signin")
	tests := []struct {
		name     string
		body     any
		want     int
		wantCode string
	}{
		{"password", map[string]string{"user": "bo", "password": "bo-secret-22"}, 200, ""},
		{"api token", map[string]string{"token": consoleAPIToken}, 200, ""},
		{"api token with its user", map[string]string{"user": "ann", "token": consoleAPIToken}, 200, ""},
		{"api token of another user", map[string]string{"user": "bo", "token": consoleAPIToken}, 401, CodeSignIn},
		{"bad password", map[string]string{"user": "ann", "password": "bo-secret-22"}, 401, CodeSignIn},
		{"unknown user", map[string]string{"user": "zed", "password": "whatever"}, 401, CodeSignIn},
		{"nothing", map[string]string{"user": "ann"}, 422, CodeInvalid},
		{"both", map[string]string{"user": "ann", "password": "x", "token": "y"}, 422, CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, b := e.call("POST", "/v1/agent/signin", "", tt.body)
			if code != tt.want {
				t.Fatalf("status %d %s, want %d", code, b, tt.want)
			}
			if tt.wantCode != "" {
				if got := decodeConsoleErr(t, b).Error.Code; got != tt.wantCode {
					t.Errorf("code %q, want %q", got, tt.wantCode)
				}
			}
		})
	}

	tokens := []struct {
		name, token, code string
	}{
		{"none", "", CodeTokenInvalid},
		{"forged", annTok[:len(annTok)-3] + "AAA", CodeTokenInvalid},
		{"a borrower's session token", sess.Token, CodeTokenInvalid},
		{"an API key", testKey, CodeTokenInvalid},
	}
	for _, tt := range tokens {
		t.Run("token "+tt.name, func(t *testing.T) {
			code, b := e.call("GET", "/v1/agent/queue", tt.token, nil)
			if code != http.StatusUnauthorized || decodeConsoleErr(t, b).Error.Code != tt.code {
				t.Fatalf("= %d %s, want 401 %s", code, b, tt.code)
			}
		})
	}
	e.mustCall("GET", "/v1/agent/queue", annTok, nil, http.StatusOK, nil)
	e.clock.Advance(DefaultConsoleConfig().TokenTTL)
	code, b := e.call("GET", "/v1/agent/queue", annTok, nil)
	if code != http.StatusUnauthorized || decodeConsoleErr(t, b).Error.Code != CodeTokenExpired {
		t.Fatalf("expired token: %d %s, want 401 %s", code, b, CodeTokenExpired)
	}
}

// mint2 adds an account and mints its chat session.
func (e *consoleEnv) mint2(id string) SessionResponse {
	e.t.Helper()
	e.addAccounts(maria(id))
	return e.mint(id)
}

func TestConsoleSignInRateLimited(t *testing.T) {
	e := newConsoleEnv(t)
	burst := DefaultConsoleConfig().SignInBurst
	for i := range burst {
		if code, b := e.call("POST", "/v1/agent/signin", "", map[string]string{"user": "ann", "password": fmt.Sprint("guess", i)}); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i, code, b)
		}
	}
	// Even the right password waits now: the user's bucket is empty.
	code, b := e.call("POST", "/v1/agent/signin", "", map[string]string{"user": "ann", "password": "ann-secret-1"})
	if code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d %s, want 429", burst, code, b)
	}
	e.clock.Advance(time.Minute)
	e.mustCall("POST", "/v1/agent/signin", "", map[string]string{"user": "ann", "password": "ann-secret-1"}, http.StatusOK, nil)
}

type caseDetailBody struct {
	Case *struct {
		ID          string   `json:"id"`
		Status      string   `json:"status"`
		AgentID     string   `json:"agent_id"`
		Reason      string   `json:"reason"`
		Verified    bool     `json:"verified"`
		Disclosures []string `json:"disclosures"`
		Summary     string   `json:"summary"`
	} `json:"case"`
	Conversation struct {
		ID   string `json:"id"`
		Mode string `json:"mode"`
	} `json:"conversation"`
	Account struct {
		Name   string `json:"name"`
		Phone  string `json:"phone"`
		IDLast string `json:"id_last"`
	} `json:"account"`
	Transcript []struct {
		From string `json:"from"`
		Text string `json:"text"`
	} `json:"transcript"`
	ReadOnly bool `json:"read_only"`
}

func TestConsoleRoles(t *testing.T) {
	e := newConsoleEnv(t)
	ann, bo, sue := e.signIn("ann"), e.signIn("bo"), e.signIn("sue")
	_, convID, caseID := e.escalate("acct-roles")

	// Before the claim, an agent may look at a waiting case: masked facts,
	// the packet, the full transcript.
	var d caseDetailBody
	e.mustCall("GET", "/v1/agent/cases/"+caseID, bo, nil, http.StatusOK, &d)
	if d.Case == nil || d.Case.Reason == "" || !d.Case.Verified || d.Case.Summary == "" {
		t.Errorf("case packet: %+v", d.Case)
	}
	if d.Account.Name != "M. L." || d.Account.Phone != "•••0100" || d.Account.IDLast != "••17" {
		t.Errorf("account not masked: %+v", d.Account)
	}
	_, raw := e.call("GET", "/v1/agent/cases/"+caseID, bo, nil)
	var acct struct {
		Account json.RawMessage `json:"account"`
	}
	if err := json.Unmarshal(raw, &acct); err != nil {
		t.Fatal(err)
	}
	for _, pii := range []string{"Maria", "Lopez", "1988", "4417", "5550100", "m@example.com"} {
		if strings.Contains(string(acct.Account), pii) {
			t.Errorf("account view shows %q", pii)
		}
	}
	if len(d.Transcript) < 4 || d.Transcript[len(d.Transcript)-1].From == "" {
		t.Errorf("transcript: %+v", d.Transcript)
	}

	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)

	tests := []struct {
		name, method, path, token string
		want                      int
		code                      string
	}{
		{"agent lists conversations", "GET", "/v1/agent/conversations", ann, 403, CodeRole},
		{"agent opens a conversation", "GET", "/v1/agent/conversations/" + convID, bo, 403, CodeRole},
		{"other agent opens the claimed case", "GET", "/v1/agent/cases/" + caseID, bo, 403, CodeNotClaimant},
		{"other agent writes", "POST", "/v1/agent/cases/" + caseID + "/messages", bo, 403, CodeNotClaimant},
		{"supervisor writes", "POST", "/v1/agent/cases/" + caseID + "/messages", sue, 403, CodeNotClaimant},
		{"supervisor lists conversations", "GET", "/v1/agent/conversations", sue, 200, ""},
		{"supervisor opens the case", "GET", "/v1/agent/cases/" + caseID, sue, 200, ""},
		{"supervisor opens the conversation", "GET", "/v1/agent/conversations/" + convID, sue, 200, ""},
		{"claimant opens the case", "GET", "/v1/agent/cases/" + caseID, ann, 200, ""},
		{"unknown case", "GET", "/v1/agent/cases/nope", ann, 404, CodeNotFound},
		{"unknown endpoint", "GET", "/v1/agent/nope", ann, 404, CodeNotFound},
		{"wrong method", "GET", "/v1/agent/cases/" + caseID + "/claim", ann, 405, CodeMethod},
		{"wrong method on sign-in", "DELETE", "/v1/agent/signin", "", 405, CodeMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" {
				body = map[string]string{"text": "hello"}
			}
			code, b := e.call(tt.method, tt.path, tt.token, body)
			if code != tt.want {
				t.Fatalf("= %d %s, want %d", code, b, tt.want)
			}
			if tt.code != "" && decodeConsoleErr(t, b).Error.Code != tt.code {
				t.Errorf("code: %s, want %s", b, tt.code)
			}
		})
	}
	var sup caseDetailBody
	e.mustCall("GET", "/v1/agent/cases/"+caseID, sue, nil, http.StatusOK, &sup)
	if !sup.ReadOnly {
		t.Error("supervisor's view is not read-only")
	}
	var convs struct {
		Conversations []struct {
			ID, Mode string
		} `json:"conversations"`
	}
	e.mustCall("GET", "/v1/agent/conversations", sue, nil, http.StatusOK, &convs)
	found := false
	for _, c := range convs.Conversations {
		found = found || (c.ID == convID && c.Mode == "agent")
	}
	if !found {
		t.Errorf("supervisor's live list lacks %s in agent mode: %+v", convID, convs)
	}

	// The WebSocket is authorised per conversation.
	ws := []struct {
		name, query string
		want        int
	}{
		{"other agent on the case", "token=" + bo + "&case=" + caseID, 403},
		{"agent on a conversation", "token=" + ann + "&conversation=" + convID, 403},
		{"no token", "case=" + caseID, 401},
	}
	for _, tt := range ws {
		t.Run("ws "+tt.name, func(t *testing.T) {
			c, res, err := websocket.DefaultDialer.Dial(e.consoleWS(tt.query), nil)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			if res == nil || res.StatusCode != tt.want {
				t.Fatalf("dial: %v %v, want %d", err, res, tt.want)
			}
		})
	}
}

func (e *consoleEnv) consoleWS(query string) string {
	return "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/v1/agent/ws?" + query
}

// TestConsoleClaimRace: two agents claim one case at the same moment,
// many times over: exactly one wins each time, the other is told.
func TestConsoleClaimRace(t *testing.T) {
	for _, be := range handofftest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) { testConsoleClaimRace(t, be) })
	}
}

func testConsoleClaimRace(t *testing.T, be handofftest.Backend) {
	e := newConsoleEnvOn(t, be, handoff.Config{})
	tokens := []string{e.signIn("ann"), e.signIn("bo")}
	for round := range 3 {
		_, _, caseID := e.escalate(fmt.Sprintf("acct-race-%d", round))
		var wg sync.WaitGroup
		codes := make([]int, 2)
		bodies := make([][]byte, 2)
		start := make(chan struct{})
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[i], bodies[i] = e.call("POST", "/v1/agent/cases/"+caseID+"/claim", tok, nil)
			}()
		}
		close(start)
		wg.Wait()
		won, lost := -1, -1
		for i, c := range codes {
			switch c {
			case http.StatusOK:
				won = i
			case http.StatusConflict:
				lost = i
			}
		}
		if won < 0 || lost < 0 {
			t.Fatalf("round %d: statuses %v (%s | %s), want one 200 and one 409", round, codes, bodies[0], bodies[1])
		}
		if msg := decodeConsoleErr(t, bodies[lost]).Error.Message; msg != "claimed by another agent" {
			t.Errorf("loser told %q", msg)
		}
		k, err := e.q.Get(context.Background(), caseID)
		if err != nil || k.Status != handoff.StatusAccepted || k.AgentID != consoleUsers[won].id {
			t.Errorf("board: %+v %v, want accepted by %s", k, err, consoleUsers[won].id)
		}
	}
}

// claimed escalates a borrower and has ann claim the case.
func (e *consoleEnv) claimed(acct string) (*websocket.Conn, string, string, string) {
	e.t.Helper()
	bc, convID, caseID := e.escalate(acct)
	ann := e.signIn("ann")
	untilMode(e.t, bc, "agent", func() {
		e.mustCall("POST", "/v1/agent/cases/"+caseID+"/claim", ann, nil, http.StatusOK, nil)
	})
	return bc, convID, caseID, ann
}

func TestConsoleChatThroughTheGuard(t *testing.T) {
	e := newConsoleEnv(t)
	bc, convID, caseID, ann := e.claimed("acct-guard")
	ctx := context.Background()

	// The console's stream of the borrower's side.
	cw, _, err := websocket.DefaultDialer.Dial(e.consoleWS("token="+ann+"&case="+caseID), nil)
	if err != nil {
		t.Fatalf("console ws: %v", err)
	}
	defer cw.Close()
	if f := readConsole(t, cw); f.Type != "hello" || f.Conversation != convID || f.ReadOnly {
		t.Fatalf("hello: %+v", f)
	}

	banned := "Pay today or we will sue you."
	var dec struct {
		Allowed    bool `json:"allowed"`
		Violations []struct {
			Rule string `json:"rule"`
		} `json:"violations"`
	}
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/check", ann, map[string]string{"text": banned}, http.StatusOK, &dec)
	if dec.Allowed || len(dec.Violations) == 0 {
		t.Fatalf("check of a threat: %+v", dec)
	}
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/check", ann, map[string]string{"text": "Thanks for waiting, I'm here to help."}, http.StatusOK, &dec)
	if !dec.Allowed {
		t.Fatalf("check of a kind line: %+v", dec)
	}

	before, err := e.st.ListTurns(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	code, b := e.call("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": banned, "id": "m-1"})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("blocked message: %d %s, want 422", code, b)
	}
	ce := decodeConsoleErr(t, b)
	if ce.Error.Code != CodeBlocked || len(ce.Error.Violations) == 0 || ce.Error.Violations[0].Rule == "" {
		t.Fatalf("blocked body: %s", b)
	}
	after, _ := e.st.ListTurns(ctx, convID)
	if len(after) != len(before) {
		t.Fatalf("a blocked message was recorded: %d turns, was %d", len(after), len(before))
	}

	// A good line reaches the borrower's window; the borrower's answer
	// reaches the console.
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hi Maria, I'm Ann. How can I help?", "id": "m-2"}, http.StatusOK, nil)
	if f := untilText(t, bc, "agent", "I'm Ann"); strings.Contains(f.Text, "sue") {
		t.Fatalf("borrower saw %q", f.Text)
	}
	send(t, bc, ClientFrame{Type: FrameMessage, Text: "I lost my job last month"})
	for {
		f := readConsole(t, cw)
		if f.Type == "message" && f.Message != nil && f.Message.From == "borrower" {
			if f.Message.Text != "I lost my job last month" {
				t.Fatalf("console got %+v", f.Message)
			}
			break
		}
	}
	// The same message id twice is one turn.
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "Hi Maria, I'm Ann. How can I help?", "id": "m-2"}, http.StatusOK, nil)
	turns, _ := e.st.ListTurns(ctx, convID)
	n := 0
	for _, tr := range turns {
		if tr.From == "agent" && strings.Contains(tr.Text, "I'm Ann") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("agent line recorded %d times", n)
	}
}

type consoleFrameIn struct {
	Type         string           `json:"type"`
	Conversation string           `json:"conversation"`
	ReadOnly     bool             `json:"read_only"`
	Message      *handoff.Message `json:"message"`
	Queue        *struct {
		Waiting []struct {
			ID             string `json:"id"`
			ConversationID string `json:"conversation_id"`
		} `json:"waiting"`
	} `json:"queue"`
}

func readConsole(t testing.TB, c *websocket.Conn) consoleFrameIn {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	var f consoleFrameIn
	if err := c.ReadJSON(&f); err != nil {
		t.Fatalf("read console frame: %v", err)
	}
	return f
}

func TestConsoleRecord(t *testing.T) {
	e := newConsoleEnv(t)
	bc, convID, caseID, ann := e.claimed("acct-record")
	ctx := context.Background()
	path := "/v1/agent/cases/" + caseID + "/record"
	// testNow is 2026-11-23 UTC (the 22nd in Chicago); the policy allows a
	// promise within 14 days and at most 6 payments.
	bad := []struct {
		name  string
		body  map[string]any
		want  int
		code  string
		field string
	}{
		{"promise too far out", map[string]any{"kind": "ptp", "amount": "240.00", "date": "2027-02-01"}, 422, CodeOffPolicy, ""},
		{"too many payments", map[string]any{"kind": "plan", "count": 12, "first_date": "2026-11-25"}, 422, CodeOffPolicy, ""},
		{"no amount", map[string]any{"kind": "ptp", "date": "2026-11-27"}, 422, CodeInvalid, "amount"},
		{"bad date", map[string]any{"kind": "ptp", "amount": "240", "date": "next week"}, 422, CodeInvalid, "date"},
		{"unknown kind", map[string]any{"kind": "barter"}, 422, CodeInvalid, "kind"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, b := e.call("POST", path, ann, tt.body)
			if code != tt.want {
				t.Fatalf("= %d %s, want %d", code, b, tt.want)
			}
			ce := decodeConsoleErr(t, b)
			if ce.Error.Code != tt.code || (tt.field != "" && ce.Error.Field != tt.field) {
				t.Fatalf("error %s, want code %s field %s", b, tt.code, tt.field)
			}
			if tt.code == CodeOffPolicy && (ce.Error.Message == "" || strings.Contains(ce.Error.Message, "internal")) {
				t.Errorf("off-policy reason missing: %s", b)
			}
		})
	}
	if ps, _ := e.st.ListPromises(ctx, "acct-record"); len(ps) != 0 {
		t.Fatalf("off-policy proposals recorded: %+v", ps)
	}
	if ps, _ := e.st.ListPlans(ctx, "acct-record"); len(ps) != 0 {
		t.Fatalf("off-policy plans recorded: %+v", ps)
	}

	e.mustCall("POST", path, ann, map[string]any{"kind": "plan", "count": 3, "first_date": "2026-11-27"}, http.StatusOK, nil)
	plans, _ := e.st.ListPlans(ctx, "acct-record")
	if len(plans) != 1 || plans[0].CreatedBy != "ann" || len(plans[0].Installments) != 3 || plans[0].TotalMinor != 24000 {
		t.Fatalf("plan: %+v", plans)
	}
	if got := plans[0].Installments[1].DueDate; got != "2026-12-11" {
		t.Errorf("second payment %s, want 14 days after the first", got)
	}
	untilText(t, bc, "agent", "240.00")

	// With an outcome recorded, the agent closes: the case completes.
	untilMode(t, bc, "ended", func() {
		e.mustCall("POST", "/v1/agent/cases/"+caseID+"/close", ann, nil, http.StatusOK, nil)
	})
	k, err := e.q.Get(ctx, caseID)
	if err != nil || k.Status != handoff.StatusCompleted || k.Resolution != handoff.ResolutionClosed {
		t.Fatalf("case after close: %+v %v", k, err)
	}
	cv, _ := e.st.GetConversation(ctx, convID)
	if cv.Mode != "ended" || cv.OutcomeType != "plan" {
		t.Errorf("conversation after close: mode %s outcome %s", cv.Mode, cv.OutcomeType)
	}
	code, b := e.call("POST", "/v1/agent/cases/"+caseID+"/messages", ann, map[string]string{"text": "one more thing"})
	if code != http.StatusConflict || decodeConsoleErr(t, b).Error.Code != CodeFinished {
		t.Errorf("message after close: %d %s, want 409 %s", code, b, CodeFinished)
	}
}

func TestConsoleHandBack(t *testing.T) {
	e := newConsoleEnv(t)
	bc, convID, caseID, ann := e.claimed("acct-back")
	ctx := context.Background()
	msgs := untilMode(t, bc, "bot", func() {
		e.mustCall("POST", "/v1/agent/cases/"+caseID+"/handback", ann, nil, http.StatusOK, nil)
	})
	_ = msgs
	handofftest.WaitFor(t, 10*time.Second, func() error {
		k, err := e.q.Get(ctx, caseID)
		if err != nil || k.Status != handoff.StatusCompleted || k.Resolution != handoff.ResolutionHandedBack {
			return fmt.Errorf("case %+v %v", k, err)
		}
		return nil
	})
	cv, _ := e.st.GetConversation(ctx, convID)
	if cv.Mode != "bot" {
		t.Fatalf("mode after hand-back %s", cv.Mode)
	}
	// The bot answers again, at the right stage: the borrower is verified.
	_, st := say(t, bc, "I can pay the full amount on Friday")
	if st.Stage == "verify" {
		t.Errorf("bot went back to verification: %+v", st)
	}
}

func TestConsoleOff(t *testing.T) {
	t.Run("no users", func(t *testing.T) {
		e := newEnv(t, nil)
		for _, p := range []string{"/agent", "/v1/agent/queue"} {
			if code, _ := e.do("GET", p, nil, ""); code != http.StatusNotFound {
				t.Errorf("GET %s = %d without console users, want 404", p, code)
			}
		}
		if code, _ := e.do("POST", "/v1/agent/signin", map[string]string{"user": "a", "password": "b"}, ""); code != http.StatusNotFound {
			t.Errorf("sign-in = %d without console users, want 404", code)
		}
	})
	t.Run("users without the handoff", func(t *testing.T) {
		e := newEnv(t, nil)
		cfg := Config{APIKeys: []string{testKey}, TokenSecret: strings.Repeat("s", 32)}
		cfg.Console.Users = []AgentUser{{ID: "a", Name: "A", Role: RoleAgent, TokenSHA256: HashToken("t")}}
		_, err := New(cfg, Deps{Store: e.st, Runtime: e.srv.rt})
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "web.console.users") {
			t.Fatalf("New = %v, want ErrBadConfig naming web.console.users", err)
		}
	})
}
