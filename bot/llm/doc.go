// Package llm lets any OpenAI-compatible model (OpenAI, Azure OpenAI, vLLM,
// Ollama, a Qwen or DeepSeek endpoint) understand borrowers, phrase the
// engine's acts and summarise conversations for human agents, without ever
// being in charge.
//
// The script decides, the model talks: a model's parse is re-validated by
// the rule parsers of bot/understand and dropped slot by slot when it does
// not hold; a model's wording is checked by the compliance guard by the
// caller (bot.PhraseAct) and replaced by the template on any violation;
// disclosures are never sent. Every call has a per-channel latency budget,
// retries only inside it, and a circuit breaker, so a slow or dead endpoint
// costs a turn no more than the rules do. Personal data (ID, card and phone
// numbers, e-mail addresses, dates of birth, and names when configured) is
// replaced by placeholders before anything leaves.
//
// The package knows nothing of storage or transports; prompts and schemas
// live in package prompts (prompts/llm).
package llm
