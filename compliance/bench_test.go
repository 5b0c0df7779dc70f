package compliance

import (
	"testing"
	"time"
	"unicode/utf8"
)

// Replies of about 300 characters, each stating only facts.
var benchReplies = map[string]string{
	"en": "Thank you, your identity is confirmed. Your balance with Demo Finance is $240.00, which was due on November 13, 2026 and is now 9 days past due. " +
		"You can pay the full amount now, promise to pay by any date up to November 27, 2026, or split it into up to 4 payments of $60.00 each. What works best for you?",
	"zh": "您好，感谢您的配合，身份已核实。您在示例金融的待还金额为860.00元，应还款日为2026年11月13日，目前已逾期9天。请问您打算如何安排这笔还款呢？" +
		"您可以现在一次性还清；也可以选择一个不晚于2026年11月27日的日期还款；或者申请分期，最多分4期，每期215.00元。如果现在还款有困难，也可以告诉我您的情况，我们一起看看有没有适合您的方式。" +
		"您也可以先还百分之二十五，剩下的再分期处理。请问哪种方式对您更方便呢？确认方案后，我会把还款日期和金额再跟您核对一遍，您也可以随时在App的还款页面查看。如有任何疑问，欢迎继续留言，我们会尽快为您解答。感谢您的理解与支持，祝您生活愉快，工作顺利，再见！",
}

func BenchmarkGuardCheck(b *testing.B) {
	facts := Facts{
		Verified: true,
		Amounts:  []Money{usd(24000), usd(6000), cny(86000), cny(21500)},
		Dates:    []Date{date(2026, 11, 13), date(2026, 11, 27)},
		Percents: []int{25},
		Counts:   []int{4, 9},
		Offers:   []string{"ptp", "plan", "pay_now"},
	}
	for _, lang := range []string{"en", "zh"} {
		text := benchReplies[lang]
		u := Utterance{Text: text, Locale: map[string]string{"en": "en-US", "zh": "zh-CN"}[lang], Facts: facts}
		if d := usGuard.Check(u); !d.Allowed {
			b.Fatalf("%s reply blocked: %+v", lang, d.Violations)
		}
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			cpu0, ok := processCPU()
			n := 0
			for b.Loop() {
				usGuard.Check(u)
				n++
			}
			// CPU time per op next to ns/op: on a loaded machine wall time
			// also counts the time other processes held the CPU.
			if cpu1, ok1 := processCPU(); ok && ok1 && n > 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(n), "cpu-ns/op")
			}
			b.ReportMetric(float64(utf8.RuneCountInString(text)), "chars")
		})
	}
}

func BenchmarkExtractFigures(b *testing.B) {
	for _, lang := range []string{"en", "zh"} {
		text := benchReplies[lang]
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ExtractFigures(text)
			}
		})
	}
}

// BenchmarkGuardStages measures each stage of Check on the same replies:
// fold (NFKC, confusables, digits, traditional to simplified), the phrase
// form (leetspeak, separators, clause breaks), the phrase scan (one
// Aho-Corasick pass over every lexicon), the concept rules (negation,
// possessives, pairing), the sound-alike pass (homophone.go) and the
// figure extractor.
func BenchmarkGuardStages(b *testing.B) {
	for _, lang := range []string{"en", "zh"} {
		text := benchReplies[lang]
		g := usGuard
		runes := fold(text, nil)
		form, pos := phraseForm(runes, nil, nil)
		var chits []conceptHit
		var neg, negAfter, notNeg, inert []hit
		g.m.scan(form, func(id, start, end int) {
			h := hit{id: int32(id), start: int32(start), end: int32(end)}
			switch p := &g.m.phr[id]; p.kind {
			case phraseConcept:
				chits = append(chits, conceptHit{id: int32(id), group: p.group, start: int32(start), end: int32(end)})
			case phraseNegation:
				neg = append(neg, h)
			case phraseNegAfter:
				negAfter = append(negAfter, h)
			case phraseNotNegation:
				notNeg = append(notNeg, h)
			case phraseInert:
				inert = append(inert, h)
			}
		})
		b.Run(lang+"/fold", func(b *testing.B) {
			buf := make([]rune, 0, len(runes))
			for loopCPU(b) {
				buf = fold(text, buf)
			}
		})
		b.Run(lang+"/phrase_form", func(b *testing.B) {
			var bb []byte
			var pp []int32
			for loopCPU(b) {
				bb, pp = phraseForm(runes, bb, pp)
			}
			_ = pos
		})
		b.Run(lang+"/scan", func(b *testing.B) {
			n := 0
			for loopCPU(b) {
				g.m.scan(form, func(id, start, end int) { n++ })
			}
		})
		b.Run(lang+"/homophones", func(b *testing.B) {
			var toks []homToken
			n := 0
			for loopCPU(b) {
				toks = g.hom.scan(form, runes, pos, toks, func(id, start, end int) { n++ })
			}
		})
		b.Run(lang+"/concepts", func(b *testing.B) {
			work := make([]conceptHit, len(chits))
			for loopCPU(b) {
				copy(work, chits)
				g.c.analyse(form, g.m.phr, work, neg, negAfter, notNeg, inert)
				g.c.match(form, g.m.phr, work, neg, negAfter, notNeg, func(*compiledRule, *conceptHit) {})
			}
		})
		b.Run(lang+"/figures", func(b *testing.B) {
			var figs []Figure
			for loopCPU(b) {
				figs = extractFigures(runes, nil, figs[:0])
			}
		})
	}
}

// loopCPU is b.Loop that also reports the process CPU time per operation
// when the loop ends: on a loaded machine ns/op counts the time other
// processes held the CPU.
func loopCPU(b *testing.B) bool {
	st := cpuStates[b]
	if st == nil {
		st = &cpuState{}
		st.cpu0, st.ok = processCPU()
		cpuStates[b] = st
	}
	if b.Loop() {
		st.n++
		return true
	}
	if cpu1, ok := processCPU(); st.ok && ok && st.n > 0 {
		b.ReportMetric(float64(cpu1-st.cpu0)/float64(st.n), "cpu-ns/op")
	}
	delete(cpuStates, b)
	return false
}

type cpuState struct {
	cpu0 time.Duration
	ok   bool
	n    int
}

var cpuStates = map[*testing.B]*cpuState{}
