package bot

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// An agent verifies the member of a conversation they hold, as a 客服
// does: by the security questions the agent asks (AgentVerify), or by a
// code sent to the member's phone or email that the member types in the
// chat (AgentSendCode, then the member's turn). Either way the
// conversation then counts as verified, as if the member had done it, and
// every attempt is recorded with the agent's name.

// ErrAgentWrongAnswer is an agent's wrong answer to the security
// questions; Remaining tries are left for agents.
type ErrAgentWrongAnswer struct{ Remaining int }

func (e *ErrAgentWrongAnswer) Error() string {
	return fmt.Sprintf("the answers do not match; %d tries left", e.Remaining)
}

// ErrAgentLocked: too many wrong answers for this account; Wait until
// agents (or, for a code, anyone) may try again.
type ErrAgentLocked struct{ Wait time.Duration }

func (e *ErrAgentLocked) Error() string {
	return fmt.Sprintf("too many wrong answers for this account; try again in %v", e.Wait.Round(time.Second))
}

// ErrCodeNotSent: the account's code was sent too recently, or too many
// codes were sent this hour; Wait before sending another.
type ErrCodeNotSent struct {
	Status dialog.SendStatus // SendTooSoon or SendLimited
	Wait   time.Duration
}

func (e *ErrCodeNotSent) Error() string {
	return fmt.Sprintf("no code sent (%s); try again in %v", e.Status, e.Wait.Round(time.Second))
}

// AgentVerify verifies, for the agent who holds conversation id, its member
// by the security questions the agent asked them: the last order's amount
// in fen and the registration month. On success the conversation counts as
// verified and the member is told who checked; a wrong answer is
// *ErrAgentWrongAnswer, too many *ErrAgentLocked.
func (h *Handoffs) AgentVerify(ctx context.Context, id, agent string, version int64, account string, amountCents int64, month int) error {
	_, err := h.agentChange(ctx, id, agent, version, func(e *edit) error {
		res, err := h.rt.verification.CheckAnswersForAgent(ctx, account, amountCents, month, agent)
		if err != nil {
			return err
		}
		switch res.Status {
		case dialog.CheckWrong:
			return &ErrAgentWrongAnswer{Remaining: res.Remaining}
		case dialog.CheckLocked:
			return &ErrAgentLocked{Wait: res.Wait}
		case dialog.CheckOK:
		default:
			return fmt.Errorf("agent verification: %s", res.Status)
		}
		c := &e.c
		c.State.Account, c.State.Verified, c.State.VerifiedAt, c.CodeBy = account, res.MemberID, e.now, ""
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_verified", map[string]any{"Agent": agent}), nil)
		return nil
	})
	return err
}

// AgentSendCode sends the member of a conversation the agent holds a code
// by method (dialog.MethodSMS or MethodEmail), under the same per-account
// limits and locks as the bot's; the member is asked to type it in the
// chat, and the code they type there verifies them (codeTyped). An
// account that is locked is *ErrAgentLocked; one asked too soon or too
// often *ErrCodeNotSent.
func (h *Handoffs) AgentSendCode(ctx context.Context, id, agent string, version int64, account string, method dialog.Method) error {
	_, err := h.agentChange(ctx, id, agent, version, func(e *edit) error {
		c := &e.c
		res, err := h.rt.verification.SendCode(ctx, dialog.CodeRequest{Account: account, Method: method, Lang: c.Lang(), Conv: c.ID, Channel: c.Channel})
		if err != nil {
			return err
		}
		if err := h.rt.verification.audit(ctx, agent, account, string(method), string(res.Status)); err != nil {
			h.rt.log.Error("agent's code send", "conv", c.ID, "err", err)
		}
		switch res.Status {
		case dialog.SendSent:
		case dialog.SendLocked:
			return &ErrAgentLocked{Wait: res.Wait}
		default:
			return &ErrCodeNotSent{Status: res.Status, Wait: res.Wait}
		}
		c.State.Account, c.CodeBy = account, agent
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_code_sent_"+string(method), map[string]any{
			"Agent": agent, "Account": dialog.MaskAccount(account), "Minutes": int(h.rt.verification.rules.CodeTTL.Minutes())}), nil)
		for _, m := range h.rt.takeNotes(c.ID) { // the demo notifier's copy of the code
			e.add(m.From, m.Text, nil)
		}
		return nil
	})
	return err
}

// codeTyped checks a code the member typed while an agent holds the
// conversation and had a code sent (Conversation.CodeBy); both see how it
// went, as a system line.
func (h *Handoffs) codeTyped(ctx context.Context, e *edit, code string) {
	c := &e.c
	res, err := h.rt.verification.CheckCode(ctx, c.State.Account, code)
	if err != nil {
		h.rt.log.Error("agent's code check", "conv", c.ID, "err", err)
		e.add(FromSystem, h.rt.render(c.Lang(), "unavailable", nil), nil)
		return
	}
	if err := h.rt.verification.audit(ctx, c.CodeBy, c.State.Account, "code", string(res.Status)); err != nil {
		h.rt.log.Error("agent's code check", "conv", c.ID, "err", err)
	}
	switch res.Status {
	case dialog.CheckOK:
		c.State.Verified, c.State.VerifiedAt = res.MemberID, e.now
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_verified_code", map[string]any{"Agent": c.CodeBy}), nil)
		c.CodeBy = ""
	case dialog.CheckWrong:
		e.add(FromSystem, h.rt.render(c.Lang(), "code_wrong", map[string]any{"Remaining": res.Remaining}), nil)
	case dialog.CheckLocked:
		c.CodeBy = ""
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_code_locked", map[string]any{
			"Until": e.now.Add(res.Wait).In(h.loc).Format("15:04"), "Minutes": int(math.Ceil(res.Wait.Minutes()))}), nil)
	default: // expired or used: the agent sends another
		c.CodeBy = ""
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_code_expired", nil), nil)
	}
}
