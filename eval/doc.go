// Package eval runs scripted conversations against the real runtime: each
// conversation of a suite (an account, the borrower's lines, the expected
// outcome) is played through bot.Runtime with a SQLite store in a
// temporary directory, the rule-based understanding (or another
// Understander) and the suite's fixed clock, and is judged on what the
// borrower would have seen and what was recorded: the outcome, the
// conversation mode, the promise or plan, the escalation, the words said,
// and the guard's blocks.
//
// # Suites
//
// A suite is a YAML file (unknown fields are errors):
//
//	name: core
//	now: "2026-11-24T03:30:00Z"   # the frozen clock
//	threshold: 0.95               # pass rate the suite must reach
//	policies:                     # optional; "us" and "cn" always exist
//	  us-strict: {pack: us, min_promise_percent: 50, allow_extension: false, extension_days: 0}
//	accounts:                     # the shape of POST /v1/accounts, in YAML
//	  - {id: maria, name: Maria Lopez, date_of_birth: "1988-07-21", id_last4: "4417",
//	     locale: en-US, timezone: America/Chicago, portfolio: us,
//	     debts: [{id: d1, creditor: Demo Finance, amount_due: 240.00, currency: USD,
//	              due_date: "2026-11-13", days_past_due: 10}]}
//	conversations:
//	  - name: en-ptp-friday
//	    account: maria
//	    lines:
//	      - "07/21/1988"
//	      - say: "I can pay on Friday"        # a line with checks on its reply
//	        must_say: ["November 27, 2026"]
//	        intent: promise                   # what the line means (measured)
//	        date: "2026-11-27"                # and its slots: date, amount,
//	      - "yes"                             # installments
//	    expect:
//	      outcome: ptp        # ptp plan pay_now escalated dispute cease wrong_party none
//	      mode: ended         # ended waiting_agent bot; defaults from the outcome
//	      reason: ""          # the outcome's reason code, checked when set
//	      amount: 240.00      # the promise's amount or the plan's total
//	      due_date: "2026-11-27"  # the promise's date or the plan's first
//	      installments: 0     # the plan's number of payments
//	      escalation: ""      # the one escalation's reason; unset means none
//	      must_say: []        # substrings of everything the bot said
//	      must_not_say: []
//	      max_guard_blocks: 0 # utterances the guard may replace
//	      account_state: []   # borrower statements the account holds
//	                          # afterwards, exactly (cease, dispute,
//	                          # validation, attorney, bankruptcy)
//	      payments: [{amount: 120.00, date: "2026-11-27"}]  # a plan's, in order
//	      priority: 1         # the escalation's priority
//	      late_reason: job_loss  # validated; judged once it is recorded
//	    category: third_party # free-form; the figures group by it
//	    followup:             # a new session on the same account
//	      lines: [...]
//	      expect: {...}
//
// Besides its own expectations, every conversation is held to rules no
// script may waive: the bot speaks first, opening with the AI and
// recording disclosures; nothing naming the debt (its amount, due date or
// creditor) is said before the borrower is verified, nor ever to a
// conversation expected to end as wrong_party or held as a third party's; under the US pack the
// debt-collector disclosure comes before the balance; every line is
// answered while the bot holds the conversation; and the conversation's
// audit chain verifies and holds its outcome.
//
// # Understanding modes
//
// A line may state what it means: its intent ("unknown" for none) and the
// date, amount or installment count it carries. These are measured, not
// judged: Result counts the intents and slots the recorded parse got right
// (IntentChecks/IntentHits, SlotChecks/SlotHits, Misreads), and a misread
// line fails its conversation only through what the bot then does. Run
// the same suites once per understanding mode (Options.Understander,
// Phraser, Summarizer, Mode) and Summarize each ModeRun, with its model
// client's llm.Stats, for WriteComparison: pass rate, intent and slot
// accuracy, lines the model understood, guard blocks and replaced model
// wordings, model calls, fallbacks by reason, and turn and model latency
// (p50/p99).
//
// # Figures
//
// Tabulate breaks a run over several files down per file (a corpus's
// split), per language and per category, with four counters: misrecorded
// deals (a promise or plan recorded that differs from the expected one, or
// any when none is expected), unrequested statements (a statement, or a
// cease or dispute outcome, the conversation does not expect; without
// account_state, the outcome and escalation imply what is expected),
// disclosures (utterances naming the debt to someone unverified or a third
// party) and ignored requests (statements in account_state the account
// does not hold). A run fails unless the first two are 0.
//
// It knows nothing of transports: it drives bot.Session directly, the way
// the chat WebSocket does.
package eval
