package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

// ErrNotFound is returned for an unknown conversation.
var ErrNotFound = errors.New("conversation not found")

// Runtime routes every channel's members through the dialog engine: it keeps
// conversations (persisted in the store, loaded lazily), runs one turn at a
// time per conversation, renders replies in the member's language, stores
// transcripts and publishes new messages to subscribers. Its methods are safe
// for concurrent use.
type Runtime struct {
	store   *Store
	engine  *dialog.Engine
	catalog *locales.Catalog
	orders  *WorkOrderBook
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	maxLen  int

	mu   sync.Mutex
	live map[string]*liveConv

	// Notices a turn's ports produced for the conversation's own transcript
	// (demo codes and receipts), drained by the turn that caused them.
	noteMu sync.Mutex
	notes  map[string][]Message
}

// liveConv is a loaded conversation. mu serialises its turns; subs is under
// Runtime.mu.
type liveConv struct {
	mu   sync.Mutex
	conv Conversation
	subs map[int]func(Message)
	next int
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
	err = update(r.store.State, func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err == nil {
			b, err := item.ValueCopy(nil)
			id, created = string(b), false
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		now := r.now()
		c := Conversation{ID: newID(), Channel: channel, User: user, Status: StatusBot, CreatedAt: now, UpdatedAt: now}
		id, created = c.ID, true
		if err := txn.Set(key, []byte(c.ID)); err != nil {
			return err
		}
		return setJSON(txn, convKey(c.ID), c)
	})
	return id, created, err
}

// load returns the live conversation, reading it from the store on first use.
func (r *Runtime) load(id string) (*liveConv, error) {
	r.mu.Lock()
	lc, ok := r.live[id]
	r.mu.Unlock()
	if ok {
		return lc, nil
	}
	var c Conversation
	err := r.store.State.View(func(txn *badger.Txn) error {
		found, err := getJSON(txn, convKey(id), &c)
		if err == nil && !found {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if lc, ok := r.live[id]; ok { // loaded meanwhile
		return lc, nil
	}
	lc = &liveConv{conv: c, subs: map[int]func(Message){}}
	r.live[id] = lc
	return lc, nil
}

// Conversation returns a snapshot of a conversation.
func (r *Runtime) Conversation(ctx context.Context, id string) (Conversation, error) {
	lc, err := r.load(id)
	if err != nil {
		return Conversation{}, err
	}
	lc.mu.Lock()
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

// History returns the conversation's transcript, oldest first.
func (r *Runtime) History(ctx context.Context, id string) ([]Message, error) {
	var out []Message
	err := r.store.State.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = msgPrefix(id)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var m Message
			if err := it.Item().Value(func(b []byte) error { return jsonUnmarshal(b, &m) }); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
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

// turn runs one engine turn under the conversation's lock, persists the new
// state with the new messages in one transaction, then publishes them.
func (r *Runtime) turn(ctx context.Context, id string, in dialog.Input, echo string) error {
	lc, err := r.load(id)
	if err != nil {
		return err
	}
	started := time.Now()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	c := lc.conv // work on a copy: the live one changes only once stored
	now := r.now()
	in.At, in.Conv, in.Chan = now, c.ID, c.Channel

	var msgs []Message
	add := func(from, text string, buttons []MessageButton) {
		c.Seq++
		msgs = append(msgs, Message{ID: strconv.FormatUint(c.Seq, 10), From: from, Text: text, Buttons: buttons, At: now})
	}
	if in.Kind == dialog.InputButton {
		echo = r.buttonLabel(c, in.Text)
	}
	if in.Kind != dialog.InputStart {
		add(FromMember, echo, nil)
		c.Preview = truncateRunes(echo, 80)
	}
	if c.Status == StatusActive {
		// An agent holds the conversation: the bot stays silent.
	} else {
		st, replies, effects := r.engine.Turn(ctx, c.State, in)
		c.State = st
		for _, rep := range replies {
			add(FromBot, r.render(c.Lang(), rep.ID, rep.Data), r.buttons(c.Lang(), rep.Buttons))
		}
		for _, m := range r.takeNotes(c.ID) {
			add(m.From, m.Text, nil)
		}
		for _, e := range effects {
			for _, m := range r.apply(ctx, &c, e) {
				add(m.From, m.Text, m.Buttons)
			}
		}
	}
	c.UpdatedAt = now
	err = update(r.store.State, func(txn *badger.Txn) error {
		if err := setJSON(txn, convKey(c.ID), c); err != nil {
			return err
		}
		for i, m := range msgs {
			if err := setJSON(txn, msgKey(c.ID, c.Seq-uint64(len(msgs)-1-i)), m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save conversation %s: %w", c.ID, err)
	}
	lc.conv = c
	r.publish(lc, msgs)
	for _, m := range msgs {
		if m.From == FromMember {
			r.metrics.MessagesIn.WithLabelValues(c.Channel).Inc()
		} else {
			r.metrics.MessagesOut.WithLabelValues(c.Channel).Inc()
		}
	}
	r.metrics.TurnSeconds.Observe(time.Since(started).Seconds())
	return nil
}

func (r *Runtime) liveCount() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return float64(len(r.live))
}

func (r *Runtime) publish(lc *liveConv, msgs []Message) {
	r.mu.Lock()
	subs := make([]func(Message), 0, len(lc.subs))
	for _, fn := range lc.subs {
		subs = append(subs, fn)
	}
	r.mu.Unlock()
	for _, m := range msgs {
		for _, fn := range subs {
			fn(m)
		}
	}
}

// apply carries out an engine effect and returns the messages it adds.
func (r *Runtime) apply(ctx context.Context, c *Conversation, e dialog.Effect) []Message {
	switch e := e.(type) {
	case dialog.Failure:
		r.metrics.Errors.WithLabelValues("turn").Inc()
		r.log.Error("turn failed", "conv", c.ID, "err", e.Err)
	case dialog.Withdraw:
		if c.Status == StatusWaiting {
			c.Status, c.WaitingSince = StatusBot, time.Time{}
			return []Message{{From: FromBot, Text: r.render(c.Lang(), "handoff_withdrawn", nil)}}
		}
	case dialog.Handoff:
		return r.handoff(ctx, c, e.Reason)
	}
	return nil
}

// handoff puts the member in front of a person. No agent can be signed in
// yet, so the request is recorded as a callback work order and the member
// is told so; asking again repeats the same order.
func (r *Runtime) handoff(ctx context.Context, c *Conversation, reason string) []Message {
	if c.Status != StatusWaiting {
		c.Status, c.WaitingSince = StatusWaiting, r.now()
	}
	if c.Callback == "" {
		o, err := r.orders.Execute(ctx, dialog.OrderRequest{
			Key:      c.ID + "/callback/" + strconv.Itoa(c.State.Flow) + "/" + c.WaitingSince.Format(time.RFC3339Nano),
			Kind:     dialog.KindCallback,
			MemberID: c.State.Verified,
			Chan:     c.Channel,
			Conv:     c.ID,
			Reason:   reason,
			Executor: "bot",
			Lang:     c.Lang(),
			At:       r.now(),
		})
		if err != nil {
			r.metrics.Errors.WithLabelValues("handoff").Inc()
			r.log.Error("callback order", "conv", c.ID, "err", err)
			return []Message{{From: FromBot, Text: r.render(c.Lang(), "unavailable", nil)}}
		}
		c.Callback = o.Number
	}
	return []Message{{From: FromBot, Text: r.render(c.Lang(), "handoff_callback", map[string]any{"Number": c.Callback}),
		Buttons: r.buttons(c.Lang(), []dialog.Button{{Label: "btn_back_to_bot", Value: "abort"}})}}
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
func (r *Runtime) buttonLabel(c Conversation, value string) string {
	var label string
	_ = r.store.State.View(func(txn *badger.Txn) error {
		for seq := c.Seq; seq > 0 && seq+10 > c.Seq && label == ""; seq-- {
			var m Message
			if found, err := getJSON(txn, msgKey(c.ID, seq), &m); err != nil || !found {
				return err
			}
			for _, b := range m.Buttons {
				if b.Value == value {
					label = b.Label
				}
			}
		}
		return nil
	})
	if label == "" {
		return truncateRunes(value, 80)
	}
	return label
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
