package compliance

import (
	"slices"
	"sort"
	"time"
)

// Results of a contact attempt (as the store records them).
const (
	ResultConnected    = "connected"    // answered
	ResultConversation = "conversation" // answered and the debt was discussed
	ResultNoAnswer     = "no_answer"
	ResultVoicemail    = "voicemail"
	ResultBlocked      = "blocked" // refused by MayContact: never placed, never counted
)

// Reason codes of a ContactDecision. Packs add their own for flags and caps
// ("deceased", "bankruptcy", "attorney", "cease_requested", "attempt_cap",
// "daily_connected_cap").
const (
	ReasonOK                = "ok"
	ReasonUnknownChannel    = "unknown_channel"
	ReasonTimezoneUnknown   = "timezone_unknown"
	ReasonNoConsent         = "no_consent"
	ReasonDoNotContact      = "do_not_contact"
	ReasonOutsideHours      = "outside_hours"
	ReasonAfterConversation = "after_conversation"
)

// Account flags a pack may block contact on (FlagRule.Flag).
const (
	FlagDeceased   = "deceased"
	FlagBankruptcy = "bankruptcy"
	FlagAttorney   = "attorney"
	FlagCease      = "cease"
	// FlagDispute: the borrower disputes the debt or asked for proof of
	// it; collection waits for verification.
	FlagDispute = "dispute"
)

// ContactAttempt is one earlier attempt to reach the borrower.
type ContactAttempt struct {
	At      time.Time `json:"at"`
	Channel Channel   `json:"channel"`
	DebtID  string    `json:"debt_id,omitempty"`
	Result  string    `json:"result"`
}

// AccountFlags are the account states that stop contact.
type AccountFlags struct {
	Attorney       bool `json:"attorney,omitempty"`
	Bankruptcy     bool `json:"bankruptcy,omitempty"`
	Deceased       bool `json:"deceased,omitempty"`
	CeaseRequested bool `json:"cease_requested,omitempty"`
	// Dispute is set while the debt is disputed or a request for
	// validation is unanswered.
	Dispute bool `json:"dispute,omitempty"`
}

func (f AccountFlags) has(flag string) bool {
	switch flag {
	case FlagDeceased:
		return f.Deceased
	case FlagBankruptcy:
		return f.Bankruptcy
	case FlagAttorney:
		return f.Attorney
	case FlagCease:
		return f.CeaseRequested
	case FlagDispute:
		return f.Dispute
	}
	return false
}

// ContactRequest asks whether the borrower may be contacted now.
type ContactRequest struct {
	Channel Channel   `json:"channel"`
	DebtID  string    `json:"debt_id,omitempty"`
	Now     time.Time `json:"now"` // from the injected clock
	// Location is the borrower's time zone; nil blocks contact (hours
	// cannot be known; Reg F 1006.6(b)(1) asks for the consumer's zone).
	Location *time.Location `json:"-"`
	// Consent and DoNotContact are per channel.
	Consent      map[Channel]bool `json:"consent,omitempty"`
	DoNotContact map[Channel]bool `json:"do_not_contact,omitempty"`
	Flags        AccountFlags     `json:"flags"`
	// Attempts are earlier attempts (at least the last week's); attempts
	// with another DebtID count only against caps that are not per debt.
	Attempts []ContactAttempt `json:"attempts,omitempty"`
	// LastConversation is the last conversation about the debt (zero: none).
	LastConversation time.Time `json:"last_conversation,omitzero"`
}

// ContactDecision is MayContact's answer. NextAllowed is set when contact is
// blocked only for now (hours, caps, a recent conversation): the earliest
// time every such rule allows it.
type ContactDecision struct {
	Allowed     bool      `json:"allowed"`
	Reason      string    `json:"reason"`
	Source      string    `json:"source,omitempty"` // the rule's source
	NextAllowed time.Time `json:"next_allowed,omitzero"`
}

// MayContact decides whether req may go ahead. Permanent blocks (flags,
// do-not-contact, consent) come before those that pass with time.
func (p *Pack) MayContact(req ContactRequest) ContactDecision {
	c := &p.Contact
	if !slices.Contains(c.Channels, req.Channel) {
		return ContactDecision{Reason: ReasonUnknownChannel}
	}
	if req.Location == nil {
		return ContactDecision{Reason: ReasonTimezoneUnknown, Source: c.Hours.Source}
	}
	for _, f := range c.Flags {
		if req.Flags.has(f.Flag) {
			return ContactDecision{Reason: f.Reason, Source: f.Source}
		}
	}
	if req.DoNotContact[req.Channel] {
		return ContactDecision{Reason: ReasonDoNotContact, Source: c.DoNotContactSource}
	}
	if slices.Contains(c.Consent.Channels, req.Channel) && !req.Consent[req.Channel] {
		return ContactDecision{Reason: ReasonNoConsent, Source: c.Consent.Source}
	}
	t := req.Now
	first := ContactDecision{Allowed: true, Reason: ReasonOK}
	// Each rule that blocks at t says when it stops blocking; move t there
	// until no rule blocks. Rules only ever push t forward.
	for range 64 {
		reason, source, next := p.blockedAt(&req, t)
		if reason == "" {
			if !first.Allowed {
				first.NextAllowed = t
			}
			return first
		}
		if first.Allowed {
			first = ContactDecision{Reason: reason, Source: source}
		}
		if !next.After(t) {
			break
		}
		t = next
	}
	return first // no time found within the search: blocked, no next time
}

// blockedAt returns the first time-based rule that blocks contact at t and
// the time it would stop blocking.
func (p *Pack) blockedAt(req *ContactRequest, t time.Time) (reason, source string, next time.Time) {
	c := &p.Contact
	loc := req.Location
	lt := t.In(loc)
	day := DateOf(lt)
	mins := localMinutes(lt)
	if mins < c.hoursStart {
		return ReasonOutsideHours, c.Hours.Source, atLocal(day, c.hoursStart, loc)
	}
	if mins >= c.hoursEnd {
		return ReasonOutsideHours, c.Hours.Source, atLocal(day.AddDays(1), c.hoursStart, loc)
	}
	for _, cp := range c.Caps {
		if !slices.Contains(cp.Channels, req.Channel) {
			continue
		}
		from := day.AddDays(-(cp.Days - 1))
		var days []Date
		for _, a := range req.Attempts {
			if !cp.counts(req, a) || a.At.After(t) {
				continue
			}
			if d := DateOf(a.At.In(loc)); !d.Before(from) && !d.After(day) {
				days = append(days, d)
			}
		}
		if len(days) >= cp.Max {
			sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
			// The cap lifts on the day the (k-max+1)-th earliest attempt
			// leaves the window.
			out := days[len(days)-cp.Max].AddDays(cp.Days)
			return cp.Reason, cp.Source, atLocal(out, 0, loc)
		}
	}
	if ac := c.AfterConversation; ac != nil && slices.Contains(ac.Channels, req.Channel) {
		last := req.LastConversation
		for _, a := range req.Attempts {
			if a.Result == ResultConversation && slices.Contains(ac.Channels, a.Channel) && sameDebt(req, a) && a.At.After(last) && !a.At.After(t) {
				last = a.At
			}
		}
		if !last.IsZero() {
			// The day of the conversation is day one.
			until := DateOf(last.In(loc)).AddDays(ac.Days)
			if day.Before(until) {
				return ReasonAfterConversation, ac.Source, atLocal(until, 0, loc)
			}
		}
	}
	return "", "", time.Time{}
}

func (cp *CapRule) counts(req *ContactRequest, a ContactAttempt) bool {
	if a.Result == ResultBlocked || !slices.Contains(cp.Channels, a.Channel) {
		return false
	}
	if len(cp.Results) > 0 && !containsString(cp.Results, a.Result) {
		return false
	}
	return !cp.PerDebt || sameDebt(req, a)
}

// sameDebt reports whether a concerns the request's debt (unknown debts
// on either side count, to be safe).
func sameDebt(req *ContactRequest, a ContactAttempt) bool {
	return req.DebtID == "" || a.DebtID == "" || a.DebtID == req.DebtID
}

// atLocal returns the instant of minute-of-day mins on day d in loc. A
// wall time that does not exist (a DST gap) moves forward, as time.Date does.
func atLocal(d Date, mins int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, mins/60, mins%60, 0, 0, loc)
}
