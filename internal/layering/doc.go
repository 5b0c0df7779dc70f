// Package layering holds the design table's import rules as a test: which
// package of this module may import which, and which packages must stay
// clear of transports (HTTP, WebSocket, NATS, WebRTC) and database
// drivers. The rules are in layering_test.go; a package added to the
// module needs a row there before the test passes.
//
// It has no code of its own and nothing imports it.
package layering
