package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/internal/postgrestest"
)

func TestMain(m *testing.M) {
	code := postgrestest.Run(m)
	kefutest.Cleanup()
	os.Exit(code)
}

// server is `kefu serve` as a child process, started and stopped as often
// as a test likes on one data directory and address.
type server struct {
	t    *testing.T
	bin  string
	addr string
	data string
	args []string

	cmd    *exec.Cmd
	out    *kefutest.Output
	exited chan struct{}
	runs   []*kefutest.Output // every run's output, for diagnosis
}

func newServer(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{t: t, bin: kefutest.Binary(t), addr: kefutest.FreeAddr(t), data: t.TempDir(), args: args}
	t.Cleanup(func() {
		if s.running() {
			s.kill()
		}
		if t.Failed() {
			for i, out := range s.runs {
				t.Logf("--- kefu serve run %d output (last 3000 bytes) ---\n%s", i+1, tail(out.String(), 3000))
			}
		}
	})
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func (s *server) base() string { return "http://" + s.addr }

// launch starts the process without waiting for it to be ready.
func (s *server) launch() {
	s.t.Helper()
	args := append([]string{"serve", "--addr", s.addr, "--data", s.data}, s.args...)
	cmd := exec.Command(s.bin, args...)
	if _, set := os.LookupEnv("GORACE"); !set {
		// A race-enabled binary otherwise waits a second at exit.
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=50")
	}
	s.out = &kefutest.Output{}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	exited := s.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.runs = append(s.runs, s.out)
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// start launches the process and waits until GET /healthz answers 200; it
// returns how long that took.
func (s *server) start() time.Duration {
	s.t.Helper()
	started := time.Now()
	s.launch()
	if err := s.waitHealthy(started.Add(20 * time.Second)); err != nil {
		s.t.Fatalf("kefu serve not healthy: %v\n%s", err, tail(s.out.String(), 3000))
	}
	return time.Since(started)
}

var healthClient = &http.Client{Timeout: time.Second}

func (s *server) waitHealthy(deadline time.Time) error {
	for {
		resp, err := healthClient.Get(s.base() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the process exited (%v)", s.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(2 * time.Millisecond) // polling a condition with a deadline
	}
}

// kill is kill -9.
func (s *server) kill() {
	s.t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait(10 * time.Second)
}

// wait waits for the process to exit, failing the test after d.
func (s *server) wait(d time.Duration) {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(d):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Fatalf("kefu serve did not exit within %v", d)
	}
}

// checkOutput fails the test if any run so far reported a data race or a
// panic.
func (s *server) checkOutput() {
	s.t.Helper()
	for i, run := range s.runs {
		out := run.String()
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", "goroutine "} {
			if strings.Contains(out, bad) {
				s.t.Errorf("kefu serve run %d printed %q:\n%s", i+1, bad, tail(out, 5000))
			}
		}
	}
}

// api calls the agent API with the demo agent's token and decodes JSON.
func (s *server) api(path string, v any) (status int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base()+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || v == nil {
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return resp.StatusCode, fmt.Errorf("GET %s: %w", path, err)
	}
	return resp.StatusCode, nil
}

// workOrder is a work order as the API shows it.
type workOrder struct {
	Number   string    `json:"number"`
	Kind     string    `json:"kind"`
	MemberID string    `json:"member_id"`
	Channel  string    `json:"channel"`
	Conv     string    `json:"conversation"`
	Status   string    `json:"status"`
	Created  time.Time `json:"created_at"`
}

// orders lists the orders created since t.
func (s *server) orders(since time.Time) ([]workOrder, error) {
	var out struct {
		WorkOrders []workOrder `json:"work_orders"`
	}
	status, err := s.api("/api/workorders?since="+urlQueryEscape(since.Format(time.RFC3339)), &out)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("list orders: HTTP %d", status)
	}
	return out.WorkOrders, err
}

func urlQueryEscape(s string) string { return strings.ReplaceAll(s, "+", "%2B") }

// exitCode of the last run, once it has exited; -1 when a signal ended it.
func (s *server) exitCode() int {
	<-s.exited
	return s.cmd.ProcessState.ExitCode()
}

var errClosed = errors.New("connection ended")
