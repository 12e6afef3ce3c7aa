package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Badger is the embedded store: two Badger databases under one data
// directory, for one process (it is no Cluster). The Ledger is opened with synced writes; the
// State is not synced: a process crash keeps it, a power loss may lose its
// last moments. Both commit concurrent Updates together: on the Ledger one
// fsync serves a batch (Badger v4 syncs once per transaction, not per group
// of them), on the State one Badger transaction serves many turns (fewer
// allocations a turn).
type Badger struct {
	ledger *badgerDB
	state  *badgerDB
}

var _ Store = (*Badger)(nil)

// OpenBadger opens (creating if needed) the store under dir.
func OpenBadger(dir string, log *slog.Logger) (*Badger, error) {
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
	s := &Badger{ledger: newBadgerDB(ledger), state: newBadgerDB(state)}
	return s, nil
}

// stateMemTable is the State database's memtable size.
const stateMemTable = 64 << 20

// stateBlockSize is the State database's table block size (Badger's
// default, kept by the Ledger, is 4 KiB).
const stateBlockSize = 16 << 10

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
		// (repeated field names, menus, Chinese text): ZSTD at level 1
		// stores an idle session in fewer bytes than Snappy. Compression
		// runs on table flushes and compactions, off the turn's path but
		// not off the CPU; larger blocks build fewer entropy tables per
		// byte and compress better, and the reads they slow are rare (a
		// conversation is read once when it resumes). Figures:
		// bench/README.md.
		opts = opts.WithCompression(options.ZSTD).WithZSTDCompressionLevel(1).
			WithBlockSize(stateBlockSize)
		// Every turn writes here: larger memtables mean fewer flushes and
		// L0 compactions for the same bytes, and fewer write stalls while
		// a flush runs.
		opts = opts.WithMemTableSize(stateMemTable)
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

// Ledger is the durable database.
func (s *Badger) Ledger() DB { return s.ledger }

// State is the conversation database.
func (s *Badger) State() DB { return s.state }

// DBs are the Ledger and the State as Badger databases, for backups and
// tools.
func (s *Badger) DBs() (ledger, state *badger.DB) { return s.ledger.db, s.state.db }

// Close releases the leased sequence numbers and closes both databases.
func (s *Badger) Close() error {
	return errors.Join(s.ledger.releaseSeqs(), s.state.releaseSeqs(), s.state.db.Close(), s.ledger.db.Close())
}

// Healthy reports whether both databases are open.
func (s *Badger) Healthy() error {
	if s.ledger.db.IsClosed() || s.state.db.IsClosed() {
		return errors.New("store closed")
	}
	return nil
}

// badgerDB is one Badger database as a DB.
type badgerDB struct {
	db      *badger.DB
	commits *groupCommit // concurrent Updates share a transaction (and a sync)

	seqMu sync.Mutex
	seqs  map[string]*seqRange
}

type seqRange struct {
	seq  *badger.Sequence
	used time.Time
}

func newBadgerDB(db *badger.DB) *badgerDB {
	return &badgerDB{db: db, commits: &groupCommit{db: db}, seqs: map[string]*seqRange{}}
}

func (d *badgerDB) Update(ctx context.Context, fn func(Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.commits.update(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) })
}

func (d *badgerDB) View(ctx context.Context, fn func(Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.View(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) })
}

// seqBandwidth is how many numbers one synced write reserves; a
// crash skips at most this many.
const seqBandwidth = 64

// maxOpenSeqs bounds the number ranges kept open; the least recently used beyond
// it is released (a later Next reopens it where it stopped).
const maxOpenSeqs = 4

func (d *badgerDB) Next(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d.seqMu.Lock()
	defer d.seqMu.Unlock()
	if d.seqs == nil {
		return 0, errors.New("store closed")
	}
	l := d.seqs[name]
	if l == nil {
		seq, err := d.db.GetSequence([]byte("seq/"+name), seqBandwidth)
		if err != nil {
			return 0, fmt.Errorf("sequence %s: %w", name, err)
		}
		l = &seqRange{seq: seq}
		d.seqs[name] = l
	}
	l.used = time.Now()
	v, err := l.seq.Next()
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	if len(d.seqs) > maxOpenSeqs {
		names := make([]string, 0, len(d.seqs))
		for n := range d.seqs {
			names = append(names, n)
		}
		slices.SortFunc(names, func(a, b string) int { return d.seqs[a].used.Compare(d.seqs[b].used) })
		for _, n := range names[:len(names)-maxOpenSeqs] {
			_ = d.seqs[n].seq.Release()
			delete(d.seqs, n)
		}
	}
	return v + 1, nil
}

// releaseSeqs gives back the unused numbers of every lease, so the next
// start continues without a gap.
func (d *badgerDB) releaseSeqs() error {
	d.seqMu.Lock()
	defer d.seqMu.Unlock()
	var errs []error
	for name, l := range d.seqs {
		if err := l.seq.Release(); err != nil {
			errs = append(errs, fmt.Errorf("release sequence %s: %w", name, err))
		}
	}
	d.seqs = nil
	return errors.Join(errs...)
}

// badgerTxn is a Badger transaction as a Txn.
type badgerTxn struct{ txn *badger.Txn }

func (t badgerTxn) Get(key []byte) ([]byte, error) {
	item, err := t.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// maxKeyFill is MaxKey 0xff bytes: after a prefix, a key no key with the
// prefix is greater than.
var maxKeyFill = bytes.Repeat([]byte{0xff}, MaxKey)

// checkSize refuses what another backend would: the limits are the port's.
func checkSize(key, value []byte) error {
	if len(key) > MaxKey || len(value) > MaxValue {
		return fmt.Errorf("store: key of %d bytes or value of %d bytes over the limits", len(key), len(value))
	}
	return nil
}

func (t badgerTxn) Set(key, value []byte) error {
	if err := checkSize(key, value); err != nil {
		return err
	}
	return t.txn.Set(key, value)
}

func (t badgerTxn) SetTTL(key, value []byte, ttl time.Duration) error {
	if err := checkSize(key, value); err != nil {
		return err
	}
	return t.txn.SetEntry(badger.NewEntry(key, value).WithTTL(ttl))
}

func (t badgerTxn) Delete(key []byte) error { return t.txn.Delete(key) }

func (t badgerTxn) Scan(prefix []byte, opt ScanOptions, fn func(key, value []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.Reverse, opts.PrefetchValues = prefix, opt.Reverse, !opt.KeysOnly
	it := t.txn.NewIterator(opts)
	defer it.Close()
	start := opt.From
	if start == nil {
		start = prefix
		if opt.Reverse {
			// Seek in reverse lands on the greatest key ≤ start: start at
			// the greatest key with the prefix that a key may be (keys are
			// at most MaxKey bytes).
			start = append(append(make([]byte, 0, len(prefix)+MaxKey), prefix...), maxKeyFill[:MaxKey]...)
		}
	}
	for it.Seek(start); it.Valid(); it.Next() {
		item := it.Item()
		var err error
		if opt.KeysOnly {
			err = fn(item.Key(), nil)
		} else {
			err = item.Value(func(v []byte) error { return fn(item.Key(), v) })
		}
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
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
