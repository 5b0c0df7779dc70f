package loadgen

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		in      string
		want    Frame
		wantErr bool
	}{
		{`{"type":"message","from":"bot","text":"Hi","seq":3}`, Frame{Type: "message", From: "bot", Text: "Hi", Seq: 3}, false},
		{`{"type":"status","mode":"ended","stage":"close","outcome":"ptp"}`, Frame{Type: "status", Mode: "ended", Stage: "close", Outcome: "ptp"}, false},
		{`{"type":"error","code":"rate_limited","message":"slow down"}`, Frame{Type: "error", Code: "rate_limited", Message: "slow down"}, false},
		{`{"type":"message","text":"你好","extra":1}`, Frame{Type: "message", Text: "你好"}, false},
		{`{"type":"typing"}`, Frame{}, true},
		{`{"text":"no type"}`, Frame{}, true},
		{`not json`, Frame{}, true},
		{`[1,2]`, Frame{}, true},
		{`{"type":"message","seq":"x"}`, Frame{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := DecodeFrame([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrBadFrame) {
					t.Fatalf("DecodeFrame = %+v, %v; want ErrBadFrame", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DecodeFrame = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"status","mode":"bot","stage":"verify"}`))
	f.Add([]byte(`{"type":"message","from":"bot","text":"hi","seq":1}`))
	f.Add([]byte(`{"type":"error","code":"x"}`))
	f.Add([]byte(`{"type":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v is not ErrBadFrame", err)
			}
			return
		}
		switch fr.Type {
		case FrameMessage, FrameStatus, FrameError:
		default:
			t.Fatalf("accepted type %q", fr.Type)
		}
	})
}

func TestCentsJSON(t *testing.T) {
	for c, want := range map[cents]string{0: "0.00", 5: "0.05", 24000: "240.00", 86012: "860.12", -150: "-1.50"} {
		b, err := json.Marshal(c)
		if err != nil || string(b) != want {
			t.Errorf("Marshal(%d) = %s, %v; want %s", c, b, err, want)
		}
		var f float64
		if err := json.Unmarshal(b, &f); err != nil || int64(f*100+0.5*sign(f)) != int64(c) {
			t.Errorf("%s does not read back as %d", b, c)
		}
	}
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

func TestURLs(t *testing.T) {
	base, err := url.Parse("http://127.0.0.1:8080/prefix/")
	if err != nil {
		t.Fatal(err)
	}
	c := newAPIClient(base, "", 0, 1)
	if got, want := c.endpoint("/v1/sessions"), "http://127.0.0.1:8080/prefix/v1/sessions"; got != want {
		t.Errorf("endpoint = %q, want %q", got, want)
	}
	if got, want := c.chatURL("a+b/c=="), "ws://127.0.0.1:8080/prefix/v1/chat?token=a%2Bb%2Fc%3D%3D"; got != want {
		t.Errorf("chatURL = %q, want %q", got, want)
	}
	secure, _ := url.Parse("https://localhost")
	if got, want := wsURL(secure, "/x", nil), "wss://localhost/x"; got != want {
		t.Errorf("wsURL = %q, want %q", got, want)
	}
}
