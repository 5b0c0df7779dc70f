package rtc

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/audio"
)

// Caller is the calling side: what a browser does, in Go. Tests and the
// load generator use it to place calls: it plays audio and keys, and
// records what comes back.
type Caller struct {
	pc    *webrtc.PeerConnection
	track *AudioTrack
	dc    *webrtc.DataChannel

	mu       sync.Mutex
	queue    [][]int16
	msgs     []Frame
	received []Heard
	dcOpen   chan struct{}
	enc      []byte
	readers  sync.WaitGroup
	// An Opus caller sends encoded packets (PlayOpus), and the silence
	// packet when it has none.
	opus        bool
	opusQ       [][]byte
	opusSilence []byte
	pacer       audio.Pacer
	send        func(int64) error // Tick's
}

// Heard is one received 20 ms frame's level.
type Heard struct {
	At  time.Time
	RMS float64
}

// Dial offers a call and completes it with the answer that answer returns
// (the signalling is the caller's business).
func Dial(api *webrtc.API, cfg Config, answer func(webrtc.SessionDescription) (webrtc.SessionDescription, error)) (*Caller, error) {
	return dial(api, cfg, nil, answer)
}

// DialOpus is Dial for a caller that sends Opus, as browsers do: silence
// is the packet it sends when it has nothing to say.
func DialOpus(api *webrtc.API, cfg Config, silence []byte, answer func(webrtc.SessionDescription) (webrtc.SessionDescription, error)) (*Caller, error) {
	return dial(api, cfg, silence, answer)
}

func dial(api *webrtc.API, cfg Config, opusSilence []byte, answer func(webrtc.SessionDescription) (webrtc.SessionDescription, error)) (*Caller, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c := &Caller{pc: pc, track: NewAudioTrack("caller-audio", "caller"), dcOpen: make(chan struct{}), enc: make([]byte, 0, 160)}
	if opusSilence != nil {
		c.track, c.opus, c.opusSilence = NewOpusTrack("caller-audio", "caller"), true, opusSilence
	}
	fail := func(err error) (*Caller, error) {
		pc.Close()
		return nil, fmt.Errorf("dial: %w", err)
	}
	sender, err := pc.AddTrack(c.track)
	if err != nil {
		return fail(err)
	}
	c.readers.Add(1)
	go func() {
		defer c.readers.Done()
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	dc, err := pc.CreateDataChannel("control", nil)
	if err != nil {
		return fail(err)
	}
	c.dc = dc
	dc.OnOpen(func() { close(c.dcOpen) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		var f Frame
		if json.Unmarshal(m.Data, &f) == nil {
			c.mu.Lock()
			c.msgs = append(c.msgs, f)
			c.mu.Unlock()
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		in := newInbound(r.GetParameters().Codecs, func(f []int16) error {
			var s float64
			for _, x := range f {
				s += float64(x) * float64(x)
			}
			c.mu.Lock()
			c.received = append(c.received, Heard{At: time.Now(), RMS: math.Sqrt(s / float64(len(f)))})
			c.mu.Unlock()
			return nil
		}, func(rune) error { return nil })
		c.readers.Add(1)
		go func() {
			defer c.readers.Done()
			in.read(t)
		}()
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	<-gathered
	ans, err := answer(*pc.LocalDescription())
	if err != nil {
		return fail(err)
	}
	if err := pc.SetRemoteDescription(ans); err != nil {
		return fail(err)
	}
	return c, nil
}

// AddCandidate adds a remote ICE candidate (trickle).
func (c *Caller) AddCandidate(ci webrtc.ICECandidateInit) error { return c.pc.AddICECandidate(ci) }

// Play queues 8 kHz audio to send after what is queued.
func (c *Caller) Play(pcm []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queue = append(c.queue, audio.Frames(pcm, 8000)...)
}

// PlayOpus queues 20 ms Opus packets (a DialOpus caller).
func (c *Caller) PlayOpus(packets [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opusQ = append(c.opusQ, packets...)
}

// Playing reports whether queued audio remains.
func (c *Caller) Playing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) > 0 || len(c.opusQ) > 0
}

// Key sends a keypad digit as RFC 4733 telephone-events.
func (c *Caller) Key(d rune) error {
	ok, err := c.track.QueueDigit(d, 100*time.Millisecond)
	if err == nil && !ok {
		err = fmt.Errorf("key %q: telephone-event not negotiated", d)
	}
	return err
}

// KeyData sends a keypad digit over the data channel, as the page's
// on-screen keypad does.
func (c *Caller) KeyData(ctx context.Context, d rune) error {
	select {
	case <-c.dcOpen:
	case <-ctx.Done():
		return ctx.Err()
	}
	raw, _ := json.Marshal(Frame{Type: "key", Key: string(d)})
	return c.dc.SendText(string(raw))
}

// Messages returns the data-channel frames received so far.
func (c *Caller) Messages() []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Frame(nil), c.msgs...)
}

// Heard returns the levels of the frames received so far.
func (c *Caller) Heard() []Heard {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Heard(nil), c.received...)
}

// Run sends a frame every 20 ms on ticks: queued audio, else silence,
// until ctx is done.
func (c *Caller) Run(ctx context.Context, ticks <-chan time.Time) error {
	return c.pacer.Run(ctx, ticks, c.sendFn())
}

// Tick sends the frames due at tick, for a driver that paces many callers
// from one ticker. Call it from one goroutine, and not with Run.
func (c *Caller) Tick(tick time.Time) error {
	if c.send == nil {
		c.send = c.sendFn()
	}
	return c.pacer.Tick(tick, c.send)
}

func (c *Caller) sendFn() func(int64) error {
	silence := make([]int16, 160)
	return func(int64) error {
		c.mu.Lock()
		if c.opus {
			p := c.opusSilence
			if len(c.opusQ) > 0 {
				p = c.opusQ[0]
				c.opusQ = c.opusQ[1:]
			}
			c.mu.Unlock()
			return c.track.WriteFrame(p)
		}
		f := silence
		if len(c.queue) > 0 {
			f = c.queue[0]
			c.queue = c.queue[1:]
		}
		c.enc = audio.EncodeUlaw(c.enc[:0], f)
		c.mu.Unlock()
		return c.track.WriteFrame(c.enc)
	}
}

// PacerStats returns the sending pacer's figures (after Run returns, or
// from the goroutine that calls Tick).
func (c *Caller) PacerStats() audio.PacerStats { return c.pacer.Stats() }

// Close hangs up.
func (c *Caller) Close() error {
	err := c.pc.Close()
	c.readers.Wait()
	return err
}
