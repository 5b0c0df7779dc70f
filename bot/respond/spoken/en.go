package spoken

import "strings"

var (
	enOnes = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	enTens   = [...]string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	enScales = [...]struct {
		v    uint64
		name string
	}{{1e18, "quintillion"}, {1e15, "quadrillion"}, {1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}}
	enMonths = [...]string{"", "January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December"}
)

// englishCardinal writes n in American English words: 0 "zero", 240 "two
// hundred forty" (no "and"), 10005 "ten thousand five", 1000000 "one
// million", -3 "minus three".
func englishCardinal(n int64) string {
	if n < 0 {
		return "minus " + englishMagnitude(magnitude(n))
	}
	return englishMagnitude(uint64(n))
}

// magnitude returns |n| without overflow for the smallest int64.
func magnitude(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

func englishMagnitude(n uint64) string {
	if n == 0 {
		return "zero"
	}
	var parts []string
	for _, s := range enScales {
		if n >= s.v {
			parts = append(parts, englishBelowThousand(n/s.v)+" "+s.name)
			n %= s.v
		}
	}
	if n > 0 {
		parts = append(parts, englishBelowThousand(n))
	}
	return strings.Join(parts, " ")
}

// englishBelowThousand writes 1..999.
func englishBelowThousand(n uint64) string {
	var parts []string
	if h := n / 100; h > 0 {
		parts = append(parts, enOnes[h]+" hundred")
		n %= 100
	}
	switch {
	case n == 0:
	case n < 20:
		parts = append(parts, enOnes[n])
	case n%10 == 0:
		parts = append(parts, enTens[n/10])
	default:
		parts = append(parts, enTens[n/10]+"-"+enOnes[n%10])
	}
	return strings.Join(parts, " ")
}

// englishOrdinal writes n as an ordinal: 1 "first", 22 "twenty-second",
// 27 "twenty-seventh", 30 "thirtieth", 100 "one hundredth".
func englishOrdinal(n int64) string {
	w := englishCardinal(n)
	// Only the last word (after a space or hyphen) changes.
	i := strings.LastIndexAny(w, " -") + 1
	head, last := w[:i], w[i:]
	switch last {
	case "one":
		last = "first"
	case "two":
		last = "second"
	case "three":
		last = "third"
	case "five":
		last = "fifth"
	case "eight":
		last = "eighth"
	case "nine":
		last = "ninth"
	case "twelve":
		last = "twelfth"
	default:
		if strings.HasSuffix(last, "y") {
			last = last[:len(last)-1] + "ieth"
		} else {
			last += "th"
		}
	}
	return head + last
}

// englishYear writes a year the way it is read: 2026 "twenty twenty-six",
// 2000 "two thousand", 2005 "two thousand five", 1999 "nineteen
// ninety-nine", 1900 "nineteen hundred".
func englishYear(y int) string {
	switch {
	case y <= 0 || y >= 10000:
		return englishCardinal(int64(y))
	case y%1000 < 10 && y >= 1000:
		// 2000, 2005, 1005: "two thousand five".
		return englishCardinal(int64(y))
	case y < 1000:
		return englishCardinal(int64(y))
	}
	hi, lo := y/100, y%100
	switch {
	case lo == 0:
		return englishCardinal(int64(hi)) + " hundred"
	case lo < 10:
		return englishCardinal(int64(hi)) + " oh " + enOnes[lo]
	}
	return englishCardinal(int64(hi)) + " " + englishCardinal(int64(lo))
}
