package agent

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// POST /agent/api/conversations/{id}/verify: the agent who holds the
// conversation verifies its member as a 客服 does (DESIGN §5, "Agents'
// tools"): by the security questions the agent asked them (200 or 422 or
// 423), or by a code sent by SMS or email that the member then types in
// the chat (202; the transcript says how it went).

// verifyBody is the request: the member's phone or email, how to verify,
// and for "questions" their answers.
type verifyBody struct {
	Account string            `json:"account"`
	Method  string            `json:"method"`  // questions, sms, email
	Answers map[string]string `json:"answers"` // last_order, registered_month
	Version int64             `json:"version"`
}

func (b *verifyBody) version() int64 { return b.Version }

// Codes of the verification's answers.
const (
	CodeWrongAnswer = "wrong_answer" // 422, with tries_left
	CodeLocked      = "locked"       // 423, with retry_after_s
	CodeTooSoon     = "too_soon"     // 429: a code was sent too recently or too often; retry_after_s
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
	id := r.PathValue("id")
	var err error
	switch b.Method {
	case "questions":
		amount, okAmount := dialog.ExtractAmount(b.Answers["last_order"])
		month, okMonth := dialog.ExtractMonth(b.Answers["registered_month"])
		if !okAmount || !okMonth {
			writeError(w, http.StatusBadRequest, CodeBadRequest, `answers need "last_order" (an amount such as 50.00) and "registered_month" (1-12, or a month's name)`)
			return
		}
		err = c.ho.AgentVerify(r.Context(), id, agent, b.Version, account, amount, month)
	case string(dialog.MethodSMS), string(dialog.MethodEmail):
		err = c.ho.AgentSendCode(r.Context(), id, agent, b.Version, account, dialog.Method(b.Method))
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest, `method must be "questions" (the member's last order amount and registration month), "sms" or "email" (a code the member types in the chat)`)
		return
	}
	var wrong *bot.ErrAgentWrongAnswer
	var locked *bot.ErrAgentLocked
	var notSent *bot.ErrCodeNotSent
	switch {
	case errors.As(err, &wrong):
		c.log.Info("agent verification", "agent", agent, "conv", id, "method", b.Method, "result", "wrong")
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "the answers do not match the member's records", "code": CodeWrongAnswer, "tries_left": wrong.Remaining})
		return
	case errors.As(err, &locked):
		c.log.Info("agent verification", "agent", agent, "conv", id, "method", b.Method, "result", "locked")
		writeJSON(w, http.StatusLocked, map[string]any{"error": fmt.Sprintf("too many wrong answers for this account; try again in %d minutes", minutes(locked.Wait)), "code": CodeLocked, "retry_after_s": seconds(locked.Wait)})
		return
	case errors.As(err, &notSent):
		w.Header().Set("Retry-After", strconv.Itoa(seconds(notSent.Wait)))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": fmt.Sprintf("a code was sent to this account too recently or too often; try again in %d seconds, or verify by the questions", seconds(notSent.Wait)), "code": CodeTooSoon, "retry_after_s": seconds(notSent.Wait)})
		return
	case err != nil:
		conv, _ := c.rt.Conversation(r.Context(), id)
		c.agentError(w, agent, id, conv, err)
		return
	}
	if b.Method != "questions" {
		c.log.Info("agent verification", "agent", agent, "conv", id, "method", b.Method, "result", "sent")
		writeJSON(w, http.StatusAccepted, map[string]any{"sent": true, "method": b.Method, "account": dialog.MaskAccount(account)})
		return
	}
	c.log.Info("agent verification", "agent", agent, "conv", id, "method", b.Method, "result", "ok")
	member, err := c.ho.MemberSummary(r.Context(), id)
	if err != nil {
		c.internal(w, "member after verification", agent, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"verified": true, "member": member})
}

func minutes(d time.Duration) int { return int(math.Ceil(d.Minutes())) }
func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
