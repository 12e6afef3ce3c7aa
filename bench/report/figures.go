package main

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// report is what results.json holds.
type report struct {
	Generated  string   `json:"generated"`
	Commit     string   `json:"commit"`
	Go         string   `json:"go"`
	Platform   string   `json:"platform"`
	CPU        string   `json:"cpu"`
	Procs      int      `json:"gomaxprocs"`
	Seconds    float64  `json:"seconds"` // the whole run
	Machine    machine  `json:"machine"`
	Figures    []figure `json:"figures"`
	Sweep      []point  `json:"sweep"`     // closed loop, by server and connections
	OpenLoop   []point  `json:"open_loop"` // fixed offered rate
	Benchmarks []result `json:"benchmarks"`
	Failures   []string `json:"failures,omitempty"`
}

// figure is one row of the table: kefu's value, the baseline measured in
// the same run, their ratio, and the goal.
type figure struct {
	Key          string   `json:"key"`
	Name         string   `json:"name"`
	Value        *float64 `json:"value"`
	Unit         string   `json:"unit"`
	Baseline     *float64 `json:"baseline,omitempty"`
	BaselineName string   `json:"baseline_name,omitempty"`
	Ratio        *float64 `json:"ratio,omitempty"`
	Goal         string   `json:"goal"`
	Pass         *bool    `json:"pass,omitempty"` // absent: context, no goal
	Source       string   `json:"source"`
	Note         string   `json:"note,omitempty"`
}

// point is one load run of bench's BenchmarkWeb.
type point struct {
	Server  string  `json:"server"`
	Conns   int     `json:"conns"`
	Rate    float64 `json:"roundtrips_per_s"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Offered float64 `json:"offered_per_s,omitempty"`
	Lost    float64 `json:"lost,omitempty"`
	Dropped float64 `json:"dropped_conns,omitempty"`
	CPU     float64 `json:"server_cpu_us,omitempty"` // the server's CPU time per round trip
}

type results []result

// get finds a metric of the benchmark name in the package whose path ends
// with pkg.
func (rs results) get(pkg, name, unit string) (float64, bool) {
	for _, r := range rs {
		if r.Name == name && strings.HasSuffix(r.Pkg, pkg) {
			v, ok := r.Metrics[unit]
			return v, ok
		}
	}
	return 0, false
}

func ptr[T any](v T) *T { return &v }

var webPointRE = regexp.MustCompile(`^BenchmarkWeb/(closed|open)/(\w+)/conns=(\d+)$`)

func buildReport(all []result, meta map[string]string) report {
	rs := results(all)
	rep := report{
		Generated:  time.Now().UTC().Format(time.RFC3339),
		Commit:     commit(),
		Go:         goVersion(),
		Platform:   meta["goos"] + "/" + meta["goarch"],
		CPU:        meta["cpu"],
		Benchmarks: all,
	}
	for _, r := range all {
		rep.Procs = max(rep.Procs, r.Procs)
		m := webPointRE.FindStringSubmatch(r.Name)
		if m == nil {
			continue
		}
		conns, _ := strconv.Atoi(m[3])
		p := point{Server: m[2], Conns: conns, Rate: r.Metrics["roundtrips/s"], P50: r.Metrics["p50-ms"], P99: r.Metrics["p99-ms"],
			Offered: r.Metrics["offered/s"], Lost: r.Metrics["lost"], Dropped: r.Metrics["dropped-conns"], CPU: r.Metrics["server-cpu-µs/op"]}
		if m[1] == "closed" {
			rep.Sweep = append(rep.Sweep, p)
		} else {
			rep.OpenLoop = append(rep.OpenLoop, p)
		}
	}

	add := func(f figure) { rep.Figures = append(rep.Figures, f) }
	// value: kefu's figure; base: the baseline, when there is one.
	type metric struct {
		pkg, name, unit string
	}
	val := func(m metric) *float64 {
		if v, ok := rs.get(m.pkg, m.name, m.unit); ok {
			return &v
		}
		return nil
	}
	src := func(ms ...metric) string {
		var s []string
		for _, m := range ms {
			s = append(s, strings.TrimPrefix(m.pkg, "/")+" "+m.name+" ("+m.unit+")")
		}
		return strings.Join(s, " vs ")
	}
	ratioFig := func(key, name, unit string, v, b metric, bname, goal string, pass func(ratio float64) bool) figure {
		f := figure{Key: key, Name: name, Unit: unit, Value: val(v), Baseline: val(b), BaselineName: bname, Goal: goal, Source: src(v, b)}
		if f.Value != nil && f.Baseline != nil && *f.Baseline != 0 {
			f.Ratio = ptr(*f.Value / *f.Baseline)
			if pass != nil {
				f.Pass = ptr(pass(*f.Ratio))
			}
		}
		return f
	}
	absFig := func(key, name, unit string, v metric, goal string, pass func(v float64) bool) figure {
		f := figure{Key: key, Name: name, Unit: unit, Value: val(v), Goal: goal, Source: src(v)}
		if f.Value != nil && pass != nil {
			f.Pass = ptr(pass(*f.Value))
		}
		return f
	}
	atLeast := func(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }
	atMost := func(x float64) func(float64) bool { return func(v float64) bool { return v <= x } }

	turn := metric{dialogPkg, "BenchmarkTurn", "turns/s"}
	add(absFig("engine_turns", "engine alone: turns/s", "turns/s", turn, "≥ 250 000", atLeast(250000)))
	allocs := absFig("engine_allocs", "engine alone: allocations per turn", "allocs/turn", metric{dialogPkg, "BenchmarkTurn", "allocs/op"}, "reported", nil)
	if b, ok := rs.get(dialogPkg, "BenchmarkTurn", "B/op"); ok {
		allocs.Note = fmt.Sprintf("%.0f B/turn", b)
	}
	add(allocs)

	add(ratioFig("web_throughput", "web e2e, 200 conns: round trips/s", "/s",
		metric{benchPkg, kefu200, "roundtrips/s"},
		metric{benchPkg, echo200, "roundtrips/s"},
		"gorilla echo", "≥ 0.5×", atLeast(0.5)))
	p99 := ratioFig("web_p99", "web e2e, p99 at ½ echo peak (open loop)", "ms",
		metric{benchPkg, "BenchmarkWeb/open/kefu/conns=200", "p99-ms"},
		metric{benchPkg, "BenchmarkWeb/open/echo/conns=200", "p99-ms"},
		"gorilla echo", "≤ max(5 ms, 2× echo)", nil)
	if p99.Value != nil && p99.Baseline != nil {
		p99.Pass = ptr(*p99.Value <= math.Max(5, 2**p99.Baseline))
	}
	if off, ok := rs.get(benchPkg, "BenchmarkWeb/open/kefu/conns=200", "offered/s"); ok {
		lost, _ := rs.get(benchPkg, "BenchmarkWeb/open/kefu/conns=200", "lost")
		dropped, _ := rs.get(benchPkg, "BenchmarkWeb/open/kefu/conns=200", "dropped-conns")
		got, _ := rs.get(benchPkg, "BenchmarkWeb/open/kefu/conns=200", "roundtrips/s")
		p99.Note = fmt.Sprintf("offered %.0f/s to both; kefu answered %.0f/s, %.0f lost, %.0f connections dropped", off, got, lost, dropped)
	}
	add(p99)
	cpu := ratioFig("web_cpu", "web e2e, 200 conns: server CPU per round trip", "µs",
		metric{benchPkg, kefu200, "server-cpu-µs/op"},
		metric{benchPkg, echo200, "server-cpu-µs/op"},
		"gorilla echo", "context", nil)
	if budget, ok := cpuBudget(rs, rep.Procs); ok {
		cpu.Note = fmt.Sprintf("steadier than throughput when the machine is shared; ≥ 0.5× echo throughput needs about ≤ %.0f µs per round trip here "+
			"(%d CPUs, less what the load generator needs per kefu round trip at that rate)", budget, rep.Procs)
	}
	add(cpu)
	inproc := ratioFig("web_inprocess", "web in-process, 200 conns: round trips/s", "/s",
		metric{webPkg, "BenchmarkWebRoundTrip", "roundtrips/s"}, metric{webPkg, "BenchmarkEchoBaseline", "roundtrips/s"},
		"gorilla echo", "context", nil)
	if a, ok := rs.get(webPkg, "BenchmarkWebRoundTrip", "p99-ms"); ok {
		b, _ := rs.get(webPkg, "BenchmarkEchoBaseline", "p99-ms")
		inproc.Note = fmt.Sprintf("client and server in one process; closed-loop p99 %.1f ms vs echo %.1f ms", a, b)
	}
	add(inproc)

	flows := ratioFig("cancel_flows", "cancel flows/s e2e (64 members at once)", "/s",
		metric{benchPkg, "BenchmarkCancelFlows", "flows/s"}, metric{botPkg, "BenchmarkWorkOrderParallel64", "orders/s"},
		"synced-write ceiling (64 writers)", "≥ 0.8×", atLeast(0.8))
	if p50, ok := rs.get(benchPkg, "BenchmarkCancelFlows", "p50-ms/flow"); ok {
		p99, _ := rs.get(benchPkg, "BenchmarkCancelFlows", "p99-ms/flow")
		flows.Note = fmt.Sprintf("a flow (hello and %d member messages) takes p50 %.0f ms, p99 %.0f ms", flowRoundTrips-1, p50, p99)
		if c, ok := rs.get(benchPkg, "BenchmarkCancelFlows", "server-cpu-µs/flow"); ok {
			flows.Note += fmt.Sprintf("; the server spends %.0f µs of CPU per flow", c)
			if cl, ok := rs.get(benchPkg, "BenchmarkCancelFlows", "client-cpu-µs/flow"); ok {
				flows.Note += fmt.Sprintf(", the client %.0f µs", cl)
			}
		}
	}
	if bound, ok := echoFlowBound(rs, rep.Procs); ok {
		flows.Note += fmt.Sprintf("; were each of its %d round trips as cheap for the server as an echo's, %d CPUs shared with this client would allow at most %.0f flows/s", flowRoundTrips, rep.Procs, bound)
		if ceiling := flows.Baseline; ceiling != nil && *ceiling > 0 {
			flows.Note += fmt.Sprintf(" (%.2f× the ceiling)", bound / *ceiling)
		}
	}
	add(flows)
	parallel := ratioFig("orders_parallel", "work orders: 64 writers vs serial", "orders/s",
		metric{botPkg, "BenchmarkWorkOrderParallel64", "orders/s"}, metric{botPkg, "BenchmarkWorkOrderSerial", "orders/s"},
		"serial orders", "≥ 10×", atLeast(10))
	if c, ok := rs.get(botPkg, "BenchmarkWorkOrderParallel64", "cpu-µs/order"); ok && c > 0 && rep.Procs > 0 {
		parallel.Note = fmt.Sprintf("%.0f µs of CPU per order: %d CPUs allow at most %.0f orders/s", c, rep.Procs, float64(rep.Procs)*1e6/c)
		if serial, ok := rs.get(botPkg, "BenchmarkWorkOrderSerial", "orders/s"); ok && serial > 0 {
			parallel.Note += fmt.Sprintf("; ≥ 10× serial needs ≤ %.0f µs per order", float64(rep.Procs)*1e6/(10*serial))
		}
	}
	add(parallel)
	serial := ratioFig("orders_serial", "work orders: serial vs raw fsync", "orders/s",
		metric{botPkg, "BenchmarkWorkOrderSerial", "orders/s"}, metric{botPkg, "BenchmarkWorkOrderSerial", "fsyncs/s"},
		"fsync of a small write, between the orders", "≥ 0.8×", atLeast(0.8))
	serial.Note = "each synced Badger commit waits for two device flushes (its write-ahead log and its value log) where the baseline waits for one"
	if c, ok := rs.get(botPkg, "BenchmarkWorkOrderSerial", "cpu-µs/order"); ok {
		serial.Note += fmt.Sprintf("; %.0f µs of CPU per order, system time included", c)
	}
	add(serial)

	add(absFig("idle_conn", "memory per idle websocket (5 000, heap+stacks)", "KiB", metric{webPkg, "BenchmarkIdleConnection", "KiB/conn"}, "≤ 16 KiB", atMost(16)))
	rss := absFig("idle_conn_rss", "memory per idle websocket (5 000, process RSS)", "KiB", metric{benchPkg, "BenchmarkIdleProcess", "RSS-KiB/conn"}, "context", nil)
	if g, ok := rs.get(benchPkg, "BenchmarkIdleProcess", "goroutines/conn"); ok {
		st, _ := rs.get(benchPkg, "BenchmarkIdleProcess", "stack-KiB/conn")
		hp, _ := rs.get(benchPkg, "BenchmarkIdleProcess", "heap-inuse-KiB/conn")
		rss.Note = fmt.Sprintf("real binary, no forced GC: %.1f goroutines, %.1f KiB of stacks, %.1f KiB of heap in use per connection", g, st, hp)
	}
	add(rss)
	disk := absFig("session_disk", "persisted idle session on disk (20 000)", "B", metric{benchPkg, "BenchmarkSessionBytes", "disk-B/session"}, "≤ 512 B", atMost(512))
	if l, ok := rs.get(benchPkg, "BenchmarkSessionBytes", "logical-B/session"); ok {
		var parts []string
		for _, p := range []string{"conv", "addr", "msg"} {
			if v, ok := rs.get(benchPkg, "BenchmarkSessionBytes", p+"-B/session"); ok {
				parts = append(parts, fmt.Sprintf("%s/ %.0f", p, v))
			}
		}
		disk.Note = fmt.Sprintf("logical %.0f B (%s), ZSTD-compressed in Badger's tables", l, strings.Join(parts, ", "))
	}
	add(disk)
	add(absFig("restart_kill", "restart, 100 000 sessions, after kill -9: to healthy", "s", metric{benchPkg, "BenchmarkRestart", "s-healthy-after-kill"}, "≤ 1 s", atMost(1)))
	add(absFig("restart_stop", "restart, 100 000 sessions, after a clean stop", "s", metric{benchPkg, "BenchmarkRestart", "s-healthy-after-stop"}, "≤ 1 s", atMost(1)))
	resume := absFig("restart_resume", "first resume of an old session after restart", "ms", metric{benchPkg, "BenchmarkRestart", "ms-first-resume"}, "context", nil)
	if v, ok := rs.get(benchPkg, "BenchmarkRestart", "ms-bot.Open"); ok {
		resume.Note = fmt.Sprintf("bot.Open alone on the same directory: %.0f ms", v)
	}
	add(resume)

	add(ratioFig("telegram", "Telegram updates/s through the adapter", "/s",
		metric{tgPkg, "BenchmarkTelegramUpdates/adapter", "updates/s"}, metric{tgPkg, "BenchmarkTelegramUpdates/noop-handler", "updates/s"},
		"no-op handler", "reported", nil))
	add(absFig("telegram_outbound", "Telegram outbound, 1 000 chats: most sends in 1 s", "msgs", metric{tgPkg, "BenchmarkOutboundBurst1000Chats", "max-msgs/1s"}, "context (limit ~30/s)", nil))
	return rep
}

// The packages whose benchmarks the figures read, relative to the module.
const (
	dialogPkg = "/dialog"
	botPkg    = "/bot"
	webPkg    = "/channels/web"
	tgPkg     = "/channels/telegram"
	benchPkg  = "/bench"
)

// The web benchmarks' headline runs.
const (
	echo200 = "BenchmarkWeb/closed/echo/conns=200"
	kefu200 = "BenchmarkWeb/closed/kefu/conns=200"
)

// cpuBudget estimates the server CPU per round trip at which kefu would
// reach half the echo's throughput at 200 connections: at half the echo's
// rate the load generator needs its CPU per kefu round trip (as measured,
// or the echo's: what the echo server left of the CPUs) that many times,
// and kefu may have the rest of the machine's CPUs.
func cpuBudget(rs results, procs int) (float64, bool) {
	rate, ok1 := rs.get(benchPkg, echo200, "roundtrips/s")
	echo, ok2 := rs.get(benchPkg, echo200, "server-cpu-µs/op")
	if !ok1 || !ok2 || rate == 0 || procs == 0 {
		return 0, false
	}
	// The load generator's CPU per kefu round trip, as measured; runs
	// from before it was measured: the echo's, all CPUs busy.
	client, ok := rs.get(benchPkg, kefu200, "client-cpu-µs/op")
	if !ok {
		client = float64(procs)*1e6/rate - echo
	}
	target := rate / 2
	budget := (float64(procs)*1e6 - target*client) / target
	return budget, budget > 0
}

// flowRoundTrips is how many answered messages a cancel flow waits for.
const flowRoundTrips = 8

// echoFlowBound is the most flows a second the CPUs would allow if each of
// a flow's round trips cost the server what an echo round trip costs it,
// with the flow client's measured CPU per flow (or, from runs before it was
// measured, an echo round trip's client cost per round trip): an upper
// bound for any server on this machine, as its round trips do more than
// echo.
func echoFlowBound(rs results, procs int) (float64, bool) {
	server, ok1 := rs.get(benchPkg, echo200, "server-cpu-µs/op")
	client, ok2 := rs.get(benchPkg, "BenchmarkCancelFlows", "client-cpu-µs/flow")
	if !ok2 {
		perTrip, ok := rs.get(benchPkg, echo200, "client-cpu-µs/op")
		client, ok2 = flowRoundTrips*perTrip, ok
	}
	perFlow := flowRoundTrips*server + client
	if !ok1 || !ok2 || perFlow <= 0 || procs == 0 {
		return 0, false
	}
	return float64(procs) * 1e6 / perFlow, true
}

// printReport writes the table, the sweep and the other benchmarks.
func printReport(w io.Writer, rep report) {
	fmt.Fprintf(w, "\nkefu benchmarks — %s, %s, %s, GOMAXPROCS %d, commit %s\n", rep.Generated, rep.CPU, rep.Go, rep.Procs, rep.Commit)
	if rep.Machine.OtherShare > 0.1 {
		fmt.Fprintf(w, "WARNING: other processes used %.0f%% of the machine during this run (see the end)\n", 100*rep.Machine.OtherShare)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tkefu\tbaseline\tratio\tgoal\tresult\t")
	fmt.Fprintln(tw, "------\t----\t--------\t-----\t----\t------\t")
	for _, f := range rep.Figures {
		value, base, ratio, res := "missing", "—", "—", "MISSING"
		if f.Value != nil {
			value = num(*f.Value) + " " + f.Unit
			res = "—"
		}
		if f.Baseline != nil {
			base = num(*f.Baseline) + " (" + f.BaselineName + ")"
		}
		if f.Ratio != nil {
			ratio = fmt.Sprintf("%.2f×", *f.Ratio)
		}
		if f.Pass != nil {
			res = map[bool]string{true: "PASS", false: "FAIL"}[*f.Pass]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Name, value, base, ratio, f.Goal, res)
	}
	tw.Flush()
	for _, f := range rep.Figures {
		if f.Note != "" {
			fmt.Fprintf(w, "  · %s: %s\n", f.Name, f.Note)
		}
	}

	if len(rep.Sweep) > 0 {
		fmt.Fprintf(w, "\nweb e2e, closed loop (each connection sends when answered), separate processes:\n")
		tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "conns\techo /s\tp50 ms\tp99 ms\tCPU µs\tkefu /s\tp50 ms\tp99 ms\tCPU µs\tkefu/echo\t")
		for _, n := range connsOf(rep.Sweep) {
			e, k := find(rep.Sweep, "echo", n), find(rep.Sweep, "kefu", n)
			ratio := "—"
			if e.Rate > 0 {
				ratio = fmt.Sprintf("%.2f×", k.Rate/e.Rate)
			}
			fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%.1f\t%s\t%.2f\t%.2f\t%.1f\t%s\t\n", n, num(e.Rate), e.P50, e.P99, e.CPU, num(k.Rate), k.P50, k.P99, k.CPU, ratio)
		}
		tw.Flush()
		fmt.Fprintln(w, "(CPU µs: the server process's CPU time per round trip)")
	}
	for _, p := range rep.OpenLoop {
		fmt.Fprintf(w, "open loop, %s, %d conns: offered %.0f/s, answered %.0f/s, p50 %.2f ms, p99 %.2f ms, %.0f lost, %.0f connections dropped\n",
			p.Server, p.Conns, p.Offered, p.Rate, p.P50, p.P99, p.Lost, p.Dropped)
	}

	fmt.Fprintf(w, "\nevery benchmark:\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, r := range rep.Benchmarks {
		var ms []string
		for _, u := range sortedUnits(r.Metrics) {
			ms = append(ms, num(r.Metrics[u])+" "+u)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", shortPkg(r.Pkg), r.Name, strings.Join(ms, "  "))
	}
	tw.Flush()
	if len(rep.Failures) > 0 {
		fmt.Fprintf(w, "\nFAILURES:\n  %s\n", strings.Join(rep.Failures, "\n  "))
	}
	if rep.Seconds > 0 {
		fmt.Fprintf(w, "\nthe run took %s\n", time.Duration(rep.Seconds*float64(time.Second)).Round(time.Second))
	}
	if m := rep.Machine; m.CPUs > 0 {
		fmt.Fprintf(w, "other processes used %.0f CPU-seconds during the run, %.0f%% of the machine's %d CPUs (load average before %s, after %s)\n",
			m.OtherCPU, 100*m.OtherShare, m.CPUs, m.LoadBefore, m.LoadAfter)
		if m.OtherShare > 0.1 {
			fmt.Fprintf(w, "WARNING: the machine was busy with other work; baselines and kefu were not measured under the same conditions. Rerun on an idle machine.\n")
		}
	}
}

func shortPkg(p string) string {
	if i := strings.Index(p, "/kefu/"); i >= 0 {
		return p[i+len("/kefu/"):]
	}
	return p
}

// sortedUnits puts ns/op, B/op and allocs/op first, the rest alphabetically.
func sortedUnits(m map[string]float64) []string {
	first := []string{"ns/op", "B/op", "allocs/op"}
	var out, rest []string
	for _, u := range first {
		if _, ok := m[u]; ok {
			out = append(out, u)
		}
	}
	for u := range m {
		if !slices.Contains(first, u) {
			rest = append(rest, u)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func connsOf(ps []point) []int {
	var out []int
	seen := map[int]bool{}
	for _, p := range ps {
		if !seen[p.Conns] {
			seen[p.Conns] = true
			out = append(out, p.Conns)
		}
	}
	return out
}

func find(ps []point, server string, conns int) point {
	for _, p := range ps {
		if p.Server == server && p.Conns == conns {
			return p
		}
	}
	return point{Server: server, Conns: conns}
}

// num formats a figure readably: thousands grouped, small numbers with
// a few significant digits.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(c)
		}
		if neg {
			return "-" + b.String()
		}
		return b.String()
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
