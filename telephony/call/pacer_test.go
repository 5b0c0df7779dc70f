package call

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/collectagent/collectagent/clock"
)

// tickerCount is a fake clock that counts the tickers made on it.
type tickerCount struct {
	*clock.Fake
	n atomic.Int32
}

func (c *tickerCount) NewTicker(d time.Duration) clock.Ticker {
	c.n.Add(1)
	return c.Fake.NewTicker(d)
}

type failingTransport struct{ fakeTransport }

var errGone = errors.New("gone")

func (f *failingTransport) WriteFrame([]int16) error { return errGone }

// TestPacerSendsEveryCallOnOneTicker: three calls on a one-shard pacer
// share one ticker; each gets one frame a tick, a reply posted while a
// call is idle goes out at once, a pause holds from the next frame, and a
// call whose transport fails leaves the sweep without stopping the others.
func TestPacerSendsEveryCallOnOneTicker(t *testing.T) {
	clk := &tickerCount{Fake: clock.NewFake(time.Unix(1_800_000_000, 0))}
	p := NewPacer(clk, 1)
	defer p.Close()
	done := make(chan struct{})
	defer close(done)
	trs := make([]*fakeTransport, 3)
	ws := make([]*writer, 3)
	for i := range ws {
		trs[i] = &fakeTransport{}
		ws[i] = newWriter(clk, trs[i], nil)
		if err := p.join(ws[i]); err != nil {
			t.Fatal(err)
		}
	}
	bad := &failingTransport{}
	failed := make(chan error, 1)
	wb := newWriter(clk, bad, nil)
	wb.onFail = func(err error) { failed <- err }
	if err := p.join(wb); err != nil {
		t.Fatal(err)
	}
	step := func() {
		clk.Advance(20 * time.Millisecond)
		waitFor(t, func() bool { return clk.Pending() == 0 })
		ws[0].do(done, func() {})
	}
	if n := clk.n.Load(); n != 1 {
		t.Fatalf("%d tickers for four calls, want one", n)
	}
	for range 5 {
		step()
	}
	for i, tr := range trs {
		if n, _, _, _ := tr.snapshot(); n != 5 {
			t.Fatalf("call %d: %d frames after 5 ticks, want 5", i, n)
		}
	}
	select {
	case err := <-failed:
		if !errors.Is(err, errGone) {
			t.Fatalf("failure %v", err)
		}
	default:
		t.Fatal("the failing call was not told")
	}

	// A reply to an idle call goes out before the next tick.
	ws[1].post(writerCmd{kind: cmdPlay, id: 1, frames: [][]int16{loudFrame, loudFrame, loudFrame}}, done)
	waitFor(t, func() bool { _, loud, _, _ := trs[1].snapshot(); return loud == 1 })
	// Paused: the frames after it are silence.
	ws[1].post(writerCmd{kind: cmdPause}, done)
	ws[1].do(done, func() {})
	n1, _, _, _ := trs[1].snapshot()
	step()
	step()
	if n, loud, last, _ := trs[1].snapshot(); n == n1 || loud != 1 || last != 0 {
		t.Fatalf("paused call: %d frames, %d loud, last RMS %.0f", n-n1, loud, last)
	}
	ws[1].post(writerCmd{kind: cmdResume}, done)
	step()
	if _, loud, _, _ := trs[1].snapshot(); loud != 2 {
		t.Fatalf("resumed call: %d loud frames, want 2", loud)
	}
	for i, tr := range trs {
		if n, _, _, _ := tr.snapshot(); n < 8 {
			t.Fatalf("call %d: %d frames after 8 ticks", i, n)
		}
	}
	if st := p.Stats(); st.Sweeps != 8 || st.WakeDelay[0] != 8 || st.Sweep[0] != 8 {
		t.Fatalf("pacer stats %+v after 8 ticks", st)
	}
	// A call that left gets nothing more.
	ws[2].shard.leave(ws[2])
	n2, _, _, _ := trs[2].snapshot()
	step()
	if n, _, _, _ := trs[2].snapshot(); n != n2 {
		t.Fatalf("a call that left got %d more frames", n-n2)
	}
}
