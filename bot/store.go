package bot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"

	"io"
	"log/slog"

	"github.com/kefu-dev/kefu/store"
)

// Storage: the runtime keeps everything in a store.Store — the durable
// Ledger (work orders, their sequences, members, pending notices, secrets)
// and the State (conversations, transcripts, counters). The embedded
// Badger store is the default; PostgreSQL serves several instances.

// update runs fn in a read-write transaction of db.
func update(db store.DB, fn func(txn store.Txn) error) error {
	return db.Update(context.Background(), fn)
}

// view runs fn in a read-only transaction of db.
func view(db store.DB, fn func(txn store.Txn) error) error {
	return db.View(context.Background(), fn)
}

// getJSON reads key into v; found is false when the key is absent.
func getJSON(txn store.Txn, key []byte, v any) (found bool, err error) {
	b, err := txn.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

// setJSON writes v under key.
func setJSON(txn store.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

// secret returns the named random 32-byte secret, creating and persisting
// it on first use (in the ledger, so it survives what orders survive).
func secret(ctx context.Context, db store.DB, name string) ([]byte, error) {
	key := []byte(secretPrefix + name)
	var out []byte
	err := db.Update(ctx, func(txn store.Txn) error {
		b, err := txn.Get(key)
		if err == nil {
			out = b
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out = make([]byte, 32)
		if _, err := rand.Read(out); err != nil {
			return err
		}
		return txn.Set(key, out)
	})
	return out, err
}

// Backup writes a backup of the whole store to w while kefu runs; only the
// embedded store has one (PostgreSQL has its own tools).
func (r *Runtime) Backup(w io.Writer) error {
	b, ok := r.store.(interface{ Backup(io.Writer) error })
	if !ok {
		return errors.New("this store has no built-in backup: use the database's own tools (pg_dump)")
	}
	return b.Backup(w)
}

// Restore loads a backup into dir, which must not hold a store yet.
func Restore(dir string, r io.Reader, log *slog.Logger) error { return store.Restore(dir, r, log) }

// reclaim lets the store give deleted data's disk space back, when it can.
func (r *Runtime) reclaim() {
	if rc, ok := r.store.(interface{ Reclaim() }); ok {
		rc.Reclaim()
	}
}
