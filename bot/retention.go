package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// Retention (Config.Retention) is carried out by a sweep rather than by
// Badger TTLs: a TTL counts from each write, so the first messages of a
// long conversation would vanish while it is still going on, whereas the
// rule is "kept for so long after the conversation's last message".

// Sweep timing: the first sweep runs soon after start (so a server that is
// restarted often still sweeps), then every sweepEvery; shorter retentions
// (tests, a strict operator) are swept more often.
const (
	sweepFirst  = time.Minute
	sweepEvery  = time.Hour
	sweepChunk  = 1000 // deletions per transaction
	minSweepGap = 10 * time.Millisecond
)

// Expired counts what one sweep deleted.
type Expired struct {
	Conversations int // with their transcripts
	WorkOrders    int
}

// keepFor starts the background sweep of ret; nothing when both are zero.
func (r *Runtime) keepFor(ret Retention) {
	shortest := time.Duration(0)
	for _, d := range []time.Duration{ret.Transcripts, ret.Orders} {
		if d > 0 && (shortest == 0 || d < shortest) {
			shortest = d
		}
	}
	if shortest == 0 {
		return
	}
	every := max(minSweepGap, min(sweepEvery, shortest/2))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-r.stop; cancel() }() // Close interrupts a sweep
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTimer(min(sweepFirst, every))
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
			n, err := r.Expire(ctx, ret)
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				r.log.Error("retention sweep", "err", err)
			case n.Conversations > 0 || n.WorkOrders > 0:
				r.log.Info("retention sweep", "conversations", n.Conversations, "work_orders", n.WorkOrders)
			}
			t.Reset(every)
		}
	}()
}

// Expire deletes, as of the runtime's clock, the conversations (record,
// transcript, address) whose last message is older than ret.Transcripts,
// and the work orders created longer than ret.Orders ago; a zero duration
// keeps those records forever. Conversations waiting for or held by an
// agent, and those a channel is watching right now, are kept until they are
// not. Space is given back to the file system as Badger allows.
func (r *Runtime) Expire(ctx context.Context, ret Retention) (Expired, error) {
	var n Expired
	now := r.now()
	var errs []error
	if ret.Transcripts > 0 {
		c, err := r.expireConversations(ctx, now.Add(-ret.Transcripts))
		n.Conversations = c
		errs = append(errs, err)
		if c > 0 {
			r.reclaim()
		}
	}
	if ret.Orders > 0 {
		o, err := r.expireOrders(ctx, now.Add(-ret.Orders))
		n.WorkOrders = o
		errs = append(errs, err)
		if o > 0 {
			r.reclaim()
		}
	}
	return n, errors.Join(errs...)
}

// expired tells whether a conversation is past its retention.
func expired(c Conversation, cutoff time.Time) bool {
	return c.UpdatedAt.Before(cutoff) && c.Status != ConvWaiting && c.Status != ConvActive
}

func (r *Runtime) expireConversations(ctx context.Context, cutoff time.Time) (int, error) {
	var ids []string
	err := r.eachStored(ctx, func(c Conversation) {
		if expired(c, cutoff) {
			ids = append(ids, c.ID)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("expire conversations: %w", err)
	}
	n := 0
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if !r.forget(id) {
			continue // in use right now: next sweep
		}
		gone, err := r.deleteConversation(ctx, id, cutoff)
		if err != nil {
			return n, fmt.Errorf("expire conversation %s: %w", id, err)
		}
		if gone {
			n++
		}
	}
	return n, nil
}

// forget drops a conversation from memory before it is deleted; false when
// a channel watches it or a turn holds it.
func (r *Runtime) forget(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	lc, ok := r.live[id]
	if !ok {
		return true
	}
	if len(lc.subs) > 0 || !lc.mu.TryLock() {
		return false
	}
	lc.evicted = true
	delete(r.live, id)
	lc.mu.Unlock()
	return true
}

// deleteConversation deletes a conversation's transcript, sweepChunk
// entries a transaction, then the conversation and its address. Every
// transaction reads the conversation first, so a member writing meanwhile
// makes it conflict, and the retry finds the conversation no longer
// expired.
func (r *Runtime) deleteConversation(ctx context.Context, id string, cutoff time.Time) (gone bool, err error) {
	for done := false; !done; {
		err := r.state.Update(ctx, func(txn store.Txn) error {
			done, gone = true, false
			c, _, err := getConv(txn, id)
			if errors.Is(err, ErrNotFound) || err == nil && !expired(c, cutoff) {
				return nil
			}
			if err != nil {
				return err
			}
			var keys [][]byte
			for _, prefix := range [][]byte{msgPrefix(id), notesPrefix(id)} { // the transcript, then agents' notes
				if len(keys) == sweepChunk {
					break
				}
				err = txn.Scan(prefix, store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
					keys = append(keys, append([]byte(nil), k...))
					if len(keys) == sweepChunk {
						return store.ErrStop
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			if len(keys) == sweepChunk {
				done = false // more messages: another transaction
				return nil
			}
			gone = true
			for _, k := range [][]byte{convKey(id), addrKey(c.Channel, c.User), handoffKey(id)} {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			if v := c.State.Verified; v != "" { // the member's newest conversation, if it is this one
				b, err := txn.Get(memberConvKey(v))
				if errors.Is(err, store.ErrNotFound) {
					return nil
				}
				if err != nil || string(b) != id {
					return err
				}
				return txn.Delete(memberConvKey(v))
			}
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	return gone, nil
}

// expireOrders deletes the work orders created before cutoff with their
// index entries; their numbers are never issued again (the day's sequence
// stays).
func (r *Runtime) expireOrders(ctx context.Context, cutoff time.Time) (int, error) {
	db := r.ledger
	end := orderTimeKey(cutoff, "")
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var keys [][]byte
		var found int
		err := db.View(ctx, func(txn store.Txn) error {
			return txn.Scan([]byte(orderTimePrefix), store.ScanOptions{KeysOnly: true}, func(key, _ []byte) error {
				if len(keys) >= sweepChunk/4 || string(key) >= string(end) {
					return store.ErrStop
				}
				k := append([]byte(nil), key...)
				number := string(k[len(k)-17:])
				var rec orderRecord
				ok, err := getJSON(txn, []byte(orderPrefix+number), &rec)
				if err != nil {
					return err
				}
				keys = append(keys, k)
				if !ok {
					return nil
				}
				keys = append(keys, []byte(orderPrefix+number), []byte(orderKeyPrefix+rec.Key),
					delivery{Kind: deliverReceipt, Number: number}.key()) // a receipt never delivered goes too
				if rec.MemberID != "" {
					keys = append(keys, []byte(orderMemberPrefix+rec.MemberID+"/"+number))
				}
				found++
				return nil
			})
		})
		if err != nil {
			return n, fmt.Errorf("expire work orders: %w", err)
		}
		if len(keys) == 0 {
			return n, nil
		}
		err = db.Update(ctx, func(txn store.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("expire work orders: %w", err)
		}
		n += found
	}
}
