// Package telephony is the root of the voice channel: turning a caller's
// audio and keypad into conversation turns, and the conversation's replies
// into speech.
//
// The subpackages each provide one thing:
//
//   - audio: G.711 codecs, resampling, 20 ms framing and pacing, the inbound
//     playout (reorder) buffer, voice activity detection and endpointing.
//   - dtmf: RFC 4733 telephone-events.
//   - speech: speech-to-text and text-to-speech providers behind small
//     interfaces (espeak-ng, pocketsphinx, OpenAI-compatible APIs, fakes).
//   - call: the call controller that owns one call's turn-taking state.
//   - record: call recordings (per leg and mixed) behind a blob interface.
//   - rtc: a WebRTC transport (pion) that feeds the call controller, and
//     its signalling protocol.
//
// Nothing under telephony knows NATS, the store or HTTP routing; it talks to
// the conversation through call.Conversation.
package telephony
