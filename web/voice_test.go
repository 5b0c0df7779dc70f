package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/record"
	"github.com/collectagent/collectagent/telephony/rtc"
	"github.com/collectagent/collectagent/telephony/speech"
	"github.com/collectagent/collectagent/telephony/voice"
)

// needTool skips a test when an engine is missing, and fails it under
// COLLECT_TEST_REQUIRE_ALL=1 (CI installs them).
func needTool(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
		t.Fatalf("%s is not installed and COLLECT_TEST_REQUIRE_ALL=1", what)
	}
	t.Skipf("%s is not installed", what)
}

// voiceEnv is a real server on SQLite with the voice channel on, its
// recordings under a temporary --data.
type voiceEnv struct {
	*testEnv
	svc  *voice.Service
	data string
}

func newVoiceEnv(t testing.TB, vcfg voice.Config, providers speech.Providers, mod func(*Config)) *voiceEnv {
	t.Helper()
	clock := clock.NewFake(testNow)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.WithClock(clock.Now), sqlite.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	data := t.TempDir()
	vcfg.RTC.Loopback = true
	svc, err := voice.New(vcfg, voice.Deps{Providers: providers, Blob: record.Dir{Root: data}, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvDeps(t, st, clock, mod, func(d *Deps) { d.Voice = svc })
	return &voiceEnv{testEnv: e, svc: svc, data: data}
}

func (e *voiceEnv) mintVoice(accountID string) SessionResponse {
	e.t.Helper()
	var s SessionResponse
	e.mustDo("POST", "/v1/sessions", SessionRequest{AccountID: accountID, Channel: "voice"}, http.StatusCreated, &s)
	return s
}

func (e *voiceEnv) voiceURL(token string) string {
	return "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/v1/voice?token=" + token
}

// phone is a caller on the other end of /v1/voice: a pion peer whose
// signalling goes over the real WebSocket.
type phone struct {
	*rtc.Caller
	ws *websocket.Conn

	mu     sync.Mutex
	frames []rtc.Signal
	// ice is what the config frame gave the caller for its peer
	// connection.
	ice []webrtc.ICEServer
}

func dialVoice(t *testing.T, url string) *phone {
	t.Helper()
	return dialVoiceOpus(t, url, nil)
}

// dialVoiceOpus calls as a browser does, sending Opus (opusSilence is
// the packet sent when there is nothing to say); nil sends PCMU.
func dialVoiceOpus(t *testing.T, url string, opusSilence []byte) *phone {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	p := &phone{ws: ws}
	api, err := rtc.NewAPI(rtc.Config{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	var early []webrtc.ICECandidateInit
	dial := rtc.Dial
	if opusSilence != nil {
		dial = func(api *webrtc.API, cfg rtc.Config, answer func(webrtc.SessionDescription) (webrtc.SessionDescription, error)) (*rtc.Caller, error) {
			return rtc.DialOpus(api, cfg, opusSilence, answer)
		}
	}
	c, err := dial(api, rtc.Config{Loopback: true}, func(offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
		if err := ws.WriteJSON(rtc.Signal{Type: "offer", SDP: offer.SDP}); err != nil {
			return webrtc.SessionDescription{}, err
		}
		for {
			var s rtc.Signal
			if err := ws.ReadJSON(&s); err != nil {
				return webrtc.SessionDescription{}, err
			}
			switch s.Type {
			case "config":
				p.ice = s.ICEServers
			case "answer":
				return webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}, nil
			case "candidate":
				early = append(early, *s.Candidate)
			default:
				return webrtc.SessionDescription{}, fmt.Errorf("signalling: %+v", s)
			}
		}
	})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	p.Caller = c
	for _, ci := range early {
		c.AddCandidate(ci)
	}
	go func() {
		for {
			var s rtc.Signal
			if err := ws.ReadJSON(&s); err != nil {
				return
			}
			p.mu.Lock()
			p.frames = append(p.frames, s)
			p.mu.Unlock()
			if s.Type == "candidate" {
				c.AddCandidate(*s.Candidate)
			}
		}
	}()
	t.Cleanup(func() { c.Close(); ws.Close() })
	return p
}

func (p *phone) signalled(typ string) (rtc.Signal, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.frames {
		if s.Type == typ {
			return s, true
		}
	}
	return rtc.Signal{}, false
}

func (p *phone) caption(who, contains string) bool {
	return slices.ContainsFunc(p.Messages(), func(f rtc.Frame) bool {
		return f.Type == "caption" && f.Who == who && strings.Contains(f.Text, contains)
	})
}

func (p *phone) captions() string {
	var b strings.Builder
	for _, f := range p.Messages() {
		fmt.Fprintf(&b, "%s %s: %s\n", f.Type, f.Who, f.Text)
	}
	return b.String()
}

// keys sends digits as RFC 4733 events, one at a time.
func (p *phone) keys(t *testing.T, digits string) {
	t.Helper()
	for _, d := range digits {
		if err := p.Key(d); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond) // a key press lasts 100 ms plus the end packets
	}
}

// loudFrames counts received frames louder than speech's floor after since.
func (p *phone) loudFrames(since time.Time) int {
	n := 0
	for _, h := range p.Heard() {
		if h.At.After(since) && h.RMS > 300 {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool, more func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			extra := ""
			if more != nil {
				extra = "\n" + more()
			}
			t.Fatalf("timed out waiting for %s%s", what, extra)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scriptedRecognizer answers what a stage expects after checking that a
// whole utterance arrived: the 8 kHz leg of a pion caller is narrowband,
// which the offline recogniser cannot hear (docs/voice.md); the Opus
// test below uses the real one.
func scriptedRecognizer() *speech.FakeRecognizer {
	r := speech.NewFakeRecognizer()
	r.Func = func(a speech.Audio, h speech.Hints) speech.Transcript {
		if len(a.PCM) < a.Rate/2 {
			return speech.Transcript{}
		}
		if len(h.Expect.Phrases) > 0 {
			return speech.Transcript{Text: "I can pay the full amount on Friday", Confidence: 0.8}
		}
		return speech.Transcript{Text: "yes", Confidence: 0.9}
	}
	return r
}

// TestVoiceCallRecordsPromise places a call through GET /v1/voice of a
// real server: the bot speaks (espeak-ng), the caller keys the date of
// birth, interrupts the bot with espeak-ng speech, keys "1" to confirm,
// and the promise, the transcript's timings and the recording are in the
// store and behind the API.
func TestVoiceCallRecordsPromise(t *testing.T) {
	in := speech.Detect()
	needTool(t, in.Espeak != "", "espeak-ng")
	tts := speech.Espeak{Path: in.Espeak}
	e := newVoiceEnv(t, voice.Config{EndOfTurn: 400 * time.Millisecond, Record: true}, speech.Providers{STT: scriptedRecognizer(), STTLangs: []string{"*"}, TTS: tts, Found: in}, nil)
	e.addAccounts(maria("v-maria"))
	sess := e.mintVoice("v-maria")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	p := dialVoice(t, e.voiceURL(sess.Token))
	ticker := time.NewTicker(audio.FrameDuration)
	defer ticker.Stop()
	go p.Run(ctx, ticker.C)

	waitUntil(t, "the verification question", 30*time.Second, func() bool { return p.caption("bot", "date of birth") }, p.captions)
	if p.ice == nil || len(p.ice) != 0 {
		t.Errorf("the config frame gave the caller %+v, want no ICE servers", p.ice)
	}
	if !p.caption("bot", "automated assistant") {
		t.Errorf("no AI notice in the captions:\n%s", p.captions())
	}
	if n := p.loudFrames(time.Time{}); n < 50 {
		t.Fatalf("only %d loud frames of the bot's voice", n)
	}
	waitUntil(t, "the question to be spoken", 30*time.Second, func() bool { return p.quietFor(300 * time.Millisecond) }, nil)
	p.keys(t, "07211988#")
	waitUntil(t, "the balance", 30*time.Second, func() bool { return p.caption("bot", "balance") }, p.captions)

	// Barge in while the bot talks about the balance and the options.
	said, err := tts.Synthesize(ctx, "I can pay the full amount on Friday.", "en-US")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the bot to talk", 10*time.Second, func() bool { return p.loudFrames(time.Now().Add(-100*time.Millisecond)) > 0 }, nil)
	start := time.Now()
	p.Play(audio.Resample(said.PCM, said.Rate, 8000))
	waitUntil(t, "the bot to stop for the caller", 5*time.Second, func() bool { return p.quietSince(start, 300*time.Millisecond) }, nil)
	var lastLoud time.Time
	for _, h := range p.Heard() {
		if h.At.After(start) && h.RMS > 300 && lastLoud.Sub(start) < 2*time.Second {
			lastLoud = h.At
		}
	}
	t.Logf("bot audio stopped %v after the caller began", lastLoud.Sub(start))

	waitUntil(t, "the read-back", 30*time.Second, func() bool { return p.caption("bot", "Is that right?") }, p.captions)
	if !p.caption("caller", "I can pay the full amount on Friday") {
		t.Errorf("no caption of the caller's words:\n%s", p.captions())
	}
	waitUntil(t, "the read-back to be spoken", 30*time.Second, func() bool { return p.quietFor(300 * time.Millisecond) }, nil)
	p.keys(t, "1")
	waitUntil(t, "the hangup", 60*time.Second, func() bool { _, ok := p.signalled("bye"); return ok }, p.captions)

	var ps struct {
		Promises []struct {
			ConversationID string `json:"conversation_id"`
		} `json:"promises"`
	}
	e.mustDo("GET", "/v1/accounts/v-maria/promises", nil, 200, &ps)
	if len(ps.Promises) != 1 || ps.Promises[0].ConversationID != sess.ConversationID {
		t.Fatalf("promises after the call: %+v\n%s", ps.Promises, p.captions())
	}
	turns, err := e.st.ListTurns(context.Background(), sess.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	var spoken, keyed int
	for _, tu := range turns {
		if tu.From != "borrower" {
			continue
		}
		var m struct {
			Voice *struct {
				Start, End time.Time
				Confidence float64
				Keys       bool
			} `json:"voice"`
		}
		json.Unmarshal(tu.Meta, &m)
		switch {
		case m.Voice == nil:
			t.Errorf("turn %d %q has no voice timing", tu.Seq, tu.Text)
		case m.Voice.Keys:
			keyed++
		case m.Voice.Confidence > 0 && m.Voice.End.After(m.Voice.Start):
			spoken++
		default:
			t.Errorf("turn %d %q: voice %+v", tu.Seq, tu.Text, m.Voice)
		}
	}
	if spoken != 1 || keyed != 2 {
		t.Errorf("%d spoken and %d keyed turns, want 1 and 2", spoken, keyed)
	}

	var recs RecordingsResponse
	waitUntil(t, "the recording", 10*time.Second, func() bool {
		recs = RecordingsResponse{}
		e.mustDo("GET", "/v1/conversations/"+sess.ConversationID+"/recordings", nil, 200, &recs)
		return len(recs.Recordings) == 3
	}, nil)
	var mix string
	for _, r := range recs.Recordings {
		if strings.HasSuffix(r.Name, "-mix.wav") {
			mix = r.Name
		}
	}
	code, body := e.do("GET", "/v1/conversations/"+sess.ConversationID+"/recordings/"+mix, nil, testKey)
	if code != 200 {
		t.Fatalf("recording: %d %s", code, body)
	}
	a, err := speech.ReadWAV(body)
	if err != nil || a.Rate != 8000 || len(a.PCM) < 8000*5 {
		t.Fatalf("recording: %d samples at %d Hz (%v)", len(a.PCM), a.Rate, err)
	}
	if code, _ := e.do("GET", "/v1/conversations/"+sess.ConversationID+"/recordings/"+mix, nil, ""); code != 401 {
		t.Errorf("recording without the API key: %d", code)
	}
	if code, _ := e.do("GET", "/v1/conversations/"+sess.ConversationID+"/recordings/20261203T150405.000Z-%2e%2e%2fx", nil, testKey); code != 404 {
		t.Errorf("a climbing recording name: %d", code)
	}
}

// quietFor reports whether the last d of received audio was silent.
func (p *phone) quietFor(d time.Duration) bool {
	return p.quietSince(time.Now().Add(-d), d)
}

// quietSince reports whether, after since, d of consecutive silence was
// received.
func (p *phone) quietSince(since time.Time, d time.Duration) bool {
	need := int(d / audio.FrameDuration)
	quiet := 0
	for _, h := range p.Heard() {
		if !h.At.After(since) {
			continue
		}
		if h.RMS < 50 {
			quiet++
			if quiet >= need {
				return true
			}
		} else {
			quiet = 0
		}
	}
	return false
}

// TestVoiceRefusals: the signalling endpoint refuses like the chat.
func TestVoiceRefusals(t *testing.T) {
	// Every dial below reconnects the same session: pace them freely.
	e := newVoiceEnv(t, voice.Config{MaxCalls: 1}, speech.Providers{}, func(c *Config) { c.ReconnectBurst, c.ReconnectsPerMinute = 100, 6000 })
	e.addAccounts(maria("r-maria"))
	chat := e.mint("r-maria")
	call := e.mintVoice("r-maria")
	for _, tt := range []struct {
		name   string
		url    string
		header http.Header
		status int
		code   string
	}{
		{"forged token", e.voiceURL(call.Token + "x"), nil, 401, CodeTokenInvalid},
		{"no token", e.voiceURL(""), nil, 401, CodeTokenInvalid},
		{"wrong origin", e.voiceURL(call.Token), http.Header{"Origin": {"https://evil.example"}}, 403, CodeForbidden},
		{"chat token", e.voiceURL(chat.Token), nil, 403, CodeNotAllowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(tt.url, tt.header)
			if err == nil || resp == nil {
				t.Fatalf("dial succeeded")
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || decodeError(t, body).Error.Code != tt.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
		})
	}
	if code, body := e.do("GET", "/v1/voice?token="+call.Token, nil, ""); code != 426 {
		t.Errorf("plain GET: %d %s", code, body)
	}

	// Bad frames get the signalling protocol's error frames.
	for _, tt := range []struct{ name, frame, code string }{
		{"malformed", `{"type":`, "malformed"},
		{"unknown", `{"type":"hello"}`, "unknown_frame"},
		{"bad sdp", `{"type":"offer","sdp":"v=banana"}`, "bad_sdp"},
		{"not an offer", `{"type":"bye"}`, "expected_offer"},
		{"oversize", `{"type":"offer","sdp":"` + strings.Repeat("a", rtc.MaxSignalFrame) + `"}`, "frame_too_large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			waitUntil(t, "the last call to end", 5*time.Second, func() bool { return e.svc.InUse() == 0 }, nil)
			ws, _, err := websocket.DefaultDialer.Dial(e.voiceURL(call.Token), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			ws.WriteMessage(websocket.TextMessage, []byte(tt.frame))
			var s rtc.Signal
			if err := ws.ReadJSON(&s); err != nil || s.Type != "config" {
				t.Fatalf("first frame %+v %v, want the config", s, err)
			}
			s = rtc.Signal{}
			err = ws.ReadJSON(&s)
			if tt.code == "frame_too_large" {
				// The WebSocket layer closes with 1009 before any frame.
				if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) && s.Code != tt.code {
					t.Fatalf("oversize frame: %v %+v", err, s)
				}
				return
			}
			if err != nil || s.Type != "error" || s.Code != tt.code {
				t.Fatalf("got %+v %v, want error %s", s, err, tt.code)
			}
		})
	}

	// The call limit: a second call while one is up is refused before
	// the upgrade, with Retry-After.
	waitUntil(t, "the last call to end", 5*time.Second, func() bool { return e.svc.InUse() == 0 }, nil)
	first, _, err := websocket.DefaultDialer.Dial(e.voiceURL(call.Token), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	waitUntil(t, "the first call to count", 5*time.Second, func() bool { return e.svc.InUse() == 1 }, nil)
	_, resp, err := websocket.DefaultDialer.Dial(e.voiceURL(call.Token), nil)
	if err == nil {
		t.Fatal("a call over the limit was taken")
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || decodeError(t, body).Error.Code != CodeOverCapacity || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %s %v", resp.StatusCode, body, resp.Header)
	}
}

// pageRecognizer answers only the open question and the read-back: the
// page's microphone repeats one sentence, and verification is keyed.
func pageRecognizer() *speech.FakeRecognizer {
	r := speech.NewFakeRecognizer()
	r.Func = func(a speech.Audio, h speech.Hints) speech.Transcript {
		switch {
		case len(a.PCM) < a.Rate/2:
			return speech.Transcript{}
		case len(h.Expect.Phrases) > 0:
			return speech.Transcript{Text: "I can pay the full amount on Friday", Confidence: 0.8}
		case h.Expect.YesNo && !h.Expect.Date && !h.Expect.Amount && !h.Expect.Count:
			return speech.Transcript{Text: "yes", Confidence: 0.9}
		}
		return speech.Transcript{}
	}
	return r
}

// newCallBrowser is newBrowser with a fake microphone playing wav.
func newCallBrowser(t *testing.T, wav string) context.Context {
	t.Helper()
	newBrowser(t) // skips or fails when chromium is missing
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav+"%noloop"),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 900),
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		p, _ := exec.LookPath("chromium")
		opts[0] = chromedp.ExecPath(p)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestCallPage places a real call from the demo page in headless
// Chromium: its fake microphone plays espeak-ng speech, the test keys the
// date of birth with insertDTMF, and the promise is recorded while the
// page heard the bot.
func TestCallPage(t *testing.T) {
	in := speech.Detect()
	needTool(t, in.Espeak != "", "espeak-ng")
	tts := speech.Espeak{Path: in.Espeak}
	said, err := tts.Synthesize(context.Background(), "I can pay the full amount on Friday.", "en-US")
	if err != nil {
		t.Fatal(err)
	}
	// The sentence, then three seconds of silence, a dozen times: whenever
	// the bot asks, the caller is about to answer.
	var mic []int16
	for range 12 {
		mic = append(mic, said.PCM...)
		mic = append(mic, make([]int16, 3*said.Rate)...)
	}
	wav := filepath.Join(t.TempDir(), "mic.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := speech.WriteWAV(f, speech.Audio{PCM: mic, Rate: said.Rate}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	bctx := newCallBrowser(t, wav)
	// The page's peer connection uses the configured STUN server (none
	// answers on this loopback network: host candidates connect).
	vcfg := voice.Config{EndOfTurn: 400 * time.Millisecond, Record: true}
	vcfg.RTC.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}
	e := newVoiceEnv(t, vcfg,
		speech.Providers{STT: pageRecognizer(), STTLangs: []string{"*"}, TTS: tts, Found: in},
		func(c *Config) { c.Demo = true; c.DemoAccounts = []string{"call-maria", "call-wang"} })
	e.addAccounts(maria("call-maria"), wangFang("call-wang"))
	ctx, cancel := context.WithTimeout(bctx, 150*time.Second)
	defer cancel()

	stat := func(expr string) string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		return v
	}
	captions := func() string { return stat(`JSON.stringify(collectCall.stats)`) }
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`#borrowers button[data-call="call-wang"]`)),
	); err != nil {
		t.Fatalf("demo list: %v", err)
	}
	if label := stat(`document.querySelector('#borrowers button[data-call="call-wang"]').textContent`); label != "通话" {
		t.Errorf("the Chinese page's call button says %q", label)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#borrowers button[data-call="call-maria"]`)),
		chromedp.Click(chromedp.CSS(`#borrowers button[data-call="call-maria"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#call-state[data-state="connected"]`)),
	); err != nil {
		t.Fatalf("place the call: %v\n%s", err, captions())
	}
	if got := stat(`JSON.stringify(collectCall.stats.iceServers.map((s) => s.urls))`); got != `[["stun:127.0.0.1:3478"]]` {
		t.Errorf("the page's ICE servers: %s", got)
	}
	waitUntil(t, "the verification question", 60*time.Second, func() bool {
		return strings.Contains(stat(`document.getElementById("captions").textContent`), "date of birth")
	}, captions)
	time.Sleep(2 * time.Second) // let the question finish: keys now are the answer
	if ok := stat(`String(collectCall.keys("07211988#"))`); ok != "true" {
		t.Fatalf("insertDTMF: %s", ok)
	}
	waitUntil(t, "the promise", 90*time.Second, func() bool {
		var ps struct {
			Promises []struct{} `json:"promises"`
		}
		e.mustDo("GET", "/v1/accounts/call-maria/promises", nil, 200, &ps)
		return len(ps.Promises) == 1
	}, captions)
	if loud := stat(`String(collectCall.stats.loudFrames)`); loud == "0" || loud == "" {
		t.Errorf("the page heard no audio from the bot: %s", captions())
	}
	if !strings.Contains(stat(`document.getElementById("captions").textContent`), "I can pay the full amount") {
		t.Errorf("no caption of the caller: %s", captions())
	}
}

// opusPackets encodes pcm with opusenc into 20 ms Opus packets.
func opusPackets(t *testing.T, pcm []int16, rate int) [][]byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.opus")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := speech.WriteWAV(f, speech.Audio{PCM: pcm, Rate: rate}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, err := exec.Command("opusenc", "--quiet", "--speech", "--framesize", "20", "--bitrate", "32", in, out).CombinedOutput(); err != nil {
		t.Fatalf("opusenc: %v %s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Ogg pages (RFC 3533): a 27-byte header, a segment table, and
	// packets laced from segments (a segment under 255 bytes ends one).
	var packets [][]byte
	var cur []byte
	for len(raw) >= 27 && string(raw[:4]) == "OggS" {
		n := int(raw[26])
		table := raw[27 : 27+n]
		body := raw[27+n:]
		for _, sz := range table {
			cur = append(cur, body[:sz]...)
			body = body[sz:]
			if sz < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		raw = body
	}
	if len(packets) < 3 {
		t.Fatalf("opusenc wrote %d packets", len(packets))
	}
	return packets[2:] // after OpusHead and OpusTags
}

// TestVoiceCallOverOpus: a caller that sends Opus, as browsers do, is
// heard by the offline recogniser (pocketsphinx, 16 kHz decoded in pure
// Go): it answers by voice and the promise is recorded.
func TestVoiceCallOverOpus(t *testing.T) {
	in := speech.Detect()
	needTool(t, in.Espeak != "", "espeak-ng")
	needTool(t, in.Sphinx != "" && in.SphinxModel != "", "pocketsphinx with pocketsphinx-en-us")
	_, err := exec.LookPath("opusenc")
	needTool(t, err == nil, "opusenc (opus-tools)")
	providers, err := speech.New(speech.Config{STT: "pocketsphinx", TTS: "espeak"}, in)
	if err != nil {
		t.Fatal(err)
	}
	tts := speech.Espeak{Path: in.Espeak}
	silence := opusPackets(t, make([]int16, 16000), 16000)
	words := func(text string) [][]byte {
		a, err := tts.Synthesize(context.Background(), text, "en-US")
		if err != nil {
			t.Fatal(err)
		}
		return opusPackets(t, a.PCM, a.Rate)
	}
	friday, yes := words("Friday."), words("Yes.")

	e := newVoiceEnv(t, voice.Config{EndOfTurn: 500 * time.Millisecond}, providers, nil)
	e.addAccounts(maria("o-maria"))
	sess := e.mintVoice("o-maria")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	p := dialVoiceOpus(t, e.voiceURL(sess.Token), silence[len(silence)/2])
	ticker := time.NewTicker(audio.FrameDuration)
	defer ticker.Stop()
	go p.Run(ctx, ticker.C)

	waitUntil(t, "the verification question", 30*time.Second, func() bool { return p.caption("bot", "date of birth") }, p.captions)
	waitUntil(t, "the question to be spoken", 30*time.Second, func() bool { return p.quietFor(400 * time.Millisecond) }, nil)
	p.keys(t, "07211988#")
	waitUntil(t, "the options", 60*time.Second, func() bool { return p.caption("bot", "How would you like") }, p.captions)
	waitUntil(t, "the options to be spoken", 60*time.Second, func() bool { return p.quietFor(600 * time.Millisecond) }, nil)
	p.PlayOpus(friday)
	waitUntil(t, "the read-back", 60*time.Second, func() bool { return p.caption("bot", "Is that right?") }, p.captions)
	waitUntil(t, "the read-back to be spoken", 60*time.Second, func() bool { return p.quietFor(600 * time.Millisecond) }, nil)
	p.PlayOpus(yes)
	waitUntil(t, "the promise", 60*time.Second, func() bool {
		var ps struct {
			Promises []struct{} `json:"promises"`
		}
		e.mustDo("GET", "/v1/accounts/o-maria/promises", nil, 200, &ps)
		return len(ps.Promises) == 1
	}, p.captions)
	waitUntil(t, "the recogniser's words in the captions", 10*time.Second, func() bool {
		return p.caption("caller", "friday") && (p.caption("caller", "yes") || p.caption("caller", "yeah") || p.caption("caller", "yep"))
	}, p.captions)
	turns, err := e.st.ListTurns(context.Background(), sess.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tu := range turns {
		if tu.From == "borrower" && tu.Text == "friday" && !strings.Contains(string(tu.Meta), `"confidence":`) {
			t.Errorf("spoken turn without the recogniser's confidence: %s", tu.Meta)
		}
	}
}
