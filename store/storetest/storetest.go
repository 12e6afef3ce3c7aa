// Package storetest is the conformance suite of store.Store: every backend
// (the embedded Badger store, PostgreSQL) runs the same tests, and those of
// store.Cluster when the backend is one.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// Timeout bounds every wait of the suite; reaching it fails the test.
const Timeout = 10 * time.Second

// Run runs the suite; open returns a new, empty store (closed by the test's
// cleanup, if the test does not close it).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetSetDelete", testGetSetDelete},
		{"SpacesApart", testSpacesApart},
		{"Scan", testScan},
		{"ScanLong", testScanLong},
		{"Rollback", testRollback},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"TTL", testTTL},
		{"Sequence", testSequence},
		{"Bus", testBus},
		{"Locks", testLocks},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func ctx() context.Context { return context.Background() }

func get(t *testing.T, db store.DB, key string) (string, error) {
	t.Helper()
	var v []byte
	err := db.View(ctx(), func(txn store.Txn) (err error) {
		v, err = txn.Get([]byte(key))
		return err
	})
	return string(v), err
}

func set(t *testing.T, db store.DB, kv ...string) {
	t.Helper()
	err := db.Update(ctx(), func(txn store.Txn) error {
		for i := 0; i < len(kv); i += 2 {
			if err := txn.Set([]byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testGetSetDelete(t *testing.T, s store.Store) {
	db := s.Ledger()
	if _, err := get(t, db, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("absent key: %v, want ErrNotFound", err)
	}
	set(t, db, "a", "1", "empty", "")
	if v, err := get(t, db, "a"); v != "1" || err != nil {
		t.Fatalf("a = %q, %v", v, err)
	}
	if v, err := get(t, db, "empty"); v != "" || err != nil {
		t.Fatalf("an empty value: %q, %v", v, err)
	}
	set(t, db, "a", "2")
	err := db.Update(ctx(), func(txn store.Txn) error {
		if v, err := txn.Get([]byte("a")); string(v) != "2" || err != nil {
			return fmt.Errorf("in a transaction: a = %q, %v", v, err)
		}
		if err := txn.Delete([]byte("a")); err != nil {
			return err
		}
		if _, err := txn.Get([]byte("a")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("a transaction does not see its own delete: %v", err)
		}
		return txn.Delete([]byte("never-there"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, db, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := db.Update(ctx(), func(txn store.Txn) error { return txn.Set([]byte("big"), big) }); err != nil {
		t.Fatal(err)
	}
	if v, err := get(t, db, "big"); v != string(big) || err != nil {
		t.Fatalf("a 1 MiB value came back as %d bytes, %v", len(v), err)
	}
	if err := db.View(ctx(), func(txn store.Txn) error { return txn.Set([]byte("x"), nil) }); err == nil {
		// Badger refuses writes in a read-only transaction too.
		t.Fatal("a write in View was accepted")
	}
}

func testSpacesApart(t *testing.T, s store.Store) {
	set(t, s.Ledger(), "k", "ledger")
	set(t, s.State(), "k", "state")
	if v, _ := get(t, s.Ledger(), "k"); v != "ledger" {
		t.Fatalf("ledger k = %q", v)
	}
	if v, _ := get(t, s.State(), "k"); v != "state" {
		t.Fatalf("state k = %q", v)
	}
}

func scan(t *testing.T, db store.DB, prefix string, opt store.ScanOptions, stopAt string) (keys, values []string) {
	t.Helper()
	err := db.View(ctx(), func(txn store.Txn) error {
		var p []byte
		if prefix != "" {
			p = []byte(prefix)
		}
		return txn.Scan(p, opt, func(k, v []byte) error {
			keys, values = append(keys, string(k)), append(values, string(v))
			if string(k) == stopAt {
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, values
}

func testScan(t *testing.T, s store.Store) {
	db := s.State()
	set(t, db, "m/a/1", "1", "m/a/2", "2", "m/a/3", "3", "m/b/1", "x", "m/a", "bare", "n/1", "y", "m/a/\xff", "ff")
	eq := func(what string, got []string, want ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
	}
	keys, values := scan(t, db, "m/a/", store.ScanOptions{}, "")
	eq("forward", keys, "m/a/1", "m/a/2", "m/a/3", "m/a/\xff")
	eq("values", values, "1", "2", "3", "ff")
	keys, _ = scan(t, db, "m/a/", store.ScanOptions{Reverse: true}, "")
	eq("reverse", keys, "m/a/\xff", "m/a/3", "m/a/2", "m/a/1")
	// A reverse scan starts past the greatest key a prefix can have.
	ffs := "m/f/" + strings.Repeat("\xff", store.MaxKey-len("m/f/"))
	set(t, db, ffs, "max", "m/f/\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "long", "m/f/a", "a")
	keys, _ = scan(t, db, "m/f/", store.ScanOptions{Reverse: true}, "")
	if want := []string{ffs, "m/f/\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "m/f/a"}; !slices.Equal(keys, want) {
		lens := func(ks []string) (n []int) {
			for _, k := range ks {
				n = append(n, len(k))
			}
			return n
		}
		t.Errorf("reverse past 0xff bytes: keys of lengths %v, want %v", lens(keys), lens(want))
	}
	err := db.Update(ctx(), func(txn store.Txn) error { return txn.Set([]byte(ffs+"x"), nil) })
	if err == nil {
		t.Error("a key over MaxKey was accepted")
	}
	err = db.Update(ctx(), func(txn store.Txn) error { return txn.Delete([]byte(ffs)) })
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx(), func(txn store.Txn) error {
		return errors.Join(txn.Delete([]byte("m/f/\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")), txn.Delete([]byte("m/f/a")))
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ = scan(t, db, "m/a/", store.ScanOptions{From: []byte("m/a/2")}, "")
	eq("from", keys, "m/a/2", "m/a/3", "m/a/\xff")
	keys, _ = scan(t, db, "m/a/", store.ScanOptions{Reverse: true, From: []byte("m/a/2")}, "")
	eq("reverse from", keys, "m/a/2", "m/a/1")
	keys, _ = scan(t, db, "m/a/", store.ScanOptions{}, "m/a/2")
	eq("stopped", keys, "m/a/1", "m/a/2")
	keys, values = scan(t, db, "m/", store.ScanOptions{KeysOnly: true}, "")
	eq("keys only", keys, "m/a", "m/a/1", "m/a/2", "m/a/3", "m/a/\xff", "m/b/1")
	for _, v := range values {
		if v != "" {
			t.Errorf("keys only gave a value %q", v)
		}
	}
	keys, _ = scan(t, db, "", store.ScanOptions{KeysOnly: true}, "")
	if len(keys) != 7 {
		t.Errorf("everything: %q", keys)
	}
	// The callback may use the transaction.
	err = db.Update(ctx(), func(txn store.Txn) error {
		return txn.Scan([]byte("m/a/"), store.ScanOptions{}, func(k, v []byte) error {
			if _, err := txn.Get([]byte("n/1")); err != nil {
				return err
			}
			return txn.Set(append([]byte("copy/"), k...), v)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ = scan(t, db, "copy/", store.ScanOptions{}, "")
	eq("written while scanning", keys, "copy/m/a/1", "copy/m/a/2", "copy/m/a/3", "copy/m/a/\xff")
	boom := errors.New("boom")
	err = db.View(ctx(), func(txn store.Txn) error {
		return txn.Scan([]byte("m/"), store.ScanOptions{}, func(k, v []byte) error { return boom })
	})
	if !errors.Is(err, boom) {
		t.Errorf("a callback's error: %v", err)
	}
}

// testScanLong crosses any page size a backend reads rows in.
func testScanLong(t *testing.T, s store.Store) {
	db := s.State()
	const n = 1234
	err := db.Update(ctx(), func(txn store.Txn) error {
		for i := range n {
			if err := txn.Set([]byte(fmt.Sprintf("long/%05d", i)), []byte{byte(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		keys, _ := scan(t, db, "long/", store.ScanOptions{Reverse: reverse}, "")
		if len(keys) != n {
			t.Fatalf("reverse=%v: %d keys, want %d", reverse, len(keys), n)
		}
		for i := 1; i < n; i++ {
			if (keys[i-1] < keys[i]) == reverse {
				t.Fatalf("reverse=%v: out of order at %d: %q %q", reverse, i, keys[i-1], keys[i])
			}
		}
	}
}

func testRollback(t *testing.T, s store.Store) {
	db := s.Ledger()
	set(t, db, "kept", "1")
	boom := errors.New("boom")
	err := db.Update(ctx(), func(txn store.Txn) error {
		if err := txn.Set([]byte("kept"), []byte("2")); err != nil {
			return err
		}
		if err := txn.Set([]byte("new"), []byte("x")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if v, _ := get(t, db, "kept"); v != "1" {
		t.Fatalf("a failed transaction changed kept to %q", v)
	}
	if _, err := get(t, db, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a failed transaction's write stayed")
	}
}

// testConcurrentIncrements: read-modify-write transactions from many
// goroutines lose no update.
func testConcurrentIncrements(t *testing.T, s store.Store) {
	for _, db := range []store.DB{s.Ledger(), s.State()} {
		const workers, each = 16, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					err := db.Update(ctx(), func(txn store.Txn) error {
						v, err := txn.Get([]byte("counter"))
						if err != nil && !errors.Is(err, store.ErrNotFound) {
							return err
						}
						n := 0
						fmt.Sscan(string(v), &n)
						return txn.Set([]byte("counter"), []byte(fmt.Sprint(n+1)))
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if v, _ := get(t, db, "counter"); v != fmt.Sprint(workers*each) {
			t.Fatalf("counter = %s, want %d", v, workers*each)
		}
	}
}

func testTTL(t *testing.T, s store.Store) {
	db := s.State()
	err := db.Update(ctx(), func(txn store.Txn) error {
		return errors.Join(
			txn.SetTTL([]byte("ttl/live"), []byte("1"), time.Hour),
			txn.SetTTL([]byte("ttl/gone"), []byte("1"), -time.Hour), // its time is up
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := get(t, db, "ttl/live"); v != "1" || err != nil {
		t.Fatalf("live key: %q %v", v, err)
	}
	if _, err := get(t, db, "ttl/gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired key: %v, want ErrNotFound", err)
	}
	if keys, _ := scan(t, db, "ttl/", store.ScanOptions{}, ""); fmt.Sprint(keys) != "[ttl/live]" {
		t.Fatalf("scan sees %q", keys)
	}
	set(t, db, "ttl/live", "2") // a plain Set keeps the key for good
	if v, _ := get(t, db, "ttl/live"); v != "2" {
		t.Fatalf("after Set: %q", v)
	}
}

// testSequence: numbers from 1, unique under concurrency.
func testSequence(t *testing.T, s store.Store) {
	db := s.Ledger()
	if n, err := db.Next(ctx(), "seq-a"); n != 1 || err != nil {
		t.Fatalf("first number %d, %v; want 1", n, err)
	}
	if n, _ := db.Next(ctx(), "seq-b"); n != 1 {
		t.Fatalf("another sequence starts at %d", n)
	}
	if n, _ := s.State().Next(ctx(), "seq-a"); n != 1 {
		t.Fatalf("the State's sequence of the Ledger's name starts at %d", n)
	}
	seen := Numbers(t, db, "seq-a", 8, 100)
	if seen[1] {
		t.Fatal("1 issued twice")
	}
}

// Numbers draws each numbers from each of workers goroutines and fails on
// a repeat; it returns the numbers drawn.
func Numbers(t *testing.T, db store.DB, name string, workers, each int) map[uint64]bool {
	t.Helper()
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := db.Next(ctx(), name)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("%s: %d issued twice", name, n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return seen
}

// cluster is s as a store.Cluster; the test is skipped when it is none.
func cluster(t *testing.T, st store.Store) store.Cluster {
	t.Helper()
	s, ok := st.(store.Cluster)
	if !ok {
		t.Skip("not a store.Cluster")
	}
	return s
}

func testBus(t *testing.T, st store.Store) {
	s := cluster(t, st)
	got := make(chan string, 10)
	stop := s.Listen("topic-a", func(p []byte) { got <- string(p) })
	other := make(chan string, 10)
	defer s.Listen("topic-b", func(p []byte) { other <- string(p) })()
	for _, p := range []string{"one", "two", "three"} {
		if err := s.Publish(ctx(), "topic-a", []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"one", "two", "three"} {
		select {
		case p := <-got:
			if p != want {
				t.Fatalf("got %q, want %q (in order)", p, want)
			}
		case <-time.After(Timeout):
			t.Fatalf("%q never came", want)
		}
	}
	select {
	case p := <-other:
		t.Fatalf("another topic's listener got %q", p)
	default:
	}
	stop()
	if err := s.Publish(ctx(), "topic-b", []byte("b")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-other:
	case <-time.After(Timeout):
		t.Fatal("topic-b's payload never came")
	}
	select {
	case p := <-got:
		t.Fatalf("a stopped listener got %q", p)
	default:
	}
}

func testLocks(t *testing.T, st store.Store) {
	s := cluster(t, st)
	unlock, err := s.Lock(ctx(), "conv/1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := s.TryLock(ctx(), "conv/1"); ok || err != nil {
		t.Fatalf("TryLock of a held lock: ok=%v err=%v", ok, err)
	}
	acquired := make(chan func())
	go func() {
		u, err := s.Lock(ctx(), "conv/1")
		if err != nil {
			t.Error(err)
		}
		acquired <- u
	}()
	select {
	case <-acquired:
		t.Fatal("a held lock was taken")
	default:
	}
	unlock()
	var second func()
	select {
	case second = <-acquired:
	case <-time.After(Timeout):
		t.Fatal("the waiting Lock never got the released lock")
	}
	second()
	release, _, ok, err := s.TryLock(ctx(), "leader")
	if !ok || err != nil {
		t.Fatalf("TryLock of a free lock: ok=%v err=%v", ok, err)
	}
	if _, _, ok, _ := s.TryLock(ctx(), "leader"); ok {
		t.Fatal("a lock was taken twice")
	}
	release()
	if r, _, ok, _ := s.TryLock(ctx(), "leader"); !ok {
		t.Fatal("a released lock could not be taken again")
	} else {
		r()
	}
}
