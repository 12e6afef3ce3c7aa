package anatomy_test

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/dgraph-io/badger/v4"
)

// BenchmarkSyncedCommit takes a serial work order's durability apart: one
// small key committed and made durable, one at a time,
//
//   - badger-syncwrites: a Badger opened as kefu opens its Ledger
//     (SyncWrites on): every commit syncs the value log and the memtable's
//     write-ahead log, both memory-mapped files, with msync;
//   - badger-then-sync: SyncWrites off and DB.Sync after each commit;
//   - msync-32MiB / msync-2GiB: what those syncs are, a 100-byte write into
//     a mapping the size of kefu's memtable log (2 × 16 MiB) or of Badger's
//     value log file (2 GiB), then msync of the whole mapping;
//   - fsync: the work orders' baseline, a 100-byte append and fsync
//     (BenchmarkWorkOrderSerial measures it between its orders).
func BenchmarkSyncedCommit(b *testing.B) {
	value := make([]byte, 100)
	commit := func(b *testing.B, db *badger.DB, sync bool) {
		b.Helper()
		start := time.Now()
		for i := range b.N {
			err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k"+strconv.Itoa(i)), value) })
			if err == nil && sync {
				err = db.Sync()
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
	}
	open := func(b *testing.B, synced bool) *badger.DB {
		db, err := badger.Open(badger.DefaultOptions(b.TempDir()).WithSyncWrites(synced).WithLogger(nil).
			WithMemTableSize(16 << 20).WithNumMemtables(2).WithBlockCacheSize(16 << 20).WithValueThreshold(1 << 10))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	b.Run("badger-syncwrites", func(b *testing.B) { commit(b, open(b, true), false) })
	b.Run("badger-then-sync", func(b *testing.B) { commit(b, open(b, false), true) })
	for _, m := range []struct {
		name string
		size int
	}{{"msync-32MiB", 32 << 20}, {"msync-2GiB", 2 << 30}} {
		b.Run(m.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "map"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(int64(m.size)); err != nil {
				b.Fatal(err)
			}
			data, err := syscall.Mmap(int(f.Fd()), 0, m.size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
			if err != nil {
				b.Fatal(err)
			}
			defer syscall.Munmap(data)
			const msSync = 4 // MS_SYNC
			start := time.Now()
			for i := range b.N {
				off := (i * len(value)) % (m.size - len(value))
				copy(data[off:], value)
				if _, _, errno := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), msSync); errno != 0 {
					b.Fatal(errno)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
		})
	}
	b.Run("fsync", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		start := time.Now()
		for range b.N {
			if _, err := f.Write(value); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
	})
}
