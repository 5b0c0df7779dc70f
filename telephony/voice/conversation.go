package voice

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/telephony/call"
	"github.com/collectagent/collectagent/telephony/speech"
)

// Conn is what a call needs from the live layer: the borrower's
// connection to one conversation. *live.Conn satisfies it. The call
// implements live.Output for it.
type Conn interface {
	Start(ctx context.Context, out live.Output) error
	Resumed() bool
	Resume(ctx context.Context) error
	HandleMessage(ctx context.Context, m bot.Message) error
	KeypadMessage(ctx context.Context, m bot.Message) error
	Idle(ctx context.Context, final bool) error
	Notice(name string) string
}

// OnHandoff says what a call does once the conversation waits for a
// person: keep the call open, speaking and captioning the person's words
// and passing the caller's to them, or end it with an offer of a call
// back.
const (
	HandoffCaptions = "captions"
	HandoffCallback = "callback"
)

// Modes of the conversation as live.Status reports them (store.Mode...).
const (
	modeBot     = "bot"
	modeWaiting = "waiting_agent"
	modeAgent   = "agent"
	modeEnded   = "ended"
)

// conversation connects a call to the live layer. As call.Conversation it
// turns the call's inputs into live turns and what live showed during
// the turn into the one reply the call speaks; as live.Output it sends
// what live shows outside a turn (a person's words, notices, status
// changes, the drain) to the call controller as Events. It is the only
// place that knows both vocabularies.
type conversation struct {
	conn      Conn
	onHandoff string

	// Owned by the call's turn goroutine (one turn at a time).
	lastAct  string
	lastText string
	goodbye  string // the going-away notice, rendered at the start

	mu   sync.Mutex // guards the fields below: live calls Output from its goroutines
	ctrl *call.Controller
	col  *collected // non-nil while a turn runs
	mode string     // the conversation's mode as last shown
	// handed is set once the caller was told what happens now that a
	// person is to take over; cleared when the bot has it back.
	handed bool
}

// collected is what live showed during one turn.
type collected struct {
	msgs     []live.Message
	status   *live.Status
	changed  bool // the mode changed during the turn
	rejected error
	goAway   bool
}

func newConversation(conn Conn, onHandoff string) *conversation {
	return &conversation{conn: conn, onHandoff: onHandoff}
}

// attach names the controller that Events go to; called before it runs.
func (c *conversation) attach(ctrl *call.Controller) {
	c.mu.Lock()
	c.ctrl = ctrl
	c.mu.Unlock()
}

// collect runs one live call as the call's turn and returns what it
// showed.
func (c *conversation) collect(f func() error) (*collected, error) {
	col := &collected{}
	c.mu.Lock()
	c.col = col
	c.mu.Unlock()
	err := f()
	c.mu.Lock()
	c.col = nil
	c.mu.Unlock()
	return col, err
}

// Turn implements call.Conversation.
func (c *conversation) Turn(ctx context.Context, in call.Input) (call.Reply, error) {
	var (
		col *collected
		err error
	)
	switch in.Kind {
	case call.Start:
		c.goodbye = c.conn.Notice(respond.NoticeCallGoingAway)
		col, err = c.collect(func() error { return c.conn.Start(ctx, c) })
		if err == nil && c.conn.Resumed() {
			// The conversation was begun before (a chat, an earlier call):
			// the transcript is not read out; the bot welcomes the caller
			// back with the open question.
			var more *collected
			more, err = c.collect(func() error { return c.conn.Resume(ctx) })
			more.goAway = more.goAway || col.goAway
			more.changed = more.changed || col.changed
			if more.status == nil {
				more.status = col.status
			}
			col = more
		}
	case call.Speech:
		col, err = c.collect(func() error {
			return c.conn.HandleMessage(ctx, bot.Message{Text: in.Text, Voice: &bot.VoiceInput{
				Start: in.At.Add(-in.Duration), End: in.At, Confidence: in.Confidence,
			}})
		})
	case call.Digits:
		col, err = c.collect(func() error {
			return c.conn.KeypadMessage(ctx, bot.Message{Text: in.Digits, Voice: &bot.VoiceInput{Start: in.At, End: in.At, Keys: true}})
		})
	case call.Silence:
		if c.held() {
			// Waiting for the person, or listening to them: silence is
			// expected.
			return call.Reply{Hold: true, Expect: expectFor(c.lastAct)}, nil
		}
		// The re-prompt ("are you still there?") or, final, the goodbye
		// are the bot's (Session.Silence).
		col, err = c.collect(func() error { return c.conn.Idle(ctx, in.Final) })
	case call.TimeLimit:
		return call.Reply{Segments: c.say(respond.NoticeCallTimeLimit, true), End: true}, nil
	default:
		return call.Reply{}, fmt.Errorf("voice: unknown input %v", in.Kind)
	}
	switch {
	case errors.Is(err, live.ErrDraining) || (col != nil && col.goAway):
		r := c.reply(col)
		r.Segments = append(r.Segments, c.goAwaySegments()...)
		r.End = true
		return r, nil
	case err != nil:
		return call.Reply{}, err
	}
	r := c.reply(col)
	if in.Kind == call.Start && in.KeypadOnly {
		r.Segments = append(r.Segments, c.say(respond.NoticeCallKeypadOnly, false)...)
	}
	if col.rejected != nil && len(r.Segments) == 0 && !r.End {
		if errors.Is(col.rejected, bot.ErrEnded) {
			r.End = true
		} else if !r.Hold {
			// Keys that are no answer, words the bot could not take: ask
			// again.
			r = c.again()
		}
	}
	return r, nil
}

// say renders one of the call's own notices as a segment.
func (c *conversation) say(notice string, uninterruptible bool) []call.Segment {
	text := c.conn.Notice(notice)
	if text == "" {
		return nil
	}
	return []call.Segment{{Text: text, Uninterruptible: uninterruptible, Who: bot.FromSystem}}
}

func (c *conversation) goAwaySegments() []call.Segment {
	if c.goodbye == "" {
		return nil
	}
	return []call.Segment{{Text: c.goodbye, Uninterruptible: true, Who: bot.FromSystem}}
}

// again repeats the last question.
func (c *conversation) again() call.Reply {
	if c.lastText == "" {
		return call.Reply{}
	}
	return call.Reply{Segments: []call.Segment{{Text: c.lastText}}, Expect: expectFor(c.lastAct)}
}

// held reports whether a person holds the conversation or is about to.
func (c *conversation) held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode == modeWaiting || c.mode == modeAgent
}

// reply renders what a turn showed as the call's reply.
func (c *conversation) reply(col *collected) call.Reply {
	var r call.Reply
	if col == nil {
		return r
	}
	for _, m := range col.msgs {
		seg, ok := segment(m)
		if !ok {
			continue
		}
		r.Segments = append(r.Segments, seg)
		if m.Link != "" {
			r.Link = m.Link
		}
		if m.From == bot.FromBot && m.Act != "" {
			c.lastAct, c.lastText = m.Act, m.Text
		}
	}
	r.Expect = expectFor(c.lastAct)
	if col.changed && col.status != nil {
		r.Status = col.status.Mode
	}
	c.mu.Lock()
	mode := c.mode
	announce := false
	switch mode {
	case modeEnded:
		r.End = true
	case modeWaiting, modeAgent:
		r.Hold = true
		announce, c.handed = !c.handed, true
	}
	c.mu.Unlock()
	if announce {
		// The bot has said a person will take over; what the call does
		// until a person can join the audio is the configuration's.
		if c.onHandoff == HandoffCallback {
			r.Segments = append(r.Segments, c.say(respond.NoticeCallCallback, true)...)
			r.End = true
		} else {
			r.Segments = append(r.Segments, c.say(respond.NoticeCallCaptions, false)...)
		}
	}
	return r
}

// segment is a shown message as the call says it; false for what is not
// said (the borrower's own words on a replay, an empty line).
func segment(m live.Message) (call.Segment, bool) {
	if m.From == bot.FromBorrower || strings.TrimSpace(m.Text) == "" {
		return call.Segment{}, false
	}
	seg := call.Segment{Text: m.Text, Uninterruptible: m.Disclosure || notices[m.Act], StartsRecording: m.Act == "recording_notice"}
	if m.From != bot.FromBot {
		seg.Who = m.From
	}
	return seg, true
}

// Reply implements live.Output: during a turn the message is part of
// the turn's reply; otherwise (a person's words, a notice) it is said
// and captioned at once.
func (c *conversation) Reply(m live.Message) error {
	c.mu.Lock()
	if c.col != nil {
		c.col.msgs = append(c.col.msgs, m)
		c.mu.Unlock()
		return nil
	}
	ctrl := c.ctrl
	c.mu.Unlock()
	seg, ok := segment(m)
	if !ok || ctrl == nil {
		return nil
	}
	return ctrl.Deliver(call.Event{Segments: []call.Segment{seg}, Link: m.Link})
}

// Status implements live.Output: the caller's app is told of a change of
// mode; outside a turn, the end of the conversation (a person closed it)
// ends the call after what is being said.
func (c *conversation) Status(s live.Status) error {
	c.mu.Lock()
	changed := s.Mode != c.mode
	c.mode = s.Mode
	if s.Mode == modeBot {
		c.handed = false
	}
	if c.col != nil {
		// The turn's reply carries it.
		st := s
		c.col.status = &st
		c.col.changed = c.col.changed || changed
		c.mu.Unlock()
		return nil
	}
	ctrl := c.ctrl
	c.mu.Unlock()
	if ctrl == nil || !changed {
		return nil
	}
	return ctrl.Deliver(call.Event{Status: s.Mode, End: s.Mode == modeEnded})
}

// Reject implements live.Output: a turn that was not taken is answered by
// asking again.
func (c *conversation) Reject(_ string, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.col != nil {
		c.col.rejected = err
	}
	return nil
}

// GoAway implements live.Output: the server is draining. During a turn
// the turn's reply ends the call; otherwise the call says goodbye now.
func (c *conversation) GoAway(string) {
	c.mu.Lock()
	if c.col != nil {
		c.col.goAway = true
		c.mu.Unlock()
		return
	}
	ctrl := c.ctrl
	c.mu.Unlock()
	if ctrl != nil {
		_ = ctrl.Deliver(call.Event{Segments: c.goAwaySegments(), End: true})
	}
}

// notices are the acts a caller must hear in full.
var notices = map[string]bool{
	"greeting": true, "recording_notice": true, "mini_miranda": true,
}

// expectFor is what the answer to act may contain, for the recogniser.
func expectFor(act string) speech.Expect {
	switch act {
	case "ask_verify", "verify_retry", "clarify_identity", "ask_factor":
		return speech.Expect{Date: true, Digits: true, Identity: true}
	case "ask_promise_date", "ask_part_date", "clarify_date", "counter_ptp_date", "counter_plan_date":
		return speech.Expect{Date: true, YesNo: true}
	case "ask_promise_amount", "clarify_amount", "counter_ptp_amount":
		return speech.Expect{Amount: true, YesNo: true}
	case "ask_plan_count", "clarify_count", "counter_plan_count":
		return speech.Expect{Count: true, YesNo: true}
	case "confirm_pay_now", "confirm_ptp", "confirm_plan", "confirm_extension", "confirm_pay_part", "need_yes_no", "confirm_cease", "counter_schedule":
		return speech.Expect{YesNo: true}
	}
	return speech.Expect{YesNo: true, Date: true, Amount: true, Phrases: intentPhrases}
}

// intentPhrases are what a borrower says at an open question, as the
// offline recogniser's grammar hears them.
var intentPhrases = []string{
	"i can pay the full amount", "i can pay the full amount today", "i can pay today",
	"i want to pay", "i need a payment plan", "i need more time", "i cannot pay",
	"talk to a person", "i want to speak to a person", "i lost my job", "that is not me",
}
