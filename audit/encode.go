package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	"github.com/collectagent/collectagent/store"
)

// AppendRecords appends the data of c's records event (the JSON of
// RecordsOf(c)) to dst without building it first: it runs on every commit.
// ok is false when c stores nothing the chain must vouch for.
func AppendRecords(dst []byte, c *store.TurnCommit) (b []byte, ok bool) {
	if len(c.Turns)+len(c.Promises)+len(c.Plans)+len(c.Statements) == 0 && (c.StopContact == nil || len(c.StopContact.Channels) == 0) {
		return dst, false
	}
	b = append(dst, '{')
	sep := func(first bool) {
		if !first {
			b = append(b, ',')
		}
	}
	first := true
	if len(c.Turns) > 0 {
		b = append(b, `"turns":[`...)
		for i, t := range c.Turns {
			sep(i == 0)
			b = append(b, `{"seq":`...)
			b = strconv.AppendInt(b, t.Seq, 10)
			b = append(b, `,"from":`...)
			b = appendString(b, t.From)
			b = append(b, `,"sha256":"`...)
			sum := sha256.Sum256([]byte(t.Text))
			b = hex.AppendEncode(b, sum[:])
			b = append(b, `"}`...)
		}
		b = append(b, ']')
		first = false
	}
	if len(c.Promises) > 0 {
		sep(first)
		b = append(b, `"promises":[`...)
		for i, p := range c.Promises {
			sep(i == 0)
			b = append(b, `{"id":`...)
			b = appendString(b, p.ID)
			b = append(b, `,"debt_id":`...)
			b = appendString(b, p.DebtID)
			b = append(b, `,"amount_minor":`...)
			b = strconv.AppendInt(b, p.AmountMinor, 10)
			b = append(b, `,"currency":`...)
			b = appendString(b, p.Currency)
			b = append(b, `,"due_date":`...)
			b = appendString(b, p.DueDate)
			b = append(b, `,"created_by":`...)
			b = appendString(b, p.CreatedBy)
			b = append(b, '}')
		}
		b = append(b, ']')
		first = false
	}
	if len(c.Plans) > 0 {
		sep(first)
		b = append(b, `"plans":[`...)
		for i, p := range c.Plans {
			sep(i == 0)
			b = append(b, `{"id":`...)
			b = appendString(b, p.ID)
			b = append(b, `,"debt_id":`...)
			b = appendString(b, p.DebtID)
			b = append(b, `,"currency":`...)
			b = appendString(b, p.Currency)
			b = append(b, `,"total_minor":`...)
			b = strconv.AppendInt(b, p.TotalMinor, 10)
			b = append(b, `,"installments":[`...)
			for j, in := range p.Installments {
				sep(j == 0)
				b = append(b, `{"amount_minor":`...)
				b = strconv.AppendInt(b, in.AmountMinor, 10)
				b = append(b, `,"due_date":`...)
				b = appendString(b, in.DueDate)
				b = append(b, '}')
			}
			b = append(b, `],"created_by":`...)
			b = appendString(b, p.CreatedBy)
			b = append(b, '}')
		}
		b = append(b, ']')
		first = false
	}
	if len(c.Statements) > 0 {
		sep(first)
		b = append(b, `"statements":[`...)
		for i, s := range c.Statements {
			sep(i == 0)
			b = append(b, `{"id":`...)
			b = appendString(b, s.ID)
			b = append(b, `,"kind":`...)
			b = appendString(b, s.Kind)
			if len(s.Channels) > 0 {
				b = append(b, `,"channels":`...)
				b = appendStrings(b, s.Channels)
			}
			b = append(b, `,"channel":`...)
			b = appendString(b, s.Channel)
			if s.TurnSeq != 0 {
				b = append(b, `,"turn_seq":`...)
				b = strconv.AppendInt(b, s.TurnSeq, 10)
			}
			if len(s.Details) > 0 {
				b = append(b, `,"details_sha256":"`...)
				sum := sha256.Sum256(s.Details)
				b = hex.AppendEncode(b, sum[:])
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
		first = false
	}
	if c.StopContact != nil && len(c.StopContact.Channels) > 0 {
		sep(first)
		b = append(b, `"stop_contact":`...)
		b = appendStrings(b, c.StopContact.Channels)
	}
	return append(b, '}'), true
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced (as encoding/json does).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
