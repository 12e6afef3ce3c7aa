package bench

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/postgrestest"
)

const (
	flowMembers = 30000 // --demo-extra: one member per flow, never reused
	flowWorkers = 64    // members cancelling at the same time
	flowWarmup  = time.Second
	flowTime    = 5 * time.Second
)

// BenchmarkCancelFlows runs whole cancellations over the websocket against
// the real binary (`kefu serve --demo --demo-extra 30000 --msg-rate 0`),
// flowWorkers members at a time, each a new member and a new session: hello
// with the help page's cancel entry, the phone number (the code goes out by
// SMS at once), the code taken from the demo's system message, cancel now,
// the confirmation pressed, and the receipt with a valid work-order number,
// written with a synced commit before it was shown, followed by the
// optional question for the reason, left unanswered. Each step waits for
// the bot's answer, as a member would. Reported: flows a second completed in
// the measured window, the time one flow takes, and the work orders the
// server counted (one per flow).
func BenchmarkCancelFlows(b *testing.B) {
	for range b.N {
		kefu := startKefu(b, b.TempDir(), "--demo", "--demo-extra", strconv.Itoa(flowMembers), "--msg-rate", "0")
		runFlows(b, flowMembers, kefu)
	}
}

// pgFlowMembers is the demo members seeded into PostgreSQL: enough for the
// measured window at the rates one or two instances reach.
const pgFlowMembers = 6000

// BenchmarkCancelFlowsPostgres runs the same flows against one and two
// instances (`kefu serve --store postgres://…`) on one PostgreSQL, the
// members spread over the instances.
func BenchmarkCancelFlowsPostgres(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			for range b.N {
				url := postgrestest.NewDatabase(b)
				var ks []*process
				for range n {
					ks = append(ks, startKefu(b, b.TempDir(), "--store", url, "--demo", "--demo-extra", strconv.Itoa(pgFlowMembers), "--msg-rate", "0"))
				}
				runFlows(b, pgFlowMembers, ks...)
			}
		})
	}
}

// runFlows runs cancel flows of members 0…members-1, flowWorkers at a time,
// spread over the kefu processes, and reports the rate in the measured
// window.
func runFlows(b *testing.B, members int, kefus ...*process) {
	var next atomic.Int64
	var stop atomic.Bool
	type done struct {
		at   time.Time
		took time.Duration
	}
	results := make([][]done, flowWorkers)
	errs := make([]error, flowWorkers)
	began := time.Now()
	type cpuTimes struct{ servers, client time.Duration }
	cpuFrom := make(chan cpuTimes, 1) // when the window opens
	cpuNow := func() (t cpuTimes) {
		for _, k := range kefus {
			c, _ := k.cpu()
			t.servers += c
		}
		t.client = selfCPU()
		return t
	}
	time.AfterFunc(flowWarmup, func() { cpuFrom <- cpuNow() })
	var wg sync.WaitGroup
	for w := range flowWorkers {
		url := "ws://" + kefus[w%len(kefus)].addr + "/ws"
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= members {
					return
				}
				t0 := time.Now()
				if _, err := cancelFlow(url, i); err != nil {
					errs[w] = fmt.Errorf("member %d: %w", i, err)
					stop.Store(true)
					return
				}
				results[w] = append(results[w], done{time.Now(), time.Since(t0)})
			}
		}()
	}
	from := began.Add(flowWarmup)
	time.Sleep(flowWarmup + flowTime)
	cpu1, cpu0 := cpuNow(), <-cpuFrom
	servers, client := cpu1.servers-cpu0.servers, cpu1.client-cpu0.client
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	to := from.Add(flowTime)
	var took []time.Duration
	total := 0
	last := from
	for _, rs := range results {
		total += len(rs)
		for _, r := range rs {
			if !r.at.Before(from) && r.at.Before(to) {
				took = append(took, r.took)
				last = maxTime(last, r.at)
			}
		}
	}
	window := flowTime
	if next.Load() >= int64(members) { // ran out of members early
		window = last.Sub(from)
	}
	slices.Sort(took)
	rate := float64(len(took)) / window.Seconds()
	orders := 0
	for _, k := range kefus {
		n, err := ordersIssued(k.addr)
		if err != nil {
			b.Fatal(err)
		}
		orders += n
	}
	if orders != total {
		b.Fatalf("%d flows completed, but the servers count %d work orders", total, orders)
	}
	b.Logf("%d flows (%d measured) at %.0f/s; a flow takes p50 %v, p99 %v", total, len(took), rate,
		Percentile(took, 0.5), Percentile(took, 0.99))
	b.ReportMetric(1e9/rate, "ns/op")
	b.ReportMetric(rate, "flows/s")
	b.ReportMetric(ms(Percentile(took, 0.5)), "p50-ms/flow")
	b.ReportMetric(ms(Percentile(took, 0.99)), "p99-ms/flow")
	b.ReportMetric(float64(orders), "orders")
	if n := float64(len(took)); n > 0 && servers > 0 {
		b.ReportMetric(float64(servers)/n/float64(time.Microsecond), "server-cpu-µs/flow")
		b.ReportMetric(float64(client)/n/float64(time.Microsecond), "client-cpu-µs/flow")
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// flowFrame is a server frame as the flow reads it.
type flowFrame struct {
	Type, Code, Message, From, Text string
	Buttons                         []struct{ Label, Value string }
}

func (f flowFrame) button(prefix string) (string, bool) {
	for _, b := range f.Buttons {
		if strings.HasPrefix(b.Value, prefix) {
			return b.Value, true
		}
	}
	return "", false
}

var (
	codeRE   = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)
	numberRE = regexp.MustCompile(`WO\d{15}`)
)

// cancelFlow cancels the i-th --demo-extra member's membership and returns
// the work-order number.
func cancelFlow(url string, i int) (string, error) {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return "", err
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	send := func(v map[string]string) error { return ws.WriteJSON(v) }
	text := func(s string) error { return send(map[string]string{"type": "text", "text": s}) }
	press := func(v string) error { return send(map[string]string{"type": "button", "value": v}) }
	until := func(what string, ok func(flowFrame) bool) (flowFrame, error) {
		for {
			var f flowFrame
			if err := ws.ReadJSON(&f); err != nil {
				return f, fmt.Errorf("awaiting %s: %w", what, err)
			}
			if f.Type == "error" {
				return f, fmt.Errorf("awaiting %s: error frame %s: %s", what, f.Code, f.Message)
			}
			if f.Type == "message" && ok(f) {
				return f, nil
			}
		}
	}
	fromBot := func(f flowFrame) bool { return f.From == "bot" }
	withButton := func(prefix string) func(flowFrame) bool {
		return func(f flowFrame) bool { _, ok := f.button(prefix); return fromBot(f) && ok }
	}

	if err := send(map[string]string{"type": "hello", "lang": "zh-CN", "start": string(dialog.IntentCancelMembership)}); err != nil {
		return "", err
	}
	if _, err := until("the question for the account", fromBot); err != nil {
		return "", err
	}
	if err := text(strconv.Itoa(15000000000 + i)); err != nil {
		return "", err
	}
	// The code goes out by SMS at once: the bot says so (offering email
	// instead) and the demo shows the code, in either order.
	var code string
	sent := false
	if _, err := until("the code sent and the demo code", func(f flowFrame) bool {
		if c := codeRE.FindStringSubmatch(f.Text); f.From == "system" && c != nil {
			code = c[1]
		}
		sent = sent || withButton("method:email")(f)
		return code != "" && sent
	}); err != nil {
		return "", err
	}
	if err := text(code); err != nil {
		return "", err
	}
	if _, err := until("the options", withButton("opt:cancel_now")); err != nil {
		return "", err
	}
	if err := press("opt:cancel_now"); err != nil {
		return "", err
	}
	f, err := until("the confirmation", withButton("confirm:"))
	if err != nil {
		return "", err
	}
	confirm, _ := f.button("confirm:")
	if err := press(confirm); err != nil {
		return "", err
	}
	if f, err = until("the receipt", func(f flowFrame) bool { return fromBot(f) && numberRE.MatchString(f.Text) }); err != nil {
		return "", err
	}
	number := numberRE.FindString(f.Text)
	if _, err := dialog.ParseNumber(number); err != nil {
		return "", fmt.Errorf("receipt's work-order number %s: %w", number, err)
	}
	if order, _ := f.button("order:"); order != "order:"+number {
		return "", fmt.Errorf("receipt of %s with button %q", number, order)
	}
	// The reason is asked after the receipt, optional: the member leaves it.
	if _, err := until("the question for the reason", withButton("reason:price")); err != nil {
		return "", err
	}
	return number, nil
}

// ordersIssued reads kefu_work_orders_total{kind="cancel_now"} from
// /metrics.
func ordersIssued(addr string) (int, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `kefu_work_orders_total{kind="cancel_now"} `); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int(f), err
		}
	}
	return 0, sc.Err()
}
