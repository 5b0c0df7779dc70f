package dialog

// The act kinds the engine emits. Each has an utterance template per locale
// under prompts/templates. Acts marked "neutral" may be said before the
// right party is verified: their templates name no debt, amount or date.
const (
	// Disclosures: exact, never rephrased (Facts.Disclosure is set).
	ActGreeting        ActKind = "greeting"         // neutral; AI disclosure
	ActRecordingNotice ActKind = "recording_notice" // neutral
	ActMiniMiranda     ActKind = "mini_miranda"     // US: attempt to collect a debt

	// Right-party verification.
	ActAskVerify    ActKind = "ask_verify"    // neutral
	ActVerifyRetry  ActKind = "verify_retry"  // neutral; the answer did not match
	ActVerifyFailed ActKind = "verify_failed" // neutral; ends the chat
	ActVerifyFirst  ActKind = "verify_first"  // neutral; asked about the debt before verifying
	ActVerified     ActKind = "verified"
	ActWrongParty   ActKind = "wrong_party" // neutral; a wrong number, ends the chat
	// ActThirdParty is the pack's permitted message to someone who is not
	// the borrower: ask them to have the borrower contact us, nothing else.
	ActThirdParty   ActKind = "third_party"   // neutral
	ActAskFactor    ActKind = "ask_factor"    // neutral; one factor matched, ask for the other
	ActVerifyLocked ActKind = "verify_locked" // neutral; too many failed answers on the account
	ActCeaseOnFile  ActKind = "cease_on_file" // the borrower asked us to stop; nothing more is said
	// ActCeaseVerifyFirst answers a stop request from someone not yet
	// verified: only the account holder's request can be recorded.
	ActCeaseVerifyFirst ActKind = "cease_verify_first" // neutral
	ActConfirmCease     ActKind = "confirm_cease"      // after verification, before anything about the debt

	// Information and prompts.
	ActBalance        ActKind = "balance"
	ActAskResolution  ActKind = "ask_resolution"
	ActAskAlternative ActKind = "ask_alternative" // after a declined proposal
	ActCannotPayAck   ActKind = "cannot_pay_ack"
	ActPaymentLink    ActKind = "payment_link"
	ActWelcomeBack    ActKind = "welcome_back" // neutral
	ActStillThere     ActKind = "still_there"  // neutral
	// ActSilenceGoodbye ends a call the borrower stopped answering.
	ActSilenceGoodbye     ActKind = "silence_goodbye" // neutral
	ActConversationClosed ActKind = "conversation_closed"

	// Negotiation.
	ActAskPromiseDate       ActKind = "ask_promise_date"
	ActAskPlanCount         ActKind = "ask_plan_count"
	ActConfirmPayNow        ActKind = "confirm_pay_now"
	ActConfirmPTP           ActKind = "confirm_ptp"
	ActConfirmPlan          ActKind = "confirm_plan"
	ActConfirmExtension     ActKind = "confirm_extension"
	ActCounterPTPDate       ActKind = "counter_ptp_date"
	ActCounterPTPAmount     ActKind = "counter_ptp_amount"
	ActCounterPlanCount     ActKind = "counter_plan_count"
	ActCounterPlanDate      ActKind = "counter_plan_date"
	ActPlanUnavailable      ActKind = "plan_unavailable"
	ActExtensionUnavailable ActKind = "extension_unavailable"
	ActNeedYesNo            ActKind = "need_yes_no"
	ActAskPromiseAmount     ActKind = "ask_promise_amount" // how much, by the date given
	ActConfirmPayPart       ActKind = "confirm_pay_part"   // part of the balance, now
	ActAskPartDate          ActKind = "ask_part_date"      // when the rest of a schedule is paid
	ActCounterSchedule      ActKind = "counter_schedule"   // the nearest plan inside policy

	// Specific clarifying questions, tied to what the bot is waiting for,
	// said instead of a bare "I didn't understand".
	ActClarifyIdentity ActKind = "clarify_identity" // neutral
	ActClarifyChoice   ActKind = "clarify_choice"
	ActClarifyDate     ActKind = "clarify_date"
	ActClarifyAmount   ActKind = "clarify_amount"
	ActClarifyCount    ActKind = "clarify_count"
	// ActClarifySchedule asks for each payment of a schedule the
	// borrower proposed but understanding could not read whole.
	ActClarifySchedule ActKind = "clarify_schedule"

	// Answers to the borrower's questions, from the engine's facts.
	ActAnswerWho         ActKind = "answer_who" // neutral
	ActAnswerBot         ActKind = "answer_bot" // neutral
	ActAnswerLegit       ActKind = "answer_legit"
	ActAnswerLegitFirst  ActKind = "answer_legit_first" // neutral
	ActAnswerBreakdown   ActKind = "answer_breakdown"
	ActAnswerFees        ActKind = "answer_fees"
	ActAnswerConsequence ActKind = "answer_consequence"
	ActAnswerWriting     ActKind = "answer_writing"

	// The reason for lateness.
	ActAskReason ActKind = "ask_reason"
	ActReasonAck ActKind = "reason_ack"

	// Closing after a recorded outcome.
	ActClosePayNow ActKind = "close_pay_now"
	ActClosePTP    ActKind = "close_ptp"
	ActClosePlan   ActKind = "close_plan"

	// Endings and handoffs: each tells the borrower what happens next.
	ActCeaseAck             ActKind = "cease_ack"     // neutral; this channel (or the ones named)
	ActCeaseAllAck          ActKind = "cease_all_ack" // neutral; every channel
	ActCallbackAck          ActKind = "callback_ack"  // neutral
	ActDisputeAck           ActKind = "dispute_ack"
	ActValidationAck        ActKind = "validation_ack"
	ActAttorneyAck          ActKind = "attorney_ack"
	ActBankruptcyAck        ActKind = "bankruptcy_ack"
	ActHardshipAck          ActKind = "hardship_ack"
	ActAlreadyPaidAck       ActKind = "already_paid_ack"
	ActHumanHandoff         ActKind = "human_handoff"         // neutral
	ActComplaintAck         ActKind = "complaint_ack"         // neutral
	ActAbuseAck             ActKind = "abuse_ack"             // neutral
	ActDistressSupport      ActKind = "distress_support"      // neutral
	ActCrisisResources      ActKind = "crisis_resources"      // neutral; the lender's configured text
	ActMisunderstoodHandoff ActKind = "misunderstood_handoff" // neutral
	ActOffPolicyHandoff     ActKind = "off_policy_handoff"
	ActAccountFlagHandoff   ActKind = "account_flag_handoff"
)

var allActKinds = []ActKind{
	ActGreeting, ActRecordingNotice, ActMiniMiranda,
	ActAskVerify, ActVerifyRetry, ActVerifyFailed, ActVerifyFirst, ActVerified, ActWrongParty,
	ActThirdParty, ActAskFactor, ActVerifyLocked, ActCeaseOnFile, ActCeaseAllAck, ActCeaseVerifyFirst, ActConfirmCease,
	ActBalance, ActAskResolution, ActAskAlternative, ActCannotPayAck, ActPaymentLink,
	ActWelcomeBack, ActStillThere, ActSilenceGoodbye, ActConversationClosed,
	ActAskPromiseDate, ActAskPlanCount, ActConfirmPayNow, ActConfirmPTP, ActConfirmPlan,
	ActConfirmExtension, ActCounterPTPDate, ActCounterPTPAmount, ActCounterPlanCount,
	ActCounterPlanDate, ActPlanUnavailable, ActExtensionUnavailable, ActNeedYesNo,
	ActAskPromiseAmount, ActConfirmPayPart, ActAskPartDate, ActCounterSchedule,
	ActClarifyIdentity, ActClarifyChoice, ActClarifyDate, ActClarifyAmount, ActClarifyCount, ActClarifySchedule,
	ActAnswerWho, ActAnswerBot, ActAnswerLegit, ActAnswerLegitFirst, ActAnswerBreakdown,
	ActAnswerFees, ActAnswerConsequence, ActAnswerWriting, ActAskReason, ActReasonAck,
	ActClosePayNow, ActClosePTP, ActClosePlan,
	ActCeaseAck, ActCallbackAck, ActDisputeAck, ActValidationAck, ActAttorneyAck, ActBankruptcyAck,
	ActHardshipAck, ActAlreadyPaidAck, ActHumanHandoff, ActComplaintAck, ActAbuseAck,
	ActDistressSupport, ActCrisisResources, ActMisunderstoodHandoff, ActOffPolicyHandoff, ActAccountFlagHandoff,
}

// ActKinds returns every act kind the engine can emit, in a fixed order.
// Each needs a template in every locale.
func ActKinds() []ActKind {
	out := make([]ActKind, len(allActKinds))
	copy(out, allActKinds)
	return out
}

// disclosureKinds are the exact templates a pack may require.
var disclosureKinds = map[ActKind]bool{
	ActGreeting:        true,
	ActRecordingNotice: true,
	ActMiniMiranda:     true,
}

// Escalation reasons (Escalation.Reason, Outcome.Reason of escalated
// outcomes).
const (
	ReasonHumanRequested = "human_requested"
	ReasonDispute        = "dispute"
	ReasonHardship       = "hardship"
	ReasonDistress       = "distress"
	ReasonAbuse          = "abuse"
	ReasonComplaint      = "complaint"
	ReasonAttorney       = "attorney"
	ReasonBankruptcy     = "bankruptcy"
	ReasonDeceased       = "deceased"
	ReasonMisunderstood  = "misunderstood"
	ReasonOffPolicy      = "off_policy"
	// ReasonRightsUnclear: the message touches the borrower's rights
	// (Parse.Concern) in a way understanding could not read.
	ReasonRightsUnclear = "rights_unclear"
)

// Reasons of outcomes that are not escalations.
const (
	ReasonVerificationFailed = "verification_failed"
	ReasonCallbackLater      = "callback_later"
	ReasonCease              = "cease"
	ReasonThirdParty         = PartyThirdParty
	ReasonWrongNumber        = PartyWrongNumber
	ReasonVerificationLocked = "verification_locked"
	ReasonCeaseOnFile        = "cease_on_file"
	ReasonExtension          = "extension"
)

var allEscalationReasons = []string{
	ReasonHumanRequested, ReasonDispute, ReasonHardship, ReasonDistress, ReasonAbuse,
	ReasonComplaint, ReasonAttorney, ReasonBankruptcy, ReasonDeceased,
	ReasonMisunderstood, ReasonOffPolicy, ReasonRightsUnclear,
}

// EscalationReasons returns every escalation reason the engine can emit;
// the flow's priority table must name each.
func EscalationReasons() []string {
	out := make([]string, len(allEscalationReasons))
	copy(out, allEscalationReasons)
	return out
}
