package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/kefu-dev/kefu/store"
)

var benchValue = make([]byte, 400) // about a work order's JSON

// BenchUpdateSerial commits one new key of 400 bytes per Update.
func BenchUpdateSerial(b *testing.B, db store.DB) {
	i := 0
	for b.Loop() {
		i++
		if err := db.Update(context.Background(), func(txn store.Txn) error { return txn.Set(fmt.Appendf(nil, "k/%d", i), benchValue) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchUpdateParallel is BenchUpdateSerial from writers goroutines.
func BenchUpdateParallel(b *testing.B, db store.DB, writers int) {
	var n atomic.Int64
	b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := db.Update(context.Background(), func(txn store.Txn) error { return txn.Set(fmt.Appendf(nil, "k/%d", i), benchValue) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchNext draws numbers of one sequence.
func BenchNext(b *testing.B, db store.DB) {
	for b.Loop() {
		if _, err := db.Next(context.Background(), "wo"); err != nil {
			b.Fatal(err)
		}
	}
}
