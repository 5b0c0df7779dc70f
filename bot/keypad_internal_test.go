package bot

import "testing"

func TestKeyedDate(t *testing.T) {
	for _, tt := range []struct {
		keys, locale, want string
		ok                 bool
	}{
		{"07211988", "en-US", "07/21/1988", true},
		{"19920315", "zh-CN", "1992年03月15日", true},
		{"4417", "en-US", "", false},
		{"13211988", "en-US", "", false},
		{"07001988", "en-US", "", false},
		{"0721198*", "en-US", "", false},
	} {
		if got, ok := keyedDate(tt.keys, tt.locale); got != tt.want || ok != tt.ok {
			t.Errorf("keyedDate(%q, %s) = %q %v, want %q %v", tt.keys, tt.locale, got, ok, tt.want, tt.ok)
		}
	}
}
