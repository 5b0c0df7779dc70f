package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialStatus dials and returns the HTTP status of a refused handshake.
func dialRefused(t *testing.T, e *testEnv, token string, h http.Header) (int, errorBody) {
	t.Helper()
	c, res, err := e.dial(token, h)
	if err == nil {
		c.Close()
		t.Fatal("handshake succeeded, want a refusal")
	}
	if res == nil {
		t.Fatalf("no HTTP response: %v", err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := res.Body.Read(buf)
	b.Write(buf[:n])
	return res.StatusCode, decodeError(t, []byte(b.String()))
}

func TestChatMissingToken(t *testing.T) {
	e := newEnv(t, nil)
	code, eb := dialRefused(t, e, "", nil)
	if code != http.StatusUnauthorized || eb.Error.Code != CodeTokenInvalid {
		t.Errorf("got %d %+v, want 401 %s", code, eb.Error, CodeTokenInvalid)
	}
}

func TestChatForgedToken(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	tok := e.mint("a-1").Token
	other := tokenSigner{secret: []byte(strings.Repeat("x", 32))}
	claims, err := e.srv.tokens.verify(tok, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	otherTok, _ := other.mint(claims)
	flip := []byte(tok)
	flip[len(flip)-2] ^= 1
	for name, forged := range map[string]string{
		"flipped signature": string(flip),
		"other secret":      otherTok,
		"garbage":           "v1.bm9wZQ.bm9wZQ",
		"no version":        strings.TrimPrefix(tok, "v1."),
	} {
		t.Run(name, func(t *testing.T) {
			code, eb := dialRefused(t, e, forged, nil)
			if code != http.StatusUnauthorized || eb.Error.Code != CodeTokenInvalid {
				t.Errorf("got %d %+v, want 401 %s", code, eb.Error, CodeTokenInvalid)
			}
		})
	}
}

func TestChatExpiredToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TokenTTL = 5 * time.Minute })
	e.addAccounts(maria("a-1"))
	tok := e.mint("a-1").Token
	e.clock.Advance(5*time.Minute + time.Second)
	code, eb := dialRefused(t, e, tok, nil)
	if code != http.StatusUnauthorized || eb.Error.Code != CodeTokenExpired {
		t.Errorf("got %d %+v, want 401 %s", code, eb.Error, CodeTokenExpired)
	}
}

func TestChatOrigin(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AllowedOrigins = []string{"https://app.example.com"} })
	e.addAccounts(maria("a-1"))
	tok := e.mint("a-1").Token
	t.Run("foreign origin is 403", func(t *testing.T) {
		code, eb := dialRefused(t, e, tok, http.Header{"Origin": {"https://evil.example"}})
		if code != http.StatusForbidden || eb.Error.Code != CodeForbidden {
			t.Errorf("got %d %+v, want 403 %s", code, eb.Error, CodeForbidden)
		}
	})
	for name, origin := range map[string]string{
		"configured origin": "https://app.example.com",
		"same origin":       e.ts.URL,
		"no origin":         "",
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if origin != "" {
				h.Set("Origin", origin)
			}
			c, res, err := e.dial(tok, h)
			if err != nil {
				t.Fatalf("dial with origin %q: %v (%v)", origin, err, res)
			}
			untilStatus(t, c)
			c.Close()
		})
	}
}

func TestChatBotSpeaksFirstAndReplaysOnReconnect(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	tok := e.mint("a-1").Token
	c := e.mustDial(tok)
	greet, st := untilStatus(t, c)
	if len(greet) == 0 || greet[0].From != "bot" || st.Mode != "bot" {
		t.Fatalf("greeting %v, status %+v", greet, st)
	}
	replies, st := say(t, c, promiseScripts["en-US"][0])
	if len(replies) == 0 || st.Stage == "verify" {
		t.Fatalf("after verification: replies %v status %+v", replies, st)
	}
	c.Close()

	c2 := e.mustDial(tok)
	replay, st2 := untilStatus(t, c2)
	want := len(greet) + 1 + len(replies)
	if len(replay) != want {
		t.Fatalf("replay has %d lines, want %d:\n%s", len(replay), want, texts(replay))
	}
	for i, f := range replay {
		if f.Seq != int64(i+1) {
			t.Errorf("replay[%d].seq = %d", i, f.Seq)
		}
	}
	if replay[len(greet)].From != "borrower" || replay[len(greet)].Text != promiseScripts["en-US"][0] {
		t.Errorf("borrower line not replayed: %+v", replay[len(greet)])
	}
	if st2.Stage != st.Stage {
		t.Errorf("stage after reconnect %q, want %q", st2.Stage, st.Stage)
	}
	// The conversation continues where it was.
	_, st3 := say(t, c2, promiseScripts["en-US"][1])
	if st3.Stage == st.Stage && st3.Outcome == "" {
		t.Errorf("conversation did not move on after reconnect: %+v", st3)
	}
}

func TestChatMalformedFrame(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	c := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c)
	for _, bad := range []string{`{"type":"message","text":`, `not json`, `[1,2]`, `{"text":"no type"}`, `""`} {
		send(t, c, bad)
		if f := readFrame(t, c); f.Type != FrameError || f.Code != CodeBadFrame {
			t.Errorf("frame %q: got %+v, want error %s", bad, f, CodeBadFrame)
		}
	}
	if err := c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, c); f.Type != FrameError || f.Code != CodeBadFrame {
		t.Errorf("binary frame: got %+v", f)
	}
	// The conversation continues.
	replies, st := say(t, c, promiseScripts["en-US"][0])
	if len(replies) == 0 || st.Stage == "verify" || st.Mode != "bot" {
		t.Errorf("after bad frames: replies %v status %+v", replies, st)
	}
}

func TestChatUnknownFrameType(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	c := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c)
	send(t, c, `{"type":"typing","id":"m-1"}`)
	f := readFrame(t, c)
	if f.Type != FrameError || f.Code != CodeUnknownType || f.ID != "m-1" {
		t.Errorf("got %+v, want error %s for m-1", f, CodeUnknownType)
	}
	if _, st := say(t, c, promiseScripts["en-US"][0]); st.Mode != "bot" {
		t.Errorf("after unknown type: %+v", st)
	}
}

func TestChatEmptyMessage(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	c := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c)
	send(t, c, ClientFrame{Type: FrameMessage, Text: "   "})
	if f := readFrame(t, c); f.Type != FrameError || f.Code != CodeEmptyMessage {
		t.Errorf("got %+v, want error %s", f, CodeEmptyMessage)
	}
}

func TestChatFrameTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	c := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c)
	big := `{"type":"message","text":"` + strings.Repeat("a", 4097) + `"}`
	send(t, c, big)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("read after a 4 KiB+ frame: %v, want close 1009", err)
	}
}

func TestChatFloodIsRateLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RatePerSecond, c.RateBurst = 5, 10 })
	e.addAccounts(maria("a-1"))
	c := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c)
	// The fake clock stands still, so exactly the burst gets through.
	const flood = 40
	for i := 0; i < flood; i++ {
		send(t, c, `{`)
	}
	counts := map[string]int{}
	for i := 0; i < flood; i++ {
		f := readFrame(t, c)
		counts[f.Code]++
	}
	if counts[CodeBadFrame] != 10 || counts[CodeRateLimited] != flood-10 {
		t.Fatalf("frame codes %v, want %d %s and %d %s", counts, 10, CodeBadFrame, flood-10, CodeRateLimited)
	}
	send(t, c, ClientFrame{Type: FrameMessage, Text: "hello"})
	if f := readFrame(t, c); f.Code != CodeRateLimited {
		t.Fatalf("with an empty bucket: %+v", f)
	}
	// A second later the bucket has refilled: the conversation continues.
	e.clock.Advance(time.Second)
	replies, st := say(t, c, promiseScripts["en-US"][0])
	if len(replies) == 0 || st.Mode != "bot" {
		t.Errorf("after the flood: replies %v status %+v", replies, st)
	}
}

func TestChatMessageAfterEnd(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	c := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c)
	_, st := say(t, c, "wrong number, I'm not Maria")
	if st.Mode != "ended" {
		t.Fatalf("after wrong party: %+v, want mode ended", st)
	}
	send(t, c, ClientFrame{Type: FrameMessage, Text: "hello?", ID: "late-1"})
	if f := readFrame(t, c); f.Type != FrameError || f.Code != CodeEnded || f.ID != "late-1" {
		t.Errorf("got %+v, want error %s", f, CodeEnded)
	}
}

func TestChatIdempotentMessageID(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	sess := e.mint("a-1")
	c := e.mustDial(sess.Token)
	untilStatus(t, c)
	m := ClientFrame{Type: FrameMessage, Text: promiseScripts["en-US"][0], ID: "client-1"}
	send(t, c, m)
	untilStatus(t, c)
	before, _ := e.st.ListTurns(t.Context(), sess.ConversationID)
	send(t, c, m) // a client retrying after a lost reply
	untilStatus(t, c)
	after, _ := e.st.ListTurns(t.Context(), sess.ConversationID)
	n := 0
	for _, turn := range after {
		if turn.From == "borrower" {
			n++
		}
	}
	if n != 1 || len(after) < len(before) {
		t.Errorf("retried message recorded %d times (turns %d -> %d), want once", n, len(before), len(after))
	}
}

func TestShutdownClosesChats(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	tok := e.mint("a-1").Token
	c := e.mustDial(tok)
	untilStatus(t, c)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("read during shutdown: %v, want close 1001", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if code, _ := e.do("GET", "/readyz", nil, ""); code != http.StatusServiceUnavailable {
		t.Errorf("readyz while shut down = %d, want 503", code)
	}
	if _, res, err := e.dial(tok, nil); err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %v %v, want 503", err, res)
	}
	// Idempotent.
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}

// TestChatTwoConnectionsOneConversation: two connections with the same
// token (two tabs, or a reconnect racing the old socket) never overwrite
// each other's turns: the second continues from the stored state.
func TestChatTwoConnectionsOneConversation(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	sess := e.mint("a-1")
	a := e.mustDial(sess.Token)
	untilStatus(t, a)
	b := e.mustDial(sess.Token)
	untilStatus(t, b)
	ra, _ := say(t, a, promiseScripts["en-US"][0])
	send(t, b, ClientFrame{Type: FrameMessage, Text: promiseScripts["en-US"][1]})
	f := readFrame(t, b)
	last := ra[len(ra)-1].Seq
	switch {
	case f.Type == FrameMessage && f.Seq == last+2:
		// Continued on top of the other connection's turn.
	case f.Type == FrameError && f.Code == CodeConflict:
		// Refused; the client reconnects and replays.
	default:
		t.Fatalf("second connection got %+v after the first reached seq %d", f, last)
	}
	turns, err := e.st.ListTurns(t.Context(), sess.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	for i, turn := range turns {
		if turn.Seq != int64(i+1) {
			t.Fatalf("turn %d has seq %d: turns overwritten or lost", i, turn.Seq)
		}
	}
}

// TestChatPings: the server pings an idle chat every ping_interval; a
// client that answers stays connected past pong_wait, one that never
// reads (so never answers) is dropped once pong_wait passes.
func TestChatPings(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PingInterval, c.PongWait = 100*time.Millisecond, time.Second })
	e.addAccounts(maria("a-1"), maria("a-2"))

	live := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, live)
	var pings atomic.Int32
	live.SetPingHandler(func(data string) error {
		pings.Add(1)
		return live.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := live.ReadMessage(); err != nil {
				readErr <- err
				return
			}
		}
	}()

	mute := e.mustDial(e.mint("a-2").Token)
	untilStatus(t, mute)

	time.Sleep(2500 * time.Millisecond) // two and a half pong waits
	select {
	case err := <-readErr:
		t.Fatalf("a client that answers pings was dropped: %v", err)
	default:
	}
	if n := pings.Load(); n < 3 {
		t.Errorf("client saw %d pings in 2.5s at a 100ms interval, want at least 3", n)
	}
	// The mute client's socket was closed by the server: reading now
	// drains what was sent, then fails.
	_ = mute.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := mute.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("a client that never answered pings is still connected ten seconds after its pong wait")
			}
			break
		}
	}
	live.Close()
}
