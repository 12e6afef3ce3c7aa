package store

import (
	"errors"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// groupCommit runs the read-write transactions of concurrent callers as one
// Badger transaction, so one commit (one WAL sync on the synced Ledger)
// serves a whole batch. Badger v4 syncs its WAL once per committed
// transaction, not once per group of them: without this, concurrent orders
// queue for one sync each. The zero value needs only db set; it keeps no
// goroutine while idle.
type groupCommit struct {
	db      *badger.DB
	mu      sync.Mutex
	queue   []*groupCall
	running bool
}

type groupCall struct {
	fn   func(txn *badger.Txn) error
	err  error
	done chan struct{}
}

// maxGroup bounds a batch; ErrTxnTooBig splits it further.
const maxGroup = 128

// update runs fn in a transaction shared with concurrent callers and returns
// once it is committed. fn may run more than once (conflicts, a failing
// neighbour) and sees the writes of the callers batched before it, as if
// they had committed just before; an error from fn discards only fn's
// writes and is returned to its caller.
func (g *groupCommit) update(fn func(txn *badger.Txn) error) error {
	c := &groupCall{fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.running {
		g.mu.Unlock()
		<-c.done
		return c.err
	}
	// Nobody is committing: lead the batch, which starts with c, without a
	// goroutine hand-off; a goroutine takes over what queued meanwhile.
	g.running = true
	g.mu.Unlock()
	if g.next() {
		go g.run()
	}
	return c.err
}

func (g *groupCommit) run() {
	for g.next() {
	}
}

// next commits the next batch and reports whether more are queued; when
// none are, it gives up the lead.
func (g *groupCommit) next() (more bool) {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := slices.Clone(g.queue[:n])
	g.queue = g.queue[n:]
	g.mu.Unlock()
	g.commit(batch)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.running = false
		g.queue = nil
		return false
	}
	return true
}

func (g *groupCommit) commit(batch []*groupCall) {
	finish := func(calls []*groupCall, err error) {
		for _, c := range calls {
			c.err = err
			close(c.done)
		}
	}
	for len(batch) > 0 {
		txn := g.db.NewTransaction(true)
		failed, err := -1, error(nil)
		for i, c := range batch {
			if err = c.fn(txn); err != nil {
				failed = i
				break
			}
		}
		if failed >= 0 {
			txn.Discard()
			if errors.Is(err, badger.ErrTxnTooBig) && failed > 0 {
				// The batch is full: commit what fits, go on with the rest.
				g.commit(batch[:failed])
				batch = batch[failed:]
			} else {
				finish(batch[failed:failed+1], err)
				batch = slices.Concat(batch[:failed], batch[failed+1:])
			}
			continue
		}
		err = txn.Commit()
		switch {
		case errors.Is(err, badger.ErrConflict):
			continue
		case errors.Is(err, badger.ErrTxnTooBig) && len(batch) > 1:
			half := len(batch) / 2
			g.commit(batch[:half])
			batch = batch[half:]
			continue
		}
		finish(batch, err)
		return
	}
}
