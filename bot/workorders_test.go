package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// newTestBook returns a book on a fresh store with the demo members and
// extra synthetic ones, and the notices it sends.
func newTestBook(t testing.TB, extra int) (*WorkOrderBook, *DemoMembers, *notices) {
	t.Helper()
	s := openTestStore(t, t.TempDir())
	members := seededMembers(t, s, extra)
	sent := &notices{}
	b := NewWorkOrderBook(s, members, sent, shanghai)
	b.Log = quietLog
	t.Cleanup(func() { b.Close() })
	return b, members, sent
}

func cancelRequest(key, memberID string, at time.Time) dialog.OrderRequest {
	return dialog.OrderRequest{
		Key: key, Kind: dialog.KindCancelNow, MemberID: memberID,
		Channel: "web", Conv: "c-" + key, Reason: "too expensive", Executor: "bot", Lang: dialog.ZH, At: at,
	}
}

func TestExecuteCancelNow(t *testing.T) {
	ctx := context.Background()
	book, members, sent := newTestBook(t, 0)

	o, err := book.Execute(ctx, cancelRequest("k1", "m-demo", testNow))
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != dialog.FormatNumber(testNow, 1) {
		t.Errorf("first number = %s; want %s", o.Number, dialog.FormatNumber(testNow, 1))
	}
	if o.Kind != dialog.KindCancelNow || o.Status != "done" || o.MemberID != "m-demo" || o.RefundCents != 2000 ||
		!o.EffectiveAt.Equal(testNow) || o.AutoRenew || o.Executor != "bot" || o.Channel != "web" ||
		o.Conv != "c-k1" || o.Reason != "too expensive" || !o.CreatedAt.Equal(testNow) || o.Key != "k1" {
		t.Errorf("order = %+v", o)
	}
	if m, _, _ := members.Get(ctx, "m-demo"); m.Status != dialog.StatusCancelled {
		t.Errorf("member status = %s; want cancelled", m.Status)
	}

	got, found, err := book.Get(ctx, o.Number)
	if err != nil || !found {
		t.Fatalf("Get(%s) = %v, %v", o.Number, found, err)
	}
	if !sameOrder(got, o) {
		t.Errorf("Get = %+v\nwant %+v", got, o)
	}

	book.WaitReceipts()
	ns := sent.list()
	if len(ns) != 2 {
		t.Fatalf("%d notices; want 2 receipts: %+v", len(ns), ns)
	}
	wantTo := map[dialog.Method]string{dialog.MethodSMS: "13800138000", dialog.MethodEmail: "demo@example.com"}
	for _, n := range ns {
		if n.Kind != NoticeReceipt || n.To != wantTo[n.Method] || n.Order == nil || n.Order.Number != o.Number ||
			n.Lang != dialog.ZH || n.Conv != "c-k1" || n.Code != "" {
			t.Errorf("notice = %+v", n)
		}
		delete(wantTo, n.Method)
	}
}

// sameOrder compares orders field by field, times by instant.
func sameOrder(a, b dialog.WorkOrder) bool {
	ta := []time.Time{a.EffectiveAt, a.CreatedAt, a.UpdatedAt}
	tb := []time.Time{b.EffectiveAt, b.CreatedAt, b.UpdatedAt}
	for i := range ta {
		if !ta[i].Equal(tb[i]) {
			return false
		}
	}
	a.EffectiveAt, a.CreatedAt, a.UpdatedAt = time.Time{}, time.Time{}, time.Time{}
	b.EffectiveAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func TestExecuteIdempotent(t *testing.T) {
	ctx := context.Background()
	book, _, sent := newTestBook(t, 0)

	first, err := book.Execute(ctx, cancelRequest("k1", "m-demo", testNow))
	if err != nil {
		t.Fatal(err)
	}
	// A double click a second later: the one order, unchanged.
	again, err := book.Execute(ctx, cancelRequest("k1", "m-demo", testNow.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if !sameOrder(first, again) {
		t.Errorf("repeat = %+v\nwant %+v", again, first)
	}
	if orders, _ := book.ByMember(ctx, "m-demo"); len(orders) != 1 {
		t.Errorf("%d orders for m-demo; want 1", len(orders))
	}
	book.WaitReceipts()
	if n := len(sent.list()); n != 2 {
		t.Errorf("%d notices; want the 2 receipts of the first Execute", n)
	}
}

func TestExecuteSameKeyConcurrent(t *testing.T) {
	ctx := context.Background()
	book, _, sent := newTestBook(t, 0)

	const n = 64
	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, err := book.Execute(ctx, cancelRequest("same", "m-demo", testNow))
			numbers[i], errs[i] = o.Number, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Execute %d: %v", i, errs[i])
		}
		if numbers[i] != numbers[0] {
			t.Fatalf("Execute %d gave %s, Execute 0 gave %s", i, numbers[i], numbers[0])
		}
	}
	orders, err := book.Since(ctx, testNow.Add(-time.Hour))
	if err != nil || len(orders) != 1 {
		t.Errorf("Since = %d orders, %v; want 1", len(orders), err)
	}
	book.WaitReceipts()
	if got := len(sent.list()); got != 2 {
		t.Errorf("%d notices; want 2", got)
	}
}

func TestExecuteConcurrentDistinct(t *testing.T) {
	ctx := context.Background()
	const n = 64
	book, members, _ := newTestBook(t, n)

	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, err := book.Execute(ctx, cancelRequest(fmt.Sprint("k", i), fmt.Sprint("m-x", i), testNow))
			numbers[i], errs[i] = o.Number, err
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, number := range numbers {
		if errs[i] != nil {
			t.Fatalf("Execute %d: %v", i, errs[i])
		}
		seq := sequenceOf(t, number)
		if seen[seq] {
			t.Errorf("number %s issued twice", number)
		}
		seen[seq] = true
		if o, found, err := book.Get(ctx, number); err != nil || !found || o.MemberID != fmt.Sprint("m-x", i) {
			t.Errorf("Get(%s) = %s, %v, %v", number, o.MemberID, found, err)
		}
		if m, _, _ := members.Get(ctx, fmt.Sprint("m-x", i)); m.Status != dialog.StatusCancelled {
			t.Errorf("m-x%d not cancelled", i)
		}
	}
	for seq := 1; seq <= n; seq++ {
		if !seen[seq] {
			t.Errorf("sequence %d not issued; numbers should run 1…%d", seq, n)
		}
	}
}

func TestExecuteRefusals(t *testing.T) {
	ctx := context.Background()
	book, _, sent := newTestBook(t, 0)

	if _, err := book.Execute(ctx, cancelRequest("k1", "m-expired", testNow)); !errors.Is(err, ErrNotActive) {
		t.Errorf("cancel an expired membership: %v; want ErrNotActive", err)
	}
	if _, err := book.Execute(ctx, cancelRequest("k2", "m-nobody", testNow)); !errors.Is(err, ErrNoMember) {
		t.Errorf("cancel an unknown member: %v; want ErrNoMember", err)
	}
	for _, req := range []dialog.OrderRequest{
		{Kind: dialog.KindCancelNow, MemberID: "m-demo", At: testNow},                                           // no key
		{Key: "k3", Kind: "refund_everything", MemberID: "m-demo", At: testNow},                                 // unknown kind
		{Key: "k4", Kind: dialog.KindAgentAction, Action: dialog.KindCallback, MemberID: "m-demo", At: testNow}, // bad action
		{Key: "k5", Kind: dialog.KindNoRenew, At: testNow},                                                      // no member
	} {
		if _, err := book.Execute(ctx, req); err == nil {
			t.Errorf("Execute(%+v) succeeded", req)
		}
	}
	if orders, _ := book.Since(ctx, time.Time{}); len(orders) != 0 {
		t.Errorf("refused requests left %d orders", len(orders))
	}
	if got := len(sent.list()); got != 0 {
		t.Errorf("refused requests sent %d notices", got)
	}
}

func TestExecuteOtherKinds(t *testing.T) {
	ctx := context.Background()
	book, members, sent := newTestBook(t, 0)

	cb, err := book.Execute(ctx, dialog.OrderRequest{Key: "cb", Kind: dialog.KindCallback, Channel: "telegram", Conv: "c9", At: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if cb.Status != "open" || !cb.EffectiveAt.IsZero() || cb.RefundCents != 0 || cb.MemberID != "" {
		t.Errorf("callback = %+v", cb)
	}
	if got := len(sent.list()); got != 0 {
		t.Errorf("callback without a member sent %d notices", got)
	}

	agent, err := book.Execute(ctx, dialog.OrderRequest{
		Key: "ag", Kind: dialog.KindAgentAction, Action: dialog.KindNoRenew, MemberID: "m-annual",
		Executor: "alice", At: testNow.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := members.Get(ctx, "m-annual")
	if agent.Status != "done" || agent.Action != dialog.KindNoRenew || agent.Executor != "alice" ||
		!agent.EffectiveAt.Equal(m.PeriodEnd) || agent.AutoRenew || m.AutoRenew || m.Status != dialog.StatusActive {
		t.Errorf("agent action = %+v; member %+v", agent, m)
	}
	if sequenceOf(t, agent.Number) != 2 {
		t.Errorf("agent action number %s; want sequence 2", agent.Number)
	}
}

func TestReceiptFailureIsNotAnError(t *testing.T) {
	book, _, sent := newTestBook(t, 0)
	sent.err = errors.New("sms gateway down")
	o, err := book.Execute(context.Background(), cancelRequest("k", "m-demo", testNow))
	if err != nil || o.Number == "" {
		t.Fatalf("Execute with a failing notifier = %+v, %v", o, err)
	}
	book.WaitReceipts()
	if got := len(sent.list()); got != 2 {
		t.Errorf("%d delivery attempts; want 2", got)
	}
}

func TestNumbersPerDay(t *testing.T) {
	ctx := context.Background()
	book, _, _ := newTestBook(t, 10)
	day1 := time.Date(2026, 11, 24, 23, 59, 0, 0, shanghai)
	// 2026-11-24 16:30 UTC is already the 25th in Shanghai.
	day2 := time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC)
	day3 := day1.Add(48 * time.Hour)

	for i, c := range []struct {
		at   time.Time
		want string
	}{
		{day1, "WO20261124000001"},
		{day1, "WO20261124000002"},
		{day2, "WO20261125000001"},
		{day3, "WO20261126000001"}, // releases the 24th's sequence
		{day1, "WO20261124000003"}, // a straggler reopens it where it stopped
		{day2, "WO20261125000002"},
	} {
		req := dialog.OrderRequest{Key: fmt.Sprint("k", i), Kind: dialog.KindNoRenew, MemberID: fmt.Sprint("m-x", i), At: c.at}
		o, err := book.Execute(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if o.Number[:16] != c.want {
			t.Errorf("order %d at %v = %s; want %s…", i, c.at, o.Number, c.want)
		}
	}
}

func TestGet(t *testing.T) {
	ctx := context.Background()
	book, _, _ := newTestBook(t, 0)
	o, err := book.Execute(ctx, cancelRequest("k", "m-demo", testNow))
	if err != nil {
		t.Fatal(err)
	}
	typed := "wo-" + o.Number[2:10] + " " + o.Number[10:]
	if got, found, err := book.Get(ctx, typed); err != nil || !found || got.Number != o.Number {
		t.Errorf("Get(%q) = %s, %v, %v; want %s", typed, got.Number, found, err, o.Number)
	}
	unknown := dialog.FormatNumber(testNow, 999)
	if _, found, err := book.Get(ctx, unknown); err != nil || found {
		t.Errorf("Get(%s) = %v, %v; want not found", unknown, found, err)
	}
	wrong := o.Number[:16] + string('0'+(o.Number[16]-'0'+1)%10)
	if _, found, err := book.Get(ctx, wrong); !errors.Is(err, dialog.ErrCheckDigit) || found {
		t.Errorf("Get(%s) = %v, %v; want ErrCheckDigit", wrong, found, err)
	}
	if _, _, err := book.Get(ctx, "WO123"); !errors.Is(err, dialog.ErrNumberFormat) {
		t.Errorf("Get(WO123) = %v; want ErrNumberFormat", err)
	}
}

func TestSinceAndByMember(t *testing.T) {
	ctx := context.Background()
	book, _, _ := newTestBook(t, 0)
	at := func(min int) time.Time { return testNow.Add(time.Duration(min) * time.Minute) }
	var numbers []string
	for _, r := range []dialog.OrderRequest{
		{Key: "a", Kind: dialog.KindNoRenew, MemberID: "m-demo", At: at(0)},
		{Key: "b", Kind: dialog.KindCallback, MemberID: "m-annual", At: at(10)},
		{Key: "c", Kind: dialog.KindCallback, MemberID: "m-demo", At: at(20)},
		{Key: "d", Kind: dialog.KindCancelNow, MemberID: "m-demo", At: at(30)},
	} {
		o, err := book.Execute(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, o.Number)
	}

	since, err := book.Since(ctx, at(10))
	if err != nil {
		t.Fatal(err)
	}
	if got := orderNumbers(since); fmt.Sprint(got) != fmt.Sprint(numbers[1:]) {
		t.Errorf("Since(+10m) = %v; want %v", got, numbers[1:])
	}
	if since, _ := book.Since(ctx, at(31)); len(since) != 0 {
		t.Errorf("Since(after the last) = %v", orderNumbers(since))
	}

	mine, err := book.ByMember(ctx, "m-demo")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{numbers[0], numbers[2], numbers[3]}
	if got := orderNumbers(mine); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ByMember(m-demo) = %v; want %v", got, want)
	}
	// A callback records auto-renew as the member has it: off for m-demo
	// after its don't-renew order, on for m-annual.
	if mine[1].Kind != dialog.KindCallback || mine[1].Status != "open" || mine[1].AutoRenew {
		t.Errorf("callback for m-demo = %+v; want open, auto-renew off", mine[1])
	}
	if annual, _ := book.ByMember(ctx, "m-annual"); len(annual) != 1 || !annual[0].AutoRenew || annual[0].Status != "open" {
		t.Errorf("ByMember(m-annual) = %+v; want one open callback with auto-renew on", annual)
	}
	if none, _ := book.ByMember(ctx, "m-demo-"); len(none) != 0 {
		t.Errorf("ByMember of a prefix-sharing ID = %v", orderNumbers(none))
	}
}

func orderNumbers(orders []dialog.WorkOrder) []string {
	var out []string
	for _, o := range orders {
		out = append(out, o.Number)
	}
	return out
}

func TestRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	issue := func(book *WorkOrderBook, from, to int) []string {
		var numbers []string
		for i := from; i < to; i++ {
			o, err := book.Execute(ctx, dialog.OrderRequest{Key: fmt.Sprint("k", i), Kind: dialog.KindNoRenew, MemberID: fmt.Sprint("m-x", i), At: testNow})
			if err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, o.Number)
		}
		return numbers
	}

	s := openTestStore(t, dir)
	members := seededMembers(t, s, 40)
	book := NewWorkOrderBook(s, members, nil, shanghai)
	before := issue(book, 0, 10)
	if err := book.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := book.Execute(ctx, cancelRequest("late", "m-demo", testNow)); !errors.Is(err, ErrBookClosed) {
		t.Errorf("Execute after Close: %v; want ErrBookClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A clean restart continues the day's sequence without a gap.
	s = openTestStore(t, dir)
	members = NewDemoMembers(s.Ledger())
	if again, err := members.Seed(context.Background(), testNow, shanghai, 40); err != nil || again {
		t.Fatalf("Seed after restart = %v, %v", again, err)
	}
	book = NewWorkOrderBook(s, members, nil, shanghai)
	after := issue(book, 10, 20)
	if got, want := sequenceOf(t, after[0]), sequenceOf(t, before[9])+1; got != want {
		t.Errorf("first number after restart has sequence %d; want %d", got, want)
	}
	for _, n := range before {
		if o, found, err := book.Get(ctx, n); err != nil || !found || o.Number != n {
			t.Errorf("Get(%s) after restart = %v, %v", n, found, err)
		}
	}
	// The same key after the restart still yields its first order.
	if o, err := book.Execute(ctx, dialog.OrderRequest{Key: "k3", Kind: dialog.KindNoRenew, MemberID: "m-x3", At: testNow}); err != nil || o.Number != before[3] {
		t.Errorf("repeat of k3 after restart = %s, %v; want %s", o.Number, err, before[3])
	}

	// A crash (no Close, so no Release) skips the leased rest: gaps, never
	// duplicates.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, dir)
	book = NewWorkOrderBook(s, NewDemoMembers(s.Ledger()), nil, shanghai)
	crashed := issue(book, 20, 30)
	if got, last := sequenceOf(t, crashed[0]), sequenceOf(t, after[9]); got <= last {
		t.Errorf("after a crash: sequence %d does not follow %d", got, last)
	}
	seen := map[string]bool{}
	for _, n := range append(append(before, after...), crashed...) {
		if seen[n] {
			t.Errorf("number %s issued twice", n)
		}
		seen[n] = true
	}
	book.Close()
}

// benchBook is a book on a real store in a temporary directory, with
// members to act on.
func benchBook(b *testing.B, members int) *WorkOrderBook {
	s := openTestStore(b, b.TempDir())
	m := seededMembers(b, s, members)
	book := NewWorkOrderBook(s, m, NotifierFunc(func(context.Context, Notice) error { return nil }), shanghai)
	b.Cleanup(func() { book.Close() })
	return book
}

// benchRequest is a don't-renew order for the i-th member: don't-renew can
// be applied again and again, so any number of orders can run.
func benchRequest(i int64, members int) dialog.OrderRequest {
	return dialog.OrderRequest{
		Key: fmt.Sprint("bench-", i), Kind: dialog.KindNoRenew, MemberID: fmt.Sprint("m-x", i%int64(members)),
		Channel: "web", Conv: "bench", Executor: "bot", At: testNow,
	}
}

// BenchmarkWorkOrderSerial runs orders one after another. Chunks of orders
// alternate with as many fsyncs of a small append (the baseline the
// report compares with), so both are measured in the same seconds: this
// machine's disk changes speed by half from one minute to the next.
func BenchmarkWorkOrderSerial(b *testing.B) {
	const members, chunk = 1000, 25
	book := benchBook(b, members)
	disk := newFsyncer(b)
	ctx := context.Background()
	b.ResetTimer()
	var inOrders, inSyncs, syncCPU time.Duration
	syncs := 0
	cpu := processCPU(b)
	for i := 0; i < b.N; {
		t0 := time.Now()
		for end := min(b.N, i+chunk); i < end; i++ {
			if _, err := book.Execute(ctx, benchRequest(int64(i), members)); err != nil {
				b.Fatal(err)
			}
		}
		t1, c1 := time.Now(), processCPU(b)
		inOrders += t1.Sub(t0)
		for range chunk {
			disk.sync(b)
		}
		syncs += chunk
		inSyncs += time.Since(t1)
		syncCPU += processCPU(b) - c1
	}
	reportOrders(b, book, inOrders, cpu+syncCPU)
	b.ReportMetric(float64(syncs)/inSyncs.Seconds(), "fsyncs/s")
}

// processCPU is the CPU time this process has used so far, user and
// system, all goroutines (Badger's included).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportOrders reports the rate of b.N orders done in elapsed, and the
// process's CPU time per order since cpu (not counting what was spent on
// anything else), their receipts' first tries included: with every core
// busy, the rate cannot exceed cores / CPU per order.
func reportOrders(b *testing.B, book *WorkOrderBook, elapsed, cpu time.Duration) {
	book.WaitReceipts()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N)/float64(time.Microsecond), "cpu-µs/order")
}

func BenchmarkWorkOrderParallel64(b *testing.B) {
	const members = 10000
	book := benchBook(b, members)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start, cpu := time.Now(), processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := book.Execute(ctx, benchRequest(next.Add(1), members)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOrders(b, book, time.Since(start), cpu)
}

// fsyncer appends 100 bytes to a file and fsyncs it, in a temporary
// directory beside the benchmarks' stores: the durable-write baseline.
type fsyncer struct {
	f   *os.File
	buf []byte
}

func newFsyncer(b *testing.B) *fsyncer {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return &fsyncer{f: f, buf: make([]byte, 100)}
}

func (s *fsyncer) sync(b *testing.B) {
	if _, err := s.f.Write(s.buf); err != nil {
		b.Fatal(err)
	}
	if err := s.f.Sync(); err != nil {
		b.Fatal(err)
	}
}
