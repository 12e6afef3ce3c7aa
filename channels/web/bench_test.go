package web

import (
	"bytes"
	"fmt"
	"net"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/internal/wstest"
)

// The web channel against a bare gorilla/websocket echo server under the
// same load: benchConns connections, each sending one message and waiting
// for its reply before the next. Compare roundtrips/s and p99-ms:
//
//	go test ./channels/web -run XXX -bench . -benchtime 3s

const benchConns = 200

var benchText = []byte(`{"type":"text","text":"你好"}`)

// BenchmarkEchoBaseline is the ceiling: a server that only echoes.
func BenchmarkEchoBaseline(b *testing.B) {
	srv := httptest.NewServer(wstest.EchoHandler())
	defer srv.Close()
	conns := make([]*websocket.Conn, benchConns)
	for i := range conns {
		conns[i] = benchDial(b, "ws"+strings.TrimPrefix(srv.URL, "http"))
	}
	roundTrips(b, conns, func(ws *websocket.Conn) error {
		if err := ws.WriteMessage(websocket.TextMessage, benchText); err != nil {
			return err
		}
		_, _, err := ws.ReadMessage()
		return err
	})
}

// BenchmarkWebRoundTrip is kefu: each message is a full turn (the member's
// echo and the bot's reply stored in Badger, then published); a round trip
// ends with the bot's reply.
func BenchmarkWebRoundTrip(b *testing.B) {
	srv := newTestServerWith(b, func(c *bot.Config) { c.MsgRate = 0 }, nil)
	conns := make([]*websocket.Conn, benchConns)
	for i := range conns {
		ws := benchDial(b, srv.wsURL())
		if err := ws.WriteJSON(map[string]string{"type": "hello", "lang": "zh-CN"}); err != nil {
			b.Fatal(err)
		}
		if err := awaitBot(ws); err != nil { // the welcome
			b.Fatal(err)
		}
		conns[i] = ws
	}
	roundTrips(b, conns, func(ws *websocket.Conn) error {
		if err := ws.WriteMessage(websocket.TextMessage, benchText); err != nil {
			return err
		}
		return awaitBot(ws)
	})
}

// awaitBot reads frames until a message from the bot. It only looks for
// the sender, as cheaply as the echo client reads its reply.
func awaitBot(ws *websocket.Conn) error {
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return err
		}
		switch {
		case bytes.HasPrefix(b, []byte(`{"type":"error"`)):
			return fmt.Errorf("error frame %s", b)
		case bytes.Contains(b, []byte(`"from":"bot"`)):
			return nil
		}
	}
}

func benchDial(b *testing.B, url string) *websocket.Conn {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	return ws
}

// roundTrips runs b.N round trips spread over the connections, all at once,
// and reports their rate and 99th percentile latency.
func roundTrips(b *testing.B, conns []*websocket.Conn, trip func(*websocket.Conn) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, len(conns))
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for i, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := trip(ws); err != nil {
					errs <- err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "roundtrips/s")
	b.ReportMetric(float64(all[len(all)*99/100])/float64(time.Millisecond), "p99-ms")
}

// BenchmarkIdleConnection measures what an idle member connection costs the
// server: 5 000 members each connect, say hello and get their welcome, then
// stay silent. Reported: heap plus goroutine stacks per connection, with
// minimal raw TCP clients (no goroutine, no buffers) so that little of it is
// the clients'.
func BenchmarkIdleConnection(b *testing.B) {
	const idle = 5000
	for range b.N {
		srv := newTestServerWith(b, func(c *bot.Config) { c.MsgRate = 0 }, nil)
		addr := strings.TrimPrefix(srv.URL, "http://")
		before := heapAndStacks()
		clients := make([]net.Conn, 0, idle)
		for range idle {
			c, err := wstest.RawHello(addr)
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
		}
		for _, c := range clients { // each gets welcome and the welcome message
			if err := wstest.AwaitFrames(c, 2); err != nil {
				b.Fatal(err)
			}
		}
		after := heapAndStacks()
		b.ReportMetric(float64(after-before)/idle/1024, "KiB/conn")
		for _, c := range clients {
			c.Close()
		}
	}
}

func heapAndStacks() int64 {
	for range 6 { // a few cycles: garbage goes, idle goroutines' stacks shrink
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}
