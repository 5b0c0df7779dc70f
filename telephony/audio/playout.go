package audio

// Playout puts inbound frames back in sequence order. Packets arrive out of
// order, twice, or not at all; Playout holds up to Depth frames past a gap
// waiting for the missing one, then gives up on it and conceals it. It has
// no clock of its own: the media reader pushes what arrives and pops what
// is ready, so a call's VAD sees an ordered, gap-filled stream of frames.
//
// Playout is not safe for concurrent use; one reader goroutine owns it.
type Playout struct {
	depth   int
	samples int
	slots   []playoutSlot
	started bool
	next    int64 // extended sequence number expected next
	high    int64 // highest extended sequence number pushed
	last    []int16
	lost    int // consecutive concealed frames
	stats   PlayoutStats
}

type playoutSlot struct {
	seq   int64
	valid bool
	frame []int16
}

// PlayoutStats counts what a Playout did with the packets it saw.
type PlayoutStats struct {
	Pushed, Late, Duplicate, Concealed, Resets int64
}

const playoutSlots = 64

// NewPlayout returns a buffer for frames of samples samples that waits for
// up to depth frames behind a gap (2 to 3 frames, 40 to 60 ms, covers the
// reordering of ordinary networks).
func NewPlayout(samples, depth int) *Playout {
	if depth < 1 {
		depth = 1
	}
	if depth > playoutSlots/2 {
		depth = playoutSlots / 2
	}
	p := &Playout{depth: depth, samples: samples, slots: make([]playoutSlot, playoutSlots)}
	for i := range p.slots {
		p.slots[i].frame = make([]int16, samples)
	}
	p.last = make([]int16, samples)
	return p
}

// Stats returns the counters so far.
func (p *Playout) Stats() PlayoutStats { return p.stats }

// unwrap extends a 16-bit RTP sequence number to the one nearest next.
func (p *Playout) unwrap(seq uint16) int64 {
	base := p.next
	d := int64(int16(seq - uint16(base)))
	return base + d
}

// Push stores a frame that arrived with RTP sequence number seq. The frame
// is copied; shorter frames are padded with silence.
func (p *Playout) Push(seq uint16, frame []int16) {
	p.stats.Pushed++
	if !p.started {
		p.started = true
		p.next = int64(seq)
		p.high = int64(seq)
	}
	ext := p.unwrap(seq)
	if ext < p.next {
		p.stats.Late++
		return
	}
	if ext >= p.next+playoutSlots {
		// Far ahead of what we expect (a sender restart or a long
		// outage): drop what is held and follow the new stream.
		p.stats.Resets++
		for i := range p.slots {
			p.slots[i].valid = false
		}
		p.next = ext
	}
	s := &p.slots[ext%playoutSlots]
	if s.valid && s.seq == ext {
		p.stats.Duplicate++
		return
	}
	s.seq, s.valid = ext, true
	n := copy(s.frame, frame)
	clear(s.frame[n:])
	if ext > p.high {
		p.high = ext
	}
}

// Pop returns the next frame in order when it is ready: the frame itself,
// or a concealment frame when it is missing and Depth newer frames have
// arrived. concealed says which. The returned slice is valid until the
// next Push or Pop.
func (p *Playout) Pop() (frame []int16, concealed, ok bool) {
	if !p.started {
		return nil, false, false
	}
	s := &p.slots[p.next%playoutSlots]
	if s.valid && s.seq == p.next {
		s.valid = false
		p.next++
		p.lost = 0
		copy(p.last, s.frame)
		return s.frame, false, true
	}
	if p.high-p.next < int64(p.depth) {
		return nil, false, false
	}
	// Give up on the missing frame: repeat the last one at half level once
	// (hides a single loss), then silence.
	p.next++
	p.stats.Concealed++
	p.lost++
	if p.lost == 1 {
		for i := range p.last {
			p.last[i] /= 2
		}
	} else {
		clear(p.last)
	}
	return p.last, true, true
}
