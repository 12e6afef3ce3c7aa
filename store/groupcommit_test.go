package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestGroupCommit(t *testing.T) {
	// A memtable of 1 MiB allows transactions of about 150 KiB: the batch
	// of 400 writes of 1000 bytes below has to be split.
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithMemTableSize(1 << 20).WithValueThreshold(1 << 10).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := &groupCommit{db: db}
	value := make([]byte, 1000)
	key := func(i int) []byte { return []byte(fmt.Sprint("k", i)) }
	var sawEarlier bool
	var batch []*groupCall
	for i := range 400 {
		fn := func(txn *badger.Txn) error {
			if err := txn.Set(key(i), value); err != nil {
				return err
			}
			switch i {
			case 7:
				return errors.New("boom")
			case 8:
				// A call sees the writes of the calls batched before it.
				_, err := txn.Get(key(6))
				sawEarlier = err == nil
			}
			return nil
		}
		batch = append(batch, &groupCall{fn: fn, done: make(chan struct{})})
	}
	g.commit(batch)

	for i, c := range batch {
		select {
		case <-c.done:
		default:
			t.Fatalf("call %d not finished", i)
		}
		if (c.err != nil) != (i == 7) {
			t.Errorf("call %d: err %v", i, c.err)
		}
	}
	if !sawEarlier {
		t.Error("call 8 did not see call 6's write")
	}
	err = db.View(func(txn *badger.Txn) error {
		for i := range 400 {
			if _, err := txn.Get(key(i)); (err == nil) != (i != 7) {
				t.Errorf("key %d: %v", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Through update, concurrently: every call commits once.
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if err := g.update(func(txn *badger.Txn) error { return txn.Set(key(1000+i), []byte("x")) }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	db.View(func(txn *badger.Txn) error {
		for i := range 64 {
			if _, err := txn.Get(key(1000 + i)); err != nil {
				t.Errorf("key %d: %v", 1000+i, err)
			}
		}
		return nil
	})
}
