package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
	"github.com/kefu-dev/kefu/store"
)

// ErrNotFound is returned for an unknown conversation.
var ErrNotFound = errors.New("conversation not found")

// Runtime routes every channel's members through the dialog engine: it keeps
// conversations (persisted in the store, loaded lazily), runs one turn at a
// time per conversation, renders replies in the member's language, stores
// transcripts and publishes new messages to subscribers. Its methods are safe
// for concurrent use.
type Runtime struct {
	store   store.Store
	state   store.DB // store.State()
	ledger  store.DB // store.Ledger()
	engine  *dialog.Engine
	catalog *locales.Catalog
	orders  *WorkOrderBook
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	maxLen  int

	ho *Handoffs

	cluster cluster // the other instances on the store, if any

	channels *ChannelState
	outbox   *Outbox
	health   *Health

	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu       sync.Mutex
	live     map[string]*liveConv
	chanSubs map[string]map[int]ChannelSubscriber // by channel
	nextSub  int

	// Notices a turn's ports produced for the conversation's own transcript
	// (demo codes and receipts), drained by the turn that caused them.
	noteMu sync.Mutex
	notes  map[string][]Message
}

// liveConv is a loaded conversation. mu serialises its turns and guards
// conv and evicted; subs, next and used are under Runtime.mu.
type liveConv struct {
	mu      sync.Mutex
	conv    Conversation
	evicted bool // dropped from Runtime.live: load it again
	subs    map[int]func(Message)
	next    int
	used    time.Time
	// buttons are those of the newest message that had any, so a button
	// press finds its label without reading the transcript; nil when not
	// known (a record from before buttons were stored by reference).
	buttons []MessageButton
}

// idleEvict is how long a loaded conversation nobody watches stays in
// memory after its last use; it is in the store all along.
const idleEvict = 5 * time.Minute

// evictIdle drops from memory the conversations nobody is subscribed to and
// nobody used for idleEvict, so memory follows active members, not all
// members ever seen.
func (r *Runtime) evictIdle() {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, lc := range r.live {
		if len(lc.subs) > 0 || now.Sub(lc.used) < idleEvict || !lc.mu.TryLock() {
			continue
		}
		lc.evicted = true
		delete(r.live, id)
		lc.mu.Unlock()
	}
}

// lock loads a conversation and locks it for a change.
func (r *Runtime) lock(id string) (*liveConv, error) {
	for {
		lc, err := r.load(id)
		if err != nil {
			return nil, err
		}
		lc.mu.Lock()
		if !lc.evicted {
			return lc, nil
		}
		lc.mu.Unlock()
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Resolve returns the conversation of a member on a channel, creating it
// when the address is new.
func (r *Runtime) Resolve(ctx context.Context, channel, user string) (id string, created bool, err error) {
	key := addrKey(channel, user)
	err = update(r.state, func(txn store.Txn) error {
		b, err := txn.Get(key)
		if err == nil {
			id, created = string(b), false
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := r.now()
		c := Conversation{ID: newID(), Channel: channel, User: user, Status: StatusBot, CreatedAt: now, UpdatedAt: now}
		id, created = c.ID, true
		if err := txn.Set(key, []byte(c.ID)); err != nil {
			return err
		}
		return txn.Set(convKey(c.ID), encodeConv(c, nil))
	})
	return id, created, err
}

// Lookup finds the conversation of a member on a channel without creating
// one; found is false for an address never seen.
func (r *Runtime) Lookup(ctx context.Context, channel, user string) (id string, found bool, err error) {
	err = view(r.state, func(txn store.Txn) error {
		b, err := txn.Get(addrKey(channel, user))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		id, found = string(b), err == nil
		return err
	})
	return id, found, err
}

// load returns the live conversation, reading it from the store on first use.
func (r *Runtime) load(id string) (*liveConv, error) {
	r.mu.Lock()
	lc, ok := r.live[id]
	if ok {
		lc.used = time.Now()
	}
	r.mu.Unlock()
	if ok {
		return lc, nil
	}
	c, buttons, err := r.read(id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if lc, ok := r.live[id]; ok { // loaded meanwhile
		return lc, nil
	}
	lc = &liveConv{conv: c, subs: map[int]func(Message){}, used: time.Now(), buttons: buttons}
	r.live[id] = lc
	return lc, nil
}

// read reads a conversation from the store, with the buttons of its
// newest message with buttons when its record refers to them.
func (r *Runtime) read(id string) (c Conversation, buttons []MessageButton, err error) {
	err = view(r.state, func(txn store.Txn) error {
		var same bool
		var err error
		if c, same, err = getConv(txn, id); err != nil || !same {
			return err
		}
		buttons, err = newestButtons(txn, id, c.Seq)
		c.State.Buttons = make([]string, len(buttons))
		for i, b := range buttons {
			c.State.Buttons[i] = b.Value
		}
		return err
	})
	return c, buttons, err
}

// Conversation returns a snapshot of a conversation.
func (r *Runtime) Conversation(ctx context.Context, id string) (Conversation, error) {
	if r.cluster.shared() {
		c, _, err := r.read(id) // another instance may have changed it
		return c, err
	}
	lc, err := r.lock(id)
	if err != nil {
		return Conversation{}, err
	}
	defer lc.mu.Unlock()
	return lc.conv, nil
}

// Subscribe calls fn with every message added to the conversation from now
// on, in order, until the returned function is called. fn runs while the
// conversation's turn is being published: it must not block or call back
// into the Runtime for the same conversation (hand the message to a queue).
func (r *Runtime) Subscribe(id string, fn func(Message)) (unsubscribe func(), err error) {
	lc, err := r.load(id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	for lc.evicted { // evicted between load and here: the live copy is new
		r.mu.Unlock()
		if lc, err = r.load(id); err != nil {
			return nil, err
		}
		r.mu.Lock()
	}
	n := lc.next
	lc.next++
	lc.subs[n] = fn
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(lc.subs, n)
		r.mu.Unlock()
	}, nil
}

// ChannelSubscriber receives a message added to a conversation on a
// channel: the conversation's ID and its member's key on the channel.
type ChannelSubscriber func(conv, user string, m Message)

// SubscribeChannel calls fn with every message added to any conversation
// on channel from now on, in order per conversation, until the returned
// function is called. It keeps no conversation in memory, so a channel
// that delivers on its own (Telegram) need not subscribe to each of its
// conversations. fn runs as Subscribe's functions do: it must not block or
// call back into the Runtime for the same conversation.
func (r *Runtime) SubscribeChannel(channel string, fn ChannelSubscriber) (unsubscribe func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.chanSubs == nil {
		r.chanSubs = map[string]map[int]ChannelSubscriber{}
	}
	if r.chanSubs[channel] == nil {
		r.chanSubs[channel] = map[int]ChannelSubscriber{}
	}
	n := r.nextSub
	r.nextSub++
	r.chanSubs[channel][n] = fn
	return func() {
		r.mu.Lock()
		delete(r.chanSubs[channel], n)
		r.mu.Unlock()
	}
}

// History returns the conversation's transcript, oldest first.
func (r *Runtime) History(ctx context.Context, id string) ([]Message, error) {
	return r.messages(id, 1, math.MaxUint64) // messages are numbered from 1
}

// Start opens (or reopens) a conversation with a welcome; payload may name a
// flow to open straight away ("cancel").
func (r *Runtime) Start(ctx context.Context, id string, hint dialog.Lang, payload string) error {
	return r.turn(ctx, id, dialog.Input{Kind: dialog.InputStart, Text: payload, Hint: hint}, "")
}

// Handle runs one member message (text, or a button's value) through the
// conversation. The member's message and every reply reach subscribers.
func (r *Runtime) Handle(ctx context.Context, id string, kind dialog.InputKind, text string, hint dialog.Lang) error {
	echo := text
	if kind == dialog.InputButton {
		echo = "" // the button's label is echoed, filled in by turn
	} else if utf8.RuneCountInString(echo) > r.maxLen {
		echo = string([]rune(echo)[:r.maxLen]) + "…"
	}
	if !utf8.ValidString(echo) {
		echo = "\ufffd"
	}
	return r.turn(ctx, id, dialog.Input{Kind: kind, Text: text, Hint: hint}, echo)
}

// turn runs one engine turn: the member's message, then (unless an agent
// holds the conversation) the bot's replies and the effects' messages.
func (r *Runtime) turn(ctx context.Context, id string, in dialog.Input, echo string) error {
	if err := r.admit(ctx, id, in.Hint); err != nil {
		return err
	}
	started := time.Now()
	_, err := r.change(id, func(e *edit) error {
		c := &e.c
		in.At, in.Conv, in.Chan, in.Waiting = e.now, c.ID, c.Channel, c.Status == StatusWaiting
		if in.Kind == dialog.InputButton {
			echo = r.buttonLabel(*c, e.buttons, in.Text)
		}
		if in.Kind != dialog.InputStart {
			e.add(FromMember, echo, nil)
			c.Preview = truncateRunes(echo, 80)
		}
		switch c.Status {
		case StatusActive:
			return nil // an agent holds the conversation: the bot stays silent
		case StatusClosed:
			c.Status = StatusBot // the member is back: a new start
		}
		st, replies, effects := r.engine.Turn(ctx, c.State, in)
		c.State = st
		for _, rep := range replies {
			e.reply(r, rep)
		}
		if n := len(e.msgs); len(replies) > 0 && e.msgs[n-1].From == FromBot {
			e.msgs[n-1].Expect = expectFor(st.Step)
		}
		for _, m := range r.takeNotes(c.ID) {
			e.add(m.From, m.Text, nil)
		}
		for _, eff := range effects {
			r.apply(ctx, e, eff)
		}
		return nil
	})
	r.metrics.TurnSeconds.Observe(time.Since(started).Seconds())
	return err
}

// edit is one change to a conversation: a working copy and the messages it
// adds.
type edit struct {
	c       Conversation
	now     time.Time
	msgs    []Message
	buttons []MessageButton // the newest buttons shown before this change
}

func (e *edit) add(from, text string, buttons []MessageButton) {
	e.c.Seq++
	e.msgs = append(e.msgs, Message{ID: strconv.FormatUint(e.c.Seq, 10), From: from, Text: text, Buttons: buttons, At: e.now})
}

// reply adds a bot reply rendered in the conversation's language.
func (e *edit) reply(r *Runtime, rep dialog.Reply) {
	e.add(FromBot, r.render(e.c.Lang(), rep.ID, rep.Data), r.buttons(e.c.Lang(), rep.Buttons))
}

// change runs fn on a copy of the conversation under its lock. When fn
// succeeds, the copy and the messages it added are stored in one
// transaction, then published; when it fails nothing changes. fn must not
// change another conversation (lock order).
func (r *Runtime) change(id string, fn func(e *edit) error) (Conversation, error) {
	lc, err := r.lock(id)
	if err != nil {
		return Conversation{}, err
	}
	defer lc.mu.Unlock()
	if r.cluster.shared() {
		// One change at a time across instances, on the stored copy.
		unlock, err := r.cluster.lockConv(context.Background(), id)
		if err != nil {
			return lc.conv, fmt.Errorf("lock conversation %s: %w", id, err)
		}
		defer unlock()
		if lc.conv, lc.buttons, err = r.read(id); err != nil {
			return lc.conv, err
		}
	}
	e := &edit{c: lc.conv, now: r.now().Truncate(time.Millisecond), buttons: lc.buttons}
	before := e.c.Status
	if err := fn(e); err != nil {
		return lc.conv, err
	}
	c := e.c
	c.UpdatedAt = e.now
	writes, newest := r.encodeChange(c, before, e.msgs, e.buttons)
	if v := c.State.Verified; v != "" && v != lc.conv.State.Verified {
		// The member's newest conversation, for renewal reminders.
		writes = append(writes, write{memberConvKey(v), []byte(c.ID)})
	}
	err = update(r.state, func(txn store.Txn) error {
		for _, w := range writes {
			var err error
			if w.val == nil {
				err = txn.Delete(w.key)
			} else {
				err = txn.Set(w.key, w.val)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.metrics.Errors.WithLabelValues("store").Inc()
		return lc.conv, fmt.Errorf("save conversation %s: %w", c.ID, err)
	}
	lc.conv, lc.buttons = c, newest
	r.publish(lc, e.msgs)
	r.announce(c, before, e.msgs)
	for _, m := range e.msgs {
		if m.From == FromMember {
			r.metrics.MessagesIn.WithLabelValues(c.Channel).Inc()
		} else {
			r.metrics.MessagesOut.WithLabelValues(c.Channel).Inc()
		}
	}
	if before != StatusBot || c.Status != StatusBot {
		r.ho.changed(c, before)
	}
	return c, nil
}

// write is one key to set, or to delete when val is nil.
type write struct{ key, val []byte }

// encodeChange encodes what storing a changed conversation writes: the
// conversation, its new messages, and the handoff index when the status
// changed; newest are the buttons of the newest message with buttons
// after the change, given prev before it (nil when unknown). Encoding
// happens before the transaction, so a conflict retry does not encode
// again.
func (r *Runtime) encodeChange(c Conversation, before string, msgs []Message, prev []MessageButton) (writes []write, newest []MessageButton) {
	writes = make([]write, 0, 3)
	newest = prev
	if len(msgs) > 0 {
		var entry []byte
		entry, newest = encodeMsgs(msgs, prev)
		writes = append(writes, write{msgKey(c.ID, c.Seq-uint64(len(msgs)-1)), entry})
	}
	writes = append(writes, write{convKey(c.ID), encodeConv(c, newest)})
	if c.Status != before {
		writes = append(writes, handoffWrite(c))
	}
	return writes, newest
}

func (r *Runtime) liveCount() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return float64(len(r.live))
}

func (r *Runtime) publish(lc *liveConv, msgs []Message) {
	r.publishTo(lc.conv.ID, lc.conv.Channel, lc.conv.User, lc, msgs)
}

// publishTo hands msgs of a conversation to its subscribers (lc's, when it
// is loaded) and its channel's.
func (r *Runtime) publishTo(id, channel, user string, lc *liveConv, msgs []Message) {
	r.mu.Lock()
	var subs []func(Message)
	if lc != nil {
		subs = make([]func(Message), 0, len(lc.subs))
		for _, fn := range lc.subs {
			subs = append(subs, fn)
		}
	}
	chanSubs := make([]ChannelSubscriber, 0, len(r.chanSubs[channel]))
	for _, fn := range r.chanSubs[channel] {
		chanSubs = append(chanSubs, fn)
	}
	r.mu.Unlock()
	for _, m := range msgs {
		for _, fn := range subs {
			fn(m)
		}
		for _, fn := range chanSubs {
			fn(id, user, m)
		}
	}
}

// apply carries out an engine effect.
func (r *Runtime) apply(ctx context.Context, e *edit, eff dialog.Effect) {
	switch eff := eff.(type) {
	case dialog.Failure:
		r.metrics.Errors.WithLabelValues("turn").Inc()
		r.log.Error("turn failed", "conv", e.c.ID, "err", eff.Err)
	case dialog.Withdraw:
		r.ho.withdraw(e)
	case dialog.Handoff:
		r.ho.queueMember(ctx, e, eff.Reason)
	}
}

// note queues a message for the conversation's transcript; the turn in
// flight adds it after its replies.
func (r *Runtime) note(conv string, m Message) {
	r.noteMu.Lock()
	r.notes[conv] = append(r.notes[conv], m)
	r.noteMu.Unlock()
}

func (r *Runtime) takeNotes(conv string) []Message {
	r.noteMu.Lock()
	defer r.noteMu.Unlock()
	ms := r.notes[conv]
	delete(r.notes, conv)
	return ms
}

func (r *Runtime) render(lang dialog.Lang, id string, data map[string]any) string {
	s, err := r.catalog.Render(lang, id, data)
	if err != nil {
		r.log.Error("render", "id", id, "lang", lang, "err", err)
	}
	return s
}

func (r *Runtime) buttons(lang dialog.Lang, bs []dialog.Button) []MessageButton {
	if len(bs) == 0 {
		return nil
	}
	out := make([]MessageButton, len(bs))
	for i, b := range bs {
		out[i] = MessageButton{Label: r.render(lang, b.Label, b.Data), Value: b.Value}
	}
	return out
}

// buttonLabel finds what a pressed button said, for the transcript; an
// unknown value is shown as it is.
func (r *Runtime) buttonLabel(c Conversation, newest []MessageButton, value string) string {
	label := findLabel(newest, value)
	if label == "" { // an older button, or the conversation was just loaded
		_ = view(r.state, func(txn store.Txn) error {
			n := 0 // the last ten messages
			return messagesBack(txn, c.ID, c.Seq, func(m Message) bool {
				n++
				label = findLabel(m.Buttons, value) // repeated buttons: found further back
				return label != "" || n == 10
			})
		})
	}
	if label != "" {
		return label
	}
	if id, ok := dialog.ButtonLabel(value); ok && r.catalog.IDs(c.Lang())[id] {
		return r.render(c.Lang(), id, nil)
	}
	return truncateRunes(value, 80)
}

func findLabel(bs []MessageButton, value string) string {
	for _, b := range bs {
		if b.Value == value {
			return b.Label
		}
	}
	return ""
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Conversations returns every stored conversation on channel ("" for all),
// in no particular order. It reads the store, so it is for listings and
// start-up scans, not for hot paths.
func (r *Runtime) Conversations(ctx context.Context, channel string) ([]Conversation, error) {
	var out []Conversation
	err := r.eachStored(func(c Conversation) {
		if channel == "" || c.Channel == channel {
			out = append(out, r.current(c))
		}
	})
	return out, err
}

// eachStored calls fn with every conversation as stored.
func (r *Runtime) eachStored(fn func(Conversation)) error {
	return view(r.state, func(txn store.Txn) error {
		return txn.Scan([]byte(convPrefix), store.ScanOptions{}, func(k, v []byte) error {
			c, _, err := decodeConv(string(k[len(convPrefix):]), v)
			if err == nil {
				fn(c)
			}
			return err
		})
	})
}

// current prefers the live copy of a stored conversation.
func (r *Runtime) current(c Conversation) Conversation {
	r.mu.Lock()
	lc, ok := r.live[c.ID]
	r.mu.Unlock()
	if !ok {
		return c
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.conv
}
