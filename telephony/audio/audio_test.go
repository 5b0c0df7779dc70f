package audio

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"testing"
	"time"
)

func sine(rate int, hz, amp float64, d time.Duration) []int16 {
	n := int(float64(rate) * d.Seconds())
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return out
}

// goertzel returns the power of pcm at hz.
func goertzel(pcm []int16, rate int, hz float64) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + c*s1 - s2
		s2, s1 = s1, s
	}
	return (s1*s1 + s2*s2 - c*s1*s2) / float64(len(pcm)*len(pcm))
}

func TestG711RoundTripEveryCode(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		if got := EncodeUlaw(nil, DecodeUlaw(nil, []byte{c}))[0]; got != c && c != 0x7F {
			t.Errorf("μ-law code %#x decodes to %d, re-encodes to %#x", c, ulawDecode[c], got)
		}
		if got := EncodeAlaw(nil, DecodeAlaw(nil, []byte{c}))[0]; got != c {
			t.Errorf("A-law code %#x decodes to %d, re-encodes to %#x", c, alawDecode[c], got)
		}
	}
	if EncodeUlaw(nil, []int16{0})[0] != UlawSilence || EncodeAlaw(nil, []int16{0})[0] != 0xD5 {
		t.Fatal("zero does not encode to the silence codes")
	}
}

func TestG711QuantisationError(t *testing.T) {
	for s := math.MinInt16; s <= math.MaxInt16; s += 7 {
		x := int16(s)
		u := DecodeUlaw(nil, EncodeUlaw(nil, []int16{x}))[0]
		a := DecodeAlaw(nil, EncodeAlaw(nil, []int16{x}))[0]
		// Both laws keep about 4 bits of mantissa: the error is at most
		// 1/16 of the magnitude plus the smallest step.
		lim := math.Abs(float64(x))/16 + 40
		if math.Abs(float64(u)-float64(x)) > lim {
			t.Fatalf("μ-law %d -> %d", x, u)
		}
		if math.Abs(float64(a)-float64(x)) > lim {
			t.Fatalf("A-law %d -> %d", x, a)
		}
	}
}

// TestG711MatchesSox compares the encoders with sox's, byte for byte.
func TestG711MatchesSox(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("sox is not installed")
		}
		t.Skip("sox is not installed")
	}
	pcm := make([]int16, 0, 65536)
	for s := math.MinInt16; s <= math.MaxInt16; s++ {
		pcm = append(pcm, int16(s))
	}
	var raw bytes.Buffer
	binary.Write(&raw, binary.LittleEndian, pcm)
	for _, tc := range []struct {
		enc  string
		mine []byte
	}{{"u-law", EncodeUlaw(nil, pcm)}, {"a-law", EncodeAlaw(nil, pcm)}} {
		cmd := exec.Command("sox", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", "-L", "-",
			"-D", "-t", "raw", "-e", tc.enc, "-b", "8", "-")
		cmd.Stdin = bytes.NewReader(raw.Bytes())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sox %s: %v", tc.enc, err)
		}
		// sox rounds to 14 (13) bits where the reference coder truncates, so
		// samples on a step boundary may land on the neighbouring level;
		// anything more is a coder bug.
		dec := DecodeUlaw
		if tc.enc == "a-law" {
			dec = DecodeAlaw
		}
		diff := 0
		for i := range out {
			if out[i] == tc.mine[i] {
				continue
			}
			diff++
			a, b := float64(dec(nil, out[i:i+1])[0]), float64(dec(nil, tc.mine[i:i+1])[0])
			if math.Abs(a-b) > math.Abs(float64(pcm[i]))/8+16 {
				t.Fatalf("%s: sample %d: sox %#x (%v), ours %#x (%v)", tc.enc, pcm[i], out[i], a, tc.mine[i], b)
			}
		}
		if len(out) != len(tc.mine) || diff > len(pcm)/50 {
			t.Errorf("%s: %d of %d codes differ from sox (lengths %d, %d)", tc.enc, diff, len(pcm), len(out), len(tc.mine))
		}
	}
}

func TestResample(t *testing.T) {
	for _, tc := range []struct{ from, to int }{
		{8000, 16000}, {16000, 8000}, {8000, 48000}, {48000, 8000}, {16000, 48000}, {48000, 16000}, {22050, 8000},
	} {
		in := sine(tc.from, 440, 10000, time.Second)
		out := Resample(in, tc.from, tc.to)
		if len(out) != tc.to {
			t.Errorf("%d->%d: %d samples, want %d", tc.from, tc.to, len(out), tc.to)
			continue
		}
		mid := out[tc.to/4 : 3*tc.to/4]
		tone := goertzel(mid, tc.to, 440)
		other := goertzel(mid, tc.to, 1000)
		if tone < 1e6 || other > tone/1000 {
			t.Errorf("%d->%d: 440 Hz power %.0f, 1 kHz %.0f", tc.from, tc.to, tone, other)
		}
	}
	// A tone above the new Nyquist frequency must not fold back.
	in := sine(16000, 6000, 10000, time.Second)
	out := Resample(in, 16000, 8000)
	if p := goertzel(out[2000:6000], 8000, 2000); p > 1e4 {
		t.Errorf("6 kHz aliases to 2 kHz at 8 kHz with power %.0f", p)
	}
}

func TestFrames(t *testing.T) {
	fs := Frames(make([]int16, 8000+10), 8000)
	if len(fs) != 51 || len(fs[50]) != 160 {
		t.Fatalf("got %d frames, last %d samples", len(fs), len(fs[len(fs)-1]))
	}
}

func TestPacerEmitsOnScheduleAndCountsLateFrames(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	p := &Pacer{Now: func() time.Time { return now }}
	var emitted []int64
	tick := func(d time.Duration) {
		now = start.Add(d)
		if err := p.Tick(now, func(n int64) error { emitted = append(emitted, n); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	tick(0)
	tick(20 * time.Millisecond)
	tick(40 * time.Millisecond)
	tick(95 * time.Millisecond) // a delayed tick: frames 3 and 4 go out late
	tick(100 * time.Millisecond)
	tick(500 * time.Millisecond) // a stall beyond catch-up: schedule restarts
	want := []int64{0, 1, 2, 3, 4, 5, 6}
	if len(emitted) != len(want) {
		t.Fatalf("emitted %v, want %v", emitted, want)
	}
	st := p.Stats()
	// Frames 3 and 4 went out 35 and 15 ms late; frame 6, sent at the
	// restart, 380 ms after its slot in the schedule before the stall.
	if st.Late != 2 || st.MaxLateness != 380*time.Millisecond || st.Restarts != 1 {
		t.Fatalf("stats %+v", st)
	}
	if st.Lateness != [7]int64{4, 0, 0, 0, 1, 1, 1} {
		t.Fatalf("lateness buckets %v", st.Lateness)
	}
}

func TestPlayoutReordersDeduplicatesAndConceals(t *testing.T) {
	p := NewPlayout(4, 2)
	frame := func(v int16) []int16 { return []int16{v, v, v, v} }
	var got []int16
	drain := func() {
		for {
			f, concealed, ok := p.Pop()
			if !ok {
				return
			}
			if concealed {
				got = append(got, -1)
			} else {
				got = append(got, f[0])
			}
		}
	}
	// Start near the 16-bit wrap to exercise it.
	base := uint16(65533)
	p.Push(base, frame(1))
	p.Push(base+2, frame(3)) // 2 is late
	drain()
	p.Push(base+1, frame(2))
	p.Push(base+1, frame(2)) // duplicate
	drain()
	p.Push(base+3, frame(4))
	// base+4 lost; two newer frames make the buffer give up on it.
	p.Push(base+5, frame(6))
	drain()
	p.Push(base+6, frame(7))
	drain()
	p.Push(base+4, frame(5)) // too late now
	drain()
	want := []int16{1, 2, 3, 4, -1, 6, 7}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	st := p.Stats()
	if st.Duplicate != 1 || st.Late != 1 || st.Concealed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestEnergyVADAndEndpointer(t *testing.T) {
	v := NewEnergyVAD(EnergyConfig{})
	e := NewEndpointer(Endpointing{EndOfTurn: 200 * time.Millisecond, MinSpeech: 60 * time.Millisecond, Commit: 200 * time.Millisecond})
	quiet := sine(8000, 200, 30, time.Second)  // about -60 dBFS hum
	loud := sine(8000, 300, 8000, time.Second) // about -15 dBFS
	var events []EndpointEvent
	var at []int
	push := func(pcm []int16, n int) {
		for _, f := range Frames(pcm, 8000)[:n] {
			if ev := e.Push(v.Speech(f)); ev != NoEvent {
				events = append(events, ev)
				at = append(at, len(at))
			}
		}
	}
	push(quiet, 25)
	if len(events) != 0 {
		t.Fatalf("hum detected as speech: %v", events)
	}
	push(loud, 2) // a 40 ms click: below MinSpeech
	push(quiet, 5)
	if len(events) != 0 {
		t.Fatalf("click started an utterance: %v", events)
	}
	push(loud, 15) // 300 ms of speech
	push(quiet, 15)
	want := []EndpointEvent{SpeechStart, SpeechCommit, SpeechEnd}
	if len(events) != 3 || events[0] != want[0] || events[1] != want[1] || events[2] != want[2] {
		t.Fatalf("events %v, want %v", events, want)
	}
	if e.SpeechDuration() != 300*time.Millisecond {
		t.Fatalf("speech %v", e.SpeechDuration())
	}
}

// BenchmarkFramePipeline is one inbound and one outbound 20 ms frame of a
// call: μ-law decode, VAD + endpointing, μ-law encode.
func BenchmarkFramePipeline(b *testing.B) {
	in := EncodeUlaw(nil, sine(8000, 300, 8000, FrameDuration))
	out := sine(8000, 500, 8000, FrameDuration)
	v := NewEnergyVAD(EnergyConfig{})
	e := NewEndpointer(DefaultEndpointing())
	pcm := make([]int16, 0, 160)
	enc := make([]byte, 0, 160)
	b.ReportAllocs()
	for b.Loop() {
		pcm = DecodeUlaw(pcm[:0], in)
		e.Push(v.Speech(pcm))
		enc = EncodeUlaw(enc[:0], out)
	}
}

func BenchmarkDecodeUlawFrame(b *testing.B) {
	in := EncodeUlaw(nil, sine(8000, 300, 8000, FrameDuration))
	pcm := make([]int16, 0, 160)
	for b.Loop() {
		pcm = DecodeUlaw(pcm[:0], in)
	}
}

func BenchmarkEncodeUlawFrame(b *testing.B) {
	out := sine(8000, 500, 8000, FrameDuration)
	enc := make([]byte, 0, 160)
	for b.Loop() {
		enc = EncodeUlaw(enc[:0], out)
	}
}

func BenchmarkVADFrame(b *testing.B) {
	f := sine(8000, 300, 8000, FrameDuration)
	v := NewEnergyVAD(EnergyConfig{})
	for b.Loop() {
		v.Speech(f)
	}
}

func BenchmarkResample16to8Frame(b *testing.B) {
	f := sine(16000, 300, 8000, FrameDuration)
	for b.Loop() {
		Resample(f, 16000, 8000)
	}
}

func TestPacerRunStopsWhenTicksClose(t *testing.T) {
	ticks := make(chan time.Time, 3)
	base := time.Unix(0, 0)
	for i := range 3 {
		ticks <- base.Add(time.Duration(i) * FrameDuration)
	}
	close(ticks)
	n := 0
	p := &Pacer{Now: func() time.Time { return base.Add(time.Duration(n) * FrameDuration) }}
	if err := p.Run(context.Background(), ticks, func(int64) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("err %v, %d frames", err, n)
	}
}

func TestEnergyVADHearsSpeechFromTheFirstFrame(t *testing.T) {
	v := NewEnergyVAD(EnergyConfig{})
	if !v.Speech(sine(8000, 300, 8000, FrameDuration)) {
		t.Fatal("a call that opens with speech is not heard")
	}
}

func TestPacerEarlyTakesTheNextSlot(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	p := &Pacer{Now: func() time.Time { return now }}
	var emitted []int64
	emit := func(n int64) error { emitted = append(emitted, n); return nil }
	if ok, _ := p.Early(emit); ok {
		t.Fatal("early before the first tick")
	}
	p.Tick(now, emit) // frame 0
	now = start.Add(5 * time.Millisecond)
	if ok, _ := p.Early(emit); !ok { // frame 1, 15 ms early
		t.Fatal("early refused while idle")
	}
	if ok, _ := p.Early(emit); ok {
		t.Fatal("a second early frame would run ahead of real time")
	}
	now = start.Add(20 * time.Millisecond)
	p.Tick(now, emit) // frame 1's slot: nothing
	now = start.Add(40 * time.Millisecond)
	p.Tick(now, emit) // frame 2
	if len(emitted) != 3 || emitted[2] != 2 || p.Stats().Early != 1 || p.Stats().Late != 0 {
		t.Fatalf("emitted %v, stats %+v", emitted, p.Stats())
	}
}
