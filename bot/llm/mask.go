package llm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/collectagent/collectagent/compliance"
)

// Kinds of masked data; each becomes a placeholder "[KIND_n]".
const (
	maskEmail = "EMAIL"
	maskLink  = "LINK"
	maskID    = "ID"    // national ID or SSN
	maskCard  = "CARD"  // payment card number (Luhn-valid)
	maskPhone = "PHONE" // phone number
	maskNum   = "NUM"   // any other long digit run (account numbers)
	maskDOB   = "DOB"   // a date of birth
	maskID4   = "ID4"   // an ID's last four, at the verify stage
	maskName  = "NAME"
)

// maskOpts says what to mask in one text.
type maskOpts struct {
	today  compliance.Date // a date this many years back or more is a birth date
	verify bool            // verify stage: any past date is a birth date; four-digit runs are ID last 4
	names  []string        // the borrower's names, masked when maskNames
	mask   bool            // mask names
	links  bool            // mask URLs (templates: the payment link must come back unchanged)
}

// masker replaces personal data with placeholders and restores them. One
// masker serves one call: the same value gets the same placeholder in every
// text of that call.
type masker struct {
	byValue map[string]string // kind + value -> placeholder
	values  map[string]string // placeholder -> value
	counts  map[string]int
}

func newMasker() *masker {
	return &masker{byValue: map[string]string{}, values: map[string]string{}, counts: map[string]int{}}
}

var (
	rePlaceholder = regexp.MustCompile(`\[([A-Z][A-Z0-9]*)_(\d{1,4})\]`)
	reEmail       = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	reLink        = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'，。）)]+`)
	reCNID        = regexp.MustCompile(`\d{17}[\dXx]|\d{6}[ -]\d{8}[ -]\d{3}[\dXx]`)
	reSSN         = regexp.MustCompile(`\d{3}[- ]\d{2}[- ]\d{4}`)
	reCard        = regexp.MustCompile(`\d(?:[ -]?\d){12,18}`)
	rePhone       = regexp.MustCompile(`(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{4}|(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}|\+\d{8,15}|\d{10,11}`)
	reLongNum     = regexp.MustCompile(`\d{8,}`)
	reDateYMD     = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?`)
	reDateMDY     = regexp.MustCompile(`(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})`)
	reDateZHNum   = regexp.MustCompile(`([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})[日号]?`)
	reCueID4      = regexp.MustCompile(`(?i)(?:\blast\s*(?:4|four)(?:\s*digits)?|\bends?\s+(?:in|with)|\bssn\b|\bid\b(?:\s*number)?|尾号|后四位|身份证(?:号)?(?:码)?)(?:\s*(?:is|are|:|：|是|为))?\s*(\d{3}[\dXx])`)
	reDateWords   = regexp.MustCompile(`(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+'?(\d{4}|\d{2})\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+'?(\d{4}|\d{2})\b`)
	reID4         = regexp.MustCompile(`\d{3}[\dXx]`)
	reNameEN      = regexp.MustCompile(`(?i:my name is|my name's|this is|name:)\s+(\p{Lu}\p{L}+(?:[ '-]\p{Lu}\p{L}+){0,2})`)
	reNameZH      = regexp.MustCompile(`(?:我叫|我的名字是|我的名字叫|本人)\s*(\p{Han}{2,3})`)
)

var monthIndex = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}

// mask returns text with personal data replaced by placeholders. Text that
// already looks like a placeholder is defused first (its brackets become
// full-width), so a borrower cannot forge one. Each pass runs only when
// the text has what it looks for (an @, enough digits), which keeps the
// common message cheap.
func (m *masker) mask(text string, o maskOpts) string {
	text = foldDigits(text)
	if strings.IndexByte(text, '[') >= 0 {
		text = rePlaceholder.ReplaceAllStringFunc(text, func(s string) string {
			return "［" + s[1:len(s)-1] + "］"
		})
	}
	if o.links && strings.Contains(asciiLower(text), "http") {
		text = m.replace(text, reLink, maskLink, nil)
	}
	if strings.IndexByte(text, '@') >= 0 {
		text = m.replace(text, reEmail, maskEmail, nil)
	}
	if o.mask {
		text = m.maskNames(text, o.names)
	}
	digits, run := countDigits(text)
	digitEdges := func(s string, i, j int) bool { return !digitAt(s, i-1, true) && !digitAt(s, j, false) }
	if digits >= 17 && run >= 6 {
		text = m.replace(text, reCNID, maskID, digitEdges)
	}
	if digits >= 9 && strings.ContainsAny(text, "- ") {
		text = m.replace(text, reSSN, maskID, digitEdges)
	}
	if digits >= 13 {
		text = m.replace(text, reCard, maskCard, func(s string, i, j int) bool {
			return digitEdges(s, i, j) && runeNear(s, i-1, true) != '+' && luhn(s[i:j])
		})
	}
	if digits >= 4 {
		text = m.maskDates(text, o)
	}
	if strings.Contains(text, "年") {
		text = m.replaceSub(text, reDateZHNum, func(g []string) bool {
			return dobOf(o)(zhNumber(g[1]), zhNumber(g[2]), zhNumber(g[3]))
		})
	}
	if digits >= 8 {
		text = m.replace(text, rePhone, maskPhone, digitEdges)
		text = m.replace(text, reLongNum, maskNum, digitEdges)
	}
	if digits >= 3 {
		// An ID's last four named as such, at any stage.
		text = m.replaceGroup(text, reCueID4, maskID4)
	}
	if o.verify && digits >= 3 {
		text = m.replace(text, reID4, maskID4, func(s string, i, j int) bool {
			return !alnumAt(s, i-1, true) && !alnumAt(s, j, false) && !decimalAround(s, i, j)
		})
	}
	return text
}

// countDigits returns how many ASCII digits s has and its longest run of
// consecutive ones.
func countDigits(s string) (n, longest int) {
	cur := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
			cur++
			longest = max(longest, cur)
		} else {
			cur = 0
		}
	}
	return n, longest
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay valid.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// replace masks every match of re that ok accepts (nil accepts all).
func (m *masker) replace(text string, re *regexp.Regexp, kind string, ok func(s string, i, j int) bool) string {
	locs := re.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if ok != nil && !ok(text, l[0], l[1]) {
			continue
		}
		b.WriteString(text[last:l[0]])
		b.WriteString(m.placeholder(kind, text[l[0]:l[1]]))
		last = l[1]
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// maskDates masks dates of birth: full dates ten years back or more, or
// any past full date at the verify stage. Promise dates stay: the model
// needs them and they identify no one.
func (m *masker) maskDates(text string, o maskOpts) string {
	isDOB := dobOf(o)
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	text = m.replaceSub(text, reDateYMD, func(g []string) bool { return isDOB(atoi(g[1]), atoi(g[2]), atoi(g[3])) })
	text = m.replaceSub(text, reDateMDY, func(g []string) bool {
		a, b, y := atoi(g[1]), atoi(g[2]), atoi(g[3])
		return isDOB(y, a, b) || isDOB(y, b, a)
	})
	if !hasMonthName(text) {
		return text
	}
	text = m.replaceSub(text, reDateWords, func(g []string) bool {
		if g[1] != "" {
			return isDOB(atoi(g[3]), monthIndex[strings.ToLower(g[1])], atoi(g[2]))
		}
		return isDOB(atoi(g[6]), monthIndex[strings.ToLower(g[5])], atoi(g[4]))
	})
	return text
}

// dobOf says whether a full date is a date of birth: ten years back or
// more, or any past date at the verify stage. A two-digit year is the
// latest such year not after today's.
func dobOf(o maskOpts) func(y, mo, d int) bool {
	return func(y, mo, d int) bool {
		if y < 100 {
			this := time.Now().Year()
			if !o.today.IsZero() {
				this = o.today.Year
			}
			y += this / 100 * 100
			if y > this {
				y -= 100
			}
		}
		if mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1900 {
			return false
		}
		if o.today.IsZero() {
			return true
		}
		dt := compliance.Date{Year: y, Month: time.Month(mo), Day: d}
		if o.verify && dt.Before(o.today) {
			return true
		}
		return y <= o.today.Year-10
	}
}

// zhNumber reads a year written digit by digit (一九八八) or a month or
// day in Chinese numerals (七, 十二, 二十一); 0 when it is neither.
func zhNumber(s string) int {
	digit := map[rune]int{'〇': 0, '零': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	r := []rune(s)
	if len(r) == 4 {
		n := 0
		for _, c := range r {
			d, ok := digit[c]
			if !ok {
				return 0
			}
			n = n*10 + d
		}
		return n
	}
	n, cur := 0, 0
	for _, c := range r {
		if c == '十' {
			if cur == 0 {
				cur = 1
			}
			n += cur * 10
			cur = 0
			continue
		}
		d, ok := digit[c]
		if !ok {
			return 0
		}
		cur = d
	}
	return n + cur
}

// foldDigits turns full-width digits into ASCII ones, so "１９８８" is
// masked like "1988".
func foldDigits(s string) string {
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

// replaceGroup masks the first group of every match of re.
func (m *masker) replaceGroup(text string, re *regexp.Regexp, kind string) string {
	locs := re.FindAllStringSubmatchIndex(text, -1)
	for k := len(locs) - 1; k >= 0; k-- {
		l := locs[k]
		if digitAt(text, l[3], false) {
			continue
		}
		text = text[:l[2]] + m.placeholder(kind, text[l[2]:l[3]]) + text[l[3]:]
	}
	return text
}

func hasMonthName(s string) bool {
	ls := asciiLower(s)
	for _, m := range [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.Contains(ls, m) {
			return true
		}
	}
	return false
}

// replaceSub masks matches of re whose groups ok accepts.
func (m *masker) replaceSub(text string, re *regexp.Regexp, ok func(g []string) bool) string {
	locs := re.FindAllStringSubmatchIndex(text, -1)
	if len(locs) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if digitAt(text, l[0]-1, true) || digitAt(text, l[1], false) {
			continue
		}
		g := make([]string, len(l)/2)
		for k := range g {
			if l[2*k] >= 0 {
				g[k] = text[l[2*k]:l[2*k+1]]
			}
		}
		if !ok(g) {
			continue
		}
		b.WriteString(text[last:l[0]])
		b.WriteString(m.placeholder(maskDOB, g[0]))
		last = l[1]
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// maskNames masks the borrower's known names (whole and by part) and names
// introduced in the text ("my name is ...", 我叫...).
func (m *masker) maskNames(text string, names []string) string {
	var parts []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		parts = append(parts, n)
		for _, p := range strings.FieldsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '·' }) {
			if p != n {
				parts = append(parts, p)
			}
		}
		// A Chinese name without spaces: its given name is what follows
		// the one-character family name.
		if r := []rune(n); len(r) >= 3 && isHan(r[0]) && !strings.ContainsAny(n, " ") {
			parts = append(parts, string(r[1:]))
		}
	}
	// Longest first, so "Maria Lopez" is one placeholder, not two.
	for i := 1; i < len(parts); i++ {
		for j := i; j > 0 && utf8.RuneCountInString(parts[j]) > utf8.RuneCountInString(parts[j-1]); j-- {
			parts[j], parts[j-1] = parts[j-1], parts[j]
		}
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) < 2 {
			continue
		}
		text = m.replaceName(text, p)
	}
	lt := asciiLower(text)
	if !strings.Contains(lt, "name") && !strings.Contains(lt, "this is") && !strings.ContainsAny(text, "叫人") {
		return text
	}
	for _, re := range []*regexp.Regexp{reNameEN, reNameZH} {
		locs := re.FindAllStringSubmatchIndex(text, -1)
		for k := len(locs) - 1; k >= 0; k-- {
			l := locs[k]
			name := text[l[2]:l[3]]
			text = text[:l[2]] + m.placeholder(maskName, name) + text[l[3]:]
		}
	}
	return text
}

// replaceName masks every occurrence of name in text, ignoring ASCII case;
// a Latin name must stand as a word of its own.
func (m *masker) replaceName(text, name string) string {
	ln := asciiLower(name)
	han := isHan([]rune(name)[0])
	var b strings.Builder
	lt := asciiLower(text)
	last, from := 0, 0
	for {
		k := strings.Index(lt[from:], ln)
		if k < 0 {
			break
		}
		i, j := from+k, from+k+len(ln)
		from = i + 1
		if !han && (letterAt(text, i-1, true) || letterAt(text, j, false)) {
			continue
		}
		b.WriteString(text[last:i])
		b.WriteString(m.placeholder(maskName, text[i:j]))
		last, from = j, j
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// placeholder returns the placeholder of value, making one the first time.
func (m *masker) placeholder(kind, value string) string {
	key := kind + "\x00" + value
	if p, ok := m.byValue[key]; ok {
		return p
	}
	m.counts[kind]++
	p := fmt.Sprintf("[%s_%d]", kind, m.counts[kind])
	m.byValue[key] = p
	m.values[p] = value
	return p
}

// restore puts the masked values back into a model's text. A placeholder
// this masker never made is an error: the model invented it.
func (m *masker) restore(text string) (string, error) {
	var bad string
	out := rePlaceholder.ReplaceAllStringFunc(text, func(p string) string {
		if v, ok := m.values[p]; ok {
			return v
		}
		if bad == "" {
			bad = p
		}
		return p
	})
	if bad != "" {
		return "", fmt.Errorf("%w: %s", ErrPlaceholder, bad)
	}
	return out, nil
}

// placeholdersOf returns the placeholders of kind that m made.
func (m *masker) placeholdersOf(kind string) []string {
	var out []string
	for i := 1; i <= m.counts[kind]; i++ {
		out = append(out, fmt.Sprintf("[%s_%d]", kind, i))
	}
	return out
}

// escapeData makes borrower text safe to put between tags: it cannot close
// the tag it is in or open another.
func escapeData(s string) string {
	if !strings.ContainsAny(s, "<>&") {
		return s
	}
	return dataEscaper.Replace(s)
}

var dataEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 13 && sum%10 == 0
}

// digitAt reports whether the rune before (before=true, ending at i+1) or
// at i is a digit.
func digitAt(s string, i int, before bool) bool {
	r := runeNear(s, i, before)
	return r >= '0' && r <= '9' || r >= '０' && r <= '９'
}

func alnumAt(s string, i int, before bool) bool {
	r := runeNear(s, i, before)
	return r != utf8.RuneError && (unicode.IsDigit(r) || r < utf8.RuneSelf && unicode.IsLetter(r))
}

func letterAt(s string, i int, before bool) bool {
	r := runeNear(s, i, before)
	return r != utf8.RuneError && unicode.IsLetter(r)
}

// decimalAround reports whether s[i:j] is part of a decimal or money
// figure ("1234.50", "$1234"): not an ID's last four.
func decimalAround(s string, i, j int) bool {
	if j+1 < len(s) && (s[j] == '.' || s[j] == ',') && s[j+1] >= '0' && s[j+1] <= '9' {
		return true
	}
	r := runeNear(s, i-1, true)
	return r == '$' || r == '¥' || r == '￥' || r == '.' || r == ','
}

// runeNear returns the rune ending at i+1 (before) or starting at i.
func runeNear(s string, i int, before bool) rune {
	if before {
		if i < 0 || i >= len(s) {
			return utf8.RuneError
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i+1])
		return r
	}
	if i < 0 || i >= len(s) {
		return utf8.RuneError
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }
