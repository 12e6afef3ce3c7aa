package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/internal/postgrestest"
	"github.com/kefu-dev/kefu/internal/wstest"
)

// The test binary doubles as the helper processes the benchmarks start, so
// that a baseline runs in a process of its own exactly like kefu does.
const (
	envEcho  = "KEFU_BENCH_ECHO"  // serve the echo baseline on this address
	envStore = "KEFU_BENCH_STORE" // add sessions to the store in this directory…
	envFrom  = "KEFU_BENCH_FROM"  // …from this number…
	envN     = "KEFU_BENCH_N"     // …to this one (exclusive)…
	envCrash = "KEFU_BENCH_CRASH" // …and if set, exit without closing the store
	// envBin names a kefu binary to use instead of building one.
	envBin = "KEFU_BENCH_BIN"
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(envEcho) != "":
		err := http.ListenAndServe(os.Getenv(envEcho), wstest.EchoHandler())
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	case os.Getenv(envStore) != "":
		from, _ := strconv.Atoi(os.Getenv(envFrom))
		to, _ := strconv.Atoi(os.Getenv(envN))
		if err := buildSessions(os.Getenv(envStore), from, to, os.Getenv(envCrash) != ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := postgrestest.Run(m)
	kefutest.Cleanup()
	os.Exit(code)
}

// kefuBinary is cmd/kefu, built once per run (or $KEFU_BENCH_BIN).
func kefuBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv(envBin); p != "" {
		return p
	}
	return kefutest.Binary(b)
}

// process is a server the benchmarks started.
type process struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{} // closed when the process has ended…
	err    error         // …with this
}

// start runs cmd; the process is stopped (SIGTERM, then SIGKILL) when the
// benchmark ends unless stopped before.
func start(b *testing.B, cmd *exec.Cmd, addr string) (*process, *kefutest.Output) {
	b.Helper()
	out := &kefutest.Output{Limit: 1 << 20} // a long run logs a lot: keep the tail
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &process{cmd: cmd, addr: addr, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	b.Cleanup(func() { p.stop() })
	return p, out
}

// cpu is the CPU time the process has used so far.
func (p *process) cpu() (time.Duration, error) { return ProcessCPU(p.cmd.Process.Pid) }

// stop asks the process to shut down and waits (at most 15 s, then kills).
func (p *process) stop() error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return errors.New("did not stop within 15 s: killed")
	}
}

// startKefu runs `kefu serve` on a free port with args and waits until it
// is healthy.
func startKefu(b *testing.B, data string, args ...string) *process {
	b.Helper()
	addr := kefutest.FreeAddr(b)
	cmd := exec.Command(kefuBinary(b), append([]string{"serve", "--addr", addr, "--data", data}, args...)...)
	p, out := start(b, cmd, addr)
	if _, err := awaitHealthy(p, 2*time.Minute); err != nil {
		b.Fatalf("kefu serve: %v\n%s", err, out)
	}
	return p
}

// awaitHealthy polls GET /healthz until it answers 200 and returns how long
// that took from the process's start.
func awaitHealthy(p *process, limit time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	began := time.Now()
	for time.Since(began) < limit {
		select {
		case <-p.exited:
			return 0, fmt.Errorf("exited: %v", p.err)
		default:
		}
		req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+p.addr+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(began), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("not healthy within %v", limit)
}

// startEcho runs the echo baseline in a process of its own.
func startEcho(b *testing.B) *process {
	b.Helper()
	addr := kefutest.FreeAddr(b)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envEcho+"="+addr)
	p, out := start(b, cmd, addr)
	for began := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return p
		}
		if time.Since(began) > 30*time.Second {
			b.Fatalf("echo server: %v\n%s", err, out)
		}
	}
}
