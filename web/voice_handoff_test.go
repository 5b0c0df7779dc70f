package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/record"
	"github.com/collectagent/collectagent/telephony/rtc"
	"github.com/collectagent/collectagent/telephony/speech"
	"github.com/collectagent/collectagent/telephony/voice"
)

// scriptRecognizer hears the next line of a script in each whole
// utterance, and records the line for the test.
type scriptRecognizer struct {
	mu    sync.Mutex
	lines []string
}

func (s *scriptRecognizer) recognizer() *speech.FakeRecognizer {
	r := speech.NewFakeRecognizer()
	r.Func = func(a speech.Audio, _ speech.Hints) speech.Transcript {
		if len(a.PCM) < a.Rate/2 {
			return speech.Transcript{}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.lines) == 0 {
			return speech.Transcript{}
		}
		line := s.lines[0]
		s.lines = s.lines[1:]
		return speech.Transcript{Text: line, Confidence: 0.9}
	}
	return r
}

// utterance is a second of something the energy VAD takes for speech.
func utterance() []int16 {
	pcm := make([]int16, 8000)
	for i := range pcm {
		pcm[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/8000))
	}
	return pcm
}

// joinVoice starts a node of the cluster that takes calls.
func (c *cluster) joinVoice(vcfg voice.Config, stt speech.Recognizer) *node {
	c.t.Helper()
	vcfg.RTC.Loopback = true
	svc, err := voice.New(vcfg, voice.Deps{
		Providers: speech.Providers{STT: stt, STTLangs: []string{"*"}, TTS: speech.FakeSynthesizer{PerCharMs: 8}},
		Blob:      record.Dir{Root: c.t.TempDir()}, Log: testLogger(c.t),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return c.joinDeps(c.backend.Conn(c.t), func(d *Deps) { d.Voice = svc })
}

// callAndEscalate places a call on n, keys the date of birth and asks
// for a person; it returns once the bot answered the request.
func callAndEscalate(t *testing.T, ctx context.Context, n *node, account string) (*phone, SessionResponse) {
	t.Helper()
	n.env.addAccounts(maria(account))
	var s SessionResponse
	n.env.mustDo("POST", "/v1/sessions", SessionRequest{AccountID: account, Channel: "voice"}, http.StatusCreated, &s)
	p := dialVoice(t, "ws"+strings.TrimPrefix(n.env.ts.URL, "http")+"/v1/voice?token="+s.Token)
	ticker := time.NewTicker(audio.FrameDuration)
	t.Cleanup(ticker.Stop)
	go p.Run(ctx, ticker.C)

	waitUntil(t, "the verification question", 30*time.Second, func() bool { return p.caption("bot", "date of birth") }, p.captions)
	waitUntil(t, "the question to be spoken", 30*time.Second, func() bool { return p.quietFor(300 * time.Millisecond) }, nil)
	p.keys(t, "07211988#")
	waitUntil(t, "the balance", 30*time.Second, func() bool { return p.caption("bot", "balance") }, p.captions)
	waitUntil(t, "the options to be spoken", 30*time.Second, func() bool { return p.quietFor(400 * time.Millisecond) }, nil)
	p.Play(utterance()) // heard as "I want to talk to a real person"
	waitUntil(t, "the handoff", 30*time.Second, func() bool { return p.status(store.ModeWaitingAgent) }, p.captions)
	return p, s
}

// status reports whether the call's app was told mode.
func (p *phone) status(mode string) bool {
	return slices.ContainsFunc(p.Messages(), func(f rtc.Frame) bool { return f.Type == "status" && f.Text == mode })
}

// TestVoiceHandoffCaptions escalates on a call (node A) and has an agent
// work the case from another node (B), as the console does: the packet
// is on the queue over NATS, the call stays open, the agent's words are
// spoken and captioned on the call, the caller's speech reaches the
// agent's side, and the agent's closing ends the call.
func TestVoiceHandoffCaptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cl := newCluster(t, handofftest.Backends(t)[0])
	script := &scriptRecognizer{lines: []string{"I want to talk to a real person", "I lost my job last month"}}
	a := cl.joinVoice(voice.Config{OnHandoff: voice.HandoffCaptions, Silence: time.Minute}, script.recognizer())
	b := cl.join()

	p, s := callAndEscalate(t, ctx, a, "vh-1")
	conv := s.ConversationID
	waitUntil(t, "the captions notice", 10*time.Second, func() bool { return p.caption("system", "keep this call open") }, p.captions)
	if !p.caption("bot", "") || p.caption("system", "call you back") || p.caption("caller", "07211988") {
		t.Fatalf("captions after the escalation:\n%s", p.captions())
	}

	// The handoff packet reached the queue over NATS, on the other node.
	c := waitingCase(t, b.queue, conv)
	if c.Packet.ConversationID != conv || c.Packet.Channel != "voice" {
		t.Fatalf("packet %+v", c.Packet)
	}
	heard := make(chan handoff.Message, 16)
	sub, err := b.hn.Bridge().Subscribe(ctx, conv, handoff.SideBorrower, handoff.FromStart(), func(m handoff.Message) { heard <- m })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()

	if _, err := b.queue.Claim(ctx, ana.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	agent, err := b.rt.Open(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(out bot.Output, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.bridge.Deliver(ctx, conv, out); err != nil {
			t.Fatal(err)
		}
	}
	deliver(agent.Join(ctx, ana))
	waitUntil(t, "the agent's status", 15*time.Second, func() bool { return p.status(store.ModeAgent) }, p.captions)
	waitUntil(t, "the joined notice", 15*time.Second, func() bool { return p.caption("system", "Ana from our team has joined the call") }, p.captions)
	waitUntil(t, "the notice to be spoken", 15*time.Second, func() bool { return p.quietFor(300 * time.Millisecond) }, nil)

	before := time.Now()
	deliver(agent.AgentSay(ctx, ana, "Hi, I'm Ana from the team. How can I help?", "am-1"))
	waitUntil(t, "the agent's words", 15*time.Second, func() bool { return p.caption("agent", "Hi, I'm Ana from the team") }, p.captions)
	waitUntil(t, "the agent's words spoken", 15*time.Second, func() bool { return p.loudFrames(before) > 10 }, nil)
	waitUntil(t, "the words to be spoken", 15*time.Second, func() bool { return p.quietFor(300 * time.Millisecond) }, nil)

	// The caller answers by speaking: a chat turn for the agent.
	p.Play(utterance())
	select {
	case m := <-heard:
		if m.Text != "I lost my job last month" || m.From != bot.FromBorrower {
			t.Fatalf("agent side heard %+v", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the caller's words never reached the agent's side\n%s", p.captions())
	}
	waitUntil(t, "the caption of the caller's words", 10*time.Second, func() bool { return p.caption("caller", "I lost my job last month") }, p.captions)

	deliver(agent.AgentClose(ctx, ana, "none", "borrower will call back"))
	waitUntil(t, "the hangup", 30*time.Second, func() bool { _, ok := p.signalled("bye"); return ok }, p.captions)
	if !p.status(store.ModeEnded) || !p.caption("system", "Ana has ended the call") {
		t.Fatalf("closing on the call:\n%s", p.captions())
	}
}

// TestVoiceHandoffCallback: with on_handoff callback the call ends after
// the escalation with the call-back offer; the packet is on the queue.
func TestVoiceHandoffCallback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cl := newCluster(t, handofftest.Backends(t)[0])
	script := &scriptRecognizer{lines: []string{"I want to talk to a real person"}}
	a := cl.joinVoice(voice.Config{OnHandoff: voice.HandoffCallback, Silence: time.Minute}, script.recognizer())

	p, s := callAndEscalate(t, ctx, a, "vh-2")
	waitUntil(t, "the hangup", 30*time.Second, func() bool { _, ok := p.signalled("bye"); return ok }, p.captions)
	if !p.caption("system", "call you back") || p.caption("system", "keep this call open") {
		t.Fatalf("captions of a call-back handoff:\n%s", p.captions())
	}
	c := waitingCase(t, a.queue, s.ConversationID)
	if c.Packet.ConversationID != s.ConversationID {
		t.Fatalf("packet %+v", c.Packet)
	}
	conv, err := a.env.st.GetConversation(ctx, s.ConversationID)
	if err != nil || conv.Mode != store.ModeWaitingAgent {
		t.Fatalf("conversation after the call: %+v %v", conv, err)
	}
}

// TestVoiceDrainSaysGoodbye: a draining server tells a call to go away
// (live's GoAway): the caller hears and reads the goodbye, then the
// hangup, and the drain ends without cutting the call.
func TestVoiceDrainSaysGoodbye(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e := newVoiceEnv(t, voice.Config{Silence: time.Minute}, speech.Providers{STT: scriptedRecognizer(), STTLangs: []string{"*"}, TTS: speech.FakeSynthesizer{PerCharMs: 8}}, nil)
	e.addAccounts(maria("d-maria"))
	s := e.mintVoice("d-maria")
	p := dialVoice(t, e.voiceURL(s.Token))
	ticker := time.NewTicker(audio.FrameDuration)
	defer ticker.Stop()
	go p.Run(ctx, ticker.C)
	waitUntil(t, "the verification question", 30*time.Second, func() bool { return p.caption("bot", "date of birth") }, p.captions)
	waitUntil(t, "the question to be spoken", 30*time.Second, func() bool { return p.quietFor(300 * time.Millisecond) }, nil)

	before := time.Now()
	drained := make(chan error, 1)
	go func() {
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		defer scancel()
		drained <- e.srv.Shutdown(sctx)
	}()
	waitUntil(t, "the goodbye", 10*time.Second, func() bool { return p.caption("system", "end this call now") }, p.captions)
	waitUntil(t, "the hangup", 20*time.Second, func() bool { _, ok := p.signalled("bye"); return ok }, p.captions)
	if p.loudFrames(before) == 0 {
		t.Error("the goodbye was not spoken")
	}
	if err := <-drained; err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// TestVoiceCallResumes: a caller who hangs up after verifying and calls
// again is welcomed back with the open question; the conversation so far
// is not read out again, but the recording notice is: the second call is
// recorded too.
func TestVoiceCallResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e := newVoiceEnv(t, voice.Config{Silence: time.Minute, Record: true}, speech.Providers{STT: scriptedRecognizer(), STTLangs: []string{"*"}, TTS: speech.FakeSynthesizer{PerCharMs: 8}}, nil)
	e.addAccounts(maria("re-maria"))
	s := e.mintVoice("re-maria")
	ticker := time.NewTicker(audio.FrameDuration)
	defer ticker.Stop()

	first := dialVoice(t, e.voiceURL(s.Token))
	go first.Run(ctx, ticker.C)
	waitUntil(t, "the verification question", 30*time.Second, func() bool { return first.caption("bot", "date of birth") }, first.captions)
	waitUntil(t, "the question to be spoken", 30*time.Second, func() bool { return first.quietFor(300 * time.Millisecond) }, nil)
	first.keys(t, "07211988#")
	waitUntil(t, "the options", 30*time.Second, func() bool { return first.caption("bot", "How would you like to take care of it?") }, first.captions)
	first.ws.WriteJSON(rtc.Signal{Type: "bye"})
	waitUntil(t, "the first call to end", 10*time.Second, func() bool { return e.svc.InUse() == 0 }, nil)

	again := dialVoice(t, e.voiceURL(s.Token))
	ticker2 := time.NewTicker(audio.FrameDuration)
	defer ticker2.Stop()
	go again.Run(ctx, ticker2.C)
	waitUntil(t, "the welcome back", 30*time.Second, func() bool { return again.caption("bot", "Welcome back") }, again.captions)
	waitUntil(t, "the recording notice", 30*time.Second, func() bool { return again.caption("bot", "This call is recorded") }, again.captions)
	waitUntil(t, "the open question", 30*time.Second, func() bool { return again.caption("bot", "How would you like") }, again.captions)
	for _, old := range []string{"automated assistant powered by AI", "date of birth", "identity is confirmed", "balance with Demo Finance"} {
		if again.caption("bot", old) {
			t.Errorf("the second call read out %q again:\n%s", old, again.captions())
		}
	}
	t.Logf("the resumed call:\n%s", again.captions())
	if n := len(again.Messages()); n > 9 {
		t.Errorf("%d frames on the resumed call:\n%s", n, again.captions())
	}
	if again.loudFrames(time.Time{}) == 0 {
		t.Error("nothing was spoken on the resumed call")
	}

	// Each call left its recording (caller, bot, mix): the second one
	// starts after its recording notice.
	again.ws.WriteJSON(rtc.Signal{Type: "bye"})
	waitUntil(t, "the second call to end", 10*time.Second, func() bool { return e.svc.InUse() == 0 }, nil)
	var recs RecordingsResponse
	waitUntil(t, "both calls' recordings", 10*time.Second, func() bool {
		recs = RecordingsResponse{}
		e.mustDo("GET", "/v1/conversations/"+s.ConversationID+"/recordings", nil, 200, &recs)
		return len(recs.Recordings) == 6
	}, func() string { return fmt.Sprint(recs.Recordings) })
	calls := map[string]bool{}
	for _, r := range recs.Recordings {
		stamp, _, _ := strings.Cut(r.Name, "-")
		calls[stamp] = true
	}
	if len(calls) != 2 {
		t.Errorf("recordings of %d calls, want 2: %v", len(calls), recs.Recordings)
	}
}
