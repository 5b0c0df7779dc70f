package speech

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Grammar returns a JSGF grammar (Java Speech Grammar Format 1.0) that
// accepts the answers e expects, in English. A grammar-constrained
// recogniser hears exactly one of these; with a general language model the
// Debian pocketsphinx model's output is unusable. Phrase words outside
// vocab are dropped (a grammar with an unknown word fails to load); vocab
// nil accepts every word.
func Grammar(e Expect, vocab func(string) bool) string {
	var alts []string
	var rules []string
	add := func(name, body string) {
		rules = append(rules, fmt.Sprintf("<%s> = %s;", name, body))
	}
	number := false
	if e.YesNo {
		alts = append(alts, "<yesno>")
		add("yesno", "yes | yeah | yep | correct | that is right | right | no | nope | not really | that is wrong")
	}
	if e.Amount {
		number = true
		alts = append(alts, "<amount>")
		add("amount", "<number> [dollars] [and <tens_units> cents] | <number> dollars and <tens_units> cents")
	}
	if e.Count {
		number = true
		alts = append(alts, "<count>")
		add("count", "<number> [months | weeks | payments | installments]")
	}
	if e.Date {
		alts = append(alts, "<date>")
		add("date", "today | tomorrow | [next | this] <weekday> | [on] [the] <ordinal> [of <month>] | <month> [the] <ordinal> | in <number> (days | weeks)")
		add("weekday", "monday | tuesday | wednesday | thursday | friday | saturday | sunday")
		add("month", "january | february | march | april | may | june | july | august | september | october | november | december")
		add("ordinal", "[twenty | thirty] (first | second | third | fourth | fifth | sixth | seventh | eighth | ninth) | tenth | eleventh | twelfth | thirteenth | fourteenth | fifteenth | sixteenth | seventeenth | eighteenth | nineteenth | twentieth | thirtieth")
		number = true
	}
	if e.Digits {
		alts = append(alts, "<digits>")
		add("digits", "(<digit> | oh | zero)+")
		number = true
	}
	var phrases []string
	seen := map[string]bool{}
	for _, p := range e.Phrases {
		words := Words(p)
		var kept []string
		for _, w := range words {
			if vocab == nil || vocab(w) {
				kept = append(kept, w)
			}
		}
		s := strings.Join(kept, " ")
		if s != "" && !seen[s] {
			seen[s] = true
			phrases = append(phrases, s)
		}
	}
	sort.Strings(phrases)
	if len(phrases) > 0 {
		alts = append(alts, "<phrase>")
		add("phrase", strings.Join(phrases, " | "))
	}
	if number {
		add("number", "<digit> hundred [[and] <tens_units>] | <tens_units> | <digit> thousand [<digit> hundred] [[and] <tens_units>]")
		add("tens_units", "<digit> | <teen> | <tens> [<digit>]")
		add("digit", "one | two | three | four | five | six | seven | eight | nine")
		add("teen", "ten | eleven | twelve | thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen")
		add("tens", "twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety")
	}
	if len(alts) == 0 {
		// Nothing expected: still let the caller say yes, no or ask for help.
		alts = append(alts, "yes | no | help | repeat")
	}
	var b strings.Builder
	b.WriteString("#JSGF V1.0;\ngrammar turn;\npublic <turn> = ")
	b.WriteString(strings.Join(alts, " | "))
	b.WriteString(";\n")
	for _, r := range rules {
		b.WriteString(r)
		b.WriteByte('\n')
	}
	return b.String()
}

// Words lower-cases s and splits it into words, dropping punctuation other
// than apostrophes inside words.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'')
	})
}
