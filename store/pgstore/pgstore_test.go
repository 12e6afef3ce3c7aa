package pgstore_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/internal/postgrestest"
	"github.com/kefu-dev/kefu/store"
	"github.com/kefu-dev/kefu/store/pgstore"
	"github.com/kefu-dev/kefu/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(postgrestest.Run(m)) }

func open(t *testing.T, url, app string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, pgstore.Options{Log: slog.New(slog.DiscardHandler), AppName: app})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, postgrestest.NewDatabase(t), "kefu") })
}

// Two instances on one database: one schema, numbers unique across both,
// the bus crosses, a lock is held by one of them and taken over when its
// holder's connection dies.
func TestTwoInstances(t *testing.T) {
	url := postgrestest.NewDatabase(t)
	a, b := open(t, url, "kefu-a"), open(t, url, "kefu-b")
	ctx := context.Background()

	drawn := make(chan map[uint64]bool, 2)
	for _, s := range []*pgstore.Store{a, b} {
		go func() { drawn <- storetest.Numbers(t, s.Ledger(), "wo/20261124", 4, 100) }()
	}
	x, y := <-drawn, <-drawn
	for n := range x {
		if y[n] {
			t.Fatalf("number %d issued by both instances", n)
		}
	}

	got := make(chan string, 1)
	defer b.Listen("conv", func(p []byte) { got <- string(p) })()
	if err := a.Publish(ctx, "conv", []byte("from a")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "from a" {
			t.Fatalf("b got %q", p)
		}
	case <-time.After(storetest.Timeout):
		t.Fatal("a's notification never reached b")
	}

	release, lost, ok, err := a.TryLock(ctx, "telegram-poller")
	if !ok || err != nil {
		t.Fatalf("a's TryLock: %v %v", ok, err)
	}
	defer release()
	if _, _, ok, _ := b.TryLock(ctx, "telegram-poller"); ok {
		t.Fatal("both instances hold the lock")
	}
	postgrestest.Kill(t, url, "kefu-a") // a's connections die, as with a kill -9
	select {
	case <-lost:
	case <-time.After(storetest.Timeout):
		t.Fatal("a was not told it lost the lock")
	}
	kefutest.Eventually(t, storetest.Timeout, "b to take over the lock", func() bool {
		r, _, took, _ := b.TryLock(ctx, "telegram-poller")
		if took {
			t.Cleanup(r)
		}
		return took
	})
	// a's pool and bus come back after their connections were killed.
	if err := a.Ledger().Update(ctx, func(txn store.Txn) error { return txn.Set([]byte("after"), []byte("kill")) }); err != nil {
		t.Fatalf("a after its connections died: %v", err)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	url := postgrestest.NewDatabase(t)
	done := make(chan error, 3)
	for range 3 { // instances starting together
		go func() {
			s, err := pgstore.Open(context.Background(), url, pgstore.Options{Log: slog.New(slog.DiscardHandler)})
			if err == nil {
				s.Close()
			}
			done <- err
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// More lock holders than the pool has connections, each needing a
// transaction while it holds its lock: none waits for ever.
func TestLocksDoNotStarveTransactions(t *testing.T) {
	s, err := pgstore.Open(context.Background(), postgrestest.NewDatabase(t), pgstore.Options{Log: slog.New(slog.DiscardHandler), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), storetest.Timeout)
	defer cancel()
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			unlock, err := s.Lock(ctx, "conv/"+string(rune('a'+i)))
			if err != nil {
				errs <- err
				return
			}
			defer unlock()
			errs <- s.State().Update(ctx, func(txn store.Txn) error { return txn.Set([]byte{byte(i)}, []byte("x")) })
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatalf("a lock holder's transaction: %v", err)
		}
	}
}
