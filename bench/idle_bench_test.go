package bench

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/internal/wstest"
)

// BenchmarkIdleProcess is the operator's view of idle members: the resident
// memory (RSS) of the real kefu process grows by this much per idle
// websocket connection. 5 000 members connect, say hello, get their
// welcome and stay silent; RSS is read from /proc before and after, with
// the process left a few seconds to settle. RSS includes the garbage
// collector's headroom (GOGC=100 lets the heap grow to twice what is live),
// so it is larger than channels/web's BenchmarkIdleConnection, which counts
// live heap and stacks after a collection; kernel socket buffers are in
// neither. The Go runtime's own counters (goroutines, stacks, heap in use)
// are reported beside it.
func BenchmarkIdleProcess(b *testing.B) {
	const idle = 5000
	for range b.N {
		kefu := startKefu(b, b.TempDir(), "--demo", "--msg-rate", "0")
		pid := kefu.cmd.Process.Pid
		time.Sleep(2 * time.Second)
		before, err := rss(pid)
		if err != nil {
			b.Fatal(err)
		}
		m0, err := goMetrics(kefu.addr)
		if err != nil {
			b.Fatal(err)
		}
		clients := make([]net.Conn, 0, idle)
		for range idle {
			c, err := wstest.RawHello(kefu.addr)
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
		}
		for _, c := range clients {
			if err := wstest.AwaitFrames(c, 2); err != nil { // welcome and the welcome message
				b.Fatal(err)
			}
		}
		time.Sleep(3 * time.Second)
		after, err := rss(pid)
		if err != nil {
			b.Fatal(err)
		}
		m1, err := goMetrics(kefu.addr)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(after-before)/idle/1024, "RSS-KiB/conn")
		b.ReportMetric(float64(after)/(1<<20), "RSS-MiB")
		// Where it goes, from the Go runtime's own counters on /metrics.
		b.ReportMetric((m1["go_goroutines"]-m0["go_goroutines"])/idle, "goroutines/conn")
		b.ReportMetric((m1["go_memstats_stack_inuse_bytes"]-m0["go_memstats_stack_inuse_bytes"])/idle/1024, "stack-KiB/conn")
		b.ReportMetric((m1["go_memstats_heap_inuse_bytes"]-m0["go_memstats_heap_inuse_bytes"])/idle/1024, "heap-inuse-KiB/conn")
		b.ReportMetric(0, "ns/op")
		for _, c := range clients {
			c.Close()
		}
	}
}

// goMetrics reads the unlabelled go_* samples of kefu's /metrics.
func goMetrics(addr string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "go_") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// rss is a process's resident set size in bytes.
func rss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
