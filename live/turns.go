package live

import (
	"context"

	"github.com/collectagent/collectagent/bot"
)

// HandleMessage is Handle with the whole message: a spoken channel gives
// how the words were heard (m.Voice), which is kept with the turn.
func (c *Conn) HandleMessage(ctx context.Context, m bot.Message) error {
	return c.borrowerTurn(ctx, m.MessageID, func(ctx context.Context) (bot.Output, error) {
		return c.sess.Handle(ctx, m)
	})
}

// KeypadMessage is Keypad with the whole message: m.Text holds the keys,
// m.Voice how they were pressed (on a call).
func (c *Conn) KeypadMessage(ctx context.Context, m bot.Message) error {
	return c.borrowerTurn(ctx, m.MessageID, func(ctx context.Context) (bot.Output, error) {
		return c.sess.KeypadMessage(ctx, m)
	})
}

// Resumed reports whether Start replayed turns: the borrower came back to
// a conversation begun before this connection. Only the reader may call
// it, after Start.
func (c *Conn) Resumed() bool { return c.resumed }

// Resume welcomes back a borrower who returned to a conversation (a
// call that picks up a chat, or an earlier call): the bot says so and
// restates the open question, then the status is shown. A channel that
// does not show the replay (a call does not read the transcript out)
// calls it after Start. It says nothing on a conversation this connection
// began, an ended one, or one a person holds. Errors are as Handle's; a
// failed resume is logged, not shown.
func (c *Conn) Resume(ctx context.Context) error {
	if !c.resumed {
		return nil
	}
	return c.inTurn(func() error { return c.resume(ctx) })
}

// resume runs the welcome-back turn. It returns an error only when the
// connection must close (the conversation moved on elsewhere).
func (c *Conn) resume(ctx context.Context) error {
	return c.botTurn(ctx, "resume", c.sess.Resume)
}

// Notice renders one of the notices (respond.Notice...) in the
// borrower's locale for the conversation's channel: a channel's own lines
// come from the same templates as the bot's. Only the reader may call it.
func (c *Conn) Notice(name string) string { return c.sess.Notice(name) }
