package compliance

import "strings"

// Simplified returns text with traditional Chinese characters replaced by
// their simplified forms, from the same table the guard folds with, so
// that readers matching simplified word lists (the understanding of
// third parties and stop requests) read 這支手機 as 这支手机.
func Simplified(text string) string {
	return strings.Map(func(r rune) rune {
		if r >= t2sBase && r <= t2sTop {
			return t2s(r)
		}
		return r
	}, text)
}
