// Package bench measures kefu end to end against baselines measured in the
// same run: the real kefu binary over real sockets next to a bare
// gorilla/websocket echo server, driven by the load generator in this file.
// Its benchmarks (bench_test.go) and the report program (bench/report) are
// what `make bench` runs; README.md in this directory has the figures and
// how to reproduce them.
package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// Target is a websocket server under load and how its frames answer a
// message.
type Target struct {
	URL string
	// Hello, when not nil, is sent first on every connection; the
	// connection is ready when a frame for which Ready holds has come.
	Hello []byte
	Ready func(frame []byte) bool
	// Message is what every round trip sends.
	Message []byte
	// Opens reports whether a frame starts the answer to the oldest
	// unanswered message, Answers whether it completes it; the first frame
	// that answers after one that opens ends the round trip. An echo
	// server's every frame does both; kefu's echo of the member's message
	// opens, the bot's first reply after it answers (its further replies
	// answer nothing).
	Opens, Answers func(frame []byte) bool
	// Failed reports an error frame.
	Failed func(frame []byte) bool
	// CPU, when not nil, returns the CPU time the server has used so far;
	// a run then reports the server's CPU time per round trip, which other
	// work on the machine disturbs far less than throughput.
	CPU func() (time.Duration, error)
}

// EchoTarget is a server that sends every frame back.
func EchoTarget(url string) Target {
	every := func([]byte) bool { return true }
	return Target{
		URL:     url,
		Message: []byte(`{"type":"text","text":"你好"}`),
		Opens:   every, Answers: every,
		Failed: func([]byte) bool { return false },
	}
}

// KefuTarget is kefu's /ws: hello, then greetings, each answered by the
// bot after the member's own message comes back.
func KefuTarget(url string) Target {
	bot := func(f []byte) bool { return bytes.Contains(f, []byte(`"from":"bot"`)) }
	return Target{
		URL:     url,
		Hello:   []byte(`{"type":"hello","lang":"zh-CN"}`),
		Ready:   bot, // the welcome message
		Message: []byte(`{"type":"text","text":"你好"}`),
		Opens:   func(f []byte) bool { return bytes.Contains(f, []byte(`"from":"member"`)) },
		Answers: bot,
		Failed:  func(f []byte) bool { return bytes.HasPrefix(f, []byte(`{"type":"error"`)) },
	}
}

// Dial opens n connections to t, says hello on each and waits until each is
// ready. On error the connections opened so far are closed.
func Dial(t Target, n int) ([]*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 4 << 10, WriteBufferSize: 4 << 10}
	conns := make([]*websocket.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32) // not a connection storm: the handshake is not what is measured
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conns[i], errs[i] = dialOne(d, t)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		Close(conns)
		return nil, err
	}
	return conns, nil
}

func dialOne(d websocket.Dialer, t Target) (*websocket.Conn, error) {
	ws, _, err := d.Dial(t.URL, http.Header{})
	if err != nil {
		return nil, err
	}
	if t.Hello == nil {
		return ws, nil
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, t.Hello); err != nil {
		ws.Close()
		return nil, err
	}
	for {
		_, f, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("awaiting the first reply: %w", err)
		}
		if t.Failed(f) {
			ws.Close()
			return nil, fmt.Errorf("error frame %s", f)
		}
		if t.Ready(f) {
			_ = ws.SetReadDeadline(time.Time{})
			return ws, nil
		}
	}
}

// Close closes every connection that is not nil.
func Close(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// Result is what one load run measured.
type Result struct {
	Conns    int
	Offered  float64 // messages a second the generator meant to send; 0 for a closed loop
	Sent     int     // messages sent within the measured window
	Answered int     // of those, answered
	Lost     int     // of those, unanswered when the run ended
	Dropped  int     // connections the server closed during the run
	Duration time.Duration
	Rate     float64       // answered round trips a second
	P50, P99 time.Duration // lost messages count as the longest latency seen
	Max      time.Duration
	CPU      time.Duration // the server's CPU time per answered round trip, when the target can tell
	// ClientCPU is the load generator's: this process's CPU time per
	// answered round trip (the servers run in processes of their own).
	ClientCPU time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%d conns: %.0f/s (offered %.0f/s), p50 %v, p99 %v, max %v, %d lost of %d, %d connections dropped, CPU per round trip: server %v, client %v",
		r.Conns, r.Rate, r.Offered, r.P50, r.P99, r.Max, r.Lost, r.Sent, r.Dropped, r.CPU, r.ClientCPU)
}

// ClosedLoop runs round trips on every connection at once, each connection
// sending its next message when the answer to the last one has come, for
// warmup and then for d; only the second part is measured.
func ClosedLoop(t Target, conns []*websocket.Conn, warmup, d time.Duration) (Result, error) {
	var measuring, stop atomic.Bool
	lat := make([][]time.Duration, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 4<<10)
			for !stop.Load() {
				on := measuring.Load()
				t0 := time.Now()
				if err := roundTrip(t, ws, &buf); err != nil {
					errs[i] = err
					return
				}
				if on && !stop.Load() {
					lat[i] = append(lat[i], time.Since(t0))
				}
			}
		}()
	}
	time.Sleep(warmup)
	measuring.Store(true)
	cpu := startCPU(t)
	began := time.Now()
	time.Sleep(d)
	stop.Store(true)
	elapsed := time.Since(began)
	used, client := cpu()
	for _, ws := range conns { // a round trip still owed after this has failed
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	wg.Wait()
	for _, ws := range conns {
		_ = ws.SetReadDeadline(time.Time{})
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	all := slices.Concat(lat...)
	r := summarise(all, 0)
	r.Conns, r.Duration, r.Sent = len(conns), elapsed, len(all)
	r.Rate = float64(r.Answered) / elapsed.Seconds()
	r.setCPU(used, client)
	return r, nil
}

// setCPU divides the server's and the client's CPU time among the answered
// round trips.
func (r *Result) setCPU(server, client time.Duration) {
	if r.Answered > 0 {
		r.CPU = server / time.Duration(r.Answered)
		r.ClientCPU = client / time.Duration(r.Answered)
	}
}

// startCPU starts counting the target's CPU time and this process's; the
// function it returns tells how much each used since (the server's is 0
// when the target cannot tell).
func startCPU(t Target) func() (server, client time.Duration) {
	s0, err0 := targetCPU(t)
	c0 := selfCPU()
	return func() (server, client time.Duration) {
		s1, err1 := targetCPU(t)
		if err0 == nil && err1 == nil {
			server = s1 - s0
		}
		return server, selfCPU() - c0
	}
}

func targetCPU(t Target) (time.Duration, error) {
	if t.CPU == nil {
		return 0, errors.ErrUnsupported
	}
	return t.CPU()
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcessCPU returns the CPU time (user and system) process pid has used,
// from /proc (Linux), at the kernel's clock-tick resolution.
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces: count fields after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc/pid/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc/pid/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14 of the whole line
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, nil
}

// roundTrip sends the message and reads until its answer.
func roundTrip(t Target, ws *websocket.Conn, buf *[]byte) error {
	if err := ws.WriteMessage(websocket.TextMessage, t.Message); err != nil {
		return err
	}
	opened := false
	for {
		f, err := readFrame(ws, buf)
		if err != nil {
			return err
		}
		if t.Failed(f) {
			return fmt.Errorf("error frame %s", f)
		}
		if t.Opens(f) {
			opened = true
		}
		if opened && t.Answers(f) {
			return nil
		}
	}
}

// readFrame reads the next frame into buf, growing it as needed; the frame
// is valid until the next call. The generator allocates nothing per frame,
// so its cost per round trip stays small next to the server's (both share
// the machine's CPUs).
func readFrame(ws *websocket.Conn, buf *[]byte) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return nil, err
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*buf = b
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// OpenLoop sends rate messages a second in all, spread evenly over the
// connections and in time, whether or not earlier ones have been answered
// (an open-loop load: a slow server cannot slow the senders down, so its
// queueing shows in the latencies). Latency is measured from when a message
// was due, not from when the generator got round to sending it. It runs for
// warmup, then for d (measured), then waits up to drain for the answers to
// the measured messages; those still missing count as lost, and so do
// those due on a connection after the server closed it (an overloaded
// server that drops members has not answered them). It closes the
// connections when it is done.
func OpenLoop(t Target, conns []*websocket.Conn, rate float64, warmup, d, drain time.Duration) (Result, error) {
	n := len(conns)
	interval := time.Duration(float64(n) / rate * float64(time.Second))
	start := time.Now().Add(50 * time.Millisecond)
	from, to := start.Add(warmup), start.Add(warmup+d)

	type conn struct {
		mu       sync.Mutex
		due      []time.Time // sent, not yet answered, oldest first
		measured []bool
		lat      []time.Duration
		last     time.Time // when the last measured message was answered
		sent     int
		err      error // the connection failed: what is due on it is lost
	}
	cs := make([]*conn, n)
	var senders, readers sync.WaitGroup
	var done atomic.Bool
	for i, ws := range conns {
		c := &conn{}
		cs[i] = c
		senders.Add(1)
		go func() { // sender
			defer senders.Done()
			due := start.Add(time.Duration(i) * interval / time.Duration(n))
			for due.Before(to) {
				if w := time.Until(due); w > 0 {
					time.Sleep(w)
				}
				in := !due.Before(from)
				c.mu.Lock()
				c.due = append(c.due, due)
				c.measured = append(c.measured, in)
				if in {
					c.sent++
				}
				c.mu.Unlock()
				c.mu.Lock()
				failed := c.err != nil
				c.mu.Unlock()
				if !failed {
					if err := ws.WriteMessage(websocket.TextMessage, t.Message); err != nil {
						c.mu.Lock()
						c.err = err
						c.mu.Unlock()
					}
				}
				due = due.Add(interval)
			}
		}()
		readers.Add(1)
		go func() { // reader
			defer readers.Done()
			opened := false
			buf := make([]byte, 0, 4<<10)
			for {
				f, err := readFrame(ws, &buf)
				if err != nil {
					if !done.Load() {
						c.mu.Lock()
						c.err = err
						c.mu.Unlock()
					}
					return
				}
				if t.Failed(f) {
					c.mu.Lock()
					c.err = fmt.Errorf("error frame %s", f)
					c.mu.Unlock()
					return
				}
				if t.Opens(f) {
					opened = true
				}
				if !opened || !t.Answers(f) {
					continue
				}
				opened = false
				now := time.Now()
				c.mu.Lock()
				if len(c.due) > 0 {
					if c.measured[0] {
						c.lat = append(c.lat, now.Sub(c.due[0]))
						c.last = now
					}
					c.due, c.measured = c.due[1:], c.measured[1:]
				}
				c.mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Until(from))
	cpu := startCPU(t)
	senders.Wait()
	used, client := cpu()
	// Drain: wait for the answers still owed, up to drain.
	deadline := time.Now().Add(drain)
	for time.Now().Before(deadline) {
		owed := 0
		for _, c := range cs {
			c.mu.Lock()
			if c.err == nil {
				owed += len(c.due)
			}
			c.mu.Unlock()
		}
		if owed == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	ended := time.Now()
	done.Store(true)
	for _, ws := range conns { // ends the readers; the connections are spent
		ws.Close()
	}
	readers.Wait()

	var all []time.Duration
	sent, lost, dropped := 0, 0, 0
	last := to
	for _, c := range cs {
		if c.err != nil {
			dropped++
		}
		if c.last.After(last) {
			last = c.last
		}
		all = append(all, c.lat...)
		sent += c.sent
		for i, due := range c.due {
			if c.measured[i] {
				lost++
				all = append(all, ended.Sub(due))
			}
		}
	}
	if dropped == n {
		return Result{}, fmt.Errorf("every connection failed: %w", cs[0].err)
	}
	r := summarise(all, lost)
	r.Conns, r.Offered, r.Sent, r.Duration, r.Dropped = n, rate, sent, d, dropped
	// Answers that came after the window (a server behind) stretch it.
	r.Rate = float64(r.Answered) / last.Sub(from).Seconds()
	if last.Equal(to) { // a server that kept up: its CPU per answer
		r.setCPU(used, client)
	}
	return r, nil
}

// summarise computes percentiles over latencies of which lost are stand-ins
// for messages never answered.
func summarise(lat []time.Duration, lost int) Result {
	slices.Sort(lat)
	r := Result{Answered: len(lat) - lost, Lost: lost}
	if len(lat) > 0 {
		r.P50 = Percentile(lat, 0.50)
		r.P99 = Percentile(lat, 0.99)
		r.Max = lat[len(lat)-1]
	}
	return r
}

// Percentile returns the q-quantile (0 < q ≤ 1) of sorted durations, by
// the nearest-rank method.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
