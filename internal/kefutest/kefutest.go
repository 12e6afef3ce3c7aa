// Package kefutest holds what kefu's tests and benchmarks share: building
// the real kefu binary once per test binary (with the race detector when
// the test binary has it), free loopback addresses, a process's output
// collected safely, and a settable clock.
package kefutest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

var build struct {
	once sync.Once
	dir  string
	path string
	took time.Duration
	err  error
}

// Binary builds cmd/kefu on first use and returns its path; the build
// takes the race detector when RaceEnabled.
func Binary(tb testing.TB) string {
	tb.Helper()
	build.once.Do(func() {
		if build.dir, build.err = os.MkdirTemp("", "kefu-bin-"); build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "kefu")
		args := []string{"build", "-o", build.path}
		if RaceEnabled() {
			args = append(args, "-race")
		}
		started := time.Now()
		out, err := exec.Command("go", append(args, "github.com/kefu-dev/kefu/cmd/kefu")...).CombinedOutput()
		build.took = time.Since(started)
		if err != nil {
			build.err = fmt.Errorf("go build ./cmd/kefu: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		tb.Fatal(build.err)
	}
	return build.path
}

// BuildTime is how long Binary's build took.
func BuildTime() time.Duration { return build.took }

// Cleanup removes the built binary; call it from TestMain after m.Run.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// RaceEnabled tells whether this test binary has the race detector.
func RaceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// FreeAddr returns a 127.0.0.1 address nothing listens on right now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Output collects what a process writes, safely for the goroutine exec
// starts to copy it. With Limit set, it keeps about the last Limit bytes.
type Output struct {
	Limit int

	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Limit > 0 && o.buf.Len() > o.Limit {
		tail := append([]byte(nil), o.buf.Bytes()[o.buf.Len()-o.Limit/16:]...)
		o.buf.Reset()
		o.buf.Write(tail)
	}
	return o.buf.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Clock is a settable clock for code that takes a `now func() time.Time`;
// safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set puts the clock at t, earlier or later.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Eventually fails tb unless cond holds within timeout, looking every few
// milliseconds: for state that changes in the background with nothing to
// wait on (a part's health, a retry's outcome).
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
