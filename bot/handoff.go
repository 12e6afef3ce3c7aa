package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/store"
)

// Handoff to a person. A member who asks for one is queued (status waiting,
// in order of asking) and told their place; an agent claims the
// conversation (status active: the bot is silent, member messages go to the
// agent only), replies, may act for a verified member, and releases it back
// to the bot or closes it. A claim is a lease: every agent action names the
// conversation's Version, which changes whenever ownership does, so a stale
// console cannot act; an agent whose consoles are all gone for longer than
// the grace period loses their conversations back to the queue.

// Errors of agent actions; channels map them to HTTP statuses.
var (
	ErrHeld        = errors.New("conversation is held by another agent")      // 409
	ErrStale       = errors.New("conversation changed: reload it")            // 409
	ErrNotHeld     = errors.New("claim the conversation first")               // 409
	ErrNotVerified = errors.New("the member has not verified their identity") // 409
)

// Handoffs is the state the runtime keeps of people: agents' presence and
// the queue. It is part of Runtime; its own mutex guards it.
type handoffs struct {
	mu       sync.Mutex
	queue    []string // waiting conversation IDs, oldest first
	online   map[string]*presence
	watchers map[int]func(Conversation)
	nextW    int
	told     map[string]int // last queue position told to each waiting conversation
}

type presence struct {
	conns int
	since time.Time // when the last console went away
}

// HandoffConfig tunes the handoff.
type HandoffConfig struct {
	Grace      time.Duration // an agent's leases survive this long without a console; default 2m
	HandleTime time.Duration // expected time per member, for wait estimates; default 3m
	Hours      *ServiceHours // when agents work; nil: always
}

// ServiceHours is a daily window in the runtime's time zone, such as
// 09:00–21:00; From > To spans midnight.
type ServiceHours struct {
	From, To time.Duration // since midnight
}

// Contains reports whether t falls inside the window.
func (h *ServiceHours) Contains(t time.Time) bool {
	if h == nil {
		return true
	}
	d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	if h.From <= h.To {
		return d >= h.From && d < h.To
	}
	return d >= h.From || d < h.To
}

// handoffWrite keeps the handoff index (conversations waiting or held) in
// step with a conversation whose status changed, so start-up and listings
// read only those.
func handoffWrite(c Conversation) write {
	if c.Status == StatusWaiting || c.Status == StatusActive {
		return write{handoffKey(c.ID), []byte(c.Status)}
	}
	return write{key: handoffKey(c.ID)}
}

// handoffIDs lists the conversations waiting or held, from the index.
func (r *Runtime) handoffIDs() ([]string, error) {
	var ids []string
	err := view(r.state, func(txn store.Txn) error {
		return txn.Scan([]byte(handoffPrefix), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			ids = append(ids, string(k[len(handoffPrefix):]))
			return nil
		})
	})
	return ids, err
}

// Handoffs returns the conversations waiting for or held by a person,
// waiting ones first in queue order. It reads only the handoff index.
func (r *Runtime) Handoffs(ctx context.Context) ([]Conversation, error) {
	ids, err := r.handoffIDs()
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(ids))
	for _, id := range ids {
		c, err := r.Conversation(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.Status == StatusWaiting || c.Status == StatusActive {
			out = append(out, c)
		}
	}
	queue := r.queueSnapshot()
	rank := func(c Conversation) int {
		if i := slices.Index(queue, c.ID); i >= 0 {
			return i
		}
		return len(queue)
	}
	slices.SortStableFunc(out, func(a, b Conversation) int { return rank(a) - rank(b) })
	return out, nil
}

// loadHandoffs rebuilds the queue from the index at start-up.
func (r *Runtime) loadHandoffs() error {
	ids, err := r.handoffIDs()
	if err != nil {
		return err
	}
	var waiting []Conversation
	for _, id := range ids {
		c, err := r.Conversation(context.Background(), id)
		if err != nil {
			return err
		}
		if c.Status == StatusWaiting {
			waiting = append(waiting, c)
		}
	}
	slices.SortFunc(waiting, func(a, b Conversation) int { return a.WaitingSince.Compare(b.WaitingSince) })
	r.ho.mu.Lock()
	defer r.ho.mu.Unlock()
	for _, c := range waiting {
		r.ho.queue = append(r.ho.queue, c.ID)
	}
	return nil
}

// AgentOnline records that an agent's console is connected; call the
// returned function when it disconnects.
func (r *Runtime) AgentOnline(name string) (offline func()) {
	r.ho.mu.Lock()
	p := r.ho.online[name]
	if p == nil {
		p = &presence{}
		r.ho.online[name] = p
	}
	p.conns++
	r.ho.mu.Unlock()
	r.sharePresence()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.ho.mu.Lock()
			p.conns--
			p.since = r.now()
			r.ho.mu.Unlock()
		})
	}
}

// AgentsAvailable reports whether a person can answer now: an agent's
// console is connected, inside service hours.
func (r *Runtime) AgentsAvailable() bool {
	if !r.hoCfg.Hours.Contains(r.now().In(r.loc)) {
		return false
	}
	r.ho.mu.Lock()
	for _, p := range r.ho.online {
		if p.conns > 0 {
			r.ho.mu.Unlock()
			return true
		}
	}
	r.ho.mu.Unlock()
	return r.presentElsewhere("")
}

// Watch calls fn with a snapshot of every conversation whose handoff state
// changes or that gets a message while waiting or held, until the returned
// function is called. fn must not block.
func (r *Runtime) Watch(fn func(Conversation)) (unwatch func()) {
	r.ho.mu.Lock()
	n := r.ho.nextW
	r.ho.nextW++
	r.ho.watchers[n] = fn
	r.ho.mu.Unlock()
	return func() {
		r.ho.mu.Lock()
		delete(r.ho.watchers, n)
		r.ho.mu.Unlock()
	}
}

// handoffChanged updates the queue after a conversation was stored and
// tells watchers. It runs after the conversation's lock is released by
// nobody else's hand: queue notices to other members go out afterwards.
func (r *Runtime) handoffChanged(c Conversation, before string) {
	r.ho.mu.Lock()
	i := slices.Index(r.ho.queue, c.ID)
	moved := false
	switch {
	case c.Status == StatusWaiting && i < 0:
		r.ho.queue = append(r.ho.queue, c.ID)
	case c.Status != StatusWaiting && i >= 0:
		r.ho.queue = slices.Delete(r.ho.queue, i, i+1)
		delete(r.ho.told, c.ID)
		moved = true
	}
	watchers := make([]func(Conversation), 0, len(r.ho.watchers))
	for _, fn := range r.ho.watchers {
		watchers = append(watchers, fn)
	}
	r.ho.mu.Unlock()
	for _, fn := range watchers {
		fn(c)
	}
	if moved {
		go r.announceQueue()
	}
}

// QueuePosition is a waiting conversation's place in the queue (1 = next);
// 0 when it is not waiting.
func (r *Runtime) QueuePosition(id string) int {
	r.ho.mu.Lock()
	defer r.ho.mu.Unlock()
	return slices.Index(r.ho.queue, id) + 1
}

func (r *Runtime) waitMinutes(pos int) int {
	return int((time.Duration(pos)*r.hoCfg.HandleTime + time.Minute - 1) / time.Minute)
}

// announceQueue tells each waiting member whose place improved their new
// place.
func (r *Runtime) announceQueue() {
	r.ho.mu.Lock()
	type notice struct {
		id  string
		pos int
	}
	var notices []notice
	for i, id := range r.ho.queue {
		if told, ok := r.ho.told[id]; ok && told > i+1 {
			r.ho.told[id] = i + 1
			notices = append(notices, notice{id, i + 1})
		}
	}
	r.ho.mu.Unlock()
	for _, n := range notices {
		_, err := r.change(n.id, func(e *edit) error {
			if e.c.Status != StatusWaiting {
				return errUnchanged
			}
			e.add(FromSystem, r.render(e.c.Lang(), "queue_position", map[string]any{"Position": n.pos, "Minutes": r.waitMinutes(n.pos)}), nil)
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			r.log.Error("queue notice", "conv", n.id, "err", err)
		}
	}
}

// errUnchanged makes change store nothing.
var errUnchanged = errors.New("unchanged")

// handoff queues the member for a person and tells them their place; when
// nobody can answer now, it also records a callback work order so the
// request is not lost. Asking again repeats the same answer.
func (r *Runtime) handoff(ctx context.Context, e *edit, reason string) {
	c := &e.c
	if c.Status == StatusActive {
		return
	}
	if c.Status != StatusWaiting {
		c.Status, c.WaitingSince = StatusWaiting, e.now
		c.Version++
	}
	back := r.buttons(c.Lang(), []dialog.Button{{Label: "btn_back_to_bot", Value: "abort"}})
	if r.AgentsAvailable() {
		r.ho.mu.Lock()
		pos := slices.Index(r.ho.queue, c.ID) + 1
		if pos == 0 {
			pos = len(r.ho.queue) + 1
		}
		r.ho.told[c.ID] = pos
		r.ho.mu.Unlock()
		e.add(FromBot, r.render(c.Lang(), "handoff_queued", map[string]any{"Position": pos, "Minutes": r.waitMinutes(pos)}), back)
		return
	}
	// Nobody can answer now: no queue place to promise, a callback instead,
	// one per conversation (the member system's callback, if there is one).
	if c.Callback != c.State.Callback {
		c.Callback = "" // closed since by an order of the member's
	}
	if c.Callback == "" && c.State.Callback != "" {
		if o, found, err := r.orders.Get(ctx, c.State.Callback); err == nil && found && o.Status == "open" {
			c.Callback = o.Number
		}
	}
	if c.Callback == "" {
		o, err := r.orders.Execute(ctx, dialog.OrderRequest{
			Key:      c.ID + "/callback/" + c.WaitingSince.Format(time.RFC3339Nano),
			Kind:     dialog.KindCallback,
			MemberID: c.State.Verified,
			Chan:     c.Channel,
			Conv:     c.ID,
			Reason:   reason,
			Executor: "bot",
			Lang:     c.Lang(),
			At:       e.now,
		})
		if err != nil {
			r.metrics.Errors.WithLabelValues("handoff").Inc()
			r.log.Error("callback order", "conv", c.ID, "err", err)
			e.add(FromBot, r.render(c.Lang(), "unavailable", nil), nil)
			return
		}
		c.Callback = o.Number
		c.State.Callback = o.Number
		for _, m := range r.takeNotes(c.ID) {
			e.add(m.From, m.Text, nil)
		}
	}
	e.add(FromBot, r.render(c.Lang(), "handoff_callback", map[string]any{"Number": c.Callback}), back)
}

// withdraw takes a waiting member out of the queue.
func (r *Runtime) withdraw(e *edit) {
	if e.c.Status != StatusWaiting {
		return
	}
	e.c.Status, e.c.WaitingSince = StatusBot, time.Time{}
	e.c.Version++
	e.add(FromBot, r.render(e.c.Lang(), "handoff_withdrawn", nil), nil)
}

// agentChange runs fn for an agent on a conversation they must hold at the
// given version (0: any version, for callers that do not track it).
func (r *Runtime) agentChange(id, agent string, version int64, fn func(e *edit) error) (Conversation, error) {
	return r.change(id, func(e *edit) error {
		c := &e.c
		switch {
		case c.Status != StatusActive || c.Agent == "":
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
func (r *Runtime) Claim(ctx context.Context, id, agent string, version int64) (Conversation, error) {
	var waited time.Duration
	c, err := r.change(id, func(e *edit) error {
		c := &e.c
		switch {
		case c.Status == StatusActive && c.Agent == agent:
			return errUnchanged
		case c.Status == StatusActive:
			return ErrHeld
		case version != 0 && version != c.Version:
			return ErrStale
		}
		if c.Status == StatusWaiting {
			waited = e.now.Sub(c.WaitingSince)
		}
		c.Status, c.Agent, c.WaitingSince = StatusActive, agent, time.Time{}
		c.Version++
		e.add(FromSystem, r.render(c.Lang(), "agent_joined", map[string]any{"Agent": agent}), nil)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return c, nil
	}
	if err == nil {
		r.metrics.Claims.WithLabelValues(agent).Inc()
		r.metrics.TimeToClaim.Observe(waited.Seconds())
	}
	return c, err
}

// AgentMessage adds an agent's message to a conversation they hold.
func (r *Runtime) AgentMessage(ctx context.Context, id, agent string, version int64, text string) (Conversation, error) {
	return r.agentChange(id, agent, version, func(e *edit) error {
		e.add(FromAgent, truncateRunes(text, r.maxLen), nil)
		return nil
	})
}

// Release hands a held conversation back to the bot, which continues the
// flow where it was.
func (r *Runtime) Release(ctx context.Context, id, agent string, version int64) (Conversation, error) {
	return r.agentChange(id, agent, version, func(e *edit) error {
		c := &e.c
		c.Status, c.Agent = StatusBot, ""
		c.Version++
		e.add(FromSystem, r.render(c.Lang(), "agent_released", nil), nil)
		st, replies, _ := r.engine.Turn(ctx, c.State, dialog.Input{Kind: dialog.InputButton, Text: "continue", At: e.now, Conv: c.ID, Chan: c.Channel})
		c.State = st
		for _, rep := range replies {
			e.reply(r, rep)
		}
		return nil
	})
}

// CloseConversation ends a held conversation; the member's next message
// starts afresh with the bot.
func (r *Runtime) CloseConversation(ctx context.Context, id, agent string, version int64) (Conversation, error) {
	return r.agentChange(id, agent, version, func(e *edit) error {
		c := &e.c
		c.Status, c.Agent = StatusClosed, ""
		c.Version++
		c.State.Reset()
		e.add(FromSystem, r.render(c.Lang(), "agent_closed", nil), nil)
		return nil
	})
}

// AgentAct executes cancel_now or no_renew for the verified member of a
// conversation the agent holds, as an agent_action work order; the member
// gets the same receipt as from the bot. Repeating it within one claim
// yields the same order.
func (r *Runtime) AgentAct(ctx context.Context, id, agent string, version int64, action dialog.OrderKind) (dialog.WorkOrder, error) {
	if action != dialog.KindCancelNow && action != dialog.KindNoRenew {
		return dialog.WorkOrder{}, fmt.Errorf("unknown action %q", action)
	}
	var order dialog.WorkOrder
	_, err := r.agentChange(id, agent, version, func(e *edit) error {
		c := &e.c
		member, ok := c.State.VerifiedMember(e.now, r.engine.VerifiedFor)
		if !ok {
			return ErrNotVerified
		}
		o, err := r.orders.Execute(ctx, dialog.OrderRequest{
			Key:      c.ID + "/agent/" + strconv.FormatInt(c.Version, 10) + "/" + string(action),
			Kind:     dialog.KindAgentAction,
			Action:   action,
			MemberID: member,
			Chan:     c.Channel,
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
		rep.Data["Link"] = r.engine.ReceiptLink(o)
		e.add(FromAgent, r.render(c.Lang(), rep.ID, rep.Data), r.buttons(c.Lang(), rep.Buttons))
		for _, m := range r.takeNotes(c.ID) {
			e.add(m.From, m.Text, nil)
		}
		return nil
	})
	if err == nil {
		r.metrics.WorkOrders.WithLabelValues(string(dialog.KindAgentAction)).Inc()
	}
	return order, err
}

// ExpireLeases returns to the queue the conversations of agents whose
// consoles have all been gone for longer than the grace period (leases left
// from before a restart count from the start), telling their members. The
// runtime calls it periodically; tests call it directly.
func (r *Runtime) ExpireLeases(ctx context.Context) {
	now := r.now()
	gone := func(agent string) bool {
		r.ho.mu.Lock()
		p, ok := r.ho.online[agent]
		goneHere := !ok && now.Sub(r.started) > r.hoCfg.Grace || ok && p.conns == 0 && now.Sub(p.since) > r.hoCfg.Grace
		r.ho.mu.Unlock()
		return goneHere && !r.presentElsewhere(agent)
	}
	ids, err := r.handoffIDs()
	if err != nil {
		r.log.Error("expire leases", "err", err)
		return
	}
	for _, id := range ids {
		_, err := r.change(id, func(e *edit) error {
			c := &e.c
			if c.Status != StatusActive || !gone(c.Agent) {
				return errUnchanged
			}
			c.Status, c.Agent, c.WaitingSince = StatusWaiting, "", e.now
			c.Version++
			pos := len(r.queueSnapshot()) + 1
			e.add(FromSystem, r.render(c.Lang(), "agent_lost", map[string]any{"Position": pos, "Minutes": r.waitMinutes(pos)}), nil)
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			r.log.Error("expire lease", "conv", id, "err", err)
		}
	}
}

func (r *Runtime) queueSnapshot() []string {
	r.ho.mu.Lock()
	defer r.ho.mu.Unlock()
	return slices.Clone(r.ho.queue)
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
func (r *Runtime) MemberSummary(ctx context.Context, id string) (MemberSummary, error) {
	c, err := r.Conversation(ctx, id)
	if err != nil {
		return MemberSummary{}, err
	}
	var s MemberSummary
	if c.State.Account != "" {
		s.Account = dialog.MaskAccount(c.State.Account)
	}
	member, ok := c.State.VerifiedMember(r.now(), r.engine.VerifiedFor)
	if !ok {
		return s, nil
	}
	m, found, err := r.engine.Members.Lookup(ctx, c.State.Account)
	if err != nil {
		return s, err
	}
	if !found || m.ID != member {
		return s, nil
	}
	s.Verified = true
	s.VerifiedUntil = c.State.VerifiedAt.Add(orDuration(r.engine.VerifiedFor, dialog.DefaultVerifiedFor))
	s.Phone, s.Email = dialog.MaskPhone(m.Phone), dialog.MaskEmail(m.Email)
	s.Plan = r.render(c.Lang(), "plan_"+m.Plan.Code, nil)
	s.Status, s.PeriodEnd, s.AutoRenew = string(m.StatusAt(r.now())), m.PeriodEnd, m.AutoRenew
	return s, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
