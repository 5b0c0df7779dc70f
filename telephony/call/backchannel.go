package call

import "strings"

// backchannels are what a listener says to show they are listening, not
// to take the turn (LiveKit and Pipecat users' most common complaint is
// being cut off by these).
var backchannels = map[string]bool{
	"uh huh": true, "uh-huh": true, "mhm": true, "mm": true, "mmm": true, "hmm": true, "hm": true,
	"ok": true, "okay": true, "yeah": true, "yep": true, "right": true, "sure": true, "i see": true,
	"alright": true, "all right": true, "got it": true,
	"嗯": true, "嗯嗯": true, "对": true, "对对": true, "好": true, "好的": true, "是": true, "是的": true,
	"哦": true, "噢": true, "啊": true, "行": true,
}

// IsBackchannel reports whether text, a short utterance heard while the
// bot spoke, only acknowledges.
func IsBackchannel(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.Trim(t, ".,!?。，！？ ")
	return t == "" || backchannels[t]
}
