package clock

import (
	"testing"
	"time"
)

var start = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

func TestFakeTimersFireInOrder(t *testing.T) {
	f := NewFake(start)
	late := f.NewTimer(3 * time.Second)
	early := f.NewTimer(time.Second)
	stopped := f.NewTimer(2 * time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop reports whether the timer was running")
	}
	f.Advance(1500 * time.Millisecond)
	select {
	case at := <-early.C():
		if !at.Equal(start.Add(time.Second)) {
			t.Errorf("early fired at %v", at)
		}
	default:
		t.Fatal("early timer did not fire")
	}
	select {
	case <-late.C():
		t.Fatal("late timer fired early")
	default:
	}
	f.Advance(2 * time.Second)
	select {
	case <-late.C():
	default:
		t.Fatal("late timer did not fire")
	}
	select {
	case <-stopped.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	if got := f.Now(); !got.Equal(start.Add(3500 * time.Millisecond)) {
		t.Errorf("Now = %v", got)
	}
}

func TestFakeTickerDropsMissedTicks(t *testing.T) {
	f := NewFake(start)
	tk := f.NewTicker(time.Second)
	f.Advance(5 * time.Second)
	if n := f.Pending(); n != 1 {
		t.Fatalf("Pending = %d, want 1 (a slow reader misses ticks)", n)
	}
	<-tk.C()
	tk.Stop()
	f.Advance(5 * time.Second)
	if n := f.Pending(); n != 0 {
		t.Fatalf("Pending after Stop = %d", n)
	}
}

func TestFakeSet(t *testing.T) {
	f := NewFake(start)
	tm := f.NewTimer(time.Hour)
	f.Set(start.Add(-time.Hour))
	if !f.Now().Equal(start.Add(-time.Hour)) {
		t.Fatalf("Set back: Now = %v", f.Now())
	}
	f.Set(start.Add(2 * time.Hour))
	select {
	case <-tm.C():
	default:
		t.Fatal("Set forward did not fire a timer that came due")
	}
}

// Both clocks satisfy both interfaces.
var (
	_ TimerClock = System{}
	_ TimerClock = (*Fake)(nil)
)
