// Package postgrestest runs a real PostgreSQL server for tests: initdb and
// pg_ctl from Debian's postgresql package (which `make test` installs when
// it is missing), in a temporary directory, on a free loopback port, one
// server per test binary, a fresh database per test.
package postgrestest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server.
type Server struct {
	dir  string // holds data/, the socket and the log
	bin  string
	port int
	cred *syscall.Credential // the OS user the server runs as (nil when it is us)

	postmaster *os.Process
	exited     chan struct{} // closed when the postmaster has exited
}

var (
	shared   *Server
	startErr error
	once     sync.Once
	dbs      atomic.Int64
)

// Run runs the tests of m and stops the server, if one was started; use it
// in TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "postgrestest:", err)
		}
	}
	return code
}

// NewDatabase returns the URL of a new, empty database on the test
// binary's server, starting the server on first use. It fails the test
// when PostgreSQL cannot run.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { shared, startErr = start() })
	if startErr != nil {
		tb.Fatalf("PostgreSQL: %v", startErr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbs.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, shared.URL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	return shared.URL(name)
}

// URL is the connection URL of database db.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://kefu@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Kill ends the server's backend connections to database db at once, as a
// broken network or a dying instance would (pg_terminate_backend).
func Kill(tb testing.TB, url string, appName string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", appName); err != nil {
		tb.Fatal(err)
	}
}

// binDir finds the newest PostgreSQL server binaries.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl): run `make test`, which installs Debian's postgresql package")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start() (s *Server, err error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kefu-pg-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	s = &Server{dir: dir, bin: bin, exited: make(chan struct{})}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root: run them as the
		// postgres user Debian's package creates.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root and there is no postgres user to run PostgreSQL as: install Debian's postgresql package (make test does)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := s.command("initdb", "-D", data, "-U", "kefu", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := s.startPostmaster(data); err != nil {
		return nil, err
	}
	return s, nil
}

// startPostmaster runs postgres as a child of the test binary (not
// daemonized by pg_ctl) that the kernel stops when the test binary dies,
// however it dies (a -timeout panic, kill -9): no server outlives its
// tests. It returns once the server accepts connections.
func (s *Server) startPostmaster(data string) error {
	logf, err := os.Create(filepath.Join(s.dir, "log"))
	if err != nil {
		return err
	}
	cmd := s.command("postgres", "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "fsync=on")
	// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster ends its
	// backends before it exits.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return err
	}
	ready := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// The parent-death signal follows the thread that started the
		// child: keep it for the server's life.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(s.exited)
		defer logf.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		s.postmaster = cmd.Process
		started <- nil
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if strings.Contains(sc.Text(), "database system is ready to accept connections") {
				close(ready)
			}
		}
		io.Copy(logf, stderr)
		cmd.Wait()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	select {
	case <-ready:
		return nil
	case <-s.exited:
	case <-time.After(time.Minute):
		s.postmaster.Signal(syscall.SIGQUIT)
		<-s.exited
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	return fmt.Errorf("postgres did not start:\n%s", log)
}

func (s *Server) stop() error {
	if err := s.postmaster.Signal(syscall.SIGQUIT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres: %w", err)
	}
	<-s.exited
	return os.RemoveAll(s.dir)
}

// command runs a PostgreSQL program as the server's OS user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
