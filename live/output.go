package live

// Output is what a channel implements to show or speak the conversation.
// live calls at most one of its methods at a time (they may come from
// different goroutines: the caller of Handle, the handoff follower,
// Drain), and never after Close returned.
type Output interface {
	// Reply shows one message: the bot's, an agent's, a system notice,
	// or, while replaying the conversation on Start, one of the
	// borrower's own. An error means the client is gone; the message
	// counts as not shown.
	Reply(Message) error
	// Status shows the conversation's status after the messages before
	// it. An error means the client is gone.
	Status(Status) error
	// Reject reports a borrower message that was not handled; clientID
	// is the id the client gave it ("" when none or unknown). err wraps
	// ErrRateLimited, bot.ErrEnded, bot.ErrEmptyMessage,
	// bot.ErrMessageTooLong, store.ErrConflict, or another failure.
	Reject(clientID string, err error) error
	// GoAway asks the channel to end the connection: the server is
	// draining. It is called once at most, and may come from another
	// goroutine than Handle's; nothing is shown after it.
	GoAway(reason string)
}

// Message is one line of the conversation as the borrower sees it.
type Message struct {
	// ID is the message's id between nodes (handoff.ReplyID of its turn);
	// "" for a notice that is not a stored turn.
	ID string
	// Seq is the turn's sequence in the conversation (1, 2, ...); 0 for a
	// notice that is not a stored turn. Turns are shown at most once.
	Seq  int64
	From string // bot.FromBot, bot.FromAgent, bot.FromSystem, bot.FromBorrower (replay)
	Name string // the agent's name, for From bot.FromAgent
	Text string
	// Act, Disclosure and Link are a bot reply's, for a spoken channel
	// (bot.Reply): the act it says (what the borrower answers next), a
	// required disclosure to play in full, a payment link the words
	// promise to send by text. Set on the replies of a turn, not on
	// turns read back from the store (a replay, the handoff).
	Act        string
	Disclosure bool
	Link       string
}

// Status is the conversation's status as the borrower's client sees it.
type Status struct {
	Mode    string // store.ModeBot, ModeWaitingAgent, ModeAgent, ModeEnded
	Stage   string
	Outcome string // "" until the conversation has one
	// QueuePosition is the borrower's place in the queue while Mode is
	// waiting for an agent (1 is next); 0 when unknown.
	QueuePosition int
}
