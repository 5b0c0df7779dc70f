package understand

import (
	"context"
	"testing"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// Monday 2026-11-23 (en), Tuesday 2026-11-24 (zh).
var (
	monday  = compliance.Date{Year: 2026, Month: 11, Day: 23}
	tuesday = compliance.Date{Year: 2026, Month: 11, Day: 24}
)

func parseWith(t *testing.T, text, locale string, expect dialog.Expect, stage dialog.Stage) dialog.Parse {
	t.Helper()
	today, cur := monday, "USD"
	if locale == "zh-CN" {
		today, cur = tuesday, "CNY"
	}
	if stage == "" {
		stage = dialog.StageIntent
	}
	p, err := NewRules().Understand(context.Background(), Request{Text: text, Locale: locale, Today: today, Currency: cur, Stage: stage, Expect: expect})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// part is a compact form of a dialog.Part for the tables: amount in minor
// units (0: none), share denominator, rest, date, cadence, count.
type part struct {
	minor int64
	den   int
	rest  bool
	date  string
	every int
	count int
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		text, locale string
		want         []part
	}{
		{"half tmrw half on the 8th", "en-US", []part{{den: 2, date: "2026-11-24"}, {den: 2, date: "2026-12-08"}}},
		{"100 now and the rest next week", "en-US", []part{{minor: 10000, date: "2026-11-23"}, {rest: true, date: "2026-11-30"}}},
		{"500 on the 27th and the rest on the 11th", "en-US", []part{{minor: 50000, date: "2026-11-27"}, {rest: true, date: "2026-12-11"}}},
		{"i can do 100 friday and the rest when i get paid", "en-US", []part{{minor: 10000, date: "2026-11-27"}, {rest: true}}},
		{"100 a week starting wednesday", "en-US", []part{{minor: 10000, date: "2026-11-25", every: 7}}},
		{"can i do 4 payments of 215 every other friday starting this friday", "en-US", []part{{minor: 21500, date: "2026-11-27", every: 14, count: 4}}},
		{"460 ahora and the other 400 on friday the 4th", "en-US", []part{{minor: 46000, date: "2026-11-23"}, {minor: 40000, date: "2026-12-04"}}},
		{"现在先转300 剩下的700周五给", "zh-CN", []part{{minor: 30000, date: "2026-11-24"}, {minor: 70000, date: "2026-11-27"}}},
		{"今天先还120 7号发工资再还剩下的", "zh-CN", []part{{minor: 12000, date: "2026-11-24"}, {rest: true, date: "2026-12-07"}}},
		{"每个礼拜还100 从明天开始", "zh-CN", []part{{minor: 10000, date: "2026-11-25", every: 7}}},
		{"二十六号四百 三十号四百 十二月四号四百", "zh-CN", []part{{minor: 40000, date: "2026-11-26"}, {minor: 40000, date: "2026-11-30"}, {minor: 40000, date: "2026-12-04"}}},
		{"我先還兩百 禮拜四 剩下的下禮拜四", "zh-CN", []part{{minor: 20000, date: "2026-11-26"}, {rest: true, date: "2026-12-03"}}},
		// One payment is not a schedule; a count after the amount is not
		// "N payments of" it.
		{"I can pay 240 on Friday, maybe in 4 payments", "en-US", nil},
		{"I can pay 100 on Friday", "en-US", nil},
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
				if g.Amount.Minor != w.minor || g.Den != w.den || g.Rest != w.rest || date != w.date || g.Every != w.every || g.Count != w.count {
					t.Errorf("part %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestPendingQuestion(t *testing.T) {
	tests := []struct {
		text   string
		locale string
		expect dialog.Expect
		inst   int
		amount int64
		date   string
	}{
		{"ok then 6", "en-US", dialog.ExpectCount, 6, 0, ""},
		{"make it 5", "en-US", dialog.ExpectCount, 5, 0, ""},
		{"six please", "en-US", dialog.ExpectCount, 6, 0, ""},
		{"what about 4", "en-US", dialog.ExpectCount, 4, 0, ""},
		{"make it 5", "en-US", dialog.ExpectChoice, 0, 500, ""}, // without the question, an amount
		{"28", "zh-CN", dialog.ExpectDate, 0, 0, "2026-11-28"},
		{"300", "zh-CN", dialog.ExpectAmount, 0, 30000, ""},
		{"3", "zh-CN", dialog.ExpectAmount, 0, 300, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text+"/"+string(tt.expect), func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, tt.expect, "")
			date := ""
			if !p.Date.IsZero() {
				date = p.Date.String()
			}
			if p.Installments != tt.inst || p.Amount.Minor != tt.amount || date != tt.date {
				t.Errorf("parse = %+v, want installments %d, amount %d, date %q", p, tt.inst, tt.amount, tt.date)
			}
		})
	}
}

func TestQuestionsReasonsAndFeelings(t *testing.T) {
	tests := []struct {
		text, locale string
		expect       dialog.Expect
		intent       dialog.Intent
		topic        dialog.Topic
		reason       string
		noCease      bool
	}{
		{"is this a scam?", "en-US", "", dialog.IntentQuestion, dialog.TopicLegit, "", false},
		{"你们是不是骗子", "zh-CN", "", dialog.IntentQuestion, dialog.TopicLegit, "", false},
		{"can you waive the late fee", "en-US", "", dialog.IntentQuestion, dialog.TopicFees, "", false},
		{"能减免利息吗", "zh-CN", "", dialog.IntentQuestion, dialog.TopicFees, "", false},
		{"what happens if I don't pay?", "en-US", "", dialog.IntentQuestion, dialog.TopicConsequence, "", false},
		{"Is there a discount if I pay the full amount today?", "en-US", "", dialog.IntentQuestion, dialog.TopicFees, "", false},
		{"who do i owe again", "en-US", "", dialog.IntentQuestion, dialog.TopicDebt, "", false},
		{"what on earth?", "en-US", "", dialog.IntentQuestion, dialog.TopicNone, "", false},
		{"my car needed repairs", "en-US", "", dialog.IntentReason, "", dialog.LateUnexpectedExpense, false},
		{"工资晚发了", "zh-CN", "", dialog.IntentReason, "", dialog.LatePaydayTiming, false},
		{"I totally spaced on it, my bad", "en-US", "", dialog.IntentReason, "", dialog.LateForgot, false},
		{"the thing with the landlord happened again", "en-US", dialog.ExpectReason, dialog.IntentReason, "", dialog.LateOther, false},
		{"lost my job at the restaurant", "en-US", "", dialog.IntentHardship, "", dialog.LateJobLoss, false},
		{"i had covid, was out of work 10 days. all better now tho", "en-US", "", dialog.IntentReason, "", dialog.LateIllness, false},
		{"我是真的还不上", "zh-CN", "", dialog.IntentHardship, "", "", false},
		{"I really cant pay anything right now", "en-US", "", dialog.IntentHardship, "", "", false},
		{"I cant pay this week", "en-US", "", dialog.IntentCannotPay, "", "", false},
		{"I have $12 in my account and two kids", "en-US", "", dialog.IntentHardship, "", "", false},
		{"i dont want to be here", "en-US", "", dialog.IntentDistress, "", "", false},
		{"过两天就还，别催了", "zh-CN", "", dialog.IntentPromise, "", "", true},
		{"stop hounding me, i'll pay the 1st", "en-US", "", dialog.IntentPromise, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, tt.expect, "")
			if p.Intent != tt.intent || p.Topic != tt.topic || p.Reason != tt.reason {
				t.Errorf("parse = %s topic %q reason %q (alts %v), want %s %q %q", p.Intent, p.Topic, p.Reason, p.Alts, tt.intent, tt.topic, tt.reason)
			}
			if tt.noCease && p.Has(dialog.IntentCease) {
				t.Errorf("read as a cease: %+v", p)
			}
			if tt.intent == dialog.IntentHardship && !p.Amount.IsZero() {
				t.Errorf("what the borrower has became an offer: %v", p.Amount)
			}
		})
	}
}

func TestDatesAsWritten(t *testing.T) {
	tests := []struct {
		text, locale string
		stage        dialog.Stage
		date, dob    string
	}{
		{"双十二那天还", "zh-CN", "", "2026-12-12", ""},
		{"月中一次性还清", "zh-CN", "", "2026-12-15", ""},
		{"下个月初还", "zh-CN", "", "2026-12-01", ""},
		{"周末还", "zh-CN", "", "2026-11-28", ""},
		{"禮拜五還", "zh-CN", "", "2026-11-27", ""},
		{"元旦还", "zh-CN", "", "2027-01-01", ""},
		{"half on black friday", "en-US", "", "2026-11-27", ""},
		{"this weekend", "en-US", "", "2026-11-28", ""},
		{"when I get paid on the 15th", "en-US", "", "2026-12-15", ""},
		{"a week from friday", "en-US", "", "2026-12-04", ""},
		{"friday the 4th", "en-US", "", "2026-12-04", ""},
		{"monday", "en-US", "", "2026-11-30", ""}, // said on a Monday
		{"88年2月29号", "zh-CN", dialog.StageVerify, "", "1988-02-29"},
		{"八七年十月十二号", "zh-CN", dialog.StageVerify, "", "1987-10-12"},
		{"民國81年5月5日", "zh-CN", dialog.StageVerify, "", "1992-05-05"},
		{"84-3-3", "zh-CN", dialog.StageVerify, "", "1984-03-03"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p := parseWith(t, tt.text, tt.locale, "", tt.stage)
			date, dob := "", ""
			if !p.Date.IsZero() {
				date = p.Date.String()
			}
			if len(p.Parts) == 1 {
				date = p.Parts[0].Date.String()
			}
			if !p.DOB.IsZero() {
				dob = p.DOB.String()
			}
			if date != tt.date || dob != tt.dob {
				t.Errorf("date %q dob %q, want %q %q (%+v)", date, dob, tt.date, tt.dob, p)
			}
		})
	}
}

func TestAmountsAsWritten(t *testing.T) {
	tests := []struct {
		text  string
		minor int64
	}{
		{"4 hundred thirty on friday", 43000},
		{"15 hundred on wednesday", 150000},
		{"twelve hundred eighty eight dollars and eighty eight cents on friday", 128888},
	}
	for _, tt := range tests {
		if p := parseWith(t, tt.text, "en-US", "", ""); p.Amount.Minor != tt.minor {
			t.Errorf("%q: amount %d, want %d", tt.text, p.Amount.Minor, tt.minor)
		}
	}
}
