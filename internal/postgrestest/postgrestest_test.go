package postgrestest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestServerAndDatabases(t *testing.T) {
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatal("two tests share a database")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT 40 + 2").Scan(&n); err != nil || n != 42 {
		t.Fatalf("SELECT: %d %v", n, err)
	}
}

// A test binary that dies at once (kill -9, a -timeout panic) takes its
// server with it.
func TestServerDiesWithTheTestBinary(t *testing.T) {
	child := exec.Command(os.Args[0], "-test.run=^TestHelperServer$", "-test.count=1")
	child.Env = append(os.Environ(), "KEFU_POSTGRESTEST_CHILD=1")
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	line, err := bufio.NewReader(out).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "postmaster %d %s", &pid, &dir); err != nil || serr != nil {
		child.Process.Kill()
		t.Fatalf("the child's first line %q: %v %v", line, err, serr)
	}
	defer os.RemoveAll(dir)
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd of the postmaster: %v", err)
	}
	defer unix.Close(pidfd)
	child.Process.Kill()
	child.Wait()
	// The pidfd becomes readable when the process exits.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 30_000)
	if err != nil || n != 1 {
		t.Fatalf("the postmaster (pid %d) outlived its test binary: poll %d %v", pid, n, err)
	}
}

// TestHelperServer is the child of TestServerDiesWithTheTestBinary: it
// starts a server, reports it and waits to be killed.
func TestHelperServer(t *testing.T) {
	if os.Getenv("KEFU_POSTGRESTEST_CHILD") == "" {
		return
	}
	NewDatabase(t)
	fmt.Printf("postmaster %d %s\n", shared.postmaster.Pid, shared.dir)
	select {}
}
