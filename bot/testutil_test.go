package bot

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/store"
)

var shanghai = mustLoadLocation("Asia/Shanghai")

// testNow is the fixed "now" of the tests: 24 November 2026, 10:00 in Shanghai.
var testNow = time.Date(2026, time.November, 24, 10, 0, 0, 0, shanghai)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var quietLog = slog.New(slog.DiscardHandler)

// openTestStore opens a store in dir, closed when the test ends unless the
// test closes it first.
func openTestStore(t testing.TB, dir string) *store.Badger {
	t.Helper()
	s, err := store.OpenBadger(dir, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.Healthy() == nil {
			s.Close()
		}
	})
	return s
}

// seededMembers returns the demo member store of s, seeded at testNow.
func seededMembers(t testing.TB, s store.Store, extra int) *DemoMembers {
	t.Helper()
	m := NewDemoMembers(s.Ledger())
	if ok, err := m.Seed(context.Background(), testNow, shanghai, extra); err != nil || !ok {
		t.Fatalf("Seed = %v, %v; want true, nil", ok, err)
	}
	return m
}

// notices records what a notifier was asked to deliver.
type notices struct {
	mu  sync.Mutex
	all []Notice
	err error // returned by every Notify
}

func (n *notices) Notify(_ context.Context, x Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.all = append(n.all, x)
	return n.err
}

func (n *notices) list() []Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notice(nil), n.all...)
}

// sequenceOf returns the daily sequence part of a work-order number.
func sequenceOf(t testing.TB, number string) int {
	t.Helper()
	n, err := dialog.ParseNumber(number)
	if err != nil {
		t.Fatalf("ParseNumber(%q): %v", number, err)
	}
	seq := 0
	for _, c := range n[10:16] {
		seq = seq*10 + int(c-'0')
	}
	return seq
}
