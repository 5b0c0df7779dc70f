package rtc

import (
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/call"
	"github.com/collectagent/collectagent/telephony/dtmf"
	"github.com/collectagent/collectagent/telephony/speech"
)

type conv struct {
	mu     sync.Mutex
	inputs []call.Input
}

func (c *conv) Turn(ctx context.Context, in call.Input) (call.Reply, error) {
	c.mu.Lock()
	c.inputs = append(c.inputs, in)
	c.mu.Unlock()
	switch in.Kind {
	case call.Start:
		return call.Reply{Segments: []call.Segment{
			{Text: "This call is recorded.", Uninterruptible: true},
			{Text: "Your payment of two hundred forty dollars was due on November twenty seventh. Please tell me when you can pay, or press a key to hear your options again."},
		}}, nil
	case call.Speech:
		return call.Reply{Segments: []call.Segment{{Text: "Thank you."}}}, nil
	case call.Digits:
		return call.Reply{Segments: []call.Segment{{Text: "You pressed " + in.Digits + "."}}}, nil
	}
	return call.Reply{}, nil
}

func (c *conv) of(kind call.InputKind) []call.Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []call.Input
	for _, in := range c.inputs {
		if in.Kind == kind {
			out = append(out, in)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hasCaption(msgs []Frame, who, prefix string) bool {
	return slices.ContainsFunc(msgs, func(f Frame) bool {
		return f.Type == "caption" && f.Who == who && strings.HasPrefix(f.Text, prefix)
	})
}

// TestCallOverWebRTC places a pion-to-pion call on loopback: the bot speaks
// with espeak-ng, the caller answers with espeak-ng speech made here and
// with keys both ways (RFC 4733 and the data channel).
func TestCallOverWebRTC(t *testing.T) {
	in := speech.Detect()
	if in.Espeak == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("espeak-ng is not installed")
		}
		t.Skip("espeak-ng is not installed")
	}
	tts := speech.Espeak{Path: in.Espeak}
	api, err := NewAPI(Config{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cv := &conv{}
	// The 8 kHz PCMU leg is too narrow for the offline recogniser, so the
	// test's recogniser only checks it got a whole utterance.
	stt := speech.NewFakeRecognizer()
	stt.Func = func(a speech.Audio, h speech.Hints) speech.Transcript {
		if len(a.PCM) < a.Rate/2 {
			return speech.Transcript{}
		}
		return speech.Transcript{Text: "I can pay two hundred dollars on Friday", Confidence: 0.9}
	}
	var bot *Bot
	botDone := make(chan error, 1)
	caller, err := Dial(api, Config{Loopback: true}, func(offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
		if !strings.Contains(offer.SDP, "telephone-event/8000") || !strings.Contains(offer.SDP, "telephone-event/48000") || !strings.Contains(offer.SDP, "PCMU/8000") {
			t.Errorf("offer lacks codecs:\n%s", offer.SDP)
		}
		b, ans, err := Answer(api, Config{Loopback: true}, offer, nil, func(tr call.Transport) *call.Controller {
			return call.New(call.DefaultConfig("en-US"), call.Deps{Conversation: cv, Transport: tr, STT: stt, TTS: tts})
		})
		bot = b
		return ans, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	go func() { botDone <- bot.Run(ctx) }()
	ticker := time.NewTicker(audio.FrameDuration)
	defer ticker.Stop()
	go caller.Run(ctx, ticker.C)

	// The notice, then the long question, arrive as audio and captions.
	waitFor(t, "the question to start", 20*time.Second, func() bool {
		return hasCaption(caller.Messages(), "bot", "Your payment")
	})
	loud := func(since time.Time) int {
		n := 0
		for _, h := range caller.Heard() {
			if h.At.After(since) && h.RMS > 300 {
				n++
			}
		}
		return n
	}
	if n := loud(time.Time{}); n < 25 {
		t.Fatalf("only %d non-silent frames of bot audio received", n)
	}
	if !hasCaption(caller.Messages(), "bot", "This call is recorded.") {
		t.Fatal("no caption for the notice")
	}

	// Barge in 1.5 s into the question with espeak-ng speech.
	time.Sleep(1500 * time.Millisecond) // let the bot talk: the question lasts about 9 s
	said, err := tts.Synthesize(ctx, "I can pay two hundred dollars on Friday.", "en-US")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	caller.Play(audio.Resample(said.PCM, said.Rate, 8000))
	waitFor(t, "the bot to stop talking", 5*time.Second, func() bool {
		// Stopped: 15 consecutive quiet frames (300 ms) after we began.
		quiet := 0
		for _, h := range caller.Heard() {
			if !h.At.After(start) {
				continue
			}
			if h.RMS < 50 {
				quiet++
				if quiet >= 15 {
					return true
				}
			} else {
				quiet = 0
			}
		}
		return false
	})
	var stoppedAt time.Time
	for _, h := range caller.Heard() {
		if h.At.After(start) && h.RMS > 300 {
			stoppedAt = h.At
		}
	}
	t.Logf("last bot frame heard %v after the caller began speaking", stoppedAt.Sub(start))
	if stoppedAt.Sub(start) > time.Second {
		t.Errorf("bot kept talking %v into the caller's speech", stoppedAt.Sub(start))
	}
	waitFor(t, "the spoken turn", 10*time.Second, func() bool { return len(cv.of(call.Speech)) == 1 })
	sp := cv.of(call.Speech)[0]
	if len(sp.Unheard) != 1 || !strings.HasPrefix(sp.Unheard[0].Text, "Your payment") {
		t.Fatalf("spoken input %+v", sp)
	}
	waitFor(t, "the answer", 10*time.Second, func() bool { return hasCaption(caller.Messages(), "bot", "Thank you.") })
	waitFor(t, "the caller's caption", time.Second, func() bool {
		return hasCaption(caller.Messages(), "caller", "I can pay two hundred dollars")
	})

	// Keys: one over RTP, one over the data channel.
	waitFor(t, "quiet", 10*time.Second, func() bool { return !caller.Playing() })
	if err := caller.Key('1'); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the RTP key", 5*time.Second, func() bool { return len(cv.of(call.Digits)) == 1 })
	if err := caller.KeyData(ctx, '#'); err != nil {
		t.Fatal(err)
	}
	if err := caller.KeyData(ctx, '2'); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the data-channel key", 5*time.Second, func() bool { return len(cv.of(call.Digits)) == 2 })
	ds := cv.of(call.Digits)
	if ds[0].Digits != "1" || ds[1].Digits != "2" {
		t.Fatalf("digits %+v", ds)
	}
	st := bot.Controller().Stats()
	// Keys pressed while the bot talks interrupt it too; only speech is
	// timed as a barge-in.
	if st.Interruptions < 1 || len(st.BargeIn) != 1 {
		t.Fatalf("controller stats %+v", st)
	}
	t.Logf("barge-in: onset detected → playback paused %v (min speech %v)", st.BargeIn[0], call.DefaultConfig("").Endpointing.MinSpeech)

	caller.Close()
	select {
	case err := <-botDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not end when the caller hung up")
	}
	if got := bot.Controller().Stats().Ended; got != "caller hung up" {
		t.Fatalf("ended %q", got)
	}
}

func TestInboundReordersAndDetectsDigits(t *testing.T) {
	var frames [][]int16
	var digits []rune
	in := newInbound([]webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephone, ClockRate: 8000}, PayloadType: 101}},
		func(f []int16) error { frames = append(frames, slices.Clone(f)); return nil },
		func(r rune) error { digits = append(digits, r); return nil })
	frame := func(v int16) []byte {
		pcm := make([]int16, 160)
		for i := range pcm {
			pcm[i] = v
		}
		return audio.EncodeUlaw(nil, pcm)
	}
	in.handle(0, 10, 0, frame(1000))
	in.handle(0, 12, 320, frame(3000))
	in.handle(0, 11, 160, frame(2000))
	pkts, _ := dtmf.Build('5', 480, 8000, 40*time.Millisecond, 10)
	for i, p := range pkts {
		in.handle(101, uint16(13+i), p.Timestamp, p.Payload)
	}
	in.handle(0, uint16(13+len(pkts)), 480+uint32(160*len(pkts)), frame(4000))
	if string(digits) != "5" {
		t.Fatalf("digits %q", string(digits))
	}
	if len(frames) != 4+len(pkts) {
		t.Fatalf("%d frames", len(frames))
	}
	for i, want := range []int16{1000, 2000, 3000} {
		if d := math.Abs(float64(frames[i][0] - want)); d > float64(want)/16 {
			t.Fatalf("frame %d = %d, want about %d", i, frames[i][0], want)
		}
	}
}

// FuzzInboundRTP feeds arbitrary datagrams through the receive path: RTP
// parsing, payload-type dispatch, the playout buffer and the DTMF
// detector. Nothing may panic or emit a frame of the wrong size.
func FuzzInboundRTP(f *testing.F) {
	pkts, _ := dtmf.Build('9', 1234, 8000, 60*time.Millisecond, 10)
	for i, p := range pkts {
		raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(i), Marker: p.Marker, Timestamp: p.Timestamp}, Payload: p.Payload}).Marshal()
		f.Add(raw)
	}
	raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7}, Payload: make([]byte, 160)}).Marshal()
	f.Add(raw)
	// An Opus packet: TOC 0x78 (SILK wideband 20 ms, one frame) and a body.
	raw, _ = (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: ptOpus, SequenceNumber: 9}, Payload: []byte{0x78, 0x0b, 0xe4, 0xc1, 0x36, 0xec, 0xc5, 0x80}}).Marshal()
	f.Add(raw)
	f.Fuzz(func(t *testing.T, b []byte) {
		in := newInbound([]webrtc.RTPCodecParameters{
			{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephone, ClockRate: 8000}, PayloadType: 101},
			{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeOpus, ClockRate: 48000, Channels: 2}, PayloadType: ptOpus},
		},
			func(f []int16) error {
				if len(f) != 160 {
					t.Fatalf("frame of %d samples", len(f))
				}
				return nil
			}, func(rune) error { return nil })
		for i := range 3 {
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil {
				return
			}
			in.handle(p.PayloadType, p.SequenceNumber+uint16(i), p.Timestamp, p.Payload)
		}
	})
}
