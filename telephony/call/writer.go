package call

import (
	"context"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
)

// The writer is the call's single audio writer: it owns the queue of
// segments to play and sends one 20 ms frame per tick (silence when there
// is nothing to say or playback is paused), so the far end always gets a
// steady stream. The controller steers it with commands; it reports what
// the caller actually heard with notes.

type writerCmdKind int

const (
	cmdPlay writerCmdKind = iota
	cmdPause
	cmdResume
	cmdFlush
)

type writerCmd struct {
	kind   writerCmdKind
	id     int
	frames [][]int16
}

type noteKind int

const (
	noteStarted noteKind = iota
	noteDone
	notePaused
	noteFlushed
)

type writerNote struct {
	kind noteKind
	id   int
	at   time.Time
}

type playItem struct {
	id      int
	frames  [][]int16
	pos     int
	started bool
}

type writer struct {
	clock   clock.TimerClock
	tr      Transport
	cmds    chan writerCmd
	calls   chan func()
	notes   chan writerNote
	queue   []*playItem
	paused  bool
	pacer   audio.Pacer
	silence []int16
	err     error
	rec     Recorder
}

func newWriter(clk clock.TimerClock, tr Transport, rec Recorder) *writer {
	return &writer{
		rec:     rec,
		clock:   clk,
		tr:      tr,
		cmds:    make(chan writerCmd, 64),
		calls:   make(chan func()),
		notes:   make(chan writerNote, 64),
		pacer:   audio.Pacer{Now: clk.Now},
		silence: make([]int16, audio.SamplesPerFrame(8000)),
	}
}

func (w *writer) note(ctx context.Context, n writerNote) {
	select {
	case w.notes <- n:
	case <-ctx.Done():
	}
}

// do runs f on the writer's goroutine and waits: a barrier for tests.
func (w *writer) do(ctx context.Context, f func()) {
	ran := make(chan struct{})
	select {
	case w.calls <- func() { f(); close(ran) }:
		<-ran
	case <-ctx.Done():
	}
}

func (w *writer) run(ctx context.Context) error {
	t := w.clock.NewTicker(audio.FrameDuration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-w.calls:
			f()
		case c := <-w.cmds:
			w.apply(ctx, c)
			if w.err != nil {
				return w.err
			}
		case tick := <-t.C():
			if err := w.pacer.Tick(tick, func(int64) error { return w.emit(ctx) }); err != nil {
				return err
			}
		}
	}
}

func (w *writer) apply(ctx context.Context, c writerCmd) {
	switch c.kind {
	case cmdPlay:
		idle := len(w.queue) == 0 && !w.paused
		w.queue = append(w.queue, &playItem{id: c.id, frames: c.frames})
		if idle {
			// Start speaking now rather than at the next tick: up to
			// 20 ms off every reply.
			if _, err := w.pacer.Early(func(int64) error { return w.emit(ctx) }); err != nil {
				w.err = err
			}
		}
	case cmdPause:
		if !w.paused {
			w.paused = true
			w.note(ctx, writerNote{kind: notePaused, at: w.clock.Now()})
		}
	case cmdResume:
		w.paused = false
	case cmdFlush:
		w.queue, w.paused = nil, false
		w.note(ctx, writerNote{kind: noteFlushed, at: w.clock.Now()})
	}
}

func (w *writer) emit(ctx context.Context) error {
	f := w.next(ctx)
	if w.rec != nil {
		w.rec.Bot(f, w.clock.Now())
	}
	return w.tr.WriteFrame(f)
}

// next returns the frame to send now.
func (w *writer) next(ctx context.Context) []int16 {
	if w.paused || len(w.queue) == 0 {
		return w.silence
	}
	it := w.queue[0]
	if !it.started {
		it.started = true
		w.note(ctx, writerNote{kind: noteStarted, id: it.id, at: w.clock.Now()})
	}
	var f []int16
	if it.pos < len(it.frames) {
		f = it.frames[it.pos]
		it.pos++
	}
	if it.pos >= len(it.frames) {
		w.queue = w.queue[1:]
		w.note(ctx, writerNote{kind: noteDone, id: it.id, at: w.clock.Now()})
	}
	if f == nil {
		return w.silence
	}
	return f
}
