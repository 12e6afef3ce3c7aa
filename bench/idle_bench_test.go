package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
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
			c, err := rawHello(kefu.addr)
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
		}
		for _, c := range clients {
			if err := awaitFrames(c, 2); err != nil { // welcome and the welcome message
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

// rawHello opens a websocket by hand and says hello: no reader, no
// goroutine, no buffers on this side, only a socket.
func rawHello(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	br := bufio.NewReaderSize(c, 16)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, "101") {
		c.Close()
		return nil, fmt.Errorf("handshake: %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	hello, _ := json.Marshal(map[string]string{"type": "hello", "lang": "zh-CN"})
	f := append([]byte{0x81, 0x80 | byte(len(hello)), 0, 0, 0, 0}, hello...) // masked with a zero key
	if _, err := c.Write(f); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// awaitFrames reads n unmasked server frames of under 64 KiB.
func awaitFrames(c net.Conn, n int) error {
	br := bufio.NewReader(c)
	for range n {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return err
		}
		size := int(h[1] & 0x7f)
		if size == 126 {
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return err
			}
			size = int(ext[0])<<8 | int(ext[1])
		}
		if _, err := br.Discard(size); err != nil {
			return err
		}
	}
	return nil
}
