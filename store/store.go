// Package store is kefu's storage port: two transactional key-value
// databases, a durable Ledger (work orders, members, pending notices,
// secrets) and a State that survives a process crash but may lose its last
// moments on a power loss (conversations, transcripts, counters), each with
// sequences. A store that several kefu processes share also offers
// Cluster: a message bus and locks among them. OpenBadger is the embedded
// default (one process, no Cluster); pgstore.Open runs on PostgreSQL for
// several instances (a Cluster). The conformance suite in storetest holds
// both to the same behaviour.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is Txn.Get's answer for a key that is absent or expired.
var ErrNotFound = errors.New("store: key not found")

// ErrStop, returned by a Scan callback, ends the scan without an error.
var ErrStop = errors.New("store: stop scan")

// Limits every backend accepts.
const (
	MaxKey   = 1 << 10  // bytes of a key
	MaxValue = 16 << 20 // bytes of a value
)

// DB is one transactional key-value database.
type DB interface {
	// Update runs fn in a serializable read-write transaction and commits
	// it; fn is run again when the transaction conflicts with a concurrent
	// one, so it must have no effects outside txn. An error from fn
	// discards the transaction's writes and is returned. On return the
	// writes are as durable as the database is.
	Update(ctx context.Context, fn func(txn Txn) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(txn Txn) error) error
	// Next returns the next number of the named sequence, starting at 1,
	// unique among all processes sharing the store; a crash may skip
	// numbers, never repeat one.
	Next(ctx context.Context, name string) (uint64, error)
}

// Txn is a transaction.
type Txn interface {
	// Get returns a copy of key's value; ErrNotFound when it has none.
	Get(key []byte) ([]byte, error)
	Set(key, value []byte) error
	// SetTTL sets key to value for ttl: afterwards Get and Scan no longer
	// see it (for counters and dedup records that clean themselves up).
	SetTTL(key, value []byte, ttl time.Duration) error
	Delete(key []byte) error
	// Scan calls fn with each key having prefix, in key order (reverse
	// order with opt.Reverse), starting at opt.From when given; with
	// opt.KeysOnly the value is nil. fn must not keep key or value after it
	// returns; returning ErrStop ends the scan.
	Scan(prefix []byte, opt ScanOptions, fn func(key, value []byte) error) error
}

// ScanOptions shape a Scan.
type ScanOptions struct {
	Reverse  bool
	KeysOnly bool
	From     []byte // the first key to visit (inclusive), in the scan's direction
}

// Store is what kefu runs on. Its methods are safe for concurrent use.
type Store interface {
	Ledger() DB
	State() DB
	// Healthy returns an error when the store cannot serve at all.
	Healthy() error
	Close() error
}

// Cluster is the optional ability of a Store that several kefu processes
// share (PostgreSQL): a message bus and locks among them. A Store without
// it (Badger) belongs to one process, which then need not coordinate with
// anyone. Callers discover it with a type assertion, st.(store.Cluster);
// anything read from a Cluster's databases may be changed by another
// process at any time, so it must not be cached across a change.
type Cluster interface {
	Store
	// Publish sends payload (≤ 5 000 bytes) to the topic's listeners in
	// every process sharing the store, this one included; delivery is
	// best effort (a process that is down misses it).
	Publish(ctx context.Context, topic string, payload []byte) error
	// Listen calls fn with each payload published to topic from now on, in
	// order, on a goroutine of the store's, until stop is called.
	Listen(topic string, fn func(payload []byte)) (stop func())
	// Lock waits for the named lock, held by one caller among all processes
	// sharing the store, until unlock is called (or the holder's process
	// dies).
	Lock(ctx context.Context, name string) (unlock func(), err error)
	// TryLock takes the named lock if it is free, for as long as the
	// caller wants it (leadership); lost is closed if it is lost without
	// release being called (the connection to the store broke).
	TryLock(ctx context.Context, name string) (release func(), lost <-chan struct{}, ok bool, err error)
}

// PrefixEnd is the smallest key greater than every key with prefix; nil
// when there is none (a prefix of 0xff bytes).
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
