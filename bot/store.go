package bot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Store is kefu's embedded storage: two Badger databases under one data
// directory. Ledger holds what must survive a power loss (work orders, their
// sequences, the demo member store) and is opened with synced writes, so
// Badger's group commit lets concurrent orders share one fsync. State holds
// conversations, transcripts and verification counters, written without
// fsync: a process crash keeps them, a power loss may lose the last moments.
type Store struct {
	Ledger *badger.DB
	State  *badger.DB
}

// OpenStore opens (creating if needed) the store under dir.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create data directory %s: %w", dir, errors.Unwrap(err))
	}
	ledger, err := openBadger(filepath.Join(dir, "ledger"), true, log)
	if err != nil {
		return nil, err
	}
	state, err := openBadger(filepath.Join(dir, "state"), false, log)
	if err != nil {
		ledger.Close()
		return nil, err
	}
	return &Store{Ledger: ledger, State: state}, nil
}

func openBadger(dir string, synced bool, log *slog.Logger) (*badger.DB, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(synced).
		WithLogger(badgerLogger{log.With("db", filepath.Base(dir))}).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(16 << 20).
		WithValueThreshold(1 << 10)
	if !synced {
		// Transcripts are most of the State database and compress well
		// (repeated field names, menus, Chinese text); ZSTD's level 1
		// stores an idle session in about 80 % of Snappy's bytes
		// (bench/README.md). Compression runs on table flushes and
		// compactions, off the turn's path.
		opts = opts.WithCompression(options.ZSTD).WithZSTDCompressionLevel(1)
	}
	db, err := badger.Open(opts)
	switch {
	case err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock"):
		return nil, fmt.Errorf("data directory %s is in use by another kefu process", filepath.Dir(dir))
	case err != nil && errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("data directory %s is not writable", filepath.Dir(dir))
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return db, nil
}

// Close flushes and closes both databases.
func (s *Store) Close() error {
	return errors.Join(s.State.Close(), s.Ledger.Close())
}

// Healthy reports whether both databases accept reads.
func (s *Store) Healthy() error {
	for _, db := range []*badger.DB{s.Ledger, s.State} {
		if db.IsClosed() {
			return errors.New("store closed")
		}
	}
	return nil
}

// update runs fn in a read-write transaction, retrying on conflicts.
func update(db *badger.DB, fn func(txn *badger.Txn) error) error {
	for {
		err := db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
}

// getJSON reads key into v; found is false when the key is absent.
func getJSON(txn *badger.Txn, key []byte, v any) (found bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// setJSON writes v under key.
func setJSON(txn *badger.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

// badgerLogger routes Badger's log lines to slog; its info chatter goes to
// debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    { b.debug(f, a) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.debug(f, a) }

// debug formats only when debug lines are kept: Badger logs often.
func (b badgerLogger) debug(f string, a []any) {
	if b.l.Enabled(context.Background(), slog.LevelDebug) {
		b.l.Debug(fmt.Sprintf(f, a...))
	}
}

// Secret returns the named random 32-byte secret, creating and persisting it
// on first use (in the ledger, so it survives what orders survive).
func (s *Store) Secret(name string) ([]byte, error) {
	key := []byte("secret/" + name)
	var out []byte
	err := update(s.Ledger, func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err == nil {
			out, err = item.ValueCopy(nil)
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
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
