package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// What an agent does in a conversation: claim it, write to the member,
// act for a verified member, release it to the bot or close it. Every
// action but Claim names the conversation's Version the agent's console
// last saw, which changes whenever ownership does, so a stale console
// cannot act.

// Errors of agent actions; channels map them to HTTP statuses.
var (
	ErrHeld        = errors.New("conversation is held by another agent")      // 409
	ErrStale       = errors.New("conversation changed: reload it")            // 409
	ErrNotHeld     = errors.New("claim the conversation first")               // 409
	ErrNotVerified = errors.New("the member has not verified their identity") // 409
)

// agentChange runs fn for an agent on a conversation they must hold at the
// given version (0: any version, for callers that do not track it).
func (h *Handoffs) agentChange(ctx context.Context, id, agent string, version int64, fn func(e *edit) error) (Conversation, error) {
	return h.rt.change(ctx, id, func(e *edit) error {
		c := &e.c
		switch {
		case c.Status != ConvActive || c.Agent == "":
			return ErrNotHeld
		case c.Agent != agent:
			return ErrHeld
		case version != 0 && version != c.Version:
			return ErrStale
		}
		return fn(e)
	})
}

// Claim gives the conversation to agent. Claiming one the agent already
// holds returns it unchanged; one another agent holds is ErrHeld; a version
// other than the current one (when not 0) is ErrStale.
func (h *Handoffs) Claim(ctx context.Context, id, agent string, version int64) (Conversation, error) {
	var waited time.Duration
	c, err := h.rt.change(ctx, id, func(e *edit) error {
		c := &e.c
		switch {
		case c.Status == ConvActive && c.Agent == agent:
			return errUnchanged
		case c.Status == ConvActive:
			return ErrHeld
		case version != 0 && version != c.Version:
			return ErrStale
		}
		if c.Status == ConvWaiting {
			waited = e.now.Sub(c.WaitingSince)
			h.rt.tally(e, Tally{Kind: TallyClaimed, Seconds: waited.Seconds()})
		}
		c.Status, c.Agent, c.WaitingSince = ConvActive, agent, time.Time{}
		c.Version++
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_joined", map[string]any{"Agent": agent}), nil)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return c, nil
	}
	if err == nil {
		h.rt.metrics.Claims.WithLabelValues(agent).Inc()
		h.rt.metrics.TimeToClaim.Observe(waited.Seconds())
	}
	return c, err
}

// AgentMessage adds an agent's message to a conversation they hold; one
// longer than MaxLen is refused (*TooLongError).
func (h *Handoffs) AgentMessage(ctx context.Context, id, agent string, version int64, text string) (Conversation, error) {
	if err := h.rt.checkLen(text); err != nil {
		return Conversation{}, err
	}
	return h.agentChange(ctx, id, agent, version, func(e *edit) error {
		e.add(FromAgent, text, nil)
		return nil
	})
}

// Release hands a held conversation back to the bot, which continues the
// flow where it was.
func (h *Handoffs) Release(ctx context.Context, id, agent string, version int64) (Conversation, error) {
	return h.agentChange(ctx, id, agent, version, func(e *edit) error {
		c := &e.c
		c.letGo(ConvBot)
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_released", nil), nil)
		st, replies, _ := h.rt.engine.Turn(ctx, c.State, dialog.Input{Kind: dialog.InputButton, Text: dialog.ValueContinue, At: e.now, Conv: c.ID, Channel: c.Channel})
		c.State = st
		for _, rep := range replies {
			e.reply(h.rt, rep)
		}
		return nil
	})
}

// CloseConversation ends a held conversation; the member's next message
// starts afresh with the bot.
func (h *Handoffs) CloseConversation(ctx context.Context, id, agent string, version int64) (Conversation, error) {
	return h.agentChange(ctx, id, agent, version, func(e *edit) error {
		c := &e.c
		c.letGo(ConvClosed)
		c.State.Reset()
		e.add(FromSystem, h.rt.render(c.Lang(), "agent_closed", nil), nil)
		e.reply(h.rt, dialog.AskCSAT(&c.State, "close/"+strconv.FormatInt(c.Version, 10)))
		return nil
	})
}

// AgentAct executes cancel_now or no_renew for the verified member of a
// conversation the agent holds, as an agent_action work order; the member
// gets the same receipt as from the bot. Repeating it within one claim
// yields the same order.
func (h *Handoffs) AgentAct(ctx context.Context, id, agent string, version int64, action dialog.OrderKind) (dialog.WorkOrder, error) {
	if action != dialog.KindCancelNow && action != dialog.KindNoRenew {
		return dialog.WorkOrder{}, fmt.Errorf("unknown action %q", action)
	}
	var order dialog.WorkOrder
	_, err := h.agentChange(ctx, id, agent, version, func(e *edit) error {
		c := &e.c
		member, ok := c.State.VerifiedMember(e.now, h.rt.engine.VerifiedFor)
		if !ok {
			return ErrNotVerified
		}
		o, err := h.rt.orders.Execute(ctx, dialog.OrderRequest{
			Key:      c.ID + "/agent/" + strconv.FormatInt(c.Version, 10) + "/" + string(action),
			Kind:     dialog.KindAgentAction,
			Action:   action,
			MemberID: member,
			Channel:  c.Channel,
			Conv:     c.ID,
			Executor: agent,
			Lang:     c.Lang(),
			At:       e.now,
		})
		if err != nil {
			return err
		}
		order = o
		c.State.Executed(o)
		rep := dialog.Receipt(o)
		rep.Data["Link"] = h.rt.engine.ReceiptLink(o)
		e.add(FromAgent, h.rt.render(c.Lang(), rep.ID, rep.Data), h.rt.buttons(c.Lang(), rep.Buttons))
		for _, m := range h.rt.takeNotes(c.ID) {
			e.add(m.From, m.Text, nil)
		}
		return nil
	})
	if err == nil {
		h.rt.metrics.WorkOrders.WithLabelValues(string(dialog.KindAgentAction)).Inc()
	}
	return order, err
}

// MemberSummary is what an agent sees of a conversation's member: whether
// they verified, and their membership, with phone and email masked.
type MemberSummary struct {
	Verified      bool      `json:"verified"`
	VerifiedUntil time.Time `json:"verified_until,omitzero"`
	Account       string    `json:"account,omitempty"` // masked, as the member gave it
	Phone         string    `json:"phone,omitempty"`   // masked
	Email         string    `json:"email,omitempty"`   // masked
	Plan          string    `json:"plan,omitempty"`    // rendered in the conversation's language
	Status        string    `json:"status,omitempty"`  // active, expired, cancelled
	PeriodEnd     time.Time `json:"period_end,omitzero"`
	AutoRenew     bool      `json:"auto_renew"`
}

// MemberSummary returns the member summary of a conversation; membership
// details only once the member has verified.
func (h *Handoffs) MemberSummary(ctx context.Context, id string) (MemberSummary, error) {
	c, err := h.rt.Conversation(ctx, id)
	if err != nil {
		return MemberSummary{}, err
	}
	var s MemberSummary
	if c.State.Account != "" {
		s.Account = dialog.MaskAccount(c.State.Account)
	}
	member, ok := c.State.VerifiedMember(h.rt.now(), h.rt.engine.VerifiedFor)
	if !ok {
		return s, nil
	}
	m, found, err := h.rt.engine.Members.Lookup(ctx, c.State.Account)
	if err != nil {
		return s, err
	}
	if !found || m.ID != member {
		return s, nil
	}
	s.Verified = true
	s.VerifiedUntil = c.State.VerifiedAt.Add(orDuration(h.rt.engine.VerifiedFor, dialog.DefaultVerifiedFor))
	s.Phone, s.Email = dialog.MaskPhone(m.Phone), dialog.MaskEmail(m.Email)
	s.Plan = h.rt.render(c.Lang(), "plan_"+m.Plan.Code, nil)
	s.Status, s.PeriodEnd, s.AutoRenew = string(m.StatusAt(h.rt.now())), m.PeriodEnd, m.AutoRenew
	return s, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
