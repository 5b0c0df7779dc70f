package understand

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

var benchToday = compliance.Date{Year: 2026, Month: time.November, Day: 22}

var benchMessages = map[string][]string{
	"en-US": {
		"Hi, I can't pay Friday but I could pay $120 next Wednesday",
		"I lost my job last month, can we split it into 4 payments?",
		"yes that's right",
		"my date of birth is July 21, 1988 and the last four are 4417",
	},
	"zh-CN": {
		"你好，我这周五还不了，下周三可以还一千二",
		"我失业了，能不能分三期",
		"好的，没问题",
		"我的生日是1988年7月21日，身份证尾号441X",
	},
}

func BenchmarkUnderstand(b *testing.B) {
	r := NewRules()
	ctx := context.Background()
	for _, loc := range []string{"en-US", "zh-CN"} {
		msgs := benchMessages[loc]
		b.Run(loc, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				req := Request{Text: msgs[i%len(msgs)], Locale: loc, Today: benchToday, Stage: dialog.StageNegotiate}
				if _, err := r.Understand(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnderstandLongest is the worst case the transport lets in: a
// message of MaxTextBytes dense with phrases and numbers.
func BenchmarkUnderstandLongest(b *testing.B) {
	r := NewRules()
	ctx := context.Background()
	for _, tc := range []struct{ name, unit, loc string }{
		{"en-US", "no not 2k friday ", "en-US"},
		{"zh-CN", "不不是28号还不了", "zh-CN"},
	} {
		text := strings.Repeat(tc.unit, MaxTextBytes/len(tc.unit))
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Understand(ctx, Request{Text: text, Locale: tc.loc, Today: benchToday, Stage: dialog.StageNegotiate}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
