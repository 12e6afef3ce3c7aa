package store

import (
	"fmt"
	"sync"
	"syscall"
	"time"
)

// DefaultMinFree is the free space below which the embedded store stops
// taking new work. Badger writes through sparse mmapped files (a State
// memtable's 128 MiB log, a Ledger one's 32 MiB) and a full disk turns
// such a write into SIGBUS, not an error: 256 MiB holds a State and a
// Ledger memtable, their flushes to tables and a compaction's margin.
const DefaultMinFree = 256 << 20

// DiskWatch watches the free space of the file system holding a directory
// and says when it is below a floor. It goes low below Floor and back to
// normal only at Floor plus a quarter, so a directory hovering at the
// floor does not flap. Its methods are safe for concurrent use.
type DiskWatch struct {
	dir    string
	floor  uint64
	resume uint64
	statfs func(dir string) (free uint64, err error)
	change func(low bool, free uint64, err error)

	mu   sync.Mutex
	low  bool
	free uint64
	err  error // of the last look

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// DiskWatchConfig configures a DiskWatch.
type DiskWatchConfig struct {
	Dir   string
	Floor uint64
	// Every is how often free space is looked at; default 2 s.
	Every time.Duration
	// Statfs returns the free space available to kefu's user on dir's
	// file system; default: statfs(2). Tests give their own.
	Statfs func(dir string) (free uint64, err error)
	// Change, when set, is called after a look that changed the state:
	// low or not, or a look that failed (err) or worked again.
	Change func(low bool, free uint64, err error)
}

// WatchDisk looks at cfg.Dir's free space once, then every cfg.Every until
// Stop.
func WatchDisk(cfg DiskWatchConfig) *DiskWatch {
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	if cfg.Statfs == nil {
		cfg.Statfs = FreeSpace
	}
	w := &DiskWatch{
		dir: cfg.Dir, floor: cfg.Floor, resume: cfg.Floor + cfg.Floor/4,
		statfs: cfg.Statfs, change: cfg.Change,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.Check()
	go w.run(cfg.Every)
	return w
}

func (w *DiskWatch) run(every time.Duration) {
	defer close(w.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.Check()
		}
	}
}

// Check looks at the free space now. A look that fails leaves the state
// as it was.
func (w *DiskWatch) Check() {
	free, err := w.statfs(w.dir)
	w.mu.Lock()
	was, wasErr := w.low, w.err != nil
	w.err = err
	if err == nil {
		w.free = free
		switch {
		case free < w.floor:
			w.low = true
		case free >= w.resume:
			w.low = false
		}
	}
	low, free, changed := w.low, w.free, w.low != was || (err != nil) != wasErr
	w.mu.Unlock()
	if changed && w.change != nil {
		w.change(low, free, err)
	}
}

// Low reports whether the free space is below the floor (and has not
// come back above the resume mark since).
func (w *DiskWatch) Low() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.low
}

// Free is the free space at the last look that worked.
func (w *DiskWatch) Free() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.free
}

// Stop stops watching; Low keeps its last answer.
func (w *DiskWatch) Stop() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}

// FreeSpace is the space available to unprivileged users on dir's file
// system.
func FreeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
