package compliance

import (
	"errors"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func TestMayContact(t *testing.T) {
	chi := mustLoc(t, "America/Chicago")
	sha := mustLoc(t, "Asia/Shanghai")
	at := func(loc *time.Location, y, mo, d, h, mi int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, 0, 0, loc)
	}
	all := map[Channel]bool{ChannelVoice: true, ChannelSMS: true, ChannelChat: true, ChannelEmail: true}
	// calls returns voice attempts at hour h local on the given days of
	// November 2026.
	calls := func(loc *time.Location, result, debt string, h int, days ...int) []ContactAttempt {
		var out []ContactAttempt
		for _, d := range days {
			out = append(out, ContactAttempt{At: at(loc, 2026, 11, d, h, 0), Channel: ChannelVoice, DebtID: debt, Result: result})
		}
		return out
	}
	noon := at(chi, 2026, 11, 23, 12, 0)
	shaNoon := at(sha, 2026, 11, 23, 12, 0)

	tests := []struct {
		name   string
		pack   string
		req    ContactRequest
		reason string
		next   time.Time // zero: no NextAllowed
	}{
		// hours, us: 08:00-21:00 borrower local (Reg F 1006.6(b)(1)(i))
		{"us noon", "us", ContactRequest{Now: noon, Location: chi}, ReasonOK, time.Time{}},
		{"us 07:59", "us", ContactRequest{Now: at(chi, 2026, 11, 23, 7, 59)}, ReasonOutsideHours, at(chi, 2026, 11, 23, 8, 0)},
		{"us 08:00", "us", ContactRequest{Now: at(chi, 2026, 11, 23, 8, 0)}, ReasonOK, time.Time{}},
		{"us 20:59", "us", ContactRequest{Now: at(chi, 2026, 11, 23, 20, 59)}, ReasonOK, time.Time{}},
		{"us 21:00", "us", ContactRequest{Now: at(chi, 2026, 11, 23, 21, 0)}, ReasonOutsideHours, at(chi, 2026, 11, 24, 8, 0)},
		{"us 23:30 chat too", "us", ContactRequest{Channel: ChannelChat, Now: at(chi, 2026, 11, 23, 23, 30)}, ReasonOutsideHours, at(chi, 2026, 11, 24, 8, 0)},
		// DST: spring forward 2026-03-08 02:00 CST -> 03:00 CDT
		{"us DST spring night", "us", ContactRequest{Now: at(chi, 2026, 3, 7, 22, 0)}, ReasonOutsideHours, time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)},
		{"us DST spring 07:30 CDT", "us", ContactRequest{Now: time.Date(2026, 3, 8, 12, 30, 0, 0, time.UTC), Location: chi}, ReasonOutsideHours, time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)},
		{"us DST spring 08:00 CDT", "us", ContactRequest{Now: time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC), Location: chi}, ReasonOK, time.Time{}},
		// DST: fall back 2026-11-01 02:00 CDT -> 01:00 CST
		{"us DST fall night", "us", ContactRequest{Now: at(chi, 2026, 10, 31, 22, 0)}, ReasonOutsideHours, time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)},
		{"us DST fall 07:30 CST", "us", ContactRequest{Now: time.Date(2026, 11, 1, 13, 30, 0, 0, time.UTC), Location: chi}, ReasonOutsideHours, time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)},
		// the borrower's zone decides: 13:30 UTC is 07:30 in Chicago, 21:30 in Shanghai
		{"us Chicago 13:30Z", "us", ContactRequest{Now: time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC), Location: chi}, ReasonOutsideHours, at(chi, 2026, 11, 23, 8, 0)},
		{"us Shanghai 13:30Z", "us", ContactRequest{Now: time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC), Location: sha}, ReasonOutsideHours, at(sha, 2026, 11, 24, 8, 0)},
		{"cn Shanghai 13:30Z", "cn", ContactRequest{Now: time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC), Location: sha}, ReasonOK, time.Time{}},
		// hours, cn: no contact 22:00-08:00
		{"cn 07:59", "cn", ContactRequest{Now: at(sha, 2026, 11, 23, 7, 59)}, ReasonOutsideHours, at(sha, 2026, 11, 23, 8, 0)},
		{"cn 21:59", "cn", ContactRequest{Now: at(sha, 2026, 11, 23, 21, 59)}, ReasonOK, time.Time{}},
		{"cn 22:00", "cn", ContactRequest{Now: at(sha, 2026, 11, 23, 22, 0)}, ReasonOutsideHours, at(sha, 2026, 11, 24, 8, 0)},

		// permanent blocks, both packs
		{"no zone", "us", ContactRequest{Now: noon, Location: nil}, ReasonTimezoneUnknown, time.Time{}},
		{"unknown channel", "cn", ContactRequest{Channel: "fax", Now: shaNoon}, ReasonUnknownChannel, time.Time{}},
		{"us deceased", "us", ContactRequest{Now: noon, Flags: AccountFlags{Deceased: true, Attorney: true}}, "deceased", time.Time{}},
		{"us bankruptcy", "us", ContactRequest{Now: noon, Flags: AccountFlags{Bankruptcy: true}}, "bankruptcy", time.Time{}},
		{"us attorney", "us", ContactRequest{Now: noon, Flags: AccountFlags{Attorney: true}}, "attorney", time.Time{}},
		{"us cease", "us", ContactRequest{Now: noon, Flags: AccountFlags{CeaseRequested: true}}, "cease_requested", time.Time{}},
		{"cn deceased", "cn", ContactRequest{Now: shaNoon, Flags: AccountFlags{Deceased: true}}, "deceased", time.Time{}},
		{"cn bankruptcy", "cn", ContactRequest{Now: shaNoon, Flags: AccountFlags{Bankruptcy: true}}, "bankruptcy", time.Time{}},
		{"cn attorney", "cn", ContactRequest{Now: shaNoon, Flags: AccountFlags{Attorney: true}}, "attorney", time.Time{}},
		{"cn cease", "cn", ContactRequest{Now: shaNoon, Flags: AccountFlags{CeaseRequested: true}}, "cease_requested", time.Time{}},
		{"flag beats hours", "us", ContactRequest{Now: at(chi, 2026, 11, 23, 3, 0), Flags: AccountFlags{Attorney: true}}, "attorney", time.Time{}},
		{"us do-not-contact voice", "us", ContactRequest{Now: noon, DoNotContact: map[Channel]bool{ChannelVoice: true}}, ReasonDoNotContact, time.Time{}},
		{"us do-not-contact voice, chat ok", "us", ContactRequest{Channel: ChannelChat, Now: noon, DoNotContact: map[Channel]bool{ChannelVoice: true}}, ReasonOK, time.Time{}},
		{"cn do-not-contact sms", "cn", ContactRequest{Channel: ChannelSMS, Now: shaNoon, DoNotContact: map[Channel]bool{ChannelSMS: true}}, ReasonDoNotContact, time.Time{}},
		{"us no consent", "us", ContactRequest{Now: noon, Consent: map[Channel]bool{ChannelChat: true}}, ReasonNoConsent, time.Time{}},
		{"cn no consent", "cn", ContactRequest{Channel: ChannelChat, Now: shaNoon, Consent: map[Channel]bool{ChannelVoice: true}}, ReasonNoConsent, time.Time{}},

		// us: 7 calls in 7 days per debt (Reg F 1006.14(b)(2)(i)(A))
		{"us 6 calls in 7 days", "us", ContactRequest{Now: noon, Attempts: calls(chi, ResultNoAnswer, "d1", 10, 17, 18, 19, 20, 21, 22)}, ReasonOK, time.Time{}},
		{"us 7 calls in 7 days", "us", ContactRequest{Now: noon, Attempts: calls(chi, ResultNoAnswer, "d1", 10, 17, 18, 19, 20, 21, 22, 23)}, "attempt_cap", at(chi, 2026, 11, 24, 8, 0)},
		{"us 7 calls today", "us", ContactRequest{Now: noon, Attempts: append(calls(chi, ResultVoicemail, "d1", 9, 23, 23, 23), calls(chi, ResultConnected, "d1", 10, 23, 23, 23, 23)...)}, "attempt_cap", at(chi, 2026, 11, 30, 8, 0)},
		{"us 7 calls, one 7 days ago", "us", ContactRequest{Now: noon, Attempts: calls(chi, ResultNoAnswer, "d1", 10, 16, 18, 19, 20, 21, 22, 23)}, ReasonOK, time.Time{}},
		{"us window in local days", "us", ContactRequest{Now: noon, Attempts: append(calls(chi, ResultNoAnswer, "d1", 20, 16), calls(chi, ResultNoAnswer, "d1", 10, 18, 19, 20, 21, 22, 23)...)}, ReasonOK, time.Time{}},
		{"us blocked attempts do not count", "us", ContactRequest{Now: noon, Attempts: append(calls(chi, ResultBlocked, "d1", 10, 17), calls(chi, ResultNoAnswer, "d1", 10, 18, 19, 20, 21, 22, 23)...)}, ReasonOK, time.Time{}},
		{"us cap is per debt", "us", ContactRequest{Now: noon, DebtID: "d2", Attempts: calls(chi, ResultNoAnswer, "d1", 10, 17, 18, 19, 20, 21, 22, 23)}, ReasonOK, time.Time{}},
		{"us cap is for calls", "us", ContactRequest{Channel: ChannelChat, Now: noon, Attempts: calls(chi, ResultNoAnswer, "d1", 10, 17, 18, 19, 20, 21, 22, 23)}, ReasonOK, time.Time{}},
		{"us cap at night: hours first", "us", ContactRequest{Now: at(chi, 2026, 11, 23, 22, 0), Attempts: calls(chi, ResultNoAnswer, "d1", 10, 18, 19, 20, 21, 22, 23, 23)}, ReasonOutsideHours, at(chi, 2026, 11, 25, 8, 0)},

		// us: none within 7 days after a conversation (Reg F 1006.14(b)(2)(i)(B))
		{"us conversation 3 days ago", "us", ContactRequest{Now: noon, LastConversation: at(chi, 2026, 11, 20, 10, 0)}, ReasonAfterConversation, at(chi, 2026, 11, 27, 8, 0)},
		{"us conversation 6 days ago, late", "us", ContactRequest{Now: noon, LastConversation: at(chi, 2026, 11, 17, 20, 30)}, ReasonAfterConversation, at(chi, 2026, 11, 24, 8, 0)},
		{"us conversation 7 days ago", "us", ContactRequest{Now: noon, LastConversation: at(chi, 2026, 11, 16, 10, 0)}, ReasonOK, time.Time{}},
		{"us conversation from attempts", "us", ContactRequest{Now: noon, Attempts: calls(chi, ResultConversation, "d1", 10, 21)}, ReasonAfterConversation, at(chi, 2026, 11, 28, 8, 0)},
		{"us conversation, chat is fine", "us", ContactRequest{Channel: ChannelChat, Now: noon, LastConversation: at(chi, 2026, 11, 22, 10, 0)}, ReasonOK, time.Time{}},
		{"us conversation about another debt", "us", ContactRequest{Now: noon, DebtID: "d2", Attempts: calls(chi, ResultConversation, "d1", 10, 21)}, ReasonOK, time.Time{}},

		// cn: at most 3 connected calls a day
		{"cn 2 connected today", "cn", ContactRequest{Now: shaNoon, Attempts: calls(sha, ResultConnected, "d1", 9, 23, 23)}, ReasonOK, time.Time{}},
		{"cn 3 connected today", "cn", ContactRequest{Now: shaNoon, Attempts: calls(sha, ResultConnected, "d1", 9, 23, 23, 23)}, "daily_connected_cap", at(sha, 2026, 11, 24, 8, 0)},
		{"cn conversation counts", "cn", ContactRequest{Now: shaNoon, Attempts: append(calls(sha, ResultConnected, "d1", 9, 23, 23), calls(sha, ResultConversation, "d1", 10, 23)...)}, "daily_connected_cap", at(sha, 2026, 11, 24, 8, 0)},
		{"cn unanswered calls do not count as connected", "cn", ContactRequest{Now: shaNoon, Attempts: calls(sha, ResultNoAnswer, "d1", 9, 23, 23, 23, 23, 23)}, ReasonOK, time.Time{}},
		// cn: at most 6 unanswered attempts a day to one number (CBA 2026)
		{"cn 6 unanswered today", "cn", ContactRequest{Now: shaNoon, Attempts: append(calls(sha, ResultNoAnswer, "d1", 9, 23, 23, 23, 23), calls(sha, ResultVoicemail, "d2", 10, 23, 23)...)}, "daily_unanswered_cap", at(sha, 2026, 11, 24, 8, 0)},
		{"cn 6 unanswered yesterday", "cn", ContactRequest{Now: shaNoon, Attempts: calls(sha, ResultNoAnswer, "d1", 9, 22, 22, 22, 22, 22, 22)}, ReasonOK, time.Time{}},
		{"cn unanswered cap is for calls", "cn", ContactRequest{Channel: ChannelSMS, Now: shaNoon, Attempts: calls(sha, ResultNoAnswer, "d1", 9, 23, 23, 23, 23, 23, 23)}, ReasonOK, time.Time{}},
		{"us has no daily unanswered cap", "us", ContactRequest{Now: noon, DebtID: "d9", Attempts: calls(chi, ResultNoAnswer, "d1", 9, 23, 23, 23, 23, 23, 23)}, ReasonOK, time.Time{}},
		// a disputed debt, or one whose validation is pending, is not collected on
		{"us dispute", "us", ContactRequest{Now: noon, Flags: AccountFlags{Dispute: true}}, "dispute", time.Time{}},
		{"cn dispute", "cn", ContactRequest{Channel: ChannelSMS, Now: shaNoon, Flags: AccountFlags{Dispute: true}}, "dispute", time.Time{}},
		{"cn across debts", "cn", ContactRequest{Now: shaNoon, DebtID: "d2", Attempts: calls(sha, ResultConnected, "d1", 9, 23, 23, 23)}, "daily_connected_cap", at(sha, 2026, 11, 24, 8, 0)},
		{"cn 3 connected yesterday", "cn", ContactRequest{Now: shaNoon, Attempts: calls(sha, ResultConnected, "d1", 9, 22, 22, 22)}, ReasonOK, time.Time{}},
		{"cn chat not capped", "cn", ContactRequest{Channel: ChannelChat, Now: shaNoon, Attempts: calls(sha, ResultConnected, "d1", 9, 23, 23, 23)}, ReasonOK, time.Time{}},
		{"cn no rest after a conversation", "cn", ContactRequest{Now: shaNoon, LastConversation: at(sha, 2026, 11, 22, 10, 0)}, ReasonOK, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Channel == "" {
				req.Channel = ChannelVoice
			}
			if req.Location == nil && tt.reason != ReasonTimezoneUnknown {
				req.Location = req.Now.Location()
			}
			if req.Consent == nil {
				req.Consent = all
			}
			if req.DebtID == "" {
				req.DebtID = "d1"
			}
			got := MustLoadPack(tt.pack).MayContact(req)
			if got.Reason != tt.reason || got.Allowed != (tt.reason == ReasonOK) {
				t.Fatalf("MayContact = %+v, want reason %s", got, tt.reason)
			}
			if !got.NextAllowed.Equal(tt.next) {
				t.Fatalf("NextAllowed = %v, want %v", got.NextAllowed, tt.next)
			}
			if !got.Allowed && got.Reason != ReasonUnknownChannel && got.Source == "" {
				t.Fatalf("blocked without a source: %+v", got)
			}
			if !got.NextAllowed.IsZero() {
				// At NextAllowed, every rule allows the same request.
				req.Now = got.NextAllowed
				if again := MustLoadPack(tt.pack).MayContact(req); !again.Allowed {
					t.Fatalf("not allowed at NextAllowed %v: %+v", got.NextAllowed, again)
				}
			}
		})
	}
}

func TestChannel(t *testing.T) {
	for _, tt := range []struct {
		in                  string
		ok, spoken, convers bool
		contact             Channel
	}{
		{"chat", true, false, true, ChannelChat},
		{"voice", true, true, true, ChannelVoice},
		{"phone", true, true, true, ChannelVoice},
		{"sms", true, false, false, ChannelSMS},
		{"email", true, false, false, ChannelEmail},
		{"fax", false, false, false, ""},
		{"", false, false, false, ""},
		{"Chat", false, false, false, ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseChannel(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseChannel(%q) = %q, %v", tt.in, c, err)
			}
			if !tt.ok {
				if !errors.Is(err, ErrUnknownChannel) {
					t.Fatalf("error %v, want ErrUnknownChannel", err)
				}
				return
			}
			if c.Spoken() != tt.spoken || c.Conversational() != tt.convers || c.Contact() != tt.contact {
				t.Fatalf("%s: spoken %v conversational %v contact %s", c, c.Spoken(), c.Conversational(), c.Contact())
			}
		})
	}
}
