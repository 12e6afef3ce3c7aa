package bot

import (
	"context"
	"errors"
	"slices"
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

// Handoffs is the runtime's side of people: the queue of members waiting
// for one, agents' claims on conversations and the leases they hold them
// by, agents' presence (shared with the other instances on a
// store.Cluster), and what an agent does in a conversation they hold
// (agent.go). Reach it with Runtime.Handoffs. Its methods are safe for
// concurrent use; every change goes through the runtime's conversation
// changes, so a member's turn and an agent's action take turns.
type Handoffs struct {
	rt      *Runtime
	cfg     HandoffConfig
	loc     *time.Location // of cfg.Hours
	started time.Time      // leases left from before a restart count from here

	mu           sync.Mutex
	queue        []string // waiting conversation IDs, oldest first
	online       map[string]*presence
	watchers     watchers[Conversation]
	noteWatchers watchers[convNote]
	told         map[string]int // last queue position told to each waiting conversation
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
	if c.Status == ConvWaiting || c.Status == ConvActive {
		return write{handoffKey(c.ID), []byte(c.Status)}
	}
	return write{key: handoffKey(c.ID)}
}

// ids lists the conversations waiting or held, from the index.
func (h *Handoffs) ids(ctx context.Context) ([]string, error) {
	var ids []string
	err := h.rt.state.View(ctx, func(txn store.Txn) error {
		return txn.Scan([]byte(handoffPrefix), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			ids = append(ids, string(k[len(handoffPrefix):]))
			return nil
		})
	})
	return ids, err
}

// List returns the conversations waiting for or held by a person,
// waiting ones first in queue order. It reads only the handoff index.
func (h *Handoffs) List(ctx context.Context) ([]Conversation, error) {
	ids, err := h.ids(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(ids))
	for _, id := range ids {
		c, err := h.rt.Conversation(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.Status == ConvWaiting || c.Status == ConvActive {
			out = append(out, c)
		}
	}
	queue := h.queueSnapshot()
	rank := func(c Conversation) int {
		if i := slices.Index(queue, c.ID); i >= 0 {
			return i
		}
		return len(queue)
	}
	slices.SortStableFunc(out, func(a, b Conversation) int { return rank(a) - rank(b) })
	return out, nil
}

// load rebuilds the queue from the index at start-up.
func (h *Handoffs) load(ctx context.Context) error {
	ids, err := h.ids(ctx)
	if err != nil {
		return err
	}
	var waiting []Conversation
	for _, id := range ids {
		c, err := h.rt.Conversation(context.Background(), id)
		if err != nil {
			return err
		}
		if c.Status == ConvWaiting {
			waiting = append(waiting, c)
		}
	}
	slices.SortFunc(waiting, func(a, b Conversation) int { return a.WaitingSince.Compare(b.WaitingSince) })
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range waiting {
		h.queue = append(h.queue, c.ID)
	}
	return nil
}

// AgentOnline records that an agent's console is connected; call the
// returned function when it disconnects.
func (h *Handoffs) AgentOnline(name string) (offline func()) {
	ctx := context.Background() // presence is shared whoever asked
	h.mu.Lock()
	p := h.online[name]
	if p == nil {
		p = &presence{}
		h.online[name] = p
	}
	p.conns++
	h.mu.Unlock()
	h.sharePresence(ctx)
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			p.conns--
			p.since = h.rt.now()
			h.mu.Unlock()
		})
	}
}

// AgentsAvailable reports whether a person can answer now: an agent's
// console is connected, inside service hours.
func (h *Handoffs) AgentsAvailable(ctx context.Context) bool {
	if !h.cfg.Hours.Contains(h.rt.now().In(h.loc)) {
		return false
	}
	h.mu.Lock()
	for _, p := range h.online {
		if p.conns > 0 {
			h.mu.Unlock()
			return true
		}
	}
	h.mu.Unlock()
	return h.presentElsewhere(ctx, "")
}

// Watch calls fn with a snapshot of every conversation whose handoff state
// changes or that gets a message while waiting or held, until the returned
// function is called. fn must not block.
func (h *Handoffs) Watch(fn func(Conversation)) (unwatch func()) { return h.watchers.add(fn) }

// changed updates the queue after a conversation was stored and
// tells watchers. It runs after the conversation's lock is released by
// nobody else's hand: queue notices to other members go out afterwards.
func (h *Handoffs) changed(c Conversation, before string) {
	h.mu.Lock()
	i := slices.Index(h.queue, c.ID)
	moved := false
	switch {
	case c.Status == ConvWaiting && i < 0:
		h.queue = append(h.queue, c.ID)
	case c.Status != ConvWaiting && i >= 0:
		h.queue = slices.Delete(h.queue, i, i+1)
		delete(h.told, c.ID)
		moved = true
	}
	h.mu.Unlock()
	h.watchers.tell(c)
	if moved {
		go h.announceQueue()
	}
}

// QueuePosition is a waiting conversation's place in the queue (1 = next);
// 0 when it is not waiting.
func (h *Handoffs) QueuePosition(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Index(h.queue, id) + 1
}

func (h *Handoffs) waitMinutes(pos int) int {
	return int((time.Duration(pos)*h.cfg.HandleTime + time.Minute - 1) / time.Minute)
}

// announceQueue tells each waiting member whose place improved their new
// place.
func (h *Handoffs) announceQueue() {
	ctx := context.Background() // runs on its own after a queue change
	h.mu.Lock()
	type notice struct {
		id  string
		pos int
	}
	var notices []notice
	for i, id := range h.queue {
		if told, ok := h.told[id]; ok && told > i+1 {
			h.told[id] = i + 1
			notices = append(notices, notice{id, i + 1})
		}
	}
	h.mu.Unlock()
	for _, n := range notices {
		_, err := h.rt.change(ctx, n.id, func(e *edit) error {
			if e.c.Status != ConvWaiting {
				return errUnchanged
			}
			e.add(FromSystem, h.rt.render(e.c.Lang(), "queue_position", map[string]any{"Position": n.pos, "Minutes": h.waitMinutes(n.pos)}), nil)
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			h.rt.log.Error("queue notice", "conv", n.id, "err", err)
		}
	}
}

// errUnchanged makes change store nothing.
var errUnchanged = errors.New("unchanged")

// queueMember queues the member for a person and tells them their place;
// when nobody can answer now, it also records a callback work order so
// the request is not lost. Asking again repeats the same answer.
func (h *Handoffs) queueMember(ctx context.Context, e *edit, reason string) {
	c := &e.c
	if c.Status == ConvActive {
		return
	}
	if c.Status != ConvWaiting {
		c.Status, c.WaitingSince = ConvWaiting, e.now
		c.Version++
		h.rt.tally(e, Tally{Kind: TallyHandoff})
	}
	back := h.rt.buttons(c.Lang(), []dialog.Button{{Label: "btn_back_to_bot", Value: dialog.ValueAbort}})
	if h.AgentsAvailable(ctx) {
		h.mu.Lock()
		pos := slices.Index(h.queue, c.ID) + 1
		if pos == 0 {
			pos = len(h.queue) + 1
		}
		h.told[c.ID] = pos
		h.mu.Unlock()
		e.add(FromBot, h.rt.render(c.Lang(), "handoff_queued", map[string]any{"Position": pos, "Minutes": h.waitMinutes(pos)}), back)
		return
	}
	// Nobody can answer now: no queue place to promise, a callback instead,
	// one per conversation (the member system's callback, if there is one).
	if c.Callback != c.State.Callback {
		c.Callback = "" // closed since by an order of the member's
	}
	if c.Callback == "" && c.State.Callback != "" {
		if o, found, err := h.rt.orders.Get(ctx, c.State.Callback); err == nil && found && o.Status == "open" {
			c.Callback = o.Number
		}
	}
	if c.Callback == "" {
		o, err := h.rt.orders.Execute(ctx, dialog.OrderRequest{
			Key:      c.ID + "/callback/" + c.WaitingSince.Format(time.RFC3339Nano),
			Kind:     dialog.KindCallback,
			MemberID: c.State.Verified,
			Channel:  c.Channel,
			Conv:     c.ID,
			Reason:   reason,
			Executor: "bot",
			Lang:     c.Lang(),
			At:       e.now,
		})
		if err != nil {
			h.rt.metrics.Errors.WithLabelValues("handoff").Inc()
			h.rt.log.Error("callback order", "conv", c.ID, "err", err)
			e.add(FromBot, h.rt.render(c.Lang(), "unavailable", nil), nil)
			return
		}
		c.Callback = o.Number
		c.State.Callback = o.Number
		for _, m := range h.rt.takeNotes(c.ID) {
			e.add(m.From, m.Text, nil)
		}
	}
	e.add(FromBot, h.rt.render(c.Lang(), "handoff_callback", map[string]any{"Number": c.Callback}), back)
}

// withdraw takes a waiting member out of the queue.
func (h *Handoffs) withdraw(e *edit) {
	if e.c.Status != ConvWaiting {
		return
	}
	e.c.Status, e.c.WaitingSince = ConvBot, time.Time{}
	e.c.Version++
	e.add(FromBot, h.rt.render(e.c.Lang(), "handoff_withdrawn", nil), nil)
}

// ExpireLeases returns to the queue the conversations of agents whose
// consoles have all been gone for longer than the grace period (leases left
// from before a restart count from the start), telling their members. The
// runtime calls it periodically; tests call it directly.
func (h *Handoffs) ExpireLeases(ctx context.Context) {
	now := h.rt.now()
	gone := func(agent string) bool {
		h.mu.Lock()
		p, ok := h.online[agent]
		goneHere := !ok && now.Sub(h.started) > h.cfg.Grace || ok && p.conns == 0 && now.Sub(p.since) > h.cfg.Grace
		h.mu.Unlock()
		return goneHere && !h.presentElsewhere(ctx, agent)
	}
	ids, err := h.ids(ctx)
	if err != nil {
		h.rt.log.Error("expire leases", "err", err)
		return
	}
	for _, id := range ids {
		_, err := h.rt.change(ctx, id, func(e *edit) error {
			c := &e.c
			if c.Status != ConvActive || !gone(c.Agent) {
				return errUnchanged
			}
			c.letGo(ConvWaiting)
			c.WaitingSince = e.now
			pos := len(h.queueSnapshot()) + 1
			e.add(FromSystem, h.rt.render(c.Lang(), "agent_lost", map[string]any{"Position": pos, "Minutes": h.waitMinutes(pos)}), nil)
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			h.rt.log.Error("expire lease", "conv", id, "err", err)
		}
	}
}

func (h *Handoffs) queueSnapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.queue)
}

// presenceKey records in the State that an agent has a console open on
// this instance; it lapses after the handoff grace unless refreshed.
func (h *Handoffs) presenceKey(agent string) []byte {
	return []byte(presencePrefix + agent + "/" + h.rt.cluster.instance)
}

// sharePresence writes the presence of this instance's online agents.
func (h *Handoffs) sharePresence(ctx context.Context) {
	if !h.rt.cluster.shared() {
		return
	}
	h.mu.Lock()
	var online []string
	for name, p := range h.online {
		if p.conns > 0 {
			online = append(online, name)
		}
	}
	h.mu.Unlock()
	if len(online) == 0 {
		return
	}
	err := h.rt.state.Update(ctx, func(txn store.Txn) error {
		for _, name := range online {
			if err := txn.SetTTL(h.presenceKey(name), nil, h.cfg.Grace); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.rt.log.Warn("share agents' presence", "err", err)
	}
}

// presentElsewhere reports whether agent ("" for any agent) has a console
// on another instance.
func (h *Handoffs) presentElsewhere(ctx context.Context, agent string) bool {
	if !h.rt.cluster.shared() {
		return false
	}
	prefix := presencePrefix
	if agent != "" {
		prefix += agent + "/"
	}
	mine := "/" + h.rt.cluster.instance
	found := false
	_ = h.rt.state.View(ctx, func(txn store.Txn) error {
		return txn.Scan([]byte(prefix), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			if len(k) < len(mine) || string(k[len(k)-len(mine):]) != mine {
				found = true
				return store.ErrStop
			}
			return nil
		})
	})
	return found
}
