package live

import "errors"

// Errors of the live layer. Channels map them to what their client sees
// (a WebSocket close code, a spoken goodbye).
var (
	// ErrDraining: the hub is shutting down. Output.GoAway has been
	// called (or is being called); the channel ends the connection.
	ErrDraining = errors.New("live: shutting down")
	// ErrReconnect: the conversation moved on elsewhere (another
	// connection or node committed a turn first). The message was
	// rejected; the channel ends the connection and the client
	// reconnects, which replays the conversation as it now stands.
	ErrReconnect = errors.New("live: conversation moved on; reconnect")
	// ErrRateLimited: the borrower sends faster than Config allows; the
	// message was rejected, not handled.
	ErrRateLimited = errors.New("live: rate limited")
	// ErrNoBridge is a Bridge built without a handoff node or store.
	ErrNoBridge = errors.New("live: no handoff bridge")
	// ErrStarted is a second Start on a Conn.
	ErrStarted = errors.New("live: connection already started")
	// ErrBadConfig is a Hub built with missing dependencies or bad
	// settings.
	ErrBadConfig = errors.New("live: invalid configuration")
)
