package compliance

// This file declares the guard's contract; guard.go implements it.

// Source says who wrote an utterance.
type Source string

// Sources of utterances.
const (
	SourceTemplate Source = "template" // rendered from prompts/
	SourceModel    Source = "model"    // phrased by an LLM
	SourceAgent    Source = "agent"    // typed by a human agent
)

// Utterance is one outgoing text to be checked.
type Utterance struct {
	Text   string `json:"text"`
	Locale string `json:"locale"` // "en-US", "zh-CN"
	// Channel is where the text is said; a spoken channel's disclosures
	// are the pack's call wording. Empty is written (chat).
	Channel Channel `json:"channel,omitempty"`
	Stage   string  `json:"stage"`
	Source  Source  `json:"source"`
	Facts   Facts   `json:"facts"`
}

// Violation is one broken rule.
type Violation struct {
	Rule   string `json:"rule"`   // stable code: "banned_phrase", "fact_lock", "pre_verification", "off_policy_offer", "rephrased_disclosure"
	Detail string `json:"detail"` // what was found, e.g. the offending figure or phrase
}

// Decision is the guard's verdict on one utterance.
type Decision struct {
	Allowed    bool        `json:"allowed"`
	Violations []Violation `json:"violations,omitempty"`
}
