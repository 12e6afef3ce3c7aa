package store_test

import (
	"log/slog"
	"testing"

	"github.com/kefu-dev/kefu/store"
	"github.com/kefu-dev/kefu/store/storetest"
)

func openBench(b *testing.B) *store.Badger {
	s, err := store.OpenBadger(b.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// Durable Updates one at a time: one sync each.
func BenchmarkLedgerUpdateSerial(b *testing.B) { storetest.BenchUpdateSerial(b, openBench(b).Ledger()) }

// Durable Updates from 64 goroutines: the group commit shares a sync.
func BenchmarkLedgerUpdateParallel64(b *testing.B) {
	storetest.BenchUpdateParallel(b, openBench(b).Ledger(), 64)
}

func BenchmarkStateUpdateSerial(b *testing.B) { storetest.BenchUpdateSerial(b, openBench(b).State()) }

func BenchmarkNext(b *testing.B) { storetest.BenchNext(b, openBench(b).Ledger()) }
