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
// is yes and 2 is no; otherwise the digits are the answer itself (the
// last digits of an ID number, a count, an amount). It fails with
// ErrInvalid on anything but digits, "*" and "#".
func (s *Session) Keypad(ctx context.Context, keys, messageID string) (Output, error) {
	keys = strings.TrimRight(strings.TrimSpace(keys), "#")
	if keys == "" || strings.Trim(keys, "0123456789*") != "" {
		return Output{}, fmt.Errorf("%w: keys %q", ErrInvalid, keys)
	}
	text := keys
	if s.state.Expect == dialog.ExpectYesNo {
		if w, ok := keypadAnswers[s.acct.Locale][keys]; ok {
			text = w
		}
	}
	return s.Handle(ctx, Message{Text: text, MessageID: messageID})
}
