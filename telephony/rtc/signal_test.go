package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/call"
	"github.com/collectagent/collectagent/telephony/speech"
)

// pipeConn is one end of an in-memory message connection.
type pipeConn struct {
	in  <-chan []byte
	out chan<- []byte
}

func pipe() (a, b *pipeConn) {
	x, y := make(chan []byte, 64), make(chan []byte, 64)
	return &pipeConn{in: x, out: y}, &pipeConn{in: y, out: x}
}

func (p *pipeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b, ok := <-p.in:
		if !ok {
			return nil, errors.New("closed")
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipeConn) Write(ctx context.Context, b []byte) error {
	select {
	case p.out <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func readSignal(t *testing.T, c *pipeConn) Signal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var s Signal
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestCall(tr call.Transport) *call.Controller {
	cfg := call.DefaultConfig("en-US")
	return call.New(cfg, call.Deps{Conversation: echoConv{}, Transport: tr, STT: speech.NewFakeRecognizer(), TTS: speech.FakeSynthesizer{}})
}

func TestServeSignalling(t *testing.T) {
	api, err := NewAPI(Config{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lim := NewLimiter(1)
	server, client := pipe()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, server, api, Config{Loopback: true}, lim, nil, newTestCall) }()

	var remote []webrtc.ICECandidateInit
	caller, err := Dial(api, Config{Loopback: true}, func(offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
		b, _ := json.Marshal(Signal{Type: "offer", SDP: offer.SDP})
		client.Write(ctx, b)
		if s := readSignal(t, client); s.Type != "config" || s.ICEServers == nil || len(s.ICEServers) != 0 {
			t.Errorf("first frame %+v, want the config with no ICE servers", s)
		}
		for {
			s := readSignal(t, client)
			switch s.Type {
			case "candidate":
				remote = append(remote, *s.Candidate) // cannot arrive before the answer
				t.Error("candidate before answer")
			case "answer":
				return webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}, nil
			default:
				t.Fatalf("unexpected %+v", s)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	// Trickled candidates follow the answer.
	go func() {
		for {
			b, err := client.Read(ctx)
			if err != nil {
				return
			}
			var s Signal
			json.Unmarshal(b, &s)
			if s.Type == "candidate" {
				caller.AddCandidate(*s.Candidate)
			}
		}
	}()
	tk := time.NewTicker(audio.FrameDuration)
	defer tk.Stop()
	go caller.Run(ctx, tk.C)
	waitFor(t, "bot audio", 15*time.Second, func() bool {
		for _, h := range caller.Heard() {
			if h.RMS > 300 {
				return true
			}
		}
		return false
	})
	if lim.InUse() != 1 {
		t.Fatalf("limiter counts %d calls", lim.InUse())
	}
	// A second call on this one-call node is refused clearly.
	s2, c2 := pipe()
	if err := Serve(ctx, s2, api, Config{Loopback: true}, lim, nil, newTestCall); !errors.Is(err, ErrBusy) {
		t.Fatalf("second call: %v", err)
	}
	if s := readSignal(t, c2); s.Type != "error" || s.Code != "busy" {
		t.Fatalf("refusal %+v", s)
	}
	b, _ := json.Marshal(Signal{Type: "bye"})
	client.Write(ctx, b)
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after bye")
	}
	if lim.InUse() != 0 {
		t.Fatal("limiter not released")
	}
}

// iceServers are STUN and TURN servers as a configuration gives them.
var iceServers = []webrtc.ICEServer{
	{URLs: []string{"stun:stun.example.net:3478"}},
	{URLs: []string{"turn:turn.example.net:3478?transport=udp", "turns:turn.example.net:5349"}, Username: "collect", Credential: "s3cret"},
}

func TestServeRejectsBadSignalling(t *testing.T) {
	api, _ := NewAPI(Config{Loopback: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name  string
		frame string
		code  string
		err   error
	}{
		{"oversize", `{"type":"offer","sdp":"` + strings.Repeat("a", MaxSignalFrame) + `"}`, "frame_too_large", ErrFrameTooLarge},
		{"not json", `{"type":`, "malformed", ErrMalformed},
		{"unknown field", `{"type":"offer","sdp":"v=0","x":1}`, "malformed", ErrMalformed},
		{"unknown frame", `{"type":"mute"}`, "unknown_frame", ErrUnknownFrame},
		{"ice servers from the caller", `{"type":"offer","sdp":"v=0","ice_servers":[{"urls":["stun:x"]}]}`, "malformed", ErrMalformed},
		{"candidate first", `{"type":"candidate","candidate":{"candidate":"x"}}`, "expected_offer", ErrExpectedOffer},
		{"malformed sdp", `{"type":"offer","sdp":"hello"}`, "bad_sdp", ErrBadSDP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, client := pipe()
			client.Write(ctx, []byte(tc.frame))
			err := Serve(ctx, server, api, Config{Loopback: true, ICEServers: iceServers}, nil, nil, newTestCall)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			// The configured STUN and TURN servers come first, as the
			// caller's peer connection needs them before it offers.
			if s := readSignal(t, client); s.Type != "config" || !reflect.DeepEqual(s.ICEServers, iceServers) {
				t.Fatalf("first frame %+v, want the config with %+v", s, iceServers)
			}
			if s := readSignal(t, client); s.Type != "error" || s.Code != tc.code {
				t.Fatalf("frame %+v, want code %s", s, tc.code)
			}
		})
	}
}

func FuzzParseSignal(f *testing.F) {
	f.Add([]byte(`{"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\n"}`))
	f.Add([]byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0"}}`))
	f.Add([]byte(`{"type":"bye"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignal(b)
		if err != nil {
			if errorCode(err) == "internal" {
				t.Fatalf("unmapped error %v", err)
			}
			return
		}
		switch s.Type {
		case "offer", "candidate", "bye":
		default:
			t.Fatalf("accepted type %q", s.Type)
		}
		if s.Type == "candidate" && s.Candidate == nil {
			t.Fatal("candidate frame without candidate accepted")
		}
	})
}

type byeConv struct{}

func (byeConv) Turn(ctx context.Context, in call.Input) (call.Reply, error) {
	return call.Reply{Segments: []call.Segment{{Text: "Goodbye."}}, End: true}, nil
}

// TestBotEndsTheCall: when the conversation ends the call, the caller
// hears the goodbye and gets the hangup frame before the connection closes.
func TestBotEndsTheCall(t *testing.T) {
	api, _ := NewAPI(Config{Loopback: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var bot *Bot
	caller, err := Dial(api, Config{Loopback: true}, func(offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
		b, ans, err := Answer(api, Config{Loopback: true}, offer, nil, func(tr call.Transport) *call.Controller {
			return call.New(call.DefaultConfig("en-US"), call.Deps{Conversation: byeConv{}, Transport: tr, TTS: speech.FakeSynthesizer{}})
		})
		bot = b
		return ans, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	tk := time.NewTicker(audio.FrameDuration)
	defer tk.Stop()
	go caller.Run(ctx, tk.C)
	if err := bot.Run(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hangup frame", 5*time.Second, func() bool {
		for _, f := range caller.Messages() {
			if f.Type == "hangup" && f.Text == "completed" {
				return true
			}
		}
		return false
	})
	if !hasCaption(caller.Messages(), "bot", "Goodbye.") {
		t.Fatal("no goodbye caption")
	}
}

// TestCallsLeaveNoGoroutines: after calls end on both sides, the
// goroutines they started are gone.
func TestCallsLeaveNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	TestBotEndsTheCall(t)
	TestServeRejectsBadSignalling(t)
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
