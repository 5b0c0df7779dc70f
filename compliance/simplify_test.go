package compliance

import "testing"

func TestSimplified(t *testing.T) {
	for in, want := range map[string]string{
		"這支手機是我撿到的":            "这支手机是我捡到的",
		"發錯人了吧，我不認識這個人":        "发错人了吧，我不认识这个人",
		"already simple 我是她妈妈": "already simple 我是她妈妈",
	} {
		if got := Simplified(in); got != want {
			t.Errorf("Simplified(%q) = %q, want %q", in, got, want)
		}
	}
}
