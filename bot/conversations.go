package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// Conversations as the runtime keeps them: in the store (records.go), and
// in memory while in use (Runtime.live), evicted when idle. change is the
// one way to change one: under its lock (and, on a store.Cluster, the
// store's lock for it), stored in one transaction, then published.

// ErrNotFound is returned for an unknown conversation.
var ErrNotFound = errors.New("conversation not found")

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
func (r *Runtime) lock(ctx context.Context, id string) (*liveConv, error) {
	for {
		lc, err := r.load(ctx, id)
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
	err = r.state.Update(ctx, func(txn store.Txn) error {
		b, err := txn.Get(key)
		if err == nil {
			id, created = string(b), false
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := r.now()
		c := Conversation{ID: newID(), Channel: channel, User: user, Status: ConvBot, CreatedAt: now, UpdatedAt: now}
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
	err = r.state.View(ctx, func(txn store.Txn) error {
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
func (r *Runtime) load(ctx context.Context, id string) (*liveConv, error) {
	r.mu.Lock()
	lc, ok := r.live[id]
	if ok {
		lc.used = time.Now()
	}
	r.mu.Unlock()
	if ok {
		return lc, nil
	}
	c, buttons, err := r.read(ctx, id)
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
func (r *Runtime) read(ctx context.Context, id string) (c Conversation, buttons []MessageButton, err error) {
	err = r.state.View(ctx, func(txn store.Txn) error {
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
		c, _, err := r.read(ctx, id) // another instance may have changed it
		return c, err
	}
	lc, err := r.lock(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	defer lc.mu.Unlock()
	return lc.conv, nil
}

// History returns the conversation's transcript, oldest first.
func (r *Runtime) History(ctx context.Context, id string) ([]Message, error) {
	return r.messages(ctx, id, 1, math.MaxUint64) // messages are numbered from 1
}

// change runs fn on a copy of the conversation under its lock. When fn
// succeeds, the copy and the messages it added are stored in one
// transaction, then published; when it fails nothing changes. fn must not
// change another conversation (lock order).
func (r *Runtime) change(ctx context.Context, id string, fn func(e *edit) error) (Conversation, error) {
	lc, err := r.lock(ctx, id)
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
		if lc.conv, lc.buttons, err = r.read(ctx, id); err != nil {
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
	writes = append(writes, e.extra...)
	if v := c.State.Verified; v != "" && v != lc.conv.State.Verified {
		// The member's newest conversation, for renewal reminders.
		writes = append(writes, write{memberConvKey(v), []byte(c.ID)})
	}
	err = r.state.Update(ctx, func(txn store.Txn) error {
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
	if before != ConvBot || c.Status != ConvBot {
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

// Conversations returns every stored conversation on channel ("" for all),
// in no particular order. It reads the store, so it is for listings and
// start-up scans, not for hot paths.
func (r *Runtime) Conversations(ctx context.Context, channel string) ([]Conversation, error) {
	var out []Conversation
	err := r.eachStored(ctx, func(c Conversation) {
		if channel == "" || c.Channel == channel {
			out = append(out, r.current(c))
		}
	})
	return out, err
}

// eachStored calls fn with every conversation as stored.
func (r *Runtime) eachStored(ctx context.Context, fn func(Conversation)) error {
	return r.state.View(ctx, func(txn store.Txn) error {
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

// messages reads messages from..to of a conversation.
func (r *Runtime) messages(ctx context.Context, id string, from, to uint64) ([]Message, error) {
	var out []Message
	err := r.state.View(ctx, func(txn store.Txn) error {
		return messagesFrom(txn, id, from, to, func(m Message) { out = append(out, m) })
	})
	return out, err
}
