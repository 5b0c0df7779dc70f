// Package prompts holds the conversation's data, embedded in the binary:
// the flow script (limits, escalation priorities, each compliance pack's
// disclosures), the utterance templates per locale, keyed by the dialog
// engine's act kinds, and the language-model prompts and schemas (llm/).
//
// It imports only the standard library and knows nothing of the engine's
// types: callers parse the flow with dialog.ParseFlow(FlowJSON()) and
// compile the templates themselves. Templates use text/template syntax; the
// fields they may use are documented in templates/README.md.
package prompts
