package agent

import (
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// POST /agent/api/conversations/{id}/verify: the agent who holds the
// conversation verifies its member as a 客服 does, by the security
// questions the agent asked them (DESIGN §5, "Agents' tools").

// verifyBody is the request: the member's phone or email and their answers.
type verifyBody struct {
	Account string            `json:"account"`
	Method  string            `json:"method"`
	Answers map[string]string `json:"answers"` // last_order, registered_month
	Version int64             `json:"version"`
}

func (b *verifyBody) version() int64 { return b.Version }

// Codes of the verification's answers.
const (
	CodeWrongAnswer = "wrong_answer" // 422, with tries_left
	CodeLocked      = "locked"       // 423, with retry_after_s
)

func (c *Console) verifyMember(w http.ResponseWriter, r *http.Request, agent string) {
	var b verifyBody
	if !readBody(w, r, &b, false) {
		return
	}
	account, ok := dialog.ExtractEmail(b.Account)
	if !ok {
		account, ok = dialog.ExtractPhone(b.Account)
	}
	if !ok {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "account must be the member's phone number or email")
		return
	}
	if b.Method != "questions" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, `method must be "questions" (the member's last order amount and registration month)`)
		return
	}
	amount, okAmount := dialog.ExtractAmount(b.Answers["last_order"])
	month, okMonth := dialog.ExtractMonth(b.Answers["registered_month"])
	if !okAmount || !okMonth {
		writeError(w, http.StatusBadRequest, CodeBadRequest, `answers need "last_order" (an amount such as 50.00) and "registered_month" (1-12, or a month's name)`)
		return
	}
	id := r.PathValue("id")
	err := c.ho.AgentVerify(r.Context(), id, agent, b.Version, account, amount, month)
	var wrong *bot.ErrAgentWrongAnswer
	var locked *bot.ErrAgentLocked
	switch {
	case errors.As(err, &wrong):
		c.log.Info("agent verification", "agent", agent, "conv", id, "result", "wrong")
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "the answers do not match the member's records", "code": CodeWrongAnswer, "tries_left": wrong.Remaining})
		return
	case errors.As(err, &locked):
		c.log.Info("agent verification", "agent", agent, "conv", id, "result", "locked")
		writeJSON(w, http.StatusLocked, map[string]any{"error": fmt.Sprintf("too many wrong answers for this account; try again in %d minutes", int(math.Ceil(locked.Wait.Minutes()))), "code": CodeLocked, "retry_after_s": int(math.Ceil(locked.Wait.Seconds()))})
		return
	case err != nil:
		conv, _ := c.rt.Conversation(r.Context(), id)
		c.agentError(w, agent, id, conv, err)
		return
	}
	c.log.Info("agent verification", "agent", agent, "conv", id, "result", "ok")
	member, err := c.ho.MemberSummary(r.Context(), id)
	if err != nil {
		c.internal(w, "member after verification", agent, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"verified": true, "member": member})
}
