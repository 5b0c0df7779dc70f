// Package live is a borrower's live connection to a conversation, on any
// channel: the chat WebSocket, the in-app voice call, phone calls next.
//
// A channel (package web for chat, telephony for voice) turns its medium
// into calls on a Conn and implements Output to render what comes back:
//
//	conn, err := hub.Open(ctx, conversationID) // before any output: refusals are the channel's
//	defer conn.Close()
//	err = conn.Start(ctx, out)                 // replay, the bot speaks first, the status
//	for each borrower message:
//		err = conn.Handle(ctx, text, clientMsgID)
//	keys pressed (DTMF, an on-screen keypad):
//		err = conn.Keypad(ctx, keys, clientMsgID)
//	after the channel's silence timeout:
//		err = conn.Idle(ctx, final)
//
// Everything else lives here once, below the channels: starting or
// resuming the conversation, turning the borrower's messages into session
// turns, following the handoff (an agent's words on any node, the status,
// the place in the queue, a requeue, another node changing the
// conversation), showing each turn and each status at most once and in
// order, pacing the borrower's messages, and draining on shutdown.
//
// live knows the runtime (bot), the handoff (NATS, through package
// handoff) and the store; it knows no transport: no HTTP, no WebSocket,
// no audio. The same line is drawn by livekit's pkg/routing (a message
// sink and source under a WebSocket handler that holds no room logic),
// livekit-agents' voice/io.py (text and audio outputs) and Pipecat's
// BaseTransport.input()/output().
package live
