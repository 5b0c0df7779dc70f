package compliance

import (
	"testing"
	"time"
)

func usd(minor int64) Money { return Money{Minor: minor, Currency: "USD"} }
func cny(minor int64) Money { return Money{Minor: minor, Currency: "CNY"} }
func date(y, m, d int) Date { return Date{y, time.Month(m), d} }

func TestExtractFigures(t *testing.T) {
	type fig struct {
		kind  FigureKind
		money Money
		date  Date
		h     int64
	}
	tests := []struct {
		in   string
		want []fig
	}{
		// money, en
		{"$240.00", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"$240", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"$ 1,240.50 today", []fig{{kind: FigureMoney, money: usd(124050)}}},
		{"240 dollars", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"240.00 USD", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"USD 240", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"240.00 EUR", []fig{{kind: FigureMoney, money: Money{24000, "EUR"}}}},
		{"50 cents", []fig{{kind: FigureMoney, money: usd(50)}}},
		{"two hundred forty dollars", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"two hundred and forty dollars", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"a hundred bucks", []fig{{kind: FigureMoney, money: usd(10000)}}},
		{"one dollar", []fig{{kind: FigureMoney, money: usd(100)}}},
		{"2k dollars", []fig{{kind: FigureMoney, money: usd(200000)}}},
		// money, zh
		{"¥860.00", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"￥８６０", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"860.00元", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"860元", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"860块", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"860块钱", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"八百六十元", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"八百六十块", []fig{{kind: FigureMoney, money: cny(86000)}}},
		{"一千二百元", []fig{{kind: FigureMoney, money: cny(120000)}}},
		{"一千零五十元", []fig{{kind: FigureMoney, money: cny(105000)}}},
		{"两百块", []fig{{kind: FigureMoney, money: cny(20000)}}},
		{"2.4万元", []fig{{kind: FigureMoney, money: cny(2400000)}}},
		{"3千元", []fig{{kind: FigureMoney, money: cny(300000)}}},
		{"欠款 3 000 元", []fig{{kind: FigureMoney, money: cny(300000)}}},
		{"$ 1 200.00", []fig{{kind: FigureMoney, money: usd(120000)}}},
		{"$1.2k", []fig{{kind: FigureMoney, money: usd(120000)}}},
		{"6 200", []fig{{kind: FigureNumber, h: 600}, {kind: FigureNumber, h: 20000}}},
		{"Days past due: 15", []fig{{kind: FigureNumber, h: 1500}}},
		{"逾期5日", []fig{{kind: FigureCount, h: 500}}},
		{"请问张三在吗", nil},
		{"张三想分三期", []fig{{kind: FigureCount, h: 300}}},
		{"3千5元", []fig{{kind: FigureMoney, money: cny(350000)}}},
		{"3千5百元", []fig{{kind: FigureMoney, money: cny(350000)}}},
		{"1千万元", []fig{{kind: FigureMoney, money: cny(1000000000)}}},
		{"240.00美元", []fig{{kind: FigureMoney, money: usd(24000)}}},
		{"二百四十美元五十美分", []fig{{kind: FigureMoney, money: usd(24050)}}},
		{"十二欧元五欧分", []fig{{kind: FigureMoney, money: Money{1205, "EUR"}}}},
		{"二百四十美元五十", []fig{{kind: FigureMoney, money: usd(24000)}, {kind: FigureNumber, h: 5000}}},
		{"一元", []fig{{kind: FigureMoney, money: cny(100)}}},
		// dates
		{"November 27, 2026", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"Nov. 27", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"by Nov 27th, 2026.", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"the 27th", []fig{{kind: FigureDate, date: date(0, 0, 27)}}},
		{"27th of November", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"27 November 2026", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"November twenty-seventh", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"December 2026", []fig{{kind: FigureDate, date: date(2026, 12, 0)}}},
		{"11/27", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"11/27/2026", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"2026-11-27", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"2026/11/27", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"2026年11月27日", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"２０２６年１１月２７日", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		{"11月27日", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"11月27号", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"27号", []fig{{kind: FigureDate, date: date(0, 0, 27)}}},
		{"十一月二十七日", []fig{{kind: FigureDate, date: date(0, 11, 27)}}},
		{"二〇二六年十一月二十七日", []fig{{kind: FigureDate, date: date(2026, 11, 27)}}},
		// percents
		{"25%", []fig{{kind: FigurePercent, h: 2500}}},
		{"25 ％", []fig{{kind: FigurePercent, h: 2500}}},
		{"25 percent", []fig{{kind: FigurePercent, h: 2500}}},
		{"25 per cent", []fig{{kind: FigurePercent, h: 2500}}},
		{"百分之二十五", []fig{{kind: FigurePercent, h: 2500}}},
		{"百分之25", []fig{{kind: FigurePercent, h: 2500}}},
		// counts
		{"4 payments", []fig{{kind: FigureCount, h: 400}}},
		{"four payments", []fig{{kind: FigureCount, h: 400}}},
		{"分4期", []fig{{kind: FigureCount, h: 400}}},
		{"分三期", []fig{{kind: FigureCount, h: 300}}},
		{"14 days", []fig{{kind: FigureCount, h: 1400}}},
		{"三个月", []fig{{kind: FigureCount, h: 300}}},
		{"十分钟", []fig{{kind: FigureCount, h: 1000}}},
		{"3年", []fig{{kind: FigureCount, h: 300}}},
		// other numbers
		{"240", []fig{{kind: FigureNumber, h: 24000}}},
		{"two hundred forty", []fig{{kind: FigureNumber, h: 24000}}},
		{"call 555-0100", []fig{{kind: FigureNumber, h: 55500}}},
		{"at 10:30", []fig{{kind: FigureTime, h: 1030}}},
		{"at 9 pm", []fig{{kind: FigureTime, h: 900}}},
		{"4g", []fig{{kind: FigureNumber, h: 400}}},
		// not figures
		{"one moment please", nil},
		{"first, the second installment", nil},
		{"一下 一些 一定 十分感谢 千万 万一 二维码 一次性还清 统一 唯一 之一", nil},
		{"第二期 星期五 周三 礼拜一", nil},
		{"百度 千克", nil},
		{"in November", nil},
		{"pay at https://pay.example.com/a-1?amount=240 or write to a1@example.com", nil},
		{"account a-1, ref A12", nil},
		{"你 may call us", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ExtractFigures(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("ExtractFigures(%q) = %+v, want %d figures", tt.in, got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || g.Money != w.money || g.Date != w.date || g.Hundredths != w.h {
					t.Errorf("figure %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestExtractFiguresSequence(t *testing.T) {
	in := "You owe $240.00, due November 13, 2026. Pay in 4 payments of $60.00 from 11/27; 25% now."
	got := ExtractFigures(in)
	want := []FigureKind{FigureMoney, FigureDate, FigureCount, FigureMoney, FigureDate, FigurePercent}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Kind != want[i] {
			t.Errorf("figure %d kind %s, want %s (%+v)", i, got[i].Kind, want[i], got)
		}
	}
	if got[3].Money != usd(6000) || got[4].Date != date(0, 11, 27) {
		t.Errorf("got %+v", got)
	}
}

func TestFigureMatchesFacts(t *testing.T) {
	facts := Facts{
		Verified: true,
		Amounts:  []Money{usd(24000), cny(86000)},
		Dates:    []Date{date(2026, 11, 27)},
		Percents: []int{25},
		Counts:   []int{4},
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"$240.00", true}, {"240 dollars", true}, {"¥860.00", true}, {"八百六十块", true},
		{"$241", false}, {"240元", false}, {"860 USD", false}, {"$240.001", false},
		{"November 27, 2026", true}, {"Nov 27", true}, {"27th", true}, {"11/27", true},
		{"2026年11月27日", true}, {"27号", true}, {"十一月二十七日", true},
		{"November 28, 2026", false}, {"November 27, 2025", false}, {"12/27", false}, {"28号", false},
		{"25%", true}, {"百分之二十五", true}, {"26%", false}, {"25.5%", false},
		{"4 payments", true}, {"分四期", true}, {"5 payments", false},
		{"240", true}, {"4", true}, {"2026", true}, {"7", false}, {"10:30", false},
	}
	for _, tt := range tests {
		figs := ExtractFigures(tt.in)
		if len(figs) != 1 {
			t.Errorf("%q: %d figures %+v", tt.in, len(figs), figs)
			continue
		}
		if got := figs[0].matchesFacts(&facts); got != tt.want {
			t.Errorf("%q (%+v) matches = %v, want %v", tt.in, figs[0], got, tt.want)
		}
	}
}

// A figure may only equal a fact of its own kind, however it is written.
func TestFactLockKinds(t *testing.T) {
	facts := Facts{Verified: true, Amounts: []Money{usd(24000), cny(86000)}, Dates: []Date{date(2026, 11, 27)}, Counts: []int{12, 21, 500}}
	for _, tt := range []struct {
		text string
		ok   bool
	}{
		{"您只需还款12 元即可结清", false}, // 12 is a count, not an amount
		{"Your balance is 21$", false},
		{"Your balance is 21 $", false},
		{"Please pay $ 500 today.", false},
		{"Please pay USD 500 today.", false},
		{"Please pay 500 USD today.", false},
		{"Please pay $𝟓𝟎𝟎 today.", false},
		{"Please pay ٥٠٠ dollars today.", false},
		{"您需还款伍仟元", false},
		{"您需还款伍佰元", false},
		{"您需还款五百元", false},
		{"Your balance is 500.", false}, // money words make a bare number an amount
		{"Please pay $240.00 by November 27.", true},
		{"Please pay 240 dollars by the 27th.", true},
		{"Please pay $ 240 by 11/27.", true},
		{"请在11月27日前还款捌佰陆拾元", true},
		{"请在十一月二十七号前还款八百六十块", true},
		{"您可以分12期", true},
		{"You have 21 days.", true},
	} {
		d := usGuard.Check(Utterance{Text: tt.text, Locale: "en-US", Facts: facts})
		if d.Allowed != tt.ok {
			t.Errorf("%q: allowed %v, want %v: %+v", tt.text, d.Allowed, tt.ok, d.Violations)
		}
	}
}
