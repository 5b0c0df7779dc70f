package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/speech"
)

// ErrClosed: the call is over.
var ErrClosed = errors.New("call: closed")

const (
	frameSamples = 160 // 20 ms at 8 kHz
	wideSamples  = 320 // 20 ms at 16 kHz
)

// inFrame is one 20 ms frame of the caller: 8 kHz for the VAD, the
// recording and a narrowband recogniser, and the same audio at 16 kHz
// when the transport has it (a wideband codec), for the recogniser.
type inFrame struct {
	n    [frameSamples]int16
	w    [wideSamples]int16
	wide bool
}

// Stats are a call's measurements.
type Stats struct {
	// ReplyLatency: end of the caller's speech detected → first frame of
	// the reply sent, per spoken turn. With instant providers this is
	// what the call machinery itself adds.
	ReplyLatency []time.Duration
	// BargeIn: speech onset detected (MinSpeech after it began) →
	// playback paused.
	BargeIn            []time.Duration
	Interruptions      int
	FalseInterruptions int
	// KeptDuringNotice counts utterances and keys kept while an
	// uninterruptible segment played.
	KeptDuringNotice int
	Pacer            audio.PacerStats
	// Ended says why the call ended.
	Ended string
}

type segInfo struct {
	Segment
	gen   int
	reply *replyState
}

type replyState struct {
	// fromSpeechEnd is when the caller's speech that caused this reply
	// ended; zero for other replies.
	fromSpeechEnd time.Time
	measured      bool
}

type sttResult struct {
	tr           speech.Transcript
	err          error
	at           time.Time
	dur          time.Duration
	maybeBargeIn bool
	duringNotice bool
}

type turnResult struct {
	in    Input
	reply Reply
	err   error
}

type ttsResult struct {
	id     int
	gen    int
	frames [][]int16
	err    error
}

// Controller runs one call.
type Controller struct {
	cfg Config
	d   Deps
	log *slog.Logger

	frames  chan *inFrame
	digits  chan rune
	events  chan Event
	results chan any
	calls   chan func()
	done    chan struct{}
	// quit is closed when Run stops taking events, before it waits for
	// the turn in flight: a conversation pushing Events then (holding its
	// own lock, which that turn may need) is not left blocked.
	quit    chan struct{}
	hangup  chan struct{}
	hangOne sync.Once

	statsMu sync.Mutex
	stats   Stats

	w *writer

	// Everything below is owned by the Run goroutine.
	ctx         context.Context
	ep          *audio.Endpointer
	keypadOnly  bool
	preroll     []*inFrame
	utt         []int16
	uttWide     []int16 // the utterance at 16 kHz while every frame had it
	uttAllWide  bool
	uttNotice   bool
	onsetAt     time.Time
	paused      bool
	pauseTimer  clock.Timer
	turnBusy    bool
	sttBusy     int
	pending     []Input
	unheard     []Segment
	gen         int
	nextID      int
	segs        map[int]*segInfo
	outstanding []int // segment ids given to TTS or the writer, in order
	playing     int
	endAfter    bool
	endReason   string
	expect      speech.Expect
	silences    int
	silenceT    clock.Timer
	digitBuf    string
	digitT      clock.Timer
	maxT        clock.Timer
	wg          sync.WaitGroup
	ttsCancel   context.CancelFunc
	finished    bool
	superseded  bool
}

// New returns a controller; Run starts it.
func New(cfg Config, d Deps) *Controller {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.VAD == nil {
		d.VAD = audio.NewEnergyVAD(audio.EnergyConfig{})
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		cfg:     cfg,
		d:       d,
		log:     d.Log,
		frames:  make(chan *inFrame, cfg.InputQueue),
		digits:  make(chan rune, 16),
		events:  make(chan Event, 16),
		results: make(chan any, 16),
		calls:   make(chan func()),
		done:    make(chan struct{}),
		quit:    make(chan struct{}),
		hangup:  make(chan struct{}),
		ep:      audio.NewEndpointer(cfg.Endpointing),
		segs:    map[int]*segInfo{},
		playing: -1,
	}
	c.keypadOnly = d.STT == nil
	c.w = newWriter(d.Clock, d.Transport, d.Recorder)
	return c
}

// Audio hands the controller one 20 ms frame of the caller's 8 kHz audio,
// in order (after the playout buffer). It copies the frame.
func (c *Controller) Audio(frame []int16) error {
	f := inFrames.Get().(*inFrame)
	f.wide = false
	clear(f.n[copy(f.n[:], frame):])
	clear(f.w[:])
	return c.audio(f)
}

// AudioWide hands the controller one 20 ms frame at both 8 kHz (narrow)
// and 16 kHz (wide), in order: a wideband recogniser hears the wide one.
// It copies the frames.
func (c *Controller) AudioWide(narrow, wide []int16) error {
	f := inFrames.Get().(*inFrame)
	f.wide = true
	clear(f.n[copy(f.n[:], narrow):])
	clear(f.w[copy(f.w[:], wide):])
	return c.audio(f)
}

func (c *Controller) audio(f *inFrame) error {
	select {
	case c.frames <- f:
		return nil
	case <-c.done:
		inFrames.Put(f)
		return ErrClosed
	}
}

// inFrames recycles the caller's frames, 50 a second a call. A frame goes
// back once it leaves the controller's preroll window: nothing else keeps
// one (the recorder, the VAD and the utterance copy its samples).
var inFrames = sync.Pool{New: func() any { return new(inFrame) }}

// Digit hands the controller a key the caller pressed (RFC 4733 or the
// app's keypad).
func (c *Controller) Digit(r rune) error {
	select {
	case c.digits <- r:
		return nil
	case <-c.done:
		return ErrClosed
	}
}

// Deliver passes an event from the conversation (the live layer's output
// side): an agent's words, a status, the end.
func (c *Controller) Deliver(ev Event) error {
	select {
	case c.events <- ev:
		return nil
	case <-c.quit:
		return ErrClosed
	}
}

// do runs f on the call's goroutine and waits for it: a barrier for tests
// and a way to read state without sharing it.
func (c *Controller) do(f func()) bool {
	ran := make(chan struct{})
	select {
	case c.calls <- func() { f(); close(ran) }:
		<-ran
		return true
	case <-c.done:
		return false
	}
}

// Hangup ends the call from the caller's side.
func (c *Controller) Hangup() { c.hangOne.Do(func() { close(c.hangup) }) }

// Done is closed when Run has returned.
func (c *Controller) Done() <-chan struct{} { return c.done }

// Stats returns the call's measurements so far.
func (c *Controller) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	s := c.stats
	s.ReplyLatency = append([]time.Duration(nil), s.ReplyLatency...)
	s.BargeIn = append([]time.Duration(nil), s.BargeIn...)
	return s
}

func (c *Controller) stat(f func(*Stats)) {
	c.statsMu.Lock()
	f(&c.stats)
	c.statsMu.Unlock()
}

// Run runs the call until it ends (the conversation ends it, the caller
// hangs up, the limits are reached) or ctx is done.
func (c *Controller) Run(ctx context.Context) error {
	defer close(c.done)
	ctx, cancel := context.WithCancel(ctx)
	c.ctx = ctx
	pacer := c.d.Pacer
	if pacer == nil {
		// A call on its own: a pacer of one shard for this call only.
		pacer = NewPacer(c.d.Clock, 1)
		defer pacer.Close()
	}
	var werrMu sync.Mutex
	var werr error
	c.w.onFail = func(err error) {
		werrMu.Lock()
		werr = err
		werrMu.Unlock()
		c.Hangup()
	}
	if err := pacer.join(c.w); err != nil {
		cancel()
		close(c.quit)
		return err
	}
	defer func() {
		close(c.quit)
		cancel()
		c.wg.Wait()
		c.w.shard.leave(c.w)
		c.stat(func(s *Stats) { s.Pacer = c.w.pacer.Stats() })
	}()
	if c.cfg.MaxDuration > 0 {
		c.maxT = c.d.Clock.NewTimer(c.cfg.MaxDuration)
		defer c.maxT.Stop()
	}
	c.startTurn(Input{Kind: Start, At: c.d.Clock.Now(), KeypadOnly: c.keypadOnly})
	for !c.finished {
		select {
		case <-ctx.Done():
			c.finish("cancelled")
		case <-c.hangup:
			werrMu.Lock()
			err := werr
			werrMu.Unlock()
			if err != nil {
				c.finish(fmt.Sprintf("transport: %v", err))
			} else {
				c.finish("caller hung up")
			}
		case f := <-c.calls:
			f()
		case f := <-c.frames:
			c.onFrame(f)
		case r := <-c.digits:
			c.onDigit(r)
		case ev := <-c.events:
			c.onEvent(ev)
		case n := <-c.w.notes:
			c.onNote(n)
		case r := <-c.results:
			switch r := r.(type) {
			case sttResult:
				c.onSTT(r)
			case turnResult:
				c.onTurn(r)
			case ttsResult:
				c.onTTS(r)
			}
		case <-timerC(c.pauseTimer):
			c.pauseTimer = nil
			if c.paused && c.ep.InSpeech() {
				// Still talking: never resume over the caller.
				c.pauseTimer = c.d.Clock.NewTimer(c.cfg.ResumeAfter)
			} else if c.paused {
				// Neither words nor Commit-long speech: a false
				// interruption. Carry on where we stopped.
				c.resume()
			}
		case <-timerC(c.silenceT):
			c.silenceT = nil
			c.onSilence()
		case <-timerC(c.digitT):
			c.digitT = nil
			c.submitDigits()
		case <-timerC(c.maxT):
			c.maxT = nil
			c.onTimeLimit()
		}
	}
	return nil
}

// command steers the writer; it gives up when the call is going away.
func (c *Controller) command(cmd writerCmd) {
	c.w.post(cmd, c.ctx.Done())
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

func timerC(t clock.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}

func stopTimer(t *clock.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

func (c *Controller) finish(reason string) {
	if c.finished {
		return
	}
	c.finished = true
	c.stat(func(s *Stats) { s.Ended = reason })
	c.d.Transport.Send(Message{Kind: Hangup, Text: reason, At: c.d.Clock.Now()})
}

// post delivers a worker goroutine's result to the Run loop.
func (c *Controller) post(r any) {
	select {
	case c.results <- r:
	case <-c.ctx.Done():
	}
}

func (c *Controller) speaking() bool { return len(c.outstanding) > 0 }

// noticePlaying reports whether the caller may not interrupt now: an
// uninterruptible segment is playing, or the reply ends the call.
func (c *Controller) noticePlaying() bool {
	if c.endAfter && c.speaking() {
		return true
	}
	s, ok := c.segs[c.playing]
	return ok && s.Uninterruptible
}

func (c *Controller) onFrame(in *inFrame) {
	f := in.n[:]
	if c.d.Recorder != nil {
		c.d.Recorder.Caller(f, c.d.Clock.Now())
	}
	isSpeech := c.d.VAD.Speech(f)
	ev := c.ep.Push(isSpeech)
	if c.ep.InSpeech() || ev == audio.SpeechEnd {
		if ev == audio.SpeechStart {
			c.utt, c.uttWide, c.uttAllWide = c.utt[:0], c.uttWide[:0], true
			for _, p := range c.preroll {
				c.utt = append(c.utt, p.n[:]...)
				c.uttWide = append(c.uttWide, p.w[:]...)
				c.uttAllWide = c.uttAllWide && p.wide
			}
		}
		c.utt = append(c.utt, f...)
		c.uttWide = append(c.uttWide, in.w[:]...)
		c.uttAllWide = c.uttAllWide && in.wide
	}
	// Keep the frames of the minimum-speech window, which precede the
	// start event, so the recogniser hears the utterance's beginning.
	keep := int(c.cfg.Endpointing.MinSpeech/audio.FrameDuration) + 2
	c.preroll = append(c.preroll, in)
	if len(c.preroll) > keep {
		inFrames.Put(c.preroll[0])
		c.preroll[0] = nil
		c.preroll = c.preroll[1:]
	}
	if c.keypadOnly {
		return
	}
	now := c.d.Clock.Now()
	switch ev {
	case audio.SpeechStart:
		c.onsetAt = now
		c.silences = 0
		stopTimer(&c.silenceT)
		c.uttNotice = false
		if c.speaking() && !c.paused {
			if c.noticePlaying() {
				c.uttNotice = true
			} else {
				c.pauseForCaller()
			}
		}
	case audio.SpeechCommit:
		if c.paused {
			c.interrupt()
		}
	case audio.SpeechEnd:
		// A wideband recogniser hears 16 kHz when the whole utterance
		// came in wideband (pocketsphinx's model hears nothing at 8 kHz).
		utt := speech.Audio{PCM: append([]int16(nil), c.utt...), Rate: 8000}
		if c.uttAllWide {
			utt = speech.Audio{PCM: append([]int16(nil), c.uttWide...), Rate: 16000}
		}
		maybe := c.paused
		notice := c.uttNotice
		expect := c.expect
		c.sttBusy++
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			ctx, cancel := withTimeout(c.ctx, c.cfg.ProviderTimeout)
			defer cancel()
			tr, err := c.d.STT.Transcribe(ctx, utt, speech.Hints{Lang: c.cfg.Lang, Expect: expect})
			c.post(sttResult{tr: tr, err: err, at: now, dur: time.Duration(len(utt.PCM)) * time.Second / time.Duration(utt.Rate), maybeBargeIn: maybe, duringNotice: notice})
		}()
	}
}

func (c *Controller) onSTT(r sttResult) {
	c.sttBusy--
	if r.err != nil {
		c.log.Warn("speech recognition failed", "err", r.err)
	}
	text := strings.TrimSpace(r.tr.Text)
	if r.maybeBargeIn && c.paused {
		if IsBackchannel(text) {
			c.resume()
			c.stat(func(s *Stats) { s.FalseInterruptions++ })
			if text != "" {
				c.caption("caller", text)
			}
			return
		}
		c.interrupt()
	}
	if text == "" {
		// Noise (or words the recogniser could not make out) cut the bot
		// off: say again what was lost rather than fall silent.
		if len(c.unheard) > 0 && !c.speaking() && !c.turnBusy && len(c.pending) == 0 {
			again := c.unheard
			c.unheard = nil
			c.speak(again, &replyState{})
		}
		c.idle()
		return
	}
	c.caption("caller", text)
	if r.duringNotice {
		c.stat(func(s *Stats) { s.KeptDuringNotice++ })
	}
	c.submit(Input{Kind: Speech, Text: text, Confidence: r.tr.Confidence, At: r.at, Duration: r.dur, SpokenDuringNotice: r.duringNotice})
}

// pauseForCaller holds playback for a possible interruption.
func (c *Controller) pauseForCaller() {
	c.paused = true
	c.command(writerCmd{kind: cmdPause})
	stopTimer(&c.pauseTimer)
	c.pauseTimer = c.d.Clock.NewTimer(c.cfg.ResumeAfter)
}

// resume continues playback after a false interruption.
func (c *Controller) resume() {
	c.paused = false
	stopTimer(&c.pauseTimer)
	c.command(writerCmd{kind: cmdResume})
}

// interrupt commits a barge-in: what was not yet heard is dropped and
// reported with the next input.
func (c *Controller) interrupt() {
	c.paused = false
	stopTimer(&c.pauseTimer)
	c.command(writerCmd{kind: cmdFlush})
	for _, id := range c.outstanding {
		if s, ok := c.segs[id]; ok {
			c.unheard = append(c.unheard, s.Segment)
			delete(c.segs, id)
		}
	}
	c.outstanding = nil
	c.playing = -1
	c.gen++
	if c.ttsCancel != nil {
		c.ttsCancel()
		c.ttsCancel = nil
	}
	c.stat(func(s *Stats) { s.Interruptions++ })
}

func (c *Controller) onDigit(r rune) {
	c.silences = 0
	stopTimer(&c.silenceT)
	c.caption("caller", "•") // keys may be a date of birth: never echo them
	if c.speaking() {
		if c.noticePlaying() {
			c.stat(func(s *Stats) { s.KeptDuringNotice++ })
		} else {
			c.interrupt() // a key press is an explicit barge-in
		}
	}
	stopTimer(&c.digitT)
	if r == '#' {
		c.submitDigits()
		return
	}
	c.digitBuf += string(r)
	if !c.expect.Digits {
		c.submitDigits()
		return
	}
	c.digitT = c.d.Clock.NewTimer(c.cfg.DigitTimeout)
}

func (c *Controller) submitDigits() {
	stopTimer(&c.digitT)
	if c.digitBuf == "" {
		return
	}
	d := c.digitBuf
	c.digitBuf = ""
	c.submit(Input{Kind: Digits, Digits: d, At: c.d.Clock.Now()})
}

// submit starts a turn now, or keeps the input for when the call is free:
// a turn in flight, or a reply (a notice) still playing.
func (c *Controller) submit(in Input) {
	if c.turnBusy && in.Kind == Speech && !in.SpokenDuringNotice {
		if IsBackchannel(in.Text) {
			return // "uh-huh" while the bot thinks takes no turn
		}
		// The caller went on talking while the bot was thinking: the
		// reply in flight answers what they said before. It is not
		// played; the next input reports it unheard.
		c.superseded = true
	}
	if c.turnBusy || c.speaking() {
		c.pending = append(c.pending, in)
		return
	}
	c.startTurn(in)
}

func (c *Controller) startTurn(in Input) {
	stopTimer(&c.silenceT)
	in.Unheard, c.unheard = c.unheard, nil
	c.turnBusy = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := withTimeout(c.ctx, c.cfg.TurnTimeout)
		defer cancel()
		rep, err := c.d.Conversation.Turn(ctx, in)
		c.post(turnResult{in: in, reply: rep, err: err})
	}()
}

func (c *Controller) onTurn(r turnResult) {
	c.turnBusy = false
	if r.err != nil {
		if c.ctx.Err() == nil {
			c.log.Error("conversation turn failed", "kind", r.in.Kind.String(), "err", r.err)
		}
		c.finish("conversation error")
		return
	}
	c.expect = r.reply.Expect
	if c.superseded && !r.reply.End && (!r.in.Final || r.reply.Hold) && r.in.Kind != TimeLimit {
		c.superseded = false
		c.unheard = append(c.unheard, r.reply.Segments...)
		c.idle()
		return
	}
	c.superseded = false
	if r.reply.Hold && r.in.Kind == Silence {
		// A person holds the conversation: waiting in silence is
		// expected, and the silence count starts again.
		c.silences = 0
	}
	if r.reply.End || (r.in.Final && !r.reply.Hold) || r.in.Kind == TimeLimit {
		c.endAfter = true
		c.endReason = "completed"
		if r.in.Kind == Silence {
			c.endReason = "silence"
		} else if r.in.Kind == TimeLimit {
			c.endReason = "time limit"
		}
	}
	if r.reply.Status != "" {
		c.d.Transport.Send(Message{Kind: Status, Text: r.reply.Status, At: c.d.Clock.Now()})
	}
	if r.reply.Link != "" {
		c.d.Transport.Send(Message{Kind: Link, Text: r.reply.Link, At: c.d.Clock.Now()})
	}
	rs := &replyState{}
	if r.in.Kind == Speech {
		rs.fromSpeechEnd = r.in.At
	}
	c.speak(r.reply.Segments, rs)
	if len(r.reply.Segments) > 0 && r.reply.Segments[0].Uninterruptible && c.ep.InSpeech() {
		// A notice is never held: it plays over the caller, and what
		// they are saying is kept for afterwards.
		c.uttNotice = true
	} else if c.ep.InSpeech() && c.speaking() && !c.endAfter && !c.keypadOnly && !c.paused {
		// The caller is talking as the reply arrives: hold it as if they
		// had barged in. Their utterance decides: a backchannel or noise
		// lets it play, words replace it.
		c.pauseForCaller()
	}
	c.idle()
}

// speak synthesises segments in order and queues them for the writer.
func (c *Controller) speak(segs []Segment, rs *replyState) {
	if len(segs) == 0 {
		return
	}
	type job struct {
		id   int
		who  string
		text string
	}
	var jobs []job
	for _, s := range segs {
		id := c.nextID
		c.nextID++
		c.segs[id] = &segInfo{Segment: s, gen: c.gen, reply: rs}
		c.outstanding = append(c.outstanding, id)
		jobs = append(jobs, job{id, s.speaker(), s.Text})
	}
	if c.d.TTS == nil {
		// Captions only: the segment is "heard" when shown.
		for _, j := range jobs {
			c.caption(j.who, j.text)
			c.segmentDone(j.id)
		}
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	if c.ttsCancel != nil {
		prev := c.ttsCancel
		c.ttsCancel = func() { prev(); cancel() }
	} else {
		c.ttsCancel = cancel
	}
	gen := c.gen
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for _, j := range jobs {
			sctx, scancel := withTimeout(ctx, c.cfg.ProviderTimeout)
			a, err := c.d.TTS.Synthesize(sctx, j.text, c.cfg.Lang)
			scancel()
			var frames [][]int16
			if err == nil {
				pcm := a.PCM
				if a.Rate != 8000 {
					pcm = audio.Resample(pcm, a.Rate, 8000)
				}
				frames = audio.Frames(pcm, 8000)
			}
			c.post(ttsResult{id: j.id, gen: gen, frames: frames, err: err})
			if ctx.Err() != nil {
				return
			}
		}
	}()
}

func (c *Controller) onTTS(r ttsResult) {
	s, ok := c.segs[r.id]
	if !ok || r.gen != c.gen {
		return // flushed by a barge-in
	}
	if r.err != nil || len(r.frames) == 0 {
		if r.err != nil {
			c.log.Warn("speech synthesis failed", "err", r.err)
		}
		c.caption(s.speaker(), s.Text)
		c.segmentDone(r.id)
		return
	}
	c.command(writerCmd{kind: cmdPlay, id: r.id, frames: r.frames})
}

func (c *Controller) onNote(n writerNote) {
	switch n.kind {
	case noteStarted:
		s, ok := c.segs[n.id]
		if !ok {
			return
		}
		c.playing = n.id
		c.caption(s.speaker(), s.Text)
		if rs := s.reply; rs != nil && !rs.measured && !rs.fromSpeechEnd.IsZero() {
			rs.measured = true
			d := n.at.Sub(rs.fromSpeechEnd)
			c.stat(func(st *Stats) { st.ReplyLatency = append(st.ReplyLatency, d) })
		}
	case noteDone:
		if _, ok := c.segs[n.id]; ok {
			c.segmentDone(n.id)
		}
	case notePaused:
		if !c.onsetAt.IsZero() {
			d := n.at.Sub(c.onsetAt)
			c.stat(func(st *Stats) { st.BargeIn = append(st.BargeIn, d) })
		}
	}
}

// segmentDone: segment id has been heard in full (or shown, with no
// synthesiser).
func (c *Controller) segmentDone(id int) {
	if s, ok := c.segs[id]; ok && s.StartsRecording && c.d.Recorder != nil {
		c.d.Recorder.Start(c.d.Clock.Now())
	}
	delete(c.segs, id)
	for i, o := range c.outstanding {
		if o == id {
			c.outstanding = append(c.outstanding[:i], c.outstanding[i+1:]...)
			break
		}
	}
	if c.playing == id {
		c.playing = -1
	}
	if !c.speaking() {
		if c.ttsCancel != nil {
			c.ttsCancel()
			c.ttsCancel = nil
		}
		c.idle()
	}
}

// idle runs whenever something finished: it ends the call, starts a kept
// input, or arms the silence timer, as the state allows.
func (c *Controller) idle() {
	if c.turnBusy || c.speaking() || c.finished {
		return
	}
	if c.endAfter {
		c.finish(c.endReason)
		return
	}
	if len(c.pending) > 0 {
		in := c.pending[0]
		c.pending = c.pending[1:]
		c.startTurn(in)
		return
	}
	if c.sttBusy > 0 || c.ep.InSpeech() || c.digitBuf != "" {
		return
	}
	if c.silenceT == nil && c.cfg.Silence > 0 {
		c.silenceT = c.d.Clock.NewTimer(c.cfg.Silence)
	}
}

func (c *Controller) onSilence() {
	if c.turnBusy || c.speaking() || c.ep.InSpeech() {
		return
	}
	c.silences++
	c.startTurn(Input{Kind: Silence, Silences: c.silences, Final: c.silences > c.cfg.SilencePrompts, At: c.d.Clock.Now()})
}

func (c *Controller) onTimeLimit() {
	if c.speaking() {
		c.interrupt()
		c.unheard = nil
	}
	c.pending = nil
	c.endAfter, c.endReason = true, "time limit"
	if c.turnBusy {
		// The reply in flight will be the last; the controller ends after it.
		return
	}
	c.startTurn(Input{Kind: TimeLimit, At: c.d.Clock.Now()})
}

func (c *Controller) onEvent(ev Event) {
	if ev.Status != "" {
		c.d.Transport.Send(Message{Kind: Status, Text: ev.Status, At: c.d.Clock.Now()})
	}
	if ev.Link != "" {
		c.d.Transport.Send(Message{Kind: Link, Text: ev.Link, At: c.d.Clock.Now()})
	}
	if len(ev.Segments) > 0 {
		stopTimer(&c.silenceT)
		c.speak(ev.Segments, &replyState{})
	}
	if ev.End {
		c.endAfter = true
		c.endReason = "conversation ended"
		c.idle()
	}
}

// speaker is who a segment's caption names.
func (s Segment) speaker() string {
	if s.Who == "" {
		return "bot"
	}
	return s.Who
}

func (c *Controller) caption(who, text string) {
	c.d.Transport.Send(Message{Kind: Caption, Who: who, Text: text, At: c.d.Clock.Now()})
}
