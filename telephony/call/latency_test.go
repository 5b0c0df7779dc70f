package call

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/speech"
)

// BenchmarkTurnTaking measures, on the system clock with instant fake
// providers, what the call machinery adds to voice-to-voice latency (end of
// the caller's speech detected → first frame of the reply sent; this
// includes waiting for the next 20 ms tick) and to barge-in (speech onset
// detected → playback paused). Each iteration is one spoken turn and one
// barge-in. Run with -benchtime=200x; it reports p50 and p99 of both.
func BenchmarkTurnTaking(b *testing.B) {
	cv := &fakeConv{reply: say(strings.Repeat("a", 200))} // 4 s of tone per reply
	tr := &fakeTransport{}
	cfg := DefaultConfig("en-US")
	cfg.Silence = time.Hour
	cfg.MaxDuration = time.Hour
	c := New(cfg, Deps{
		Conversation: cv,
		Transport:    tr,
		STT:          speech.NewFakeRecognizer(),
		TTS:          speech.FakeSynthesizer{PerCharMs: 20},
	})
	stt := c.d.STT.(*speech.FakeRecognizer)
	stt.Func = func(a speech.Audio, h speech.Hints) speech.Transcript {
		return speech.Transcript{Text: "I can pay on Friday", Confidence: 1}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	feed := func(n int, loud bool) {
		for range n {
			f := silentFrame
			if loud {
				f = loudFrame
			}
			c.Audio(f)
		}
	}
	wait := func(cond func(Stats) bool) {
		for !cond(c.Stats()) {
			time.Sleep(100 * time.Microsecond)
		}
	}
	speaking := func() bool {
		var s bool
		c.do(func() { s = c.speaking() && !c.paused })
		return s
	}
	for !speaking() {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	for i := range b.N {
		// Barge in on the reply that is playing, then finish the turn.
		// The barge-in frames come at the pace a caller speaks them: a
		// reply paused after a few milliseconds (frames fed faster than
		// real time) leaves the pacer a frame ahead of the clock, so the
		// next reply could not start early and would wait up to two
		// ticks, which no call sees (a barge-in takes 120 ms of speech).
		for range 8 {
			time.Sleep(audio.FrameDuration)
			feed(1, true)
		}
		wait(func(s Stats) bool { return len(s.BargeIn) > i })
		feed(30, true)
		feed(35, false)
		wait(func(s Stats) bool { return len(s.ReplyLatency) > i })
		for !speaking() {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.StopTimer()
	st := c.Stats()
	cancel()
	<-done
	pct := func(ds []time.Duration, p float64) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(st.ReplyLatency, 0.5), "reply-p50-ms")
	b.ReportMetric(pct(st.ReplyLatency, 0.99), "reply-p99-ms")
	b.ReportMetric(pct(st.BargeIn, 0.5), "bargein-p50-ms")
	b.ReportMetric(pct(st.BargeIn, 0.99), "bargein-p99-ms")
	b.ReportMetric(float64(st.Pacer.Late), "late-frames")
}
