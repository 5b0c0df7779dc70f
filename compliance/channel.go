package compliance

import "fmt"

// Channel is a medium a borrower is reached on. It is the one spelling of
// channel names: conversations, contact rules, consent, do-not-contact,
// statements and the model's latency budgets all use these values.
type Channel string

// Channels.
const (
	// ChannelChat is the in-app chat.
	ChannelChat Channel = "chat"
	// ChannelVoice is a spoken call: in-app over WebRTC, and what contact
	// rules, consent and do-not-contact call every call.
	ChannelVoice Channel = "voice"
	// ChannelPhone is a call over the telephone network (a carrier's
	// media stream). Contact rules count it as ChannelVoice.
	ChannelPhone Channel = "phone"
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// channels lists every known channel, in a stable order.
var channels = [...]Channel{ChannelChat, ChannelVoice, ChannelPhone, ChannelSMS, ChannelEmail}

// Channels returns every known channel.
func Channels() []Channel { return append([]Channel(nil), channels[:]...) }

// ParseChannel checks a channel name from outside (a request, a config
// file, a stored row).
func ParseChannel(s string) (Channel, error) {
	c := Channel(s)
	if c.Valid() {
		return c, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownChannel, s)
}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, k := range channels {
		if c == k {
			return true
		}
	}
	return false
}

// Contact is the channel contact rules, consent and do-not-contact know c
// by: a phone call and an in-app call are both calls (ChannelVoice).
func (c Channel) Contact() Channel {
	if c == ChannelPhone {
		return ChannelVoice
	}
	return c
}

// Spoken reports whether what is said on c is heard rather than read: its
// wording is rendered for the ear.
func (c Channel) Spoken() bool { return c == ChannelVoice || c == ChannelPhone }

// Conversational reports whether a conversation can run on c (chat and
// calls; texts and e-mails only carry notices).
func (c Channel) Conversational() bool {
	return c == ChannelChat || c == ChannelVoice || c == ChannelPhone
}

func (c Channel) String() string { return string(c) }
