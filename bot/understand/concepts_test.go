package understand

import (
	"context"
	"testing"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// TestSchedulesByConcept reads schedules by what their words do, not by
// the words: a negated date left out, the week after next, "each" after a
// cadence, a figure a week.
func TestSchedulesByConcept(t *testing.T) {
	tests := []struct {
		text, locale string
		want         []part
	}{
		{"i can do 300 today and the rest next friday, not this friday", "en-US", []part{{minor: 30000, date: "2026-11-23"}, {rest: true, date: "2026-12-04"}}},
		{"every 2 weeks starting friday, 150 each", "en-US", []part{{minor: 15000, date: "2026-11-27", every: 14}}},
		{"今天先还三百 下周三三百 下下周三还完", "zh-CN", []part{{minor: 30000, date: "2026-11-24"}, {minor: 30000, date: "2026-12-02"}, {rest: true, date: "2026-12-09"}}},
		{"这周五先还五百 下周五再还五百 再下个周五还剩下的", "zh-CN", []part{{minor: 50000, date: "2026-11-27"}, {minor: 50000, date: "2026-12-04"}, {rest: true, date: "2026-12-11"}}},
		{"一周八十行不行", "zh-CN", []part{{minor: 8000, every: 7}}},
		{"今天先还一伴 下周三还一伴", "zh-CN", []part{{den: 2, date: "2026-11-24"}, {den: 2, date: "2026-12-02"}}},
		{"half on black friday and the other half 2 weeks after that", "en-US", []part{{den: 2, date: "2026-11-27"}, {rest: true, date: "2026-12-11"}}},
		{"我先还一半 月中再还剩下的", "zh-CN", []part{{den: 2, date: "2026-11-24"}, {rest: true, date: "2026-12-15"}}},
		{"每月800 四个月还完", "zh-CN", []part{{minor: 80000, every: 30}}},
		{"下周一先还两千 剩下的一千再过一个礼拜", "zh-CN", []part{{minor: 200000, date: "2026-11-30"}, {minor: 100000, date: "2026-12-07"}}},
		{"先还1200 下周一 剩下的2000分两次 12月14号跟12月28号", "zh-CN", []part{{minor: 120000, date: "2026-11-30"}, {minor: 100000, date: "2026-12-14"}, {minor: 100000, date: "2026-12-28"}}},
		{"i can do 50 tomorrow and then 100 every week after that", "en-US", []part{{minor: 5000, date: "2026-11-24"}, {minor: 10000, every: 7}}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", "")
			if len(p.Parts) != len(tt.want) {
				t.Fatalf("parts = %+v, want %d", p.Parts, len(tt.want))
			}
			for i, w := range tt.want {
				g := p.Parts[i]
				date := ""
				if !g.Date.IsZero() {
					date = g.Date.String()
				}
				if g.Amount.Minor != w.minor || g.Den != w.den || g.Rest != w.rest || date != w.date || g.Every != w.every {
					t.Errorf("part %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestUncertainProposals checks that what cannot be read whole is left
// for the bot to ask about, never guessed: several dates with none
// clearly meant, a schedule with a payment left over.
func TestUncertainProposals(t *testing.T) {
	tests := []struct {
		text, locale string
		unclear      bool
		date         string
	}{
		{"i start my new job thursday, can i pay on the 4th", "en-US", false, "2026-12-04"},
		{"payday is friday, oh wait, its thursday this week. thursday then", "en-US", false, "2026-11-26"},
		{"双十一那会儿花超了 下个月初还", "zh-CN", false, "2026-12-01"},
		{"the 1st or the 4th", "en-US", false, ""},
		{"先还1000 剩下的2000分两次 12月14号 12月28号 1月5号", "zh-CN", true, ""},
		{"half now and the rest, or maybe 200 friday", "en-US", true, ""},
		{"i get paid 2 weeks from friday, i can do 400 then and 400 after", "en-US", true, ""},
		{"400 each, first one friday", "en-US", true, ""},
		{"200 on friday or 300 on the 4th", "en-US", true, ""},
		{"周五500或者下周一800", "zh-CN", true, ""},
		{"先还500 再还500", "zh-CN", true, ""},
		{"i can do 100 this friday and next friday", "en-US", false, ""},
		{"i can pay 300. yes 300 on friday", "en-US", false, "2026-11-27"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", "")
			date := ""
			if !p.Date.IsZero() {
				date = p.Date.String()
			}
			if p.Unclear != tt.unclear || date != tt.date || (tt.unclear && len(p.Parts) > 0) {
				t.Errorf("parse = %+v, want unclear %v date %q", p, tt.unclear, tt.date)
			}
			if !tt.unclear && tt.date == "" && p.Intent != dialog.IntentPromise {
				t.Errorf("intent %s, want a promise whose date the bot asks for", p.Intent)
			}
		})
	}
}

// TestWhatIsNotAnOffer: what the borrower has, what happened when, a
// figure restated, swearing beside a way to pay.
func TestWhatIsNotAnOffer(t *testing.T) {
	tests := []struct {
		text, locale string
		intent       dialog.Intent
		noSlots      bool
	}{
		{"i have $12 left and 2 kids to feed", "en-US", dialog.IntentHardship, true},
		{"微信零钱12 拿啥还", "zh-CN", dialog.IntentHardship, true},
		{"got laid off friday, no idea when i can pay", "en-US", dialog.IntentHardship, true},
		{"我爸在化疗 每个月药费七八千 真的顾不上了", "zh-CN", dialog.IntentHardship, true},
		{"Why is my balance 1250.50? I only borrowed 1000.", "en-US", dialog.IntentQuestion, true},
		{"wtf is wrong with you people, ill pay friday", "en-US", dialog.IntentPromise, false},
		{"fuck you ill pay friday", "en-US", dialog.IntentAbuse, false},
		{"一天十几条短信 我真的要疯了 明天还", "zh-CN", dialog.IntentPromise, false},
		{"I won't be a burden to anyone much longer", "en-US", dialog.IntentDistress, true},
		{"我这种人活着就是拖累家里", "zh-CN", dialog.IntentDistress, true},
		{"can you push my due date back a bit", "en-US", dialog.IntentExtension, true},
		{"我还是学生 家里每个月给800生活费 吃饭都不够 真的没办法还", "zh-CN", dialog.IntentHardship, true},
		{"再缓我一个星期嘛", "zh-CN", dialog.IntentExtension, true},
		{"我也想还啊 可是我现在连下个月吃饭的钱都没有", "zh-CN", dialog.IntentHardship, true},
		{"my account is negative and im the sole provider", "en-US", dialog.IntentHardship, true},
		{"living out of my car right now. i want to pay but i got nothing", "en-US", dialog.IntentHardship, true},
		{"i dont plan on being here next month", "en-US", dialog.IntentDistress, false},
		{"I'll pay it right now", "en-US", dialog.IntentPayNow, true},
		{"我走了家里人就解脱了 欠的钱也不用他们操心", "zh-CN", dialog.IntentDistress, true},
		{"Maybe I scrape 50 together sometime next month but I honestly can't promise that, my wife lost her job", "en-US", dialog.IntentHardship, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", "")
			if p.Intent != tt.intent {
				t.Errorf("intent %s (alts %v), want %s", p.Intent, p.Alts, tt.intent)
			}
			if tt.noSlots && (!p.Amount.IsZero() || !p.Date.IsZero() || len(p.Parts) > 0) {
				t.Errorf("slots read as an offer: %+v", p)
			}
		})
	}
}

func TestSpokenAndRelativeSlots(t *testing.T) {
	tests := []struct {
		text, locale string
		minor        int64
		date         string
	}{
		{"five twenty on friday", "en-US", 52000, "2026-11-27"},
		{"three seventy five fifty on the 1st", "en-US", 37550, "2026-12-01"},
		{"to hundred tomorrow", "en-US", 20000, "2026-11-24"},
		{"twelve fifty on friday", "en-US", 125000, "2026-11-27"},
		{"12.6还", "zh-CN", 0, "2026-12-06"},
		{"12.60元", "zh-CN", 1260, ""},
		{"twenty five on friday", "en-US", 2500, "2026-11-27"},
		{"the day after thanksgiving", "en-US", 0, "2026-11-27"},
		{"the day before christmas", "en-US", 0, "2026-12-24"},
		{"下下周一", "zh-CN", 0, "2026-12-07"},
		{"下下个礼拜三还", "zh-CN", 0, "2026-12-09"},
		{"两三天后还", "zh-CN", 0, "2026-11-27"},
		{"两三百", "zh-CN", 30000, ""},
		{"two weeks from friday", "en-US", 0, "2026-12-11"},
		{"friday after next", "en-US", 0, "2026-12-04"},
		{"by the end of the week", "en-US", 0, "2026-11-27"},
		{"end of next week", "en-US", 0, "2026-12-04"},
		{"mid december", "en-US", 0, "2026-12-15"},
		{"late december", "en-US", 0, "2026-12-31"},
		{"I'll have it the Monday after next", "en-US", 0, "2026-12-07"},
		{"give me 10 days and i'll pay it", "en-US", 0, "2026-12-03"},
		{"i can pay in january", "en-US", 0, "2027-01-01"},
		{"I already paid this back in September", "en-US", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", "")
			date := ""
			if !p.Date.IsZero() {
				date = p.Date.String()
			}
			if p.Amount.Minor != tt.minor || date != tt.date {
				t.Errorf("amount %d date %q, want %d %q (%+v)", p.Amount.Minor, date, tt.minor, tt.date, p)
			}
		})
	}
}

// TestWeekdayInsideWeek: after the bot read "下周" back as a date, "周三"
// is that week's Wednesday; without it, the next Wednesday.
func TestWeekdayInsideWeek(t *testing.T) {
	r := NewRules()
	week := tuesday.AddDays(7) // 下周, read back as Tuesday Dec 1
	for _, tc := range []struct {
		week compliance.Date
		want string
	}{{week, "2026-12-02"}, {compliance.Date{}, "2026-11-25"}} {
		p, err := r.Understand(context.Background(), Request{Text: "周三", Locale: "zh-CN", Today: tuesday, Currency: "CNY",
			Stage: dialog.StageConfirm, Expect: dialog.ExpectYesNo, Week: tc.week})
		if err != nil {
			t.Fatal(err)
		}
		if p.Date.String() != tc.want {
			t.Errorf("week %v: date %v, want %s", tc.week, p.Date, tc.want)
		}
	}
	if p := parseWith(t, "下周还清", "zh-CN", "", ""); !p.Week {
		t.Errorf("下周 not read as a week: %+v", p)
	}
}

// TestRoughAmountIsAsked: "一千出头" is no amount to record; the bot asks.
func TestRoughAmountIsAsked(t *testing.T) {
	for _, text := range []string{"今天能还一千出头吧", "i can do 500 or so on friday"} {
		p := parseWith(t, text, map[bool]string{true: "zh-CN", false: "en-US"}[text[0] >= 0x80], "", "")
		if !p.Amount.IsZero() || !p.Partial {
			t.Errorf("%q: %+v, want no amount and a partial offer", text, p)
		}
	}
	if p := parseWith(t, "我现在手上有两千二 先还两千二", "zh-CN", "", ""); p.Amount.Minor != 220000 || len(p.Parts) > 0 {
		t.Errorf("one figure said twice: %+v", p)
	}
	if p := parseWith(t, "周无一定还", "zh-CN", "", ""); p.Date.String() != "2026-11-27" {
		t.Errorf("周无 (周五): %+v", p)
	}
}

// TestHardshipOver: a hardship that is over (a new job, an account
// unfrozen, home from the hospital) is the reason for lateness, not
// hardship; negated ("havent found a job yet") it still is. A verb's 走了
// (骗走了) is not a death, and a rough figure in a story offers nothing.
func TestHardshipOver(t *testing.T) {
	tests := []struct {
		text, locale string
		hardship     bool
		reason       string
	}{
		{"got laid off in october but i start a new job monday", "en-US", false, dialog.LateJobLoss},
		{"i got laid off and havent found a job yet", "en-US", true, dialog.LateJobLoss},
		{"I was in the hospital for two weeks, just got home", "en-US", false, dialog.LateIllness},
		{"被裁了 现在找到工作了", "zh-CN", false, dialog.LateJobLoss},
		{"我被裁了 还没找到工作", "zh-CN", true, dialog.LateJobLoss},
		{"被骗走了三万多 这个月手头特别紧", "zh-CN", false, dialog.LateOther},
		{"我爸上个月走了", "zh-CN", true, dialog.LateFamily},
		{"今年实在撑不住了 奶茶店黄了", "zh-CN", true, dialog.LateJobLoss},
		{"i had surgery and now i cant work", "en-US", true, dialog.LateIllness},
		{"family emergency, my abuela was in the hospital in mexico and i had to fly out", "en-US", false, dialog.LateFamily},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", "")
			if p.Has(dialog.IntentHardship) != tt.hardship || p.Reason != tt.reason {
				t.Fatalf("hardship %v reason %q (%+v), want %v %q", p.Has(dialog.IntentHardship), p.Reason, p, tt.hardship, tt.reason)
			}
			if !p.Amount.IsZero() || p.Partial {
				t.Fatalf("an offer in a story: %+v", p)
			}
		})
	}
}

// TestHedgedYes: a yes hedged ("might be late", 可能) confirms nothing; a
// plain one, or one asking how to pay, still does.
func TestHedgedYes(t *testing.T) {
	for text, yes := range map[string]bool{
		"yes, but i might be a day or two late": false,
		"ok ill try":                            false,
		"好的 不过可能会晚两天":                           false,
		"yes please":                            true,
		"sure, send me the link":                true,
		"是的":                                    true,
	} {
		locale := "en-US"
		if text[0] >= 0x80 {
			locale = "zh-CN"
		}
		if p := parseWith(t, text, locale, dialog.ExpectYesNo, dialog.StageConfirm); p.Has(dialog.IntentAffirm) != yes {
			t.Errorf("%q: affirm %v (%+v), want %v", text, p.Has(dialog.IntentAffirm), p, yes)
		}
	}
}

// TestOtherMoney: a figure of other money (rent, a paycheck, 工资) with no
// word of paying beside it is not a payment, nor is its cadence.
func TestOtherMoney(t *testing.T) {
	tests := []struct {
		text, locale string
		minor        int64
		date         string
		parts        int
	}{
		{"i make 1200 a month, i can do 200 friday", "en-US", 20000, "2026-11-27", 0},
		{"my check is 600 so i can do 300 on friday", "en-US", 30000, "2026-11-27", 0},
		{"i get paid 900 on the 30th, ill pay 450 then", "en-US", 45000, "2026-11-30", 0},
		{"i can pay 300 from my paycheck on friday", "en-US", 30000, "2026-11-27", 0},
		{"房租1500 周五先还500", "zh-CN", 50000, "2026-11-27", 0},
		{"我工资3000 每月还500", "zh-CN", 0, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", "")
			date := ""
			if !p.Date.IsZero() {
				date = p.Date.String()
			}
			if p.Amount.Minor != tt.minor || date != tt.date || len(p.Parts) != tt.parts || p.Unclear {
				t.Errorf("parse = %+v, want %d on %q, %d parts", p, tt.minor, tt.date, tt.parts)
			}
		})
	}
}

// TestMoneyAndCountForms: slang and speech-to-text forms of amounts and
// counts; a vague sum or a share of something else offers no figure.
func TestMoneyAndCountForms(t *testing.T) {
	tests := []struct {
		text    string
		minor   int64
		inst    int
		date    string
		partial bool
	}{
		{"i can do 2 bills on the 30th", 20000, 0, "2026-11-30", false},
		{"i can prob do a buck fifty friday", 15000, 0, "2026-11-27", false},
		{"i can do a few bucks friday", 0, 0, "2026-11-27", true},
		{"ok the 4 payment one", 0, 4, "", false},
		{"i want to do for payments starting the 30th", 0, 4, "2026-11-30", false},
		{"I intend to pay the full balance on Tuesday, December 1st, when my pension is deposited.", 0, 0, "2026-12-01", false},
		{"i had to cover her half of rent this month, i can pay on the 2nd", 0, 0, "2026-12-02", false},
		{"something came up, ill pay friday", 0, 0, "2026-11-27", false},
		{"i can pay something friday", 0, 0, "2026-11-27", true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, "en-US", "", "")
			date := ""
			if !p.Date.IsZero() {
				date = p.Date.String()
			}
			if p.Amount.Minor != tt.minor || p.Installments != tt.inst || date != tt.date || p.Partial != tt.partial || len(p.Parts) > 0 {
				t.Errorf("parse = %+v, want %d, %d payments, %q, partial %v", p, tt.minor, tt.inst, tt.date, tt.partial)
			}
		})
	}
}

// TestSpokenAndWeighed: digits said one by one answer the identity
// question; a date in a clause that asks is weighed, not offered; two
// days offered as a choice are asked about; more time by a span is an
// extension, not an amount.
func TestSpokenAndWeighed(t *testing.T) {
	if p := parseWith(t, "five five to nine", "en-US", dialog.ExpectIdentity, dialog.StageVerify); p.IDLast4 != "5529" {
		t.Errorf("spoken digits: %+v", p)
	}
	if p := parseWith(t, "seriously?? the week of thanksgiving?? ugh ok, the 30th", "en-US", "", ""); p.Date.String() != "2026-11-30" {
		t.Errorf("date outside the question: %+v", p)
	}
	if p := parseWith(t, "can i pay friday? or monday?", "en-US", "", ""); !p.Date.IsZero() {
		t.Errorf("a choice of days read as one: %+v", p)
	}
	for _, text := range []string{"i need 2 more weeks", "Can I have an extra 7 days?", "a few more days please"} {
		if p := parseWith(t, text, "en-US", "", ""); p.Intent != dialog.IntentExtension || !p.Amount.IsZero() {
			t.Errorf("%q: %+v, want an extension", text, p)
		}
	}
}

// TestZhForms: 还没 after a way to pay is no payment (现在还没钱); give-me
// forms of more time (再给俺一个礼拜, 畀多一個禮拜); a named reason over
// "other"; 领导 as someone's boss is no request for a person.
func TestZhForms(t *testing.T) {
	tests := []struct {
		text   string
		intent dialog.Intent
		reason string
	}{
		{"现在还没钱", dialog.IntentCannotPay, ""},
		{"现在就还", dialog.IntentPayNow, ""},
		{"再给俺一个礼拜 中不中", dialog.IntentExtension, ""},
		{"可唔可以畀多一個禮拜我", dialog.IntentExtension, ""},
		{"zfb 现在转 发链接", dialog.IntentPayNow, ""},
		{"在外地出差半个月 把这事忘得死死的", dialog.IntentReason, dialog.LateForgot},
		{"我要找你们领导", dialog.IntentHuman, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, "zh-CN", "", "")
			if p.Intent != tt.intent || p.Reason != tt.reason {
				t.Errorf("parse = %+v, want %s %q", p, tt.intent, tt.reason)
			}
		})
	}
	if p := parseWith(t, "我上班都没法安心领导还以为我怎么了 明天还", "zh-CN", "", ""); p.Has(dialog.IntentHuman) {
		t.Errorf("a boss read as a request for a person: %+v", p)
	}
}
