package store_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// The watch goes low below the floor, stays low until the free space is a
// quarter above it, and keeps its state through a failed look.
func TestDiskWatchHysteresis(t *testing.T) {
	const floor = 256 << 20
	var free atomic.Uint64
	var fail atomic.Bool
	var mu sync.Mutex
	var changes []bool
	free.Store(1 << 30)
	w := store.WatchDisk(store.DiskWatchConfig{
		Dir: t.TempDir(), Floor: floor, Every: time.Hour,
		Statfs: func(string) (uint64, error) {
			if fail.Load() {
				return 0, errors.New("statfs: input/output error")
			}
			return free.Load(), nil
		},
		Change: func(low bool, _ uint64, err error) {
			if err == nil {
				mu.Lock()
				changes = append(changes, low)
				mu.Unlock()
			}
		},
	})
	defer w.Stop()
	for _, step := range []struct {
		free uint64
		fail bool
		low  bool
	}{
		{1 << 30, false, false},
		{floor, false, false},
		{floor - 1, false, true},
		{floor + floor/8, false, true}, // above the floor, below the resume mark
		{0, true, true},                // a failed look changes nothing
		{floor + floor/4, false, false},
		{floor - 1, false, true},
	} {
		free.Store(step.free)
		fail.Store(step.fail)
		w.Check()
		if w.Low() != step.low {
			t.Fatalf("free %d (fail %v): low = %v, want %v", step.free, step.fail, w.Low(), step.low)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []bool{true, false, true}; len(changes) != len(want) || changes[0] != want[0] || changes[1] != want[1] || changes[2] != want[2] {
		t.Fatalf("changes %v, want %v", changes, want)
	}
}

func TestFreeSpace(t *testing.T) {
	free, err := store.FreeSpace(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("FreeSpace = %d, %v", free, err)
	}
	if _, err := store.FreeSpace(t.TempDir() + "/missing"); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
