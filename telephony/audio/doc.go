// Package audio provides the signal-level building blocks of a call:
// G.711 μ-law and A-law, resampling between the rates a call meets
// (8, 16 and 48 kHz, and whatever a speech engine emits), 20 ms framing, a
// ticker-driven pacer, a reorder/playout buffer for inbound RTP and an
// energy voice activity detector with endpointing.
//
// It knows nothing of conversations, transports or speech engines. All
// functions work on signed 16-bit linear PCM, mono.
package audio

import "time"

// FrameDuration is the packetisation interval of every call: 20 ms, the
// default ptime of G.711 and Opus (RFC 3551 section 4.5).
const FrameDuration = 20 * time.Millisecond

// SamplesPerFrame returns how many samples one 20 ms frame holds at rate Hz.
func SamplesPerFrame(rate int) int { return rate / 50 }
