package understand

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// sunday is the default "today" of the table: Sunday, November 22, 2026.
var sunday = compliance.Date{Year: 2026, Month: time.November, Day: 22}

// wednesday is a mid-week "today": Wednesday, November 25, 2026.
var wednesday = compliance.Date{Year: 2026, Month: time.November, Day: 25}

type want struct {
	intent    dialog.Intent
	alts      []dialog.Intent // must all be present in Alts
	date      string          // YYYY-MM-DD, "" means none
	amount    string          // Money.String(), "" means none
	inst      int
	dob       string
	id        string
	negated   bool
	name      string
	sentiment string // checked when set
}

type tcase struct {
	text  string
	loc   string // "en" or "zh"
	stage dialog.Stage
	today compliance.Date
	want  want
}

const (
	en = "en"
	zh = "zh"
)

// Short names keep the table readable.
const (
	affirm    = dialog.IntentAffirm
	deny      = dialog.IntentDeny
	greet     = dialog.IntentGreet
	identify  = dialog.IntentIdentify
	payNow    = dialog.IntentPayNow
	promise   = dialog.IntentPromise
	plan      = dialog.IntentPlan
	extension = dialog.IntentExtension
	cannotPay = dialog.IntentCannotPay
	hardship  = dialog.IntentHardship
	dispute   = dialog.IntentDispute
	cease     = dialog.IntentCease
	attorney  = dialog.IntentAttorney
	bankrupt  = dialog.IntentBankruptcy
	wrongPty  = dialog.IntentWrongParty
	human     = dialog.IntentHuman
	complaint = dialog.IntentComplaint
	abuse     = dialog.IntentAbuse
	distress  = dialog.IntentDistress
	askBal    = dialog.IntentAskBalance
	askHow    = dialog.IntentAskHowToPay
	paid      = dialog.IntentAlreadyPaid
	later     = dialog.IntentCallbackLater
	unknown   = dialog.IntentUnknown
)

var table = []tcase{
	// affirm / deny, en
	{text: "yes", loc: en, want: want{intent: affirm}},
	{text: "Yeah", loc: en, want: want{intent: affirm}},
	{text: "yep", loc: en, want: want{intent: affirm}},
	{text: "OK", loc: en, want: want{intent: affirm}},
	{text: "sure", loc: en, want: want{intent: affirm}},
	{text: "correct", loc: en, want: want{intent: affirm}},
	{text: "That's right.", loc: en, want: want{intent: affirm}},
	{text: "that’s correct", loc: en, want: want{intent: affirm}},
	{text: "no problem", loc: en, want: want{intent: affirm}},
	{text: "no", loc: en, want: want{intent: deny}},
	{text: "Nope", loc: en, want: want{intent: deny}},
	{text: "nah, that's wrong", loc: en, want: want{intent: deny}},
	// affirm / deny, zh
	{text: "对", loc: zh, want: want{intent: affirm}},
	{text: "是的", loc: zh, want: want{intent: affirm}},
	{text: "好的", loc: zh, want: want{intent: affirm}},
	{text: "可以", loc: zh, want: want{intent: affirm}},
	{text: "没问题", loc: zh, want: want{intent: affirm}},
	{text: "行", loc: zh, want: want{intent: affirm}},
	{text: "嗯嗯，对的", loc: zh, want: want{intent: affirm}},
	{text: "不", loc: zh, want: want{intent: deny}},
	{text: "不是", loc: zh, want: want{intent: deny}},
	{text: "不行", loc: zh, want: want{intent: deny}},
	{text: "不可以", loc: zh, want: want{intent: deny}},
	{text: "不对", loc: zh, want: want{intent: deny}},
	// look-alikes that are not yes
	{text: "银行", loc: zh, want: want{intent: unknown}},
	{text: "对不起", loc: zh, want: want{intent: unknown}},
	// greetings
	{text: "Hi there", loc: en, want: want{intent: greet}},
	{text: "hello", loc: en, want: want{intent: greet}},
	{text: "你好", loc: zh, want: want{intent: greet}},
	{text: "您好！", loc: zh, want: want{intent: greet}},

	// dates, en
	{text: "I'll pay tomorrow", loc: en, want: want{intent: promise, date: "2026-11-23"}},
	{text: "day after tomorrow", loc: en, want: want{intent: promise, date: "2026-11-24"}},
	{text: "I can pay today", loc: en, want: want{intent: promise, date: "2026-11-22"}},
	{text: "Friday", loc: en, want: want{intent: promise, date: "2026-11-27"}},
	{text: "this Friday", loc: en, want: want{intent: promise, date: "2026-11-27"}},
	{text: "next Wednesday", loc: en, want: want{intent: promise, date: "2026-11-25"}},
	{text: "next Wednesday", loc: en, today: wednesday, want: want{intent: promise, date: "2026-12-02"}},
	{text: "this Friday", loc: en, today: wednesday, want: want{intent: promise, date: "2026-11-27"}},
	{text: "Monday", loc: en, today: wednesday, want: want{intent: promise, date: "2026-11-30"}},
	{text: "on Sunday", loc: en, want: want{intent: promise, date: "2026-11-29"}}, // said on a Sunday: the next one,
	{text: "the 28th", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "28th", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "on the 5th", loc: en, want: want{intent: promise, date: "2026-12-05"}},
	{text: "the 21st", loc: en, want: want{intent: promise, date: "2026-12-21"}},
	{text: "the twenty eighth", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "Nov 28", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "November 28", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "November 20", loc: en, want: want{intent: promise, date: "2027-11-20"}},
	{text: "December 3rd", loc: en, want: want{intent: promise, date: "2026-12-03"}},
	{text: "3 December", loc: en, want: want{intent: promise, date: "2026-12-03"}},
	{text: "the 28th of November", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "11/28", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "12/01/2026", loc: en, want: want{intent: promise, date: "2026-12-01"}},
	{text: "in five days", loc: en, want: want{intent: promise, date: "2026-11-27"}},
	{text: "in 3 days", loc: en, want: want{intent: promise, date: "2026-11-25"}},
	{text: "3 days from now", loc: en, want: want{intent: promise, date: "2026-11-25"}},
	{text: "in a week", loc: en, want: want{intent: promise, date: "2026-11-29"}},
	{text: "in 2 weeks", loc: en, want: want{intent: promise, date: "2026-12-06"}},
	{text: "next week", loc: en, want: want{intent: promise, date: "2026-11-29"}},
	{text: "end of month", loc: en, want: want{intent: promise, date: "2026-11-30"}},
	{text: "by the end of the month", loc: en, want: want{intent: promise, date: "2026-11-30"}},
	{text: "the 5th of next month", loc: en, want: want{intent: promise, date: "2026-12-05"}},
	{text: "next month on the 5th", loc: en, want: want{intent: promise, date: "2026-12-05"}},
	{text: "the 28th", loc: en, today: compliance.Date{Year: 2026, Month: time.November, Day: 29}, want: want{intent: promise, date: "2026-12-28"}},
	{text: "the 31st", loc: en, want: want{intent: promise, date: "2026-12-31"}},
	{text: "the 30th", loc: en, today: compliance.Date{Year: 2027, Month: time.January, Day: 31}, want: want{intent: promise, date: "2027-03-30"}},
	{text: "I will pay $100 on the 28th", loc: en, want: want{intent: promise, date: "2026-11-28", amount: "100.00 USD"}},
	{text: "Dec. 3", loc: en, want: want{intent: promise, date: "2026-12-03"}},
	{text: "in a couple of days", loc: en, want: want{intent: promise, date: "2026-11-24"}},
	{text: "in a few days", loc: en, want: want{intent: promise, date: "2026-11-25"}},
	{text: "tomorrow at 5", loc: en, want: want{intent: promise, date: "2026-11-23"}},
	{text: "tommorow", loc: en, want: want{intent: promise, date: "2026-11-23"}},
	{text: "wensday", loc: en, want: want{intent: promise, date: "2026-11-25"}},
	// dates, zh
	{text: "明天", loc: zh, want: want{intent: promise, date: "2026-11-23"}},
	{text: "我明天还", loc: zh, want: want{intent: promise, date: "2026-11-23"}},
	{text: "后天", loc: zh, want: want{intent: promise, date: "2026-11-24"}},
	{text: "大后天还款", loc: zh, want: want{intent: promise, date: "2026-11-25"}},
	{text: "今天就还", loc: zh, want: want{intent: promise, date: "2026-11-22"}},
	{text: "这周五", loc: zh, want: want{intent: promise, date: "2026-11-27"}},
	{text: "周五", loc: zh, want: want{intent: promise, date: "2026-11-27"}},
	{text: "星期五", loc: zh, want: want{intent: promise, date: "2026-11-27"}},
	{text: "礼拜五", loc: zh, want: want{intent: promise, date: "2026-11-27"}},
	{text: "下周三", loc: zh, want: want{intent: promise, date: "2026-11-25"}},
	{text: "下个星期三", loc: zh, want: want{intent: promise, date: "2026-11-25"}},
	{text: "下周三", loc: zh, today: wednesday, want: want{intent: promise, date: "2026-12-02"}},
	{text: "周日", loc: zh, today: wednesday, want: want{intent: promise, date: "2026-11-29"}},
	{text: "这周一", loc: zh, today: wednesday, want: want{intent: promise, date: "2026-11-30"}},
	{text: "28号", loc: zh, want: want{intent: promise, date: "2026-11-28"}},
	{text: "28日", loc: zh, want: want{intent: promise, date: "2026-11-28"}},
	{text: "二十八号", loc: zh, want: want{intent: promise, date: "2026-11-28"}},
	{text: "5号", loc: zh, want: want{intent: promise, date: "2026-12-05"}},
	{text: "11月28日", loc: zh, want: want{intent: promise, date: "2026-11-28"}},
	{text: "12月3号", loc: zh, want: want{intent: promise, date: "2026-12-03"}},
	{text: "月底", loc: zh, want: want{intent: promise, date: "2026-11-30"}},
	{text: "下个月底", loc: zh, want: want{intent: promise, date: "2026-12-31"}},
	{text: "三天后", loc: zh, want: want{intent: promise, date: "2026-11-25"}},
	{text: "3天后", loc: zh, want: want{intent: promise, date: "2026-11-25"}},
	{text: "一周后", loc: zh, want: want{intent: promise, date: "2026-11-29"}},
	{text: "两个星期后", loc: zh, want: want{intent: promise, date: "2026-12-06"}},
	{text: "过五天", loc: zh, want: want{intent: promise, date: "2026-11-27"}},
	{text: "下个月5号", loc: zh, want: want{intent: promise, date: "2026-12-05"}},
	{text: "下月5日", loc: zh, want: want{intent: promise, date: "2026-12-05"}},
	{text: "下周", loc: zh, want: want{intent: promise, date: "2026-11-29"}},

	// amounts, en
	{text: "$240", loc: en, want: want{intent: promise, amount: "240.00 USD"}},
	{text: "I can pay $240.50", loc: en, want: want{intent: promise, amount: "240.50 USD"}},
	{text: "240 dollars", loc: en, want: want{intent: promise, amount: "240.00 USD"}},
	{text: "240.50", loc: en, want: want{intent: promise, amount: "240.50 USD"}},
	{text: "two hundred forty", loc: en, want: want{intent: promise, amount: "240.00 USD"}},
	{text: "two hundred and forty dollars", loc: en, want: want{intent: promise, amount: "240.00 USD"}},
	{text: "I can do a hundred bucks", loc: en, want: want{intent: promise, amount: "100.00 USD"}},
	{text: "1,200", loc: en, want: want{intent: promise, amount: "1200.00 USD"}},
	{text: "$1,200.75", loc: en, want: want{intent: promise, amount: "1200.75 USD"}},
	{text: "860 RMB", loc: en, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "¥860", loc: en, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "forty-five dollars", loc: en, want: want{intent: promise, amount: "45.00 USD"}},
	// amounts, zh
	{text: "860元", loc: zh, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "860块", loc: zh, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "八百六十块", loc: zh, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "我能还一千二", loc: zh, want: want{intent: promise, amount: "1200.00 CNY"}},
	{text: "两百", loc: zh, want: want{intent: promise, amount: "200.00 CNY"}},
	{text: "两百五十块钱", loc: zh, want: want{intent: promise, amount: "250.00 CNY"}},
	{text: "一千零五元", loc: zh, want: want{intent: promise, amount: "1005.00 CNY"}},
	{text: "一万二", loc: zh, want: want{intent: promise, amount: "12000.00 CNY"}},
	{text: "¥860", loc: zh, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "860 RMB", loc: zh, want: want{intent: promise, amount: "860.00 CNY"}},
	{text: "240美元", loc: zh, want: want{intent: promise, amount: "240.00 USD"}},
	{text: "明天还500", loc: zh, want: want{intent: promise, date: "2026-11-23", amount: "500.00 CNY"}},
	{text: "1.2万", loc: zh, want: want{intent: promise, amount: "12000.00 CNY"}},
	{text: "3千块", loc: zh, want: want{intent: promise, amount: "3000.00 CNY"}},
	{text: "$2k", loc: en, want: want{intent: promise, amount: "2000.00 USD"}},
	{text: "I can do 2k", loc: en, want: want{intent: promise, amount: "2000.00 USD"}},
	{text: "a thousand dollars", loc: en, want: want{intent: promise, amount: "1000.00 USD"}},
	// numbers that are not amounts
	{text: "I'll pay on 28", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "I can pay 50 by 28", loc: en, want: want{intent: promise, date: "2026-11-28", amount: "50.00 USD"}},
	{text: "2026年12月1日", loc: zh, want: want{intent: promise, date: "2026-12-01"}},
	{text: "12月1日前还清", loc: zh, want: want{intent: promise, alts: []dialog.Intent{payNow}, date: "2026-12-01"}},
	{text: "I was born in 1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify}},
	{text: "1/1/2127", loc: en, want: want{intent: unknown}},
	{text: "the 28th", loc: en, want: want{intent: promise, date: "2026-11-28"}},
	{text: "28号还", loc: zh, want: want{intent: promise, date: "2026-11-28"}},
	{text: "call me at 3 pm", loc: en, want: want{intent: unknown}},
	{text: "I'm 35 years old", loc: en, want: want{intent: unknown}},
	{text: "in 3 days", loc: en, want: want{intent: promise, date: "2026-11-25"}},

	// installments
	{text: "3", loc: en, want: want{intent: plan, inst: 3}},
	{text: "three", loc: en, want: want{intent: plan, inst: 3}},
	{text: "三", loc: zh, want: want{intent: plan, inst: 3}},
	{text: "6。", loc: zh, want: want{intent: plan, inst: 6}},
	{text: "50", loc: en, want: want{intent: promise, amount: "50.00 USD"}},
	{text: "$5", loc: en, want: want{intent: promise, amount: "5.00 USD"}},
	{text: "4 payments", loc: en, want: want{intent: plan, inst: 4}},
	{text: "can I pay in 3 installments", loc: en, want: want{intent: plan, inst: 3}},
	{text: "split it into six", loc: en, want: want{intent: plan, inst: 6}},
	{text: "six monthly payments", loc: en, want: want{intent: plan, inst: 6}},
	{text: "pay it over 5 months", loc: en, want: want{intent: plan, inst: 5}},
	{text: "payment plan please", loc: en, want: want{intent: plan}},
	{text: "4 payments of $60", loc: en, want: want{intent: plan, inst: 4, amount: "60.00 USD"}},
	{text: "分三期", loc: zh, want: want{intent: plan, inst: 3}},
	{text: "6期", loc: zh, want: want{intent: plan, inst: 6}},
	{text: "分成4次", loc: zh, want: want{intent: plan, inst: 4}},
	{text: "分6个月还", loc: zh, want: want{intent: plan, inst: 6}},
	{text: "能分期吗", loc: zh, want: want{intent: plan}},
	{text: "一次性还清", loc: zh, want: want{intent: payNow}},

	// identity
	{text: "07/21/1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "7/21/1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "July 21, 1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "21 July 1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "1988-07-21", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "my birthday is July 21st, 1988", loc: en, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "1988年7月21日", loc: zh, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	// Dates written with dots are three numbers, not a decimal; years as
	// they are said (speech-to-text).
	{text: "1988.7.21", loc: zh, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "07.21.1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "21.7.1988", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "july twenty first nineteen eighty eight", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "july 21 nineteen eighty-eight", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "march 2nd nineteen oh five", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1905-03-02"}},
	{text: "19880721", loc: zh, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "4417", loc: en, stage: dialog.StageVerify, want: want{intent: identify, id: "4417"}},
	{text: "last four are 4417", loc: en, want: want{intent: identify, id: "4417"}},
	{text: "the last 4 digits: 4417", loc: en, want: want{intent: identify, id: "4417"}},
	{text: "尾号441X", loc: zh, stage: dialog.StageVerify, want: want{intent: identify, id: "441X"}},
	{text: "尾号是441x", loc: zh, want: want{intent: identify, id: "441X"}},
	{text: "身份证后四位4417", loc: zh, want: want{intent: identify, id: "4417"}},
	{text: "yes it's me, 4417", loc: en, stage: dialog.StageVerify, want: want{intent: identify, alts: []dialog.Intent{affirm}, id: "4417"}},
	{text: "my name is Maria Lopez", loc: en, want: want{intent: identify, name: "Maria Lopez"}},
	{text: "我叫张三", loc: zh, want: want{intent: identify, name: "张三"}},
	{text: "我的生日是1988年7月21日，身份证尾号441X", loc: zh, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21", id: "441X"}},

	// negation
	{text: "I can't pay Friday", loc: en, want: want{intent: cannotPay, date: "2026-11-27", negated: true}},
	{text: "not Friday", loc: en, want: want{intent: cannotPay, date: "2026-11-27", negated: true}},
	{text: "Friday doesn't work for me", loc: en, want: want{intent: cannotPay, date: "2026-11-27", negated: true}},
	{text: "I can't pay by Friday", loc: en, want: want{intent: cannotPay, date: "2026-11-27", negated: true}},
	{text: "周五不行", loc: zh, want: want{intent: cannotPay, date: "2026-11-27", negated: true}},
	{text: "我付不了", loc: zh, want: want{intent: cannotPay, negated: true}},
	{text: "明天还不了", loc: zh, want: want{intent: cannotPay, date: "2026-11-23", negated: true}},
	{text: "不是周五，是周一", loc: zh, want: want{intent: promise, date: "2026-11-23"}},
	{text: "No, not Friday, Monday", loc: en, want: want{intent: promise, alts: []dialog.Intent{deny}, date: "2026-11-23"}},
	{text: "I can't pay Friday but I could pay $120 next Wednesday", loc: en, want: want{intent: promise, alts: []dialog.Intent{cannotPay}, date: "2026-11-25", amount: "120.00 USD"}},
	{text: "我这周五还不了，下周三可以还一千二", loc: zh, want: want{intent: promise, alts: []dialog.Intent{cannotPay}, date: "2026-11-25", amount: "1200.00 CNY"}},
	{text: "I can't pay $240", loc: en, want: want{intent: cannotPay, amount: "240.00 USD", negated: true}},
	{text: "I don't have the money", loc: en, want: want{intent: cannotPay, negated: true}},
	{text: "没钱", loc: zh, want: want{intent: cannotPay, negated: true}},

	// typos
	{text: "tomorow", loc: en, want: want{intent: promise, date: "2026-11-23"}},
	{text: "I'll pay tommorrow", loc: en, want: want{intent: promise, date: "2026-11-23"}},
	{text: "fridya", loc: en, want: want{intent: promise, date: "2026-11-27"}},
	{text: "next wednsday", loc: en, want: want{intent: promise, date: "2026-11-25"}},
	{text: "thursady", loc: en, want: want{intent: promise, date: "2026-11-26"}},
	{text: "4 instalments", loc: en, want: want{intent: plan, inst: 4}},
	{text: "in 3 insallments", loc: en, want: want{intent: plan, inst: 3}},
	{text: "payemnt plan", loc: en, want: want{intent: plan}},
	{text: "talk to my lawer", loc: en, want: want{intent: attorney}},
	{text: "I filed for bankrupcy", loc: en, want: want{intent: bankrupt}},
	{text: "I'm in the hospitl", loc: en, want: want{intent: hardship}},
	{text: "sounds good, I might pay", loc: en, want: want{intent: promise, alts: []dialog.Intent{affirm}}},

	// escalation intents, en
	{text: "this is not my debt", loc: en, want: want{intent: dispute, sentiment: "negative"}},
	{text: "I never borrowed anything", loc: en, want: want{intent: dispute}},
	{text: "that's the wrong amount", loc: en, want: want{intent: dispute}},
	{text: "Stop contacting me", loc: en, want: want{intent: cease}},
	{text: "please stop calling me", loc: en, want: want{intent: cease}},
	{text: "talk to my lawyer", loc: en, want: want{intent: attorney}},
	{text: "I have an attorney", loc: en, want: want{intent: attorney}},
	{text: "I filed chapter 7", loc: en, want: want{intent: bankrupt}},
	{text: "wrong number", loc: en, want: want{intent: wrongPty}},
	{text: "I'm not Maria, this is her husband", loc: en, want: want{intent: wrongPty}},
	{text: "我是她老公，她不在家", loc: zh, want: want{intent: wrongPty}},
	{text: "not me", loc: en, want: want{intent: wrongPty}},
	{text: "you have the wrong person", loc: en, want: want{intent: wrongPty}},
	{text: "agent", loc: en, want: want{intent: human}},
	{text: "I want a real person", loc: en, want: want{intent: human}},
	{text: "I want to complain", loc: en, want: want{intent: complaint}},
	{text: "I'll file a complaint with the CFPB!", loc: en, want: want{intent: complaint, sentiment: "angry"}},
	{text: "fuck you", loc: en, want: want{intent: abuse, sentiment: "angry"}},
	{text: "you stupid bot", loc: en, want: want{intent: abuse}},
	{text: "I want to kill myself", loc: en, want: want{intent: distress, sentiment: "distressed"}},
	{text: "I can't go on anymore", loc: en, want: want{intent: distress}},
	// escalation intents, zh
	{text: "这不是我的", loc: zh, want: want{intent: dispute}},
	{text: "我没借过钱", loc: zh, want: want{intent: dispute}},
	{text: "金额不对", loc: zh, want: want{intent: dispute}},
	{text: "别再联系我", loc: zh, want: want{intent: cease}},
	{text: "不要再打电话了", loc: zh, want: want{intent: cease}},
	{text: "你找我的律师", loc: zh, want: want{intent: attorney}},
	{text: "我已经破产了", loc: zh, want: want{intent: bankrupt}},
	{text: "打错了", loc: zh, want: want{intent: wrongPty}},
	{text: "我不是", loc: zh, want: want{intent: wrongPty}},
	{text: "我不是本人", loc: zh, want: want{intent: wrongPty}},
	{text: "人工", loc: zh, want: want{intent: human}},
	{text: "转人工", loc: zh, want: want{intent: human}},
	{text: "我要真人", loc: zh, want: want{intent: human}},
	{text: "我要投诉你们", loc: zh, want: want{intent: complaint}},
	{text: "傻逼", loc: zh, want: want{intent: abuse, sentiment: "angry"}},
	{text: "你妈的滚", loc: zh, want: want{intent: abuse}},
	// Swearing at nobody next to a way to pay is venting; at the
	// collector, with or without an offer, it is abuse.
	{text: "妈的 又来 周五还行了吧", loc: zh, want: want{intent: promise, date: "2026-11-27"}},
	{text: "fuck it ill pay it all friday", loc: en, want: want{intent: promise, date: "2026-11-27"}},
	{text: "fuck you ill pay friday", loc: en, want: want{intent: abuse, date: "2026-11-27"}},
	{text: "我想死", loc: zh, want: want{intent: distress, sentiment: "distressed"}},
	{text: "真的活不下去了", loc: zh, want: want{intent: distress}},
	// hardship
	{text: "I lost my job", loc: en, want: want{intent: hardship, sentiment: "negative"}},
	{text: "I'm sick", loc: en, want: want{intent: dialog.IntentReason}}, // a reason, not hardship alone
	{text: "I'm sick and can't work", loc: en, want: want{intent: hardship}},
	{text: "I'm in the hospital", loc: en, want: want{intent: hardship}},
	{text: "我失业了", loc: zh, want: want{intent: hardship}},
	{text: "我生病了", loc: zh, want: want{intent: dialog.IntentReason}},
	{text: "住院了，没有收入", loc: zh, want: want{intent: hardship}},
	// questions and the rest
	{text: "how much do I owe?", loc: en, want: want{intent: askBal}},
	{text: "what's my balance", loc: en, want: want{intent: askBal}},
	{text: "我欠多少钱", loc: zh, want: want{intent: askBal}},
	{text: "how do I pay", loc: en, want: want{intent: askHow}},
	{text: "send me the payment link", loc: en, want: want{intent: askHow}},
	{text: "怎么还款", loc: zh, want: want{intent: askHow}},
	{text: "I already paid", loc: en, want: want{intent: paid}},
	{text: "我已经还了", loc: zh, want: want{intent: paid}},
	{text: "call me later", loc: en, want: want{intent: later}},
	{text: "call me back tomorrow", loc: en, want: want{intent: later, date: "2026-11-23"}},
	{text: "我在忙，晚点再说", loc: zh, want: want{intent: later}},
	{text: "I need more time", loc: en, want: want{intent: extension}},
	{text: "能宽限几天吗", loc: zh, want: want{intent: extension}},
	// A later payment by a stated span, whatever the verb and the number.
	{text: "能不能晚一周还", loc: zh, want: want{intent: extension}},
	{text: "推迟10天可以吗", loc: zh, want: want{intent: extension}},
	{text: "can you push it back a week", loc: en, want: want{intent: extension}},
	{text: "could we postpone it by two weeks", loc: en, want: want{intent: extension}},
	{text: "I can pay it in full now", loc: en, want: want{intent: payNow}},
	{text: "我现在就还", loc: zh, want: want{intent: payNow}},
	{text: "I'll pay it all on Friday", loc: en, want: want{intent: promise, alts: []dialog.Intent{payNow}, date: "2026-11-27"}},

	// multi-intent priority
	{text: "I lost my job, let me talk to a real person", loc: en, want: want{intent: human, alts: []dialog.Intent{hardship}}},
	{text: "stop calling me you idiot", loc: en, want: want{intent: abuse, alts: []dialog.Intent{cease}}},
	{text: "I want to die, stop calling", loc: en, want: want{intent: distress, alts: []dialog.Intent{cease}}},
	{text: "my lawyer says it's not my debt", loc: en, want: want{intent: attorney, alts: []dialog.Intent{dispute}}},
	{text: "I lost my job, can we split it into 4 payments?", loc: en, want: want{intent: plan, alts: []dialog.Intent{hardship}, inst: 4}},
	{text: "我失业了，能不能分三期", loc: zh, want: want{intent: plan, alts: []dialog.Intent{hardship}, inst: 3}},
	{text: "没钱，我想死", loc: zh, want: want{intent: distress, alts: []dialog.Intent{cannotPay}}},
	{text: "Hi, I want to pay on Friday", loc: en, want: want{intent: promise, alts: []dialog.Intent{greet}, date: "2026-11-27"}},
	{text: "yes, Friday", loc: en, stage: dialog.StageConfirm, want: want{intent: affirm, alts: []dialog.Intent{promise}, date: "2026-11-27"}},
	{text: "对，周五", loc: zh, stage: dialog.StageConfirm, want: want{intent: affirm, date: "2026-11-27"}},

	// code-switching
	{text: "我明天还", loc: en, want: want{intent: promise, date: "2026-11-23"}},
	{text: "I can pay tomorrow", loc: zh, want: want{intent: promise, date: "2026-11-23"}},
	{text: "转人工 please", loc: en, want: want{intent: human}},
	{text: "ok，分三期", loc: zh, want: want{intent: plan, alts: []dialog.Intent{affirm}, inst: 3}},
	{text: "我不是本人, wrong number", loc: en, want: want{intent: wrongPty}},
	{text: "stop contacting me 别再联系我", loc: zh, want: want{intent: cease}},
	{text: "Friday 还 500元", loc: en, want: want{intent: promise, date: "2026-11-27", amount: "500.00 CNY"}},
	{text: "下周三 pay $200", loc: en, want: want{intent: promise, date: "2026-11-25", amount: "200.00 USD"}},
	{text: "yes 是我", loc: zh, stage: dialog.StageVerify, want: want{intent: affirm}},
	{text: "ＯＫ，明天", loc: zh, want: want{intent: promise, alts: []dialog.Intent{affirm}, date: "2026-11-23"}},

	{text: "我想 pay in full now", loc: zh, want: want{intent: payNow}},
	{text: "can I do 分期?", loc: en, want: want{intent: plan}},
	{text: "I 失业了, need more time", loc: en, want: want{intent: extension, alts: []dialog.Intent{hardship}}},
	{text: "好的 tomorow", loc: zh, want: want{intent: promise, alts: []dialog.Intent{affirm}, date: "2026-11-23"}},
	{text: "我的lawyer会联系你", loc: zh, want: want{intent: attorney}},
	{text: "my DOB is 1988年7月21日", loc: en, stage: dialog.StageVerify, want: want{intent: identify, dob: "1988-07-21"}},
	{text: "尾号 is 4417", loc: en, want: want{intent: identify, id: "4417"}},
	{text: "三天后 I can pay 两百", loc: en, want: want{intent: promise, date: "2026-11-25", amount: "200.00 USD"}},

	{text: "3 payments, the first one on Friday", loc: en, want: want{intent: plan, inst: 3, date: "2026-11-27"}},
	{text: "不要再给我发消息了", loc: zh, want: want{intent: cease}},
	{text: "今天天气不错", loc: zh, want: want{intent: unknown}},
	{text: "周五还不上，下周三吧", loc: zh, today: compliance.Date{Year: 2026, Month: time.November, Day: 24}, want: want{intent: promise, alts: []dialog.Intent{cannotPay}, date: "2026-12-02"}},
	{text: "本月底", loc: zh, want: want{intent: promise, date: "2026-11-30"}},

	{text: "I can't talk right now", loc: en, want: want{intent: later}},
	{text: "我现在没空", loc: zh, want: want{intent: later}},
	{text: "能不能先还一半", loc: zh, want: want{intent: promise}},
	{text: "I'm not able to pay", loc: en, want: want{intent: cannotPay, negated: true}},
	{text: "I have a lawyer and I'm filing bankruptcy", loc: en, want: want{intent: attorney, alts: []dialog.Intent{bankrupt}}},
	{text: "我月底发工资，到时候一次性还清", loc: zh, want: want{intent: promise, alts: []dialog.Intent{payNow}, date: "2026-11-30"}},
	{text: "我明天还不上，后天可以吗", loc: zh, want: want{intent: promise, alts: []dialog.Intent{cannotPay}, date: "2026-11-24"}},

	// nothing understood
	{text: "I'm not sure", loc: en, want: want{intent: unknown}},
	{text: "你是谁", loc: zh, want: want{intent: dialog.IntentQuestion}},
	{text: "asdf qwerty", loc: en, want: want{intent: unknown}},
	{text: "", loc: en, want: want{intent: unknown}},
	{text: "？？？", loc: zh, want: want{intent: unknown}},
}

func TestUnderstandTable(t *testing.T) {
	r := NewRules()
	ctx := context.Background()
	for i, tc := range table {
		name := fmt.Sprintf("%03d_%s_%s", i, tc.loc, tc.text)
		t.Run(name, func(t *testing.T) {
			loc, cur := "en-US", "USD"
			if tc.loc == zh {
				loc, cur = "zh-CN", "CNY"
			}
			today := tc.today
			if today.IsZero() {
				today = sunday
			}
			stage := tc.stage
			if stage == "" {
				stage = dialog.StageNegotiate
			}
			p, err := r.Understand(ctx, Request{Text: tc.text, Locale: loc, Today: today, Currency: cur, Stage: stage})
			if err != nil {
				t.Fatalf("Understand: %v", err)
			}
			w := tc.want
			if p.Intent != w.intent {
				t.Errorf("intent = %q (alts %v), want %q", p.Intent, p.Alts, w.intent)
			}
			for _, alt := range w.alts {
				if !slices.Contains(p.Alts, alt) {
					t.Errorf("alts = %v, want %q among them", p.Alts, alt)
				}
			}
			if got := p.Date.String(); got != w.date {
				t.Errorf("date = %q, want %q", got, w.date)
			}
			gotAmt := ""
			if !p.Amount.IsZero() {
				gotAmt = p.Amount.String()
			}
			if gotAmt != w.amount {
				t.Errorf("amount = %q, want %q", gotAmt, w.amount)
			}
			if p.Installments != w.inst {
				t.Errorf("installments = %d, want %d", p.Installments, w.inst)
			}
			if got := p.DOB.String(); got != w.dob {
				t.Errorf("dob = %q, want %q", got, w.dob)
			}
			if p.IDLast4 != w.id {
				t.Errorf("id_last4 = %q, want %q", p.IDLast4, w.id)
			}
			if p.Negated != w.negated {
				t.Errorf("negated = %v, want %v", p.Negated, w.negated)
			}
			if p.Name != w.name {
				t.Errorf("name = %q, want %q", p.Name, w.name)
			}
			if w.sentiment != "" && p.Sentiment != w.sentiment {
				t.Errorf("sentiment = %q, want %q", p.Sentiment, w.sentiment)
			}
			checkInvariants(t, p, today)
			if w.intent == unknown && p.Confidence > 0.2 {
				t.Errorf("confidence = %v for an unknown message", p.Confidence)
			}
			if w.intent != unknown && p.Confidence < 0.5 {
				t.Errorf("confidence = %v for a recognised message", p.Confidence)
			}
		})
	}
}

// checkInvariants holds for every parse.
func checkInvariants(t *testing.T, p dialog.Parse, today compliance.Date) {
	t.Helper()
	if p.Source != Source {
		t.Errorf("source = %q", p.Source)
	}
	if p.Confidence < 0 || p.Confidence > 1 {
		t.Errorf("confidence %v out of [0,1]", p.Confidence)
	}
	if !p.Date.IsZero() && p.Date.Before(today) {
		t.Errorf("date %v before today %v", p.Date, today)
	}
	if p.Amount.Minor < 0 {
		t.Errorf("negative amount %v", p.Amount)
	}
	if !p.Amount.IsZero() && p.Amount.Currency == "" {
		t.Errorf("amount without currency")
	}
	if p.Installments < 0 || p.Installments > 60 {
		t.Errorf("installments %d", p.Installments)
	}
	if p.IDLast4 != "" {
		if len(p.IDLast4) != 4 {
			t.Errorf("id_last4 %q", p.IDLast4)
		}
		for i := 0; i < len(p.IDLast4); i++ {
			c := p.IDLast4[i]
			if !(c >= '0' && c <= '9') && !(i == 3 && c == 'X') {
				t.Errorf("id_last4 %q", p.IDLast4)
			}
		}
	}
	if !p.DOB.IsZero() && !p.DOB.Before(today) {
		t.Errorf("dob %v not in the past", p.DOB)
	}
	if p.Intent == unknown && len(p.Alts) > 0 {
		t.Errorf("alts %v without an intent", p.Alts)
	}
	if slices.Contains(p.Alts, p.Intent) {
		t.Errorf("main intent %q repeated in alts", p.Intent)
	}
	switch p.Sentiment {
	case "neutral", "negative", "angry", "distressed":
	default:
		t.Errorf("sentiment %q", p.Sentiment)
	}
	known := p.Intent == unknown
	for i := iAffirm; i < iNeg; i++ {
		if intentOf[i] == p.Intent {
			known = true
		}
	}
	if !known {
		t.Errorf("intent %q is not a dialog intent", p.Intent)
	}
}

// Every dialog intent has phrases in both lexicons.
func TestLexiconsCoverEveryIntent(t *testing.T) {
	r := NewRules()
	for i := iAffirm; i < iNeg; i++ {
		var loc uint8
		for _, p := range r.intents.phrases {
			if p.intent == i {
				loc |= p.loc
			}
		}
		if loc&locEN == 0 || loc&locZH == 0 {
			t.Errorf("intent %q: lexicon coverage en=%v zh=%v", intentOf[i], loc&locEN != 0, loc&locZH != 0)
		}
	}
}

func TestTypoCorrection(t *testing.T) {
	r := NewRules()
	for _, tc := range []struct{ in, want string }{
		{"tomorow", "tomorrow"}, {"tommorrow", "tomorrow"}, {"fridya", "friday"},
		{"instalment", "instalment"}, {"insallments", "installments"}, {"wednsday", "wednesday"},
		{"lawer", "lawyer"}, {"payemnt", "payment"}, {"bankrupcy", "bankruptcy"},
		{"might", ""}, {"night", ""}, {"layer", ""}, {"pitch", ""}, {"xyzzy", ""},
	} {
		got := ""
		if id, ok := r.vocab[tc.in]; ok {
			got = r.words[id]
		} else if id := r.typo.correct(tc.in); id >= 0 {
			got = r.words[id]
		}
		if tc.want == "" && got != "" && got != tc.in {
			t.Errorf("%q corrected to %q, want left alone", tc.in, got)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWithinOneEdit(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"friday", "friday", true}, {"fridya", "friday", true}, {"frday", "friday", true},
		{"friiday", "friday", true}, {"fxiday", "friday", true}, {"firdya", "friday", false},
		{"fri", "friday", false}, {"", "a", true}, {"ab", "ba", true}, {"abc", "cab", false},
	} {
		if got := withinOneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("withinOneEdit(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := withinOneEdit(tc.b, tc.a); got != tc.want {
			t.Errorf("withinOneEdit(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}

func TestUnderstandErrors(t *testing.T) {
	r := NewRules()
	ok := Request{Text: "yes", Locale: "en-US", Today: sunday}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  func(Request) Request
		want error
	}{
		{"locale", context.Background(), func(q Request) Request { q.Locale = "fr-FR"; return q }, ErrUnsupportedLocale},
		{"too long", context.Background(), func(q Request) Request { q.Text = strings.Repeat("a", MaxTextBytes+1); return q }, ErrTextTooLong},
		{"no today", context.Background(), func(q Request) Request { q.Today = compliance.Date{}; return q }, ErrNoToday},
		{"bad today", context.Background(), func(q Request) Request { q.Today = compliance.Date{Year: 2026, Month: 2, Day: 30}; return q }, ErrNoToday},
		{"canceled", canceled, func(q Request) Request { return q }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Understand(tc.ctx, tc.req(ok))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// An empty locale is decided by the script of the text.
func TestEmptyLocaleUsesScript(t *testing.T) {
	r := NewRules()
	for _, tc := range []struct {
		text, cur string
	}{{"八百六十", "CNY"}, {"two hundred forty", "USD"}} {
		p, err := r.Understand(context.Background(), Request{Text: tc.text, Today: sunday})
		if err != nil {
			t.Fatal(err)
		}
		if p.Amount.Currency != tc.cur {
			t.Errorf("%q: currency %q, want %q", tc.text, p.Amount.Currency, tc.cur)
		}
	}
}

func TestParseDateAndAmount(t *testing.T) {
	r := NewRules()
	if d, ok := r.ParseDate("下周三", "zh-CN", sunday); !ok || d.String() != "2026-11-25" {
		t.Errorf("ParseDate = %v %v", d, ok)
	}
	if _, ok := r.ParseDate("hello", "en-US", sunday); ok {
		t.Errorf("ParseDate found a date in hello")
	}
	if m, ok := r.ParseAmount("two hundred forty", "en-US", "USD"); !ok || m.String() != "240.00 USD" {
		t.Errorf("ParseAmount = %v %v", m, ok)
	}
	if m, ok := r.ParseAmount("八百六十块", "zh-CN", ""); !ok || m.String() != "860.00 CNY" {
		t.Errorf("ParseAmount = %v %v", m, ok)
	}
}

// Rules is shared by every session: run it from many goroutines (go test
// -race finds any shared scratch).
func TestUnderstandConcurrent(t *testing.T) {
	r := NewRules()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				tc := table[(g*37+i)%len(table)]
				loc := "en-US"
				if tc.loc == zh {
					loc = "zh-CN"
				}
				today := tc.today
				if today.IsZero() {
					today = sunday
				}
				stage := tc.stage
				if stage == "" {
					stage = dialog.StageNegotiate
				}
				p, err := r.Understand(context.Background(), Request{Text: tc.text, Locale: loc, Today: today, Stage: stage, Currency: map[string]string{en: "USD", zh: "CNY"}[tc.loc]})
				if err != nil || p.Intent != tc.want.intent {
					select {
					case errs <- fmt.Sprintf("%q: %v %v", tc.text, p.Intent, err):
					default:
					}
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// Confidence orders what the rules are sure of: an exact phrase of the
// session's language over a typo fix or the other language's phrase, and
// anything over nothing.
func TestConfidenceOrdering(t *testing.T) {
	r := NewRules()
	conf := func(text, loc string) float64 {
		p, err := r.Understand(context.Background(), Request{Text: text, Locale: loc, Today: sunday})
		if err != nil {
			t.Fatal(err)
		}
		return p.Confidence
	}
	for _, tc := range []struct{ hi, hiLoc, lo, loLoc string }{
		{"talk to my lawyer", "en-US", "talk to my lawer", "en-US"},
		{"转人工", "zh-CN", "转人工", "en-US"},
		{"yes", "en-US", "blorp", "en-US"},
	} {
		if h, l := conf(tc.hi, tc.hiLoc), conf(tc.lo, tc.loLoc); h <= l {
			t.Errorf("confidence %q/%s = %v, %q/%s = %v: want the first higher", tc.hi, tc.hiLoc, h, tc.lo, tc.loLoc, l)
		}
	}
}

func TestCompileRejectsBadLexicons(t *testing.T) {
	good, err := lexiconFS.ReadFile("lexicon/zh-CN.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, en string }{
		{"bad json", `{"intents": `},
		{"unknown intent", `{"intents": {"grovel": ["please"]}}`},
		{"unknown role", `{"roles": {"colour:1": ["red"]}}`},
		{"unknown currency", `{"roles": {"cur:XYZ": ["zorkmids"]}}`},
		{"bad role value", `{"roles": {"num:x": ["one"]}}`},
		{"empty phrase", `{"intents": {"affirm": ["  "]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"lexicon/en-US.json": {Data: []byte(tc.en)},
				"lexicon/zh-CN.json": {Data: good},
			}
			if _, err := compileFS(fsys); !errors.Is(err, ErrBadLexicon) {
				t.Fatalf("err = %v, want ErrBadLexicon", err)
			}
		})
	}
	if _, err := compileFS(fstest.MapFS{}); !errors.Is(err, ErrBadLexicon) {
		t.Fatalf("missing files: err = %v, want ErrBadLexicon", err)
	}
}
