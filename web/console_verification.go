package web

import (
	"errors"
	"net/http"

	"github.com/collectagent/collectagent/bot"
)

// An account's chat verification, as supervisors see and unlock it:
//
//	GET  /v1/agent/accounts/{id}/verification
//	POST /v1/agent/accounts/{id}/verification/unlock   {"reason": "..."}
//
// After the flow's limit of failed identity answers across an account's
// conversations, chat stops verifying it and tells the borrower how to
// reach a person. A supervisor who has confirmed the borrower's identity
// another way unlocks it; who and why are sealed onto the account's audit
// chain.

// UnlockVerificationRequest is the body of POST .../verification/unlock.
type UnlockVerificationRequest struct {
	Reason string `json:"reason"`
}

func (c *console) verificationStatus(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if !a.supervisor() {
		c.writeError(w, r, ErrRole)
		return
	}
	st, err := c.s.rt.VerificationStatus(r.Context(), r.PathValue("id"))
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"verification": st})
}

func (c *console) unlockVerification(w http.ResponseWriter, r *http.Request, a agentCtx) {
	if !a.supervisor() {
		c.writeError(w, r, ErrRole)
		return
	}
	var req UnlockVerificationRequest
	if err := c.s.decodeJSON(w, r, &req); err != nil {
		c.writeError(w, r, err)
		return
	}
	st, err := c.s.rt.UnlockVerification(r.Context(), r.PathValue("id"), "agent:"+a.User, req.Reason)
	if errors.Is(err, bot.ErrDone) {
		writeJSON(w, http.StatusConflict, map[string]any{"error": map[string]any{"code": CodeDone, "message": "no failed identity answers to forgive"}})
		return
	}
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	c.log.Info("verification unlocked", "account", r.PathValue("id"), "user", a.User)
	writeJSON(w, http.StatusOK, map[string]any{"verification": st})
}
