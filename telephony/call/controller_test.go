package call

import (
	"context"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/record"
	"github.com/collectagent/collectagent/telephony/speech"
)

type fakeConv struct {
	mu     sync.Mutex
	inputs []Input
	reply  func(in Input) Reply
}

func (f *fakeConv) Turn(ctx context.Context, in Input) (Reply, error) {
	f.mu.Lock()
	f.inputs = append(f.inputs, in)
	r := f.reply
	f.mu.Unlock()
	return r(in), nil
}

func (f *fakeConv) Inputs() []Input {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.inputs)
}

type fakeTransport struct {
	mu      sync.Mutex
	frames  int
	loud    int
	lastRMS float64
	msgs    []Message
}

func (f *fakeTransport) WriteFrame(fr []int16) error {
	var s float64
	for _, x := range fr {
		s += float64(x) * float64(x)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frames++
	f.lastRMS = math.Sqrt(s / float64(len(fr)))
	if f.lastRMS > 100 {
		f.loud++
	}
	return nil
}

func (f *fakeTransport) Send(m Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, m)
}

func (f *fakeTransport) snapshot() (frames, loud int, last float64, msgs []Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frames, f.loud, f.lastRMS, slices.Clone(f.msgs)
}

// harness runs a controller on a fake clock, one 20 ms step at a time:
// each step hands the controller a caller frame, advances the clock and
// waits until the writer has sent its frame.
type harness struct {
	t     *testing.T
	clock *clock.Fake
	c     *Controller
	conv  *fakeConv
	tr    *fakeTransport
	stt   *speech.FakeRecognizer
	err   chan error
	ctx   context.Context
}

func newHarness(t *testing.T, cfg Config, stt *speech.FakeRecognizer, reply func(Input) Reply) *harness {
	return newHarnessRec(t, cfg, stt, nil, reply)
}

func newHarnessRec(t *testing.T, cfg Config, stt *speech.FakeRecognizer, rec Recorder, reply func(Input) Reply) *harness {
	fc := &fakeConv{reply: reply}
	return newHarnessConv(t, cfg, stt, rec, fc, fc)
}

// newHarnessConv runs the call against conv, whose inputs fc records.
func newHarnessConv(t *testing.T, cfg Config, stt *speech.FakeRecognizer, rec Recorder, conv Conversation, fc *fakeConv) *harness {
	h := &harness{t: t, clock: clock.NewFake(time.Unix(1_800_000_000, 0)), conv: fc, tr: &fakeTransport{}, stt: stt, err: make(chan error, 1)}
	d := Deps{Conversation: conv, Transport: h.tr, TTS: speech.FakeSynthesizer{PerCharMs: 20}, Clock: h.clock, Recorder: rec}
	if stt != nil {
		d.STT = stt
	}
	cfg.InputQueue = 0
	h.c = New(cfg, d)
	ctx, cancel := context.WithCancel(context.Background())
	h.ctx = ctx
	go func() { h.err <- h.c.Run(ctx); cancel() }()
	t.Cleanup(func() {
		h.c.Hangup()
		<-h.c.Done()
	})
	return h
}

var (
	silentFrame = make([]int16, 160)
	loudFrame   = func() []int16 {
		f := make([]int16, 160)
		for i := range f {
			f[i] = int16(6000 * math.Sin(2*math.Pi*250*float64(i)/8000))
		}
		return f
	}()
)

// settle waits until the controller has handled everything posted to it
// and its workers (fake providers answer at once).
func (h *harness) settle() {
	for range 3 {
		h.c.do(func() {})
		time.Sleep(time.Millisecond) // lets instant worker goroutines post; not a timing assumption
	}
}

// step plays n frames of the caller (loud or silent).
func (h *harness) step(n int, loud bool) {
	h.t.Helper()
	for range n {
		f := silentFrame
		if loud {
			f = loudFrame
		}
		if err := h.c.Audio(f); err != nil {
			return
		}
		h.settle()
		h.clock.Advance(20 * time.Millisecond)
		// The writer has taken the tick and finished with it.
		waitFor(h.t, func() bool { return h.clock.Pending() == 0 || h.ended() })
		h.c.w.do(h.ctx.Done(), func() {})
	}
}

func (h *harness) ended() bool {
	select {
	case <-h.c.Done():
		return true
	default:
		return false
	}
}

// until steps silence until cond holds, at most max frames.
func (h *harness) until(max int, cond func() bool) {
	h.t.Helper()
	for range max {
		h.settle()
		if cond() {
			return
		}
		h.step(1, false)
	}
	h.t.Fatalf("condition not reached in %d frames", max)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func (h *harness) botSpeaking() bool {
	var s bool
	h.c.do(func() { s = h.c.speaking() && !h.c.paused })
	return s
}

func (h *harness) inputs(kind InputKind) []Input {
	var out []Input
	for _, in := range h.conv.Inputs() {
		if in.Kind == kind {
			out = append(out, in)
		}
	}
	return out
}

func testConfig() Config {
	cfg := DefaultConfig("en-US")
	cfg.Silence = 2 * time.Second
	return cfg
}

func say(texts ...string) func(Input) Reply {
	return func(in Input) Reply {
		var segs []Segment
		for _, t := range texts {
			segs = append(segs, Segment{Text: t})
		}
		return Reply{Segments: segs}
	}
}

func TestNoticeIsNotInterruptedButSpeechIsKept(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer("what is this about"), func(in Input) Reply {
		switch in.Kind {
		case Start:
			return Reply{Segments: []Segment{{Text: strings.Repeat("This call is recorded. ", 4), Uninterruptible: true}, {Text: "Who am I speaking with?"}}}
		default:
			return Reply{Segments: []Segment{{Text: "I can tell you once I know who you are."}}}
		}
	})
	h.until(20, h.botSpeaking)
	h.step(40, true) // the caller talks over the notice for 800 ms
	h.step(35, false)
	if !h.botSpeaking() {
		t.Fatal("the notice stopped for the caller")
	}
	if len(h.inputs(Speech)) != 0 {
		t.Fatal("the caller's words were answered during the notice")
	}
	h.until(500, func() bool { return len(h.inputs(Speech)) == 1 })
	in := h.inputs(Speech)[0]
	if in.Text != "what is this about" || !in.SpokenDuringNotice || len(in.Unheard) != 0 {
		t.Fatalf("kept input %+v", in)
	}
	_, loud, _, msgs := h.tr.snapshot()
	if loud < 50 {
		t.Fatalf("only %d non-silent frames sent", loud)
	}
	var captions []string
	for _, m := range msgs {
		if m.Kind == Caption {
			captions = append(captions, m.Who+": "+m.Text)
		}
	}
	if !slices.Contains(captions, "caller: what is this about") || !slices.Contains(captions, "bot: Who am I speaking with?") {
		t.Fatalf("captions %q", captions)
	}
	if st := h.c.Stats(); st.KeptDuringNotice != 1 || st.Interruptions != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBargeInStopsPlaybackAndReportsUnheard(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer("I want to pay next week"), func(in Input) Reply {
		if in.Kind == Start {
			return Reply{Segments: []Segment{{Text: strings.Repeat("Your balance is two hundred forty dollars. ", 5)}, {Text: "How would you like to pay?"}}}
		}
		return Reply{Segments: []Segment{{Text: "Thanks."}}}
	})
	h.until(20, h.botSpeaking)
	h.step(10, false)
	// MinSpeech (120 ms) of speech: playback pauses at once.
	h.step(6, true)
	h.settle()
	_, _, rms, _ := h.tr.snapshot()
	if h.botSpeaking() || rms > 100 {
		t.Fatalf("playback not paused at speech onset (last frame rms %.0f)", rms)
	}
	h.step(25, true) // past Commit: a real interruption
	h.step(35, false)
	h.until(100, func() bool { return len(h.inputs(Speech)) == 1 })
	in := h.inputs(Speech)[0]
	if in.Text != "I want to pay next week" || len(in.Unheard) != 2 || in.Unheard[1].Text != "How would you like to pay?" {
		t.Fatalf("input after barge-in %+v", in)
	}
	st := h.c.Stats()
	if st.Interruptions != 1 || len(st.BargeIn) != 1 || st.BargeIn[0] > 20*time.Millisecond {
		t.Fatalf("stats %+v", st)
	}
}

func TestFalseInterruptionResumes(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer("uh-huh"), func(in Input) Reply {
		if in.Kind == Start {
			return Reply{Segments: []Segment{{Text: strings.Repeat("Here is what you owe and when it was due. ", 4)}}}
		}
		return Reply{Segments: []Segment{{Text: "Sorry?"}}}
	})
	h.until(20, h.botSpeaking)
	h.step(10, false)
	h.step(10, true) // 200 ms "uh-huh": shorter than Commit
	if h.botSpeaking() {
		t.Fatal("not paused for a possible interruption")
	}
	h.step(30, false) // end of turn; the recogniser hears a backchannel
	h.settle()
	if !h.botSpeaking() {
		t.Fatal("playback did not resume after a backchannel")
	}
	h.until(600, func() bool { return !h.botSpeaking() })
	st := h.c.Stats()
	if st.FalseInterruptions != 1 || st.Interruptions != 0 || len(h.inputs(Speech)) != 0 {
		t.Fatalf("stats %+v inputs %+v", st, h.conv.Inputs())
	}
}

func TestSilenceRepromptThenGoodbye(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer(), func(in Input) Reply {
		switch {
		case in.Kind == Silence && in.Final:
			return Reply{Segments: []Segment{{Text: "Goodbye."}}}
		case in.Kind == Silence:
			return Reply{Segments: []Segment{{Text: "Are you still there?"}}}
		}
		return Reply{Segments: []Segment{{Text: "Hello."}}}
	})
	h.until(400, h.ended)
	ins := h.inputs(Silence)
	if len(ins) != 2 || ins[0].Final || !ins[1].Final || ins[1].Silences != 2 {
		t.Fatalf("silence inputs %+v", ins)
	}
	if st := h.c.Stats(); st.Ended != "silence" {
		t.Fatalf("ended %q", st.Ended)
	}
	_, _, _, msgs := h.tr.snapshot()
	if last := msgs[len(msgs)-1]; last.Kind != Hangup || last.Text != "silence" {
		t.Fatalf("last message %+v", last)
	}
}

func TestMaximumCallLength(t *testing.T) {
	cfg := testConfig()
	cfg.MaxDuration = 3 * time.Second
	cfg.Silence = time.Hour
	h := newHarness(t, cfg, speech.NewFakeRecognizer(), func(in Input) Reply {
		if in.Kind == TimeLimit {
			return Reply{Segments: []Segment{{Text: "We are out of time; we will call back."}}}
		}
		return Reply{Segments: []Segment{{Text: strings.Repeat("A long explanation. ", 20)}}}
	})
	h.until(400, h.ended)
	if st := h.c.Stats(); st.Ended != "time limit" || len(h.inputs(TimeLimit)) != 1 {
		t.Fatalf("ended %q, inputs %+v", st.Ended, h.conv.Inputs())
	}
	if now := h.clock.Now(); now.Sub(time.Unix(1_800_000_000, 0)) > 6*time.Second {
		t.Fatalf("call lasted %v", now.Sub(time.Unix(1_800_000_000, 0)))
	}
}

func TestKeypadEntries(t *testing.T) {
	h := newHarness(t, testConfig(), nil, func(in Input) Reply {
		switch in.Kind {
		case Start:
			return Reply{Segments: []Segment{{Text: "Key your date of birth, then pound."}}, Expect: speech.Expect{Digits: true}}
		case Digits:
			if len(in.Digits) > 1 {
				return Reply{Segments: []Segment{{Text: "Press 1 to confirm."}}, Expect: speech.Expect{YesNo: true}}
			}
		}
		return Reply{Segments: []Segment{{Text: "Done."}}}
	})
	h.until(20, h.botSpeaking)
	if !h.inputs(Start)[0].KeypadOnly {
		t.Fatal("a call without a recogniser did not say it is keypad only")
	}
	for _, d := range "01021990#" {
		h.c.Digit(d)
	}
	h.until(300, func() bool { return len(h.inputs(Digits)) == 1 })
	h.until(300, func() bool { return !h.botSpeaking() })
	h.c.Digit('1') // a menu key goes at once
	h.until(50, func() bool { return len(h.inputs(Digits)) == 2 })
	ds := h.inputs(Digits)
	if ds[0].Digits != "01021990" || ds[1].Digits != "1" {
		t.Fatalf("digits %+v", ds)
	}
	_, _, _, msgs := h.tr.snapshot()
	for _, m := range msgs {
		if strings.Contains(m.Text, "1990") {
			t.Fatalf("keyed digits echoed in %+v", m)
		}
	}
}

func TestKeypadEntryTimesOut(t *testing.T) {
	h := newHarness(t, testConfig(), nil, func(in Input) Reply {
		return Reply{Segments: []Segment{{Text: "Key the last four digits."}}, Expect: speech.Expect{Digits: true}}
	})
	h.until(300, func() bool { return len(h.conv.Inputs()) == 1 && !h.botSpeaking() })
	for _, d := range "4321" {
		h.c.Digit(d)
	}
	h.until(200, func() bool { return len(h.inputs(Digits)) == 1 })
	if d := h.inputs(Digits)[0]; d.Digits != "4321" {
		t.Fatalf("digits %+v", d)
	}
}

func TestConversationEvents(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer(), say("Hello."))
	h.until(100, func() bool { return len(h.conv.Inputs()) == 1 && !h.botSpeaking() })
	h.c.Deliver(Event{Status: "waiting-for-agent", Segments: []Segment{{Text: "A person will take over."}}})
	h.until(20, h.botSpeaking)
	h.c.Deliver(Event{End: true})
	h.until(300, h.ended)
	_, _, _, msgs := h.tr.snapshot()
	var status, agent bool
	for _, m := range msgs {
		status = status || (m.Kind == Status && m.Text == "waiting-for-agent")
		agent = agent || (m.Kind == Caption && m.Text == "A person will take over.")
	}
	if !status || !agent || h.c.Stats().Ended != "conversation ended" {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestReplyLatencyIsMeasured(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer("yes"), say("Okay."))
	h.until(100, func() bool { return len(h.conv.Inputs()) == 1 && !h.botSpeaking() })
	h.step(20, true)
	h.until(100, func() bool { return len(h.c.Stats().ReplyLatency) == 1 })
	// On the fake clock the only delay is waiting for the next 20 ms tick.
	if l := h.c.Stats().ReplyLatency[0]; l < 0 || l > 40*time.Millisecond {
		t.Fatalf("latency %v", l)
	}
}

func TestRecordingStartsAfterTheNotice(t *testing.T) {
	rec := record.NewRecorder()
	h := newHarnessRec(t, testConfig(), speech.NewFakeRecognizer("yes"), rec, func(in Input) Reply {
		if in.Kind == Start {
			return Reply{Segments: []Segment{
				{Text: "I am an automated assistant.", Uninterruptible: true},
				{Text: "This call is recorded.", Uninterruptible: true, StartsRecording: true},
				{Text: "Is this Ann?"},
			}}
		}
		return Reply{Segments: []Segment{{Text: "Thanks."}}, End: true}
	})
	start := h.clock.Now()
	h.until(300, func() bool { return !h.botSpeaking() && len(h.conv.Inputs()) == 1 })
	h.step(25, true)
	h.until(300, h.ended)
	dir := record.Dir{Root: t.TempDir()}
	r, err := rec.Close(context.Background(), dir, "conv")
	if err != nil {
		t.Fatal(err)
	}
	// The two notices (50 characters at 20 ms) are not in the recording;
	// the question, the answer and the reply are.
	total := h.clock.Now().Sub(start)
	if r.Duration < total-1200*time.Millisecond || r.Duration > total-900*time.Millisecond {
		t.Fatalf("recorded %v of a %v call", r.Duration, total)
	}
	for _, key := range []string{r.Caller, r.Bot, r.Mix} {
		rc, err := dir.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		a, err := speech.ReadWAV(b)
		if err != nil {
			t.Fatal(err)
		}
		var loud int
		for _, f := range audio.Frames(a.PCM, 8000) {
			var s float64
			for _, x := range f {
				s += float64(x) * float64(x)
			}
			if math.Sqrt(s/160) > 1000 {
				loud++
			}
		}
		if loud < 15 { // bot: 19 frames of question and reply; caller: 25
			t.Errorf("%s: only %d loud frames", key, loud)
		}
	}
}

// blockingConv holds its first spoken turn until released.
type blockingConv struct {
	fakeConv
	release chan struct{}
	once    sync.Once
}

func (b *blockingConv) Turn(ctx context.Context, in Input) (Reply, error) {
	if in.Kind == Speech {
		b.once.Do(func() { <-b.release })
	}
	return b.fakeConv.Turn(ctx, in)
}

func TestSpeechWhileThinkingSupersedesTheReply(t *testing.T) {
	cfg := testConfig()
	bc := &blockingConv{release: make(chan struct{})}
	bc.reply = func(in Input) Reply {
		if in.Kind == Speech {
			return Reply{Segments: []Segment{{Text: "Reply to " + in.Text}}}
		}
		return Reply{Segments: []Segment{{Text: "Hi."}}}
	}
	h := newHarnessConv(t, cfg, speech.NewFakeRecognizer("friday", "uh-huh", "actually monday"), nil, bc, &bc.fakeConv)
	h.until(100, func() bool { return len(h.conv.Inputs()) == 1 && !h.botSpeaking() })
	h.step(10, true)
	h.step(35, false) // "friday": the turn is held
	h.step(10, true)
	h.step(35, false) // "uh-huh" while thinking: ignored
	h.step(10, true)
	h.step(35, false) // "actually monday"
	close(bc.release)
	h.until(200, func() bool { return len(h.inputs(Speech)) == 2 })
	in := h.inputs(Speech)[1]
	if in.Text != "actually monday" || len(in.Unheard) != 1 || in.Unheard[0].Text != "Reply to friday" {
		t.Fatalf("second input %+v", in)
	}
	h.until(200, func() bool { return !h.botSpeaking() })
	_, _, _, msgs := h.tr.snapshot()
	for _, m := range msgs {
		if m.Text == "Reply to friday" {
			t.Fatal("the superseded reply was played")
		}
	}
}

// TestReplyArrivingWhileTheCallerTalksIsHeld: a reply ready while the
// caller is mid-utterance waits for that utterance; words replace it, a
// backchannel lets it play.
func TestReplyArrivingWhileTheCallerTalksIsHeld(t *testing.T) {
	for _, tc := range []struct {
		second string
		played bool
	}{{"actually monday", false}, {"uh-huh", true}} {
		t.Run(tc.second, func(t *testing.T) {
			bc := &blockingConv{release: make(chan struct{})}
			bc.reply = func(in Input) Reply {
				if in.Kind == Speech {
					return Reply{Segments: []Segment{{Text: "Reply to " + in.Text}}}
				}
				return Reply{Segments: []Segment{{Text: "Hi."}}}
			}
			h := newHarnessConv(t, testConfig(), speech.NewFakeRecognizer("friday", tc.second), nil, bc, &bc.fakeConv)
			h.until(100, func() bool { return len(h.conv.Inputs()) == 1 && !h.botSpeaking() })
			h.step(10, true)
			h.step(35, false) // "friday": its turn is held
			h.step(10, true)  // the caller starts again...
			close(bc.release) // ...and the reply to "friday" arrives
			h.settle()
			h.step(10, true)
			if h.botSpeaking() {
				t.Fatal("the reply played over the caller")
			}
			h.step(35, false)
			h.until(300, func() bool { return !h.botSpeaking() && len(h.conv.Inputs()) >= 2 })
			h.step(5, false)
			_, _, _, msgs := h.tr.snapshot()
			played := slices.ContainsFunc(msgs, func(m Message) bool { return m.Text == "Reply to friday" })
			if played != tc.played {
				t.Fatalf("reply played %v, want %v", played, tc.played)
			}
			sp := h.inputs(Speech)
			if !tc.played {
				if len(sp) != 2 || sp[1].Text != tc.second || len(sp[1].Unheard) != 1 || sp[1].Unheard[0].Text != "Reply to friday" {
					t.Fatalf("inputs %+v", sp)
				}
			} else if len(sp) != 1 || h.c.Stats().FalseInterruptions != 1 {
				t.Fatalf("inputs %+v, stats %+v", sp, h.c.Stats())
			}
		})
	}
}

// hangingRecognizer never answers until its context ends.
type hangingRecognizer struct{ calls chan struct{} }

func (h hangingRecognizer) Transcribe(ctx context.Context, a speech.Audio, hi speech.Hints) (speech.Transcript, error) {
	h.calls <- struct{}{}
	<-ctx.Done()
	return speech.Transcript{}, ctx.Err()
}

func TestHungRecognizerDoesNotStallTheCall(t *testing.T) {
	cfg := testConfig()
	cfg.ProviderTimeout = 50 * time.Millisecond
	hr := hangingRecognizer{calls: make(chan struct{}, 4)}
	fc := &fakeConv{reply: func(in Input) Reply {
		if in.Kind == Silence {
			return Reply{Segments: []Segment{{Text: "Still there?"}}}
		}
		return Reply{Segments: []Segment{{Text: "Hi."}}}
	}}
	h := &harness{t: t, clock: clock.NewFake(time.Unix(1_800_000_000, 0)), conv: fc, tr: &fakeTransport{}, err: make(chan error, 1)}
	cfg.InputQueue = 0
	h.c = New(cfg, Deps{Conversation: fc, Transport: h.tr, STT: hr, TTS: speech.FakeSynthesizer{PerCharMs: 20}, Clock: h.clock})
	ctx, cancel := context.WithCancel(context.Background())
	h.ctx = ctx
	go func() { h.err <- h.c.Run(ctx); cancel() }()
	t.Cleanup(func() { h.c.Hangup(); <-h.c.Done() })
	h.until(100, func() bool { return len(fc.Inputs()) == 1 && !h.botSpeaking() })
	h.step(10, true)
	h.step(35, false)
	<-hr.calls
	// The recogniser gives up after the timeout; silence then re-prompts.
	waitFor(t, func() bool {
		var busy int
		h.c.do(func() { busy = h.c.sttBusy })
		return busy == 0
	})
	h.until(200, func() bool { return len(h.inputs(Silence)) == 1 })
}

// TestNoticeArrivingWhileTheCallerTalksPlays: a greeting whose first
// segment is a required notice is not held for a caller who is already
// talking (a phone picked up mid-sentence); what they say is kept.
func TestNoticeArrivingWhileTheCallerTalksPlays(t *testing.T) {
	bc := &blockingConv{release: make(chan struct{})}
	bc.reply = func(in Input) Reply {
		if in.Kind == Start {
			return Reply{Segments: []Segment{{Text: strings.Repeat("This call is recorded. ", 4), Uninterruptible: true}, {Text: "Who am I speaking with?"}}}
		}
		return Reply{Segments: []Segment{{Text: "Thanks."}}}
	}
	h := newHarnessConv(t, testConfig(), speech.NewFakeRecognizer("hello hello"), nil, bc, &bc.fakeConv)
	h.step(10, true)  // the caller is talking...
	close(bc.release) // ...when the greeting arrives
	h.settle()
	h.step(40, true) // past Commit
	if !h.botSpeaking() {
		t.Fatal("the notice was held or cut off for the caller")
	}
	h.until(500, func() bool { return len(h.inputs(Speech)) == 1 })
	if in := h.inputs(Speech)[0]; !in.SpokenDuringNotice || len(in.Unheard) != 0 {
		t.Fatalf("input %+v", in)
	}
}

// TestNoiseThatInterruptsIsFollowedByARepeat: a committed barge-in whose
// words cannot be made out leaves no silence: the bot says again what
// was cut off.
func TestNoiseThatInterruptsIsFollowedByARepeat(t *testing.T) {
	h := newHarness(t, testConfig(), speech.NewFakeRecognizer(""), func(in Input) Reply {
		return Reply{Segments: []Segment{{Text: strings.Repeat("Your balance is two hundred forty dollars. ", 3)}}}
	})
	h.until(20, h.botSpeaking)
	h.step(10, false)
	h.step(40, true) // past Commit: interrupted
	if h.botSpeaking() {
		t.Fatal("not interrupted")
	}
	h.step(35, false) // the transcript is empty
	h.until(50, h.botSpeaking)
	if len(h.inputs(Speech)) != 0 {
		t.Fatalf("noise became a turn: %+v", h.inputs(Speech))
	}
}

// lockedConv takes a lock for every turn after the greeting, as the live
// layer's output lock is taken by a turn while its handoff follower
// pushes Events holding it.
type lockedConv struct {
	mu    *sync.Mutex
	turns chan Input
}

func (l lockedConv) Turn(ctx context.Context, in Input) (Reply, error) {
	if in.Kind != Start {
		l.turns <- in
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	return Reply{Segments: []Segment{{Text: "Hi."}}}, nil
}

// TestDeliverAfterHangup: once the call is over, Deliver returns at once,
// even while the turn in flight waits for the deliverer's lock.
func TestDeliverAfterHangup(t *testing.T) {
	var mu sync.Mutex
	lc := lockedConv{mu: &mu, turns: make(chan Input, 1)}
	fc := &fakeConv{reply: say("Hi.")}
	h := newHarnessConv(t, testConfig(), nil, nil, lc, fc)
	h.settle()
	mu.Lock()
	h.c.Digit('5')
	<-lc.turns // the turn waits for mu
	h.c.Hangup()
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		for range 40 {
			h.c.Deliver(Event{Segments: []Segment{{Text: "An agent's words."}}})
		}
	}()
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Error("Deliver blocked after the hangup while the turn in flight waited")
	}
	mu.Unlock()
	<-h.c.Done()
}
