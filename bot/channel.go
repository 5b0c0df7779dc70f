package bot

import (
	"fmt"

	"github.com/collectagent/collectagent/compliance"
)

// Channel is the medium of a conversation. The names are compliance's
// (compliance.Channel, the one owner); transports use these so they need
// not know the compliance package.
type Channel = compliance.Channel

// Conversation channels.
const (
	ChannelChat  = compliance.ChannelChat  // in-app chat
	ChannelVoice = compliance.ChannelVoice // in-app call (WebRTC)
	ChannelPhone = compliance.ChannelPhone // a call over the telephone network
)

// ParseChannel checks a conversation channel named by a client or a row.
func ParseChannel(s string) (Channel, error) {
	c, err := compliance.ParseChannel(s)
	if err != nil || !c.Conversational() {
		return "", fmt.Errorf("%w: channel %q", ErrInvalid, s)
	}
	return c, nil
}

// Initiator says who started a contact, which decides the rules that
// apply to it.
type Initiator int

const (
	// ByBorrower: the borrower opened the chat or placed the call. Contact
	// hours and frequency caps govern what the collector initiates (Reg F
	// 1006.6(b)(1), 1006.14(b)), so they do not apply; consent and
	// do-not-contact do.
	ByBorrower Initiator = iota
	// Outbound: the lender reaches out (a campaign call, a callback). The
	// compliance pack's MayContact decides, and every attempt, allowed or
	// refused, is recorded.
	Outbound
)

func (i Initiator) String() string {
	switch i {
	case ByBorrower:
		return "borrower"
	case Outbound:
		return "outbound"
	}
	return "unknown"
}
