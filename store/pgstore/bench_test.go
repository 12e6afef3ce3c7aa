package pgstore_test

import (
	"log/slog"
	"testing"

	"github.com/kefu-dev/kefu/internal/postgrestest"
	"github.com/kefu-dev/kefu/store/pgstore"
	"github.com/kefu-dev/kefu/store/storetest"
)

func openBench(b *testing.B) *pgstore.Store {
	s, err := pgstore.Open(b.Context(), postgrestest.NewDatabase(b), pgstore.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// Durable Updates one at a time: one WAL flush each.
func BenchmarkLedgerUpdateSerial(b *testing.B) { storetest.BenchUpdateSerial(b, openBench(b).Ledger()) }

// Durable Updates from 64 goroutines: PostgreSQL's group commit shares flushes.
func BenchmarkLedgerUpdateParallel64(b *testing.B) {
	storetest.BenchUpdateParallel(b, openBench(b).Ledger(), 64)
}

func BenchmarkStateUpdateSerial(b *testing.B) { storetest.BenchUpdateSerial(b, openBench(b).State()) }

func BenchmarkStateUpdateParallel64(b *testing.B) {
	storetest.BenchUpdateParallel(b, openBench(b).State(), 64)
}

func BenchmarkNext(b *testing.B) { storetest.BenchNext(b, openBench(b).Ledger()) }
