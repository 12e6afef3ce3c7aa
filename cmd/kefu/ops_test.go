package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// opsRaceEnabled tells whether the test binary has the race detector, so
// the kefu binary is built the same way (its packages are compiled so
// already).
func opsRaceEnabled() bool {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// opsBuild builds the real kefu binary.
func opsBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kefu")
	args := []string{"build", "-o", bin}
	if opsRaceEnabled() {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// opsRun runs the binary to its end (within a bound) and returns its exit
// status and standard error.
func opsRun(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kefu %s did not end within 20 s:\n%s", strings.Join(args, " "), stderr.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestBadOperationsInput gives the real binary what operators get wrong —
// an address it cannot listen on, a data directory it cannot use (not a
// directory, not writable, held by another kefu), malformed agents, a
// Telegram token the Bot API refuses — and expects each time a non-zero
// exit and one sentence that says what is wrong: a line "kefu: …" after
// any log lines, no stack trace.
func TestBadOperationsInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary: not in -short")
	}
	bin := opsBuild(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	api := telegramtest.NewServer()
	defer api.Close()

	// Another kefu holds a data directory.
	held := filepath.Join(dir, "held")
	other := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", held)
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = other.Process.Kill()
		_ = other.Wait()
	}()
	waitForLock(t, held)

	type bad struct {
		name string
		args []string
		want string // in the sentence
	}
	cases := []bad{
		{"address without a port", []string{"--addr", "nonsense"}, "cannot listen on nonsense"},
		{"address with a bad port", []string{"--addr", "127.0.0.1:99999"}, "invalid port"},
		{"address in use", []string{"--addr", busy.Addr().String()}, "address already in use"},
		{"address not this machine's", []string{"--addr", "192.0.2.1:8080"}, "cannot listen on 192.0.2.1:8080"},
		{"data directory is a file", []string{"--data", file}, "cannot create data directory " + file},
		{"data directory under a file", []string{"--data", filepath.Join(file, "data")}, "not a directory"},
		{"data directory held by another kefu", []string{"--data", held}, "data directory " + held + " is in use by another kefu process"},
		{"agent without a token", []string{"--agents", "alice"}, `--agents: "alice" is not name:token`},
		{"agents sharing a token", []string{"--agents", "alice:x,bob:x"}, "share a token"},
		{"Telegram token refused", []string{"--telegram-token", "42:refused", "--telegram-api", api.URL}, "telegram: the bot token was refused (401 Unauthorized)"},
		{"unknown time zone", []string{"--tz", "Mars/Olympus"}, `--tz "Mars/Olympus" is not a known time zone`},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "read-only")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, bad{"data directory not writable", []string{"--data", filepath.Join(ro, "data")}, "permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data")}, tc.args...)
			code, stderr := opsRun(t, bin, args...)
			if code == 0 {
				t.Fatalf("exit status 0, want an error:\n%s", stderr)
			}
			var said []string
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !strings.HasPrefix(line, "time=") { // a log line
					said = append(said, line)
				}
			}
			if len(said) != 1 || !strings.HasPrefix(said[0], "kefu: ") || !strings.Contains(said[0], tc.want) {
				t.Fatalf("stderr:\n%s\nwant one line \"kefu: …%s…\" besides log lines", stderr, tc.want)
			}
			for _, trace := range []string{"goroutine ", "panic", ".go:"} {
				if strings.Contains(stderr, trace) {
					t.Fatalf("stderr has %q:\n%s", trace, stderr)
				}
			}
			t.Logf("exit %d: %s", code, said[0])
		})
	}

	// The one that held its directory is unharmed.
	if err := other.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := other.Wait(); err != nil {
		t.Errorf("the kefu holding the directory: %v", err)
	}
}

// waitForLock waits until a kefu serve started on dir answers, so the
// directory is held.
func waitForLock(t *testing.T, dir string) {
	t.Helper()
	kefutest.Eventually(t, 20*time.Second, "the first kefu to lock its data directory", func() bool {
		_, err := os.Stat(filepath.Join(dir, "state", "LOCK"))
		return err == nil
	})
}
