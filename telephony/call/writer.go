package call

import (
	"runtime"
	"sync"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
)

// The writer is the call's single audio writer: it owns the queue of
// segments to play and sends one 20 ms frame per tick (silence when there
// is nothing to say or playback is paused), so the far end always gets a
// steady stream. It has no goroutine of its own: a Pacer's sweep sends its
// frames, and the sweep's goroutine owns its state. The controller steers
// it with commands; it reports what the caller actually heard with notes.

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
	clock clock.TimerClock
	tr    Transport
	rec   Recorder
	cmds  chan writerCmd
	notes chan writerNote
	// onFail is called (once, from the pacer) when a frame cannot be
	// written; the writer has then left its pacer.
	onFail func(error)

	// shard is the pacer shard that sends this writer's frames; set by
	// join before the writer is swept, read by the controller to wake it.
	shard *shard

	// Owned by the shard's goroutine (under shard.mu).
	joined  bool
	queue   []*playItem
	paused  bool
	pacer   audio.Pacer
	silence []int16
	// unsent holds notes the controller has not taken yet: a sweep never
	// waits for one call's controller.
	unsent []writerNote
	emitFn func(int64) error
}

func newWriter(clk clock.TimerClock, tr Transport, rec Recorder) *writer {
	w := &writer{
		rec:     rec,
		clock:   clk,
		tr:      tr,
		cmds:    make(chan writerCmd, 64),
		notes:   make(chan writerNote, 64),
		pacer:   audio.Pacer{Now: clk.Now},
		silence: make([]int16, audio.SamplesPerFrame(8000)),
	}
	w.emitFn = func(int64) error { return w.emit() }
	return w
}

// post hands the writer a command and wakes its pacer, so the command
// takes effect now (a pause, a reply that can start at once) rather than
// at the next tick. It gives up when done is closed.
func (w *writer) post(c writerCmd, done <-chan struct{}) {
	select {
	case w.cmds <- c:
	case <-done:
		return
	}
	w.shard.wake(w)
}

func (w *writer) note(n writerNote) {
	if len(w.unsent) == 0 {
		select {
		case w.notes <- n:
			return
		default:
		}
	}
	w.unsent = append(w.unsent, n)
}

// flushNotes passes on the notes the controller had no room for.
func (w *writer) flushNotes() {
	for len(w.unsent) > 0 {
		select {
		case w.notes <- w.unsent[0]:
			w.unsent = w.unsent[1:]
		default:
			return
		}
	}
}

// drain applies the commands posted so far.
func (w *writer) drain() error {
	for {
		select {
		case c := <-w.cmds:
			if err := w.apply(c); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// tick sends the frames due at tick.
func (w *writer) tick(tick time.Time) error {
	if err := w.drain(); err != nil {
		return err
	}
	err := w.pacer.Tick(tick, w.emitFn)
	w.flushNotes()
	return err
}

func (w *writer) apply(c writerCmd) error {
	switch c.kind {
	case cmdPlay:
		idle := len(w.queue) == 0 && !w.paused
		w.queue = append(w.queue, &playItem{id: c.id, frames: c.frames})
		if idle {
			// Start speaking now rather than at the next tick: up to
			// 20 ms off every reply.
			if _, err := w.pacer.Early(w.emitFn); err != nil {
				return err
			}
		}
	case cmdPause:
		if !w.paused {
			w.paused = true
			w.note(writerNote{kind: notePaused, at: w.clock.Now()})
		}
	case cmdResume:
		w.paused = false
	case cmdFlush:
		w.queue, w.paused = nil, false
		w.note(writerNote{kind: noteFlushed, at: w.clock.Now()})
	}
	return nil
}

func (w *writer) emit() error {
	f := w.next()
	if w.rec != nil {
		w.rec.Bot(f, w.clock.Now())
	}
	return w.tr.WriteFrame(f)
}

// next returns the frame to send now.
func (w *writer) next() []int16 {
	if w.paused || len(w.queue) == 0 {
		return w.silence
	}
	it := w.queue[0]
	if !it.started {
		it.started = true
		w.note(writerNote{kind: noteStarted, id: it.id, at: w.clock.Now()})
	}
	var f []int16
	if it.pos < len(it.frames) {
		f = it.frames[it.pos]
		it.pos++
	}
	if it.pos >= len(it.frames) {
		w.queue = w.queue[1:]
		w.note(writerNote{kind: noteDone, id: it.id, at: w.clock.Now()})
	}
	if f == nil {
		return w.silence
	}
	return f
}

// do runs f on the goroutine that sweeps the writer, between sweeps, and
// waits: a barrier for tests.
func (w *writer) do(done <-chan struct{}, f func()) {
	w.shard.do(done, f)
}

// A Pacer sends the frames of every call on a node from one ticker per
// shard (by default one shard per CPU): each tick it takes every call's
// next 20 ms frame (speech, silence while idle or paused) and writes it,
// so N calls cost one wake-up each 20 ms instead of N. Each call's frame
// schedule is its own (audio.Pacer: lateness is measured per call against
// the slots of that schedule). A command from a call's controller wakes
// the shard at once, so a pause takes effect from the next frame and a
// reply that starts while the call is idle goes out without waiting for
// the tick.
//
// A shard's goroutine runs while it has calls: it starts with the first
// and stops at the first tick that finds none (or at Close).
type Pacer struct {
	shards []*shard
	once   sync.Once
	wg     sync.WaitGroup
	quit   chan struct{}
}

// NewPacer returns a pacer of shards shards (GOMAXPROCS when 0 or less)
// ticking on clk.
func NewPacer(clk clock.TimerClock, shards int) *Pacer {
	if shards <= 0 {
		shards = goMaxProcs()
	}
	p := &Pacer{quit: make(chan struct{})}
	for range shards {
		p.shards = append(p.shards, &shard{p: p, clock: clk, woken: make(chan *writer, 1024), calls: make(chan func())})
	}
	return p
}

// Close stops the shards' goroutines and waits for them. Calls still
// joined get no more frames. It may be called more than once.
func (p *Pacer) Close() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

// join adds w to the shard with the fewest calls.
func (p *Pacer) join(w *writer) error {
	best := p.shards[0]
	for _, s := range p.shards[1:] {
		if s.size() < best.size() {
			best = s
		}
	}
	return best.join(w)
}

type shard struct {
	p     *Pacer
	clock clock.TimerClock
	woken chan *writer
	calls chan func()

	mu      sync.Mutex // held for a whole sweep
	writers []*writer
	running bool
	stats   PacerStats
}

// PacerStats split a frame's lateness in two: how long a shard took to
// start its sweep after the tick was due (waiting for the scheduler and
// the machine), and how long the sweep took (the calls' own work, which
// the last call of a shard waits for).
type PacerStats struct {
	Sweeps int64
	// WakeDelay and Sweep count sweeps by duration, in the buckets of
	// audio.LatenessBounds (the last: longer than every bound).
	WakeDelay, Sweep       [len(audio.LatenessBounds) + 1]int64
	MaxWakeDelay, MaxSweep time.Duration
}

func bucket(counts *[len(audio.LatenessBounds) + 1]int64, d time.Duration) {
	i := 0
	for i < len(audio.LatenessBounds) && d > audio.LatenessBounds[i] {
		i++
	}
	counts[i]++
}

// Stats sums the shards' figures so far.
func (p *Pacer) Stats() PacerStats {
	var out PacerStats
	for _, s := range p.shards {
		s.mu.Lock()
		st := s.stats
		s.mu.Unlock()
		out.Sweeps += st.Sweeps
		for i := range out.Sweep {
			out.Sweep[i] += st.Sweep[i]
			out.WakeDelay[i] += st.WakeDelay[i]
		}
		out.MaxSweep = max(out.MaxSweep, st.MaxSweep)
		out.MaxWakeDelay = max(out.MaxWakeDelay, st.MaxWakeDelay)
	}
	return out
}

func goMaxProcs() int { return runtime.GOMAXPROCS(0) }

func (s *shard) recordLocked(wake, sweep time.Duration) {
	s.stats.Sweeps++
	bucket(&s.stats.WakeDelay, wake)
	bucket(&s.stats.Sweep, sweep)
	s.stats.MaxWakeDelay = max(s.stats.MaxWakeDelay, wake)
	s.stats.MaxSweep = max(s.stats.MaxSweep, sweep)
}

func (s *shard) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writers)
}

func (s *shard) join(w *writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.p.quit:
		return ErrClosed
	default:
	}
	w.shard, w.joined = s, true
	s.writers = append(s.writers, w)
	if !s.running {
		s.running = true
		// The ticker exists once join returns: a test's fake clock
		// may advance at once.
		t := s.clock.NewTicker(audio.FrameDuration)
		s.p.wg.Add(1)
		go s.run(t)
	}
	return nil
}

// leave takes w out of the sweeps: once it returns, w's frames are no
// longer sent and its state may be read by the caller.
func (s *shard) leave(w *writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(w)
}

func (s *shard) removeLocked(w *writer) {
	for i, x := range s.writers {
		if x == w {
			s.writers = append(s.writers[:i], s.writers[i+1:]...)
			w.joined = false
			return
		}
	}
}

// wake asks the shard's goroutine to apply w's commands now; when it is
// busy with many, they are applied at the next tick.
func (s *shard) wake(w *writer) {
	select {
	case s.woken <- w:
	default:
	}
}

func (s *shard) do(done <-chan struct{}, f func()) {
	ran := make(chan struct{})
	select {
	case s.calls <- func() { f(); close(ran) }:
		<-ran
	case <-done:
	case <-s.p.quit:
	}
}

func (s *shard) run(t clock.Ticker) {
	defer s.p.wg.Done()
	defer t.Stop()
	for {
		select {
		case <-s.p.quit:
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			return
		case f := <-s.calls:
			s.mu.Lock()
			f()
			s.mu.Unlock()
		case w := <-s.woken:
			s.mu.Lock()
			if w.joined {
				if err := w.drain(); err != nil {
					s.failLocked(w, err)
				} else {
					w.flushNotes()
				}
			}
			s.mu.Unlock()
		case tick := <-t.C():
			s.mu.Lock()
			if len(s.writers) == 0 {
				s.running = false
				s.mu.Unlock()
				return
			}
			start := s.clock.Now()
			for i := 0; i < len(s.writers); {
				w := s.writers[i]
				if err := w.tick(tick); err != nil {
					s.failLocked(w, err)
					continue
				}
				i++
			}
			s.recordLocked(start.Sub(tick), s.clock.Now().Sub(start))
			s.mu.Unlock()
		}
	}
}

// failLocked drops a writer whose transport failed and tells its call.
func (s *shard) failLocked(w *writer, err error) {
	s.removeLocked(w)
	if w.onFail != nil {
		w.onFail(err)
	}
}
