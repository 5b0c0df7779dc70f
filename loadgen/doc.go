// Package loadgen drives a running collectagent server with many concurrent
// simulated borrowers and measures how it holds up.
//
// Each simulated borrower is one goroutine that runs complete
// promise-to-pay conversations, one after another, over the public API: it
// mints a session (POST /v1/sessions) for an account the run created
// (POST /v1/accounts), opens the chat WebSocket (GET /v1/chat), waits for
// the bot's greeting, proves its identity with its date of birth, promises
// to pay the full amount tomorrow and confirms with "yes". The time from a
// message frame sent to the first frame received back is one turn's latency.
//
// The same client load can be run against a bare WebSocket echo server that
// the package starts in-process; its figures are the ceiling the real server
// is measured against (the cost of the WebSocket layer, the loopback network
// and the client itself, with no conversation work at all).
//
// The floor (FloorServer) is the same API subset done with the least a
// durable chat server must do: it parses every frame and commits one
// transaction of N rows per borrower message, on SQLite (WAL,
// synchronous=NORMAL, one writer) or PostgreSQL (one batch, one round trip),
// before it answers. A run with the floor reports the server's throughput
// and CPU per conversation as a ratio of it.
//
// Load is bounded in count and in time and goes only to loopback addresses:
// the package refuses any other target. It knows the API's wire format and
// nothing of the server's packages.
package loadgen
