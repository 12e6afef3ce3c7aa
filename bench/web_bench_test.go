package bench

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Each benchmark here measures for a fixed time per iteration, so run them
// once: go test -run '^$' -bench . -benchtime 1x ./bench

// Concurrencies of the closed-loop sweep; headlineConns is the one the
// goals name.
var concurrencies = []int{1, 10, 50, 200, 500}

const (
	headlineConns = 200
	// headlineRuns is how many closed-loop runs each server gets at
	// headlineConns; the run of median throughput is reported. On a shared
	// machine one 3-second run moved by ±25 % from the next (bench/README.md).
	headlineRuns = 3
	sweepWarmup  = 500 * time.Millisecond
	sweepTime    = 3 * time.Second
	openWarmup   = 500 * time.Millisecond
	openTime     = 3 * time.Second
	openDrain    = 5 * time.Second
)

// BenchmarkWeb drives the real kefu binary (`kefu serve --demo --msg-rate
// 0`, each message a full turn: the member's echo and the bot's reply
// stored in Badger and published) and a bare gorilla/websocket echo server,
// each in a process of its own, with the same load generator:
//
//   - closed/<server>/conns=N: N connections, each sending its next message
//     when the last is answered (a round trip ends with the bot's reply);
//   - open/<server>/conns=200: an open loop at half the echo's peak rate
//     on 200 connections (its closed-loop rate at 200 connections), the
//     same offered rate for both servers, latency counted from when each
//     message was due.
func BenchmarkWeb(b *testing.B) {
	echo := startEcho(b)
	kefu := startKefu(b, b.TempDir(), "--demo", "--msg-rate", "0")
	targets := []struct {
		name string
		t    Target
	}{
		{"echo", EchoTarget("ws://" + echo.addr + "/")},
		{"kefu", KefuTarget("ws://" + kefu.addr + "/ws")},
	}
	targets[0].t.CPU = echo.cpu
	targets[1].t.CPU = kefu.cpu
	var echoPeak float64
	for _, n := range concurrencies {
		for _, tg := range targets {
			b.Run(fmt.Sprintf("closed/%s/conns=%d", tg.name, n), func(b *testing.B) {
				for range b.N {
					runs := 1
					if n == headlineConns {
						runs = headlineRuns
					}
					var rs []Result
					for range runs {
						conns, err := Dial(tg.t, n)
						if err != nil {
							b.Fatal(err)
						}
						r, err := ClosedLoop(tg.t, conns, sweepWarmup, sweepTime)
						Close(conns)
						if err != nil {
							b.Fatal(err)
						}
						rs = append(rs, r)
					}
					r := median(b, rs)
					reportLoad(b, r)
					if tg.name == "echo" && n == headlineConns {
						echoPeak = r.Rate
					}
				}
			})
		}
	}
	if echoPeak == 0 { // run with a -bench filter that skipped the sweep
		conns, err := Dial(targets[0].t, headlineConns)
		if err != nil {
			b.Fatal(err)
		}
		r, err := ClosedLoop(targets[0].t, conns, sweepWarmup, sweepTime)
		Close(conns)
		if err != nil {
			b.Fatal(err)
		}
		echoPeak = r.Rate
	}
	for _, tg := range targets {
		b.Run(fmt.Sprintf("open/%s/conns=%d", tg.name, headlineConns), func(b *testing.B) {
			for range b.N {
				conns, err := Dial(tg.t, headlineConns)
				if err != nil {
					b.Fatal(err)
				}
				r, err := OpenLoop(tg.t, conns, echoPeak/2, openWarmup, openTime, openDrain)
				if err != nil {
					b.Fatal(err)
				}
				reportLoad(b, r)
				b.ReportMetric(r.Offered, "offered/s")
				b.ReportMetric(float64(r.Lost), "lost")
				b.ReportMetric(float64(r.Dropped), "dropped-conns")
			}
		})
	}
}

// median is the run of median throughput; the others are logged.
func median(b *testing.B, rs []Result) Result {
	if len(rs) > 1 {
		rs = slices.Clone(rs)
		slices.SortFunc(rs, func(x, y Result) int { return cmp.Compare(x.Rate, y.Rate) })
		for i, r := range rs {
			b.Logf("run %d of %d by throughput: %s", i+1, len(rs), r)
		}
	}
	return rs[len(rs)/2]
}

func reportLoad(b *testing.B, r Result) {
	b.Logf("%s", r)
	if r.Rate > 0 {
		b.ReportMetric(1e9/r.Rate, "ns/op")
	}
	b.ReportMetric(r.Rate, "roundtrips/s")
	b.ReportMetric(ms(r.P50), "p50-ms")
	b.ReportMetric(ms(r.P99), "p99-ms")
	if r.CPU > 0 {
		b.ReportMetric(float64(r.CPU)/float64(time.Microsecond), "server-cpu-µs/op")
		b.ReportMetric(float64(r.ClientCPU)/float64(time.Microsecond), "client-cpu-µs/op")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
