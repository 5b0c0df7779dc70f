package voice

import (
	"context"
	"fmt"
	"strings"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/telephony/call"
	"github.com/collectagent/collectagent/telephony/speech"
)

// Session is what a call needs from the conversation runtime: a
// borrower's connection to one conversation. *bot.Session satisfies it.
type Session interface {
	Start(ctx context.Context) (bot.Output, error)
	Handle(ctx context.Context, m bot.Message) (bot.Output, error)
	History(ctx context.Context) ([]bot.Reply, error)
	Status() bot.Status
}

// OnHandoff says what a call does once the conversation waits for a
// person: keep the call open with captions of the chat that follows, or
// end it with an offer of a call back.
const (
	HandoffCaptions = "captions"
	HandoffCallback = "callback"
)

// conversation turns a call's inputs into session turns and the
// session's replies into what the call says. It is the only place that
// knows both vocabularies.
type conversation struct {
	sess      Session
	lang      string
	onHandoff string
	// lastAct is the act of the last bot reply: what the borrower is
	// answering (owned by the call's turn goroutine, one at a time).
	lastAct  string
	lastText string
	handed   bool
}

func newConversation(sess Session, lang, onHandoff string) *conversation {
	return &conversation{sess: sess, lang: lang, onHandoff: onHandoff}
}

// Turn implements call.Conversation.
func (c *conversation) Turn(ctx context.Context, in call.Input) (call.Reply, error) {
	var (
		out   bot.Output
		err   error
		extra []call.Segment // said after the session's replies
		pre   []call.Segment // said before them
	)
	switch in.Kind {
	case call.Start:
		out, err = c.sess.Start(ctx)
		if err == nil && len(out.Replies) == 0 {
			// A conversation begun elsewhere (chat, an earlier call): pick
			// up where it stopped with the last question asked.
			pre = append(pre, call.Segment{Text: c.word("resume")})
			if last, ok := c.lastBotReply(ctx); ok {
				out.Replies = []bot.Reply{last}
			}
		}
		if in.KeypadOnly {
			extra = append(extra, call.Segment{Text: c.word("keypad_only")})
		}
	case call.Speech:
		out, err = c.sess.Handle(ctx, bot.Message{Text: in.Text, Voice: &bot.VoiceInput{
			Start: in.At.Add(-in.Duration), End: in.At, Confidence: in.Confidence,
		}})
	case call.Digits:
		text := keysToText(in.Digits, c.lastAct, c.lang)
		if text == "" {
			return c.again(), nil
		}
		out, err = c.sess.Handle(ctx, bot.Message{Text: text, Voice: &bot.VoiceInput{Start: in.At, End: in.At, Keys: true}})
	case call.Silence:
		if in.Final {
			return call.Reply{Segments: []call.Segment{{Text: c.word("goodbye_silence")}}, End: true}, nil
		}
		r := c.again()
		r.Segments = append([]call.Segment{{Text: c.word("still_there")}}, r.Segments...)
		return r, nil
	case call.TimeLimit:
		return call.Reply{Segments: []call.Segment{{Text: c.word("time_limit")}}, End: true}, nil
	default:
		return call.Reply{}, fmt.Errorf("voice: unknown input %v", in.Kind)
	}
	if err != nil {
		return call.Reply{}, err
	}
	r := c.reply(out)
	r.Segments = append(append(pre, r.Segments...), extra...)
	if r.End && len(r.Segments) == 0 {
		r.Segments = []call.Segment{{Text: c.word("goodbye")}}
	}
	return r, nil
}

// again repeats the last question.
func (c *conversation) again() call.Reply {
	if c.lastText == "" {
		return call.Reply{}
	}
	return call.Reply{Segments: []call.Segment{{Text: c.lastText}}, Expect: expectFor(c.lastAct)}
}

func (c *conversation) lastBotReply(ctx context.Context) (bot.Reply, bool) {
	hist, err := c.sess.History(ctx)
	if err != nil {
		return bot.Reply{}, false
	}
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].From == bot.FromBot {
			return hist[i], true
		}
	}
	return bot.Reply{}, false
}

// reply renders a turn's output for the call.
func (c *conversation) reply(out bot.Output) call.Reply {
	var r call.Reply
	for _, rep := range out.Replies {
		if rep.From == bot.FromBorrower || strings.TrimSpace(rep.Text) == "" {
			continue
		}
		seg := call.Segment{Text: rep.Text}
		if notices[rep.Act] {
			seg.Uninterruptible = true
		}
		if rep.Act == "recording_notice" {
			seg.StartsRecording = true
		}
		r.Segments = append(r.Segments, seg)
		if rep.From == bot.FromBot {
			c.lastAct, c.lastText = rep.Act, rep.Text
		}
	}
	r.Expect = expectFor(c.lastAct)
	switch out.Status.Mode {
	case "ended":
		r.End = true
	case "waiting_agent", "agent":
		if !c.handed {
			c.handed = true
			if c.onHandoff == HandoffCallback {
				r.Segments = append(r.Segments, call.Segment{Text: c.word("callback"), Uninterruptible: true})
				r.End = true
			} else {
				r.Segments = append(r.Segments, call.Segment{Text: c.word("captions")})
			}
		}
	}
	return r
}

// notices are the acts a caller must hear in full.
var notices = map[string]bool{
	"greeting": true, "recording_notice": true, "mini_miranda": true,
}

// expectFor is what the answer to act may contain, for the recogniser.
func expectFor(act string) speech.Expect {
	switch act {
	case "ask_verify", "verify_retry", "clarify_identity", "ask_factor":
		return speech.Expect{Date: true, Digits: true}
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

// keysToText reads keys as the answer to act: a date of birth keyed as
// digits (MMDDYYYY in en-US, YYYYMMDD in zh-CN), 1 and 2 for yes and no
// at a confirmation; anything else as the digits themselves.
func keysToText(keys, act, lang string) string {
	keys = strings.Trim(keys, "*#")
	if keys == "" {
		return ""
	}
	zh := strings.HasPrefix(lang, "zh")
	switch expect := expectFor(act); {
	case expect.YesNo && !expect.Date && !expect.Amount && !expect.Count:
		switch keys {
		case "1":
			if zh {
				return "是的"
			}
			return "yes"
		case "2":
			if zh {
				return "不是"
			}
			return "no"
		}
	case expect.Date && len(keys) == 8:
		if zh {
			return keys[:4] + "年" + keys[4:6] + "月" + keys[6:] + "日"
		}
		if act == "ask_verify" || act == "verify_retry" || act == "clarify_identity" || act == "ask_factor" {
			return keys[:2] + "/" + keys[2:4] + "/" + keys[4:]
		}
	}
	return keys
}

// word is the channel's own wording, said around the conversation's.
func (c *conversation) word(key string) string {
	w := words["en-US"]
	if strings.HasPrefix(c.lang, "zh") {
		w = words["zh-CN"]
	}
	return w[key]
}

var words = map[string]map[string]string{
	"en-US": {
		"resume":          "Welcome back. Let's continue where we left off.",
		"keypad_only":     "I can't understand speech on this line, so please answer with your keypad, and press pound when you're done.",
		"still_there":     "Are you still there?",
		"goodbye_silence": "I haven't heard from you, so I'll end the call now. You can call again from the app at any time. Goodbye.",
		"time_limit":      "We've reached the time limit for this call. You can continue in the app at any time. Goodbye.",
		"goodbye":         "Goodbye.",
		"callback":        "A member of our team will call you back as soon as possible. Goodbye.",
		"captions":        "You can keep this call open; what the person writes will appear on your screen.",
	},
	"zh-CN": {
		"resume":          "欢迎回来，我们接着刚才的内容继续。",
		"keypad_only":     "本线路暂时无法识别语音，请使用拨号键盘回答，输入完毕后请按井号键。",
		"still_there":     "请问您还在吗？",
		"goodbye_silence": "没有听到您的回应，本次通话将结束。您可以随时在应用中再次来电。再见。",
		"time_limit":      "本次通话已达到时长上限。您可以随时在应用中继续。再见。",
		"goodbye":         "再见。",
		"callback":        "我们的工作人员会尽快给您回电。再见。",
		"captions":        "您可以保持通话，工作人员的消息会显示在屏幕上。",
	},
}
