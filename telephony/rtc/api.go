// Package rtc carries calls over WebRTC (pion): it answers a browser's
// offer with PCMU audio, RFC 4733 telephone-events and a data channel for
// captions and the keypad, and connects the media to a call.Controller.
// It also provides the caller side, used by tests and the load generator.
//
// It knows no signalling transport (the HTTP layer carries the SDP) and
// no conversation: a Bot only moves audio, keys and messages.
package rtc

import (
	"errors"
	"strings"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// Payload types. PCMU's is static (RFC 3551); the telephone-event ones are
// dynamic, and the answer follows whatever the offer chose.
const (
	ptPCMU        = 0
	ptEvent8000   = 101
	ptEvent48000  = 110
	mimeTelephone = "audio/telephone-event"
)

var (
	// ErrNoPCMU: the offer does not accept PCMU, the only audio codec we
	// send.
	ErrNoPCMU = errors.New("rtc: the peer does not accept PCMU")
	// ErrClosed: the call is over.
	ErrClosed = errors.New("rtc: closed")
)

// Config sets up the WebRTC side of calls.
type Config struct {
	// ICEServers are STUN/TURN servers, as RTCPeerConnection takes them.
	ICEServers []webrtc.ICEServer `yaml:"ice_servers"`
	// Loopback offers loopback candidates and keeps ICE to the loopback
	// interface: tests and single-host setups on a network with no other
	// route.
	Loopback bool `yaml:"loopback"`
}

// NewAPI returns a pion API whose media engine knows Opus (received
// only), PCMU and telephone-events at 8000 and 48000 Hz (Chrome pairs the
// 48 kHz one with Opus; pion registers neither by default).
func NewAPI(cfg Config) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		// Opus first: a browser sends what the answer lists first, and a
		// wideband caller is what the recogniser needs.
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: ptOpus},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: ptPCMU},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephone, ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: ptEvent8000},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephone, ClockRate: 48000, SDPFmtpLine: "0-16"}, PayloadType: ptEvent48000},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	var s webrtc.SettingEngine
	if cfg.Loopback {
		s.SetIncludeLoopbackCandidate(true)
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		s.SetInterfaceFilter(func(name string) bool { return strings.HasPrefix(name, "lo") })
	}
	// RTCP sender and receiver reports only (RFC 3550). pion's defaults
	// add NACK (negotiated for video only: audio is never resent), TWCC
	// (bandwidth estimation, of no use to a 64 kbit/s PCMU stream) and
	// stats (GetStats, which nothing reads): each runs a goroutine per
	// peer or takes locks in every packet's write path, the path a node's
	// pacer sends every call's frames through.
	var ir interceptor.Registry
	if err := webrtc.ConfigureRTCPReports(&ir); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s), webrtc.WithInterceptorRegistry(&ir)), nil
}

func isTelephoneEvent(c webrtc.RTPCodecParameters) bool {
	return strings.EqualFold(c.MimeType, mimeTelephone)
}
