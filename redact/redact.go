// Package redact is the one rule for identity data that people (agents,
// supervisors, API callers) and summaries see: a borrower's verification
// answers and anything that looks like a date of birth or an identity
// number are withheld from text shown outside the audit trail. The store
// keeps the original for audit; only what is displayed is redacted. It
// knows nothing of the rest of the module.
package redact

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mask replaces a withheld value.
const Mask = "•••"

// Withheld is the text shown for a verification answer, by locale.
func Withheld(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "zh") {
		return "［身份验证回答已隐藏］"
	}
	return "[verification answer withheld]"
}

var (
	// Full dates: 1988-07-21, 1988/7/21, 1988年7月21日, 07/21/1988,
	// 21.07.1988, 7/21/88, July 21(st), 1988, 21 July 1988.
	reYMD   = regexp.MustCompile(`\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?`)
	reDMY   = regexp.MustCompile(`\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*(\d{4}|\d{2})`)
	reWords = regexp.MustCompile(`(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(\d{4}|'?\d{2})\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(\d{4}|'?\d{2})\b`)
	reZHNum = regexp.MustCompile(`[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}[日号]?`)
	// Identity numbers: a run of six or more digits (spaces and dashes
	// allowed inside), a trailing X of a Chinese ID, SSN shapes.
	reLongID = regexp.MustCompile(`\d(?:[ -]?\d){5,}[Xx]?`)
	// The last four of an ID after a cue ("last four", "ends in", 尾号).
	reCue4 = regexp.MustCompile(`(?i)((?:\blast\s*(?:4|four)(?:\s*digits)?|\bends?\s+(?:in|with)|\bssn\b|\bsocial\b|\bid\b(?:\s*number)?)|尾号|后四位|身份证(?:号)?(?:码)?)(\s*(?:is|are|:|：|是|为)?\s*)(\d{3}[\dXx])`)
)

// Text withholds what looks like a date of birth (a full date more than
// ten years before now), an identity number, or an ID's last four named
// as such. Promise dates and amounts stay.
func Text(s string, now time.Time) string {
	if !hasDigitOrHan(s) {
		return s
	}
	s = fold(s)
	oldYear := now.Year() - 10
	old := func(m string) bool {
		y := lastYear(m, now.Year())
		return y > 0 && y <= oldYear
	}
	s = replaceIf(s, reYMD, func(m string) bool {
		y, _ := strconv.Atoi(m[:4])
		return y <= oldYear
	})
	s = replaceIf(s, reZHNum, func(string) bool { return true })
	s = replaceIf(s, reDMY, old)
	s = replaceIf(s, reWords, old)
	s = reCue4.ReplaceAllString(s, "${1}${2}"+Mask)
	s = replaceIf(s, reLongID, func(string) bool { return true })
	return s
}

// Turn is the text of one transcript line as people see it: a borrower's
// line that the understanding read as a verification answer (its meta
// carries a parse with a date of birth or ID digits) is withheld whole;
// any other borrower line goes through Text. Other speakers' lines are
// the bot's or an agent's words, already guarded: they stay.
func Turn(from, text string, meta json.RawMessage, locale string, now time.Time) string {
	if from != "borrower" {
		return text
	}
	if verificationAnswer(meta) {
		return Withheld(locale)
	}
	return Text(text, now)
}

func verificationAnswer(meta json.RawMessage) bool {
	if len(meta) == 0 {
		return false
	}
	var m struct {
		Parse struct {
			DOB     string `json:"dob"`
			IDLast4 string `json:"id_last4"`
		} `json:"parse"`
	}
	if json.Unmarshal(meta, &m) != nil {
		return false
	}
	return (m.Parse.DOB != "" && m.Parse.DOB != "0000-00-00") || m.Parse.IDLast4 != ""
}

// lastYear reads the year at the end of a date match (two digits mean
// the most recent such year not after this one).
func lastYear(m string, thisYear int) int {
	end := len(m)
	start := end
	for start > 0 && m[start-1] >= '0' && m[start-1] <= '9' {
		start--
	}
	y, err := strconv.Atoi(m[start:end])
	if err != nil {
		return 0
	}
	if end-start == 2 {
		y += thisYear / 100 * 100
		if y > thisYear {
			y -= 100
		}
	}
	return y
}

func replaceIf(s string, re *regexp.Regexp, ok func(string) bool) string {
	return re.ReplaceAllStringFunc(s, func(m string) string {
		if ok(m) {
			return Mask
		}
		return m
	})
}

// fold turns full-width digits into ASCII ones, so "１９８８" is a year.
func fold(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= '０' && r <= '９' }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}

func hasDigitOrHan(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' || r >= 0x3007 {
			return true
		}
	}
	return false
}
