package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/collectagent/collectagent/dialog"
)

// keypadAnswers are the words a key stands for on a yes-or-no question,
// as the voice templates offer them ("press one for yes, or press two for
// no").
var keypadAnswers = map[string]map[string]string{
	"en-US": {"1": "yes", "2": "no"},
	"zh-CN": {"1": "是", "2": "否"},
}

// Keypad processes keys the borrower pressed (a call's telephone-events,
// the app's on-screen keypad) as one message. On a yes-or-no question 1
// is yes and 2 is no; at the identity question eight digits that make a
// date are a date of birth (month, day, year in en-US; year, month, day
// in zh-CN); otherwise the digits are the answer itself (the last digits
// of an ID number, a count, an amount). It fails with ErrInvalid on
// anything but digits, "*" and "#".
func (s *Session) Keypad(ctx context.Context, keys, messageID string) (Output, error) {
	return s.KeypadMessage(ctx, Message{Text: keys, MessageID: messageID})
}

// KeypadMessage is Keypad for a message whose Text is the keys, keeping
// its id and how the keys were pressed (Voice, on a call).
func (s *Session) KeypadMessage(ctx context.Context, m Message) (Output, error) {
	keys := strings.TrimRight(strings.TrimSpace(m.Text), "#")
	if keys == "" || strings.Trim(keys, "0123456789*") != "" {
		return Output{}, fmt.Errorf("%w: keys %q", ErrInvalid, keys)
	}
	m.Text = keys
	switch s.state.Expect {
	case dialog.ExpectYesNo:
		if w, ok := keypadAnswers[s.acct.Locale][keys]; ok {
			m.Text = w
		}
	case dialog.ExpectIdentity:
		if d, ok := keyedDate(keys, s.acct.Locale); ok {
			m.Text = d
		}
	}
	return s.Handle(ctx, m)
}

// keyedDate reads eight keyed digits as a date of birth in the locale's
// order, written as the locale writes one ("07/21/1988", "1988年07月21日");
// false when they cannot be a date.
func keyedDate(keys, locale string) (string, bool) {
	if len(keys) != 8 || strings.Trim(keys, "0123456789") != "" {
		return "", false
	}
	zh := strings.HasPrefix(locale, "zh")
	y, mo, d := keys[4:], keys[:2], keys[2:4]
	if zh {
		y, mo, d = keys[:4], keys[4:6], keys[6:]
	}
	if mo < "01" || mo > "12" || d < "01" || d > "31" || y < "1900" {
		return "", false
	}
	if zh {
		return y + "年" + mo + "月" + d + "日", true
	}
	return mo + "/" + d + "/" + y, true
}
