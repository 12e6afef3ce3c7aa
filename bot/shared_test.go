package bot_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/postgrestest"
	"github.com/kefu-dev/kefu/store/pgstore"
)

func TestMain(m *testing.M) { os.Exit(postgrestest.Run(m)) }

// openShared opens n runtimes ("instances") on one new PostgreSQL
// database, with the demo members and a shared code book.
func openShared(t testing.TB, n int, extra ...int) ([]*bot.Runtime, *codes) {
	t.Helper()
	url := postgrestest.NewDatabase(t)
	cs := &codes{last: map[string]string{}}
	var rts []*bot.Runtime
	for i := range n {
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{Log: slog.New(slog.DiscardHandler), AppName: "kefu-" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := bot.Open(bot.Config{Store: st, Demo: true, DemoExtra: sum(extra), Location: shanghai, Notifier: cs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close() })
		rts = append(rts, rt)
	}
	return rts, cs
}

// inbox collects what a subscription delivers.
type inbox struct {
	mu   sync.Mutex
	msgs []bot.Message
	more chan struct{}
}

func subscribe(t *testing.T, rt *bot.Runtime, id string) *inbox {
	t.Helper()
	in := &inbox{more: make(chan struct{}, 1000)}
	unsub, err := rt.Subscribe(id, func(m bot.Message) {
		in.mu.Lock()
		in.msgs = append(in.msgs, m)
		in.mu.Unlock()
		in.more <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsub)
	return in
}

// await waits for a message matching ok.
func (in *inbox) await(t *testing.T, what string, ok func(bot.Message) bool) bot.Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for seen := 0; ; {
		in.mu.Lock()
		msgs := in.msgs[seen:]
		seen = len(in.msgs)
		in.mu.Unlock()
		for _, m := range msgs {
			if ok(m) {
				return m
			}
		}
		select {
		case <-in.more:
		case <-deadline:
			t.Fatalf("never got %s", what)
		}
	}
}

// A member on instance A, an agent on instance B: the member's request
// reaches B's queue, B's claim silences A's bot, each sees the other's
// messages live, and the release gives the member back to the bot.
func TestMemberOnOneInstanceAgentOnAnother(t *testing.T) {
	rts, _ := openShared(t, 2)
	a, b := rts[0], rts[1]
	ctx := context.Background()
	offline := b.Handoffs().AgentOnline("alice")
	defer offline()
	if !a.Handoffs().AgentsAvailable(context.Background()) {
		t.Fatal("instance A does not see the agent online on B")
	}
	queued := make(chan bot.Conversation, 10)
	defer b.Handoffs().Watch(func(c bot.Conversation) { queued <- c })()

	id, _, _ := a.Resolve(ctx, "test", "member")
	member := subscribe(t, a, id)
	if err := a.Handle(ctx, id, dialog.InputText, "转人工", dialog.ZH); err != nil {
		t.Fatal(err)
	}
	var c bot.Conversation
	for c.ID != id || c.Status != bot.ConvWaiting {
		select {
		case c = <-queued:
		case <-time.After(10 * time.Second):
			t.Fatal("B's console never saw the member waiting")
		}
	}
	if pos := b.Handoffs().QueuePosition(id); pos != 1 {
		t.Fatalf("B's queue position %d", pos)
	}
	agent := subscribe(t, b, id)
	c, err := b.Handoffs().Claim(ctx, id, "alice", c.Version)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Handoffs().Claim(ctx, id, "bob", c.Version-1); err == nil {
		t.Fatal("a stale claim on A succeeded")
	}
	if _, err := b.Handoffs().AgentMessage(ctx, id, "alice", c.Version, "您好，我是客服小李"); err != nil {
		t.Fatal(err)
	}
	member.await(t, "the agent's reply on A", func(m bot.Message) bool { return m.From == bot.FromAgent && strings.Contains(m.Text, "小李") })
	before := len(member.msgs)
	if err := a.Handle(ctx, id, dialog.InputText, "我要取消会员", dialog.ZH); err != nil {
		t.Fatal(err)
	}
	agent.await(t, "the member's words on B", func(m bot.Message) bool { return m.From == bot.FromMember && m.Text == "我要取消会员" })
	member.mu.Lock()
	for _, m := range member.msgs[before:] {
		if m.From == bot.FromBot {
			t.Errorf("the bot answered while B's agent held the conversation: %q", m.Text)
		}
	}
	member.mu.Unlock()
	if _, err := b.Handoffs().Release(ctx, id, "alice", c.Version); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Conversation(ctx, id); got.Status != bot.ConvBot {
		t.Fatalf("after the release A sees status %s", got.Status)
	}
	if err := a.Handle(ctx, id, dialog.InputText, "你好", dialog.ZH); err != nil {
		t.Fatal(err)
	}
	member.await(t, "the bot again", func(m bot.Message) bool { return m.From == bot.FromBot })
}

// Confirmations on two instances at once: every request gets its own
// number, none is issued twice, and one request confirmed on both instances
// (a double click landing on each) is one order.
func TestConcurrentConfirmationsAcrossInstances(t *testing.T) {
	rts, _ := openShared(t, 2)
	ctx := context.Background()
	const requests = 40
	type result struct {
		key, number string
		err         error
	}
	results := make(chan result, 2*requests)
	var wg sync.WaitGroup
	for i := range requests {
		for _, rt := range rts { // the same request on both instances
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := "c" + strconv.Itoa(i) + "/flow/1/no_renew"
				o, err := rt.WorkOrders().Execute(ctx, dialog.OrderRequest{
					Key: key, Kind: dialog.KindNoRenew, MemberID: "m-demo", Channel: "test", Conv: "c" + strconv.Itoa(i), Executor: "bot", At: time.Now(),
				})
				results <- result{key, o.Number, err}
			}()
		}
	}
	wg.Wait()
	close(results)
	byKey, byNumber := map[string]string{}, map[string]string{}
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if _, err := dialog.ParseNumber(r.number); err != nil {
			t.Fatalf("number %q: %v", r.number, err)
		}
		if n, ok := byKey[r.key]; ok && n != r.number {
			t.Fatalf("request %s got two orders: %s and %s", r.key, n, r.number)
		}
		if k, ok := byNumber[r.number]; ok && k != r.key {
			t.Fatalf("number %s issued for %s and %s", r.number, k, r.key)
		}
		byKey[r.key], byNumber[r.number] = r.number, r.key
	}
	if len(byNumber) != requests {
		t.Fatalf("%d orders for %d requests", len(byNumber), requests)
	}
	orders, err := rts[1].WorkOrders().ByMember(ctx, "m-demo")
	if err != nil || len(orders) != requests {
		t.Fatalf("the ledger holds %d orders, want %d (%v)", len(orders), requests, err)
	}
}

// BenchmarkWorkOrdersPostgres: durable work orders from 64 writers spread
// over one or two instances on one PostgreSQL.
func BenchmarkWorkOrdersPostgres(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run("instances="+strconv.Itoa(n), func(b *testing.B) {
			const members = 5000
			rts, _ := openShared(b, n, members)
			ctx := context.Background()
			var next atomic.Int64
			b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					rt := rts[int(i)%len(rts)]
					_, err := rt.WorkOrders().Execute(ctx, dialog.OrderRequest{
						Key: "bench-" + strconv.FormatInt(i, 10), Kind: dialog.KindNoRenew, MemberID: "m-x" + strconv.FormatInt(i%members, 10),
						Channel: "web", Conv: "bench", Executor: "bot", At: time.Now(),
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
		})
	}
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// BenchmarkTurnPostgres is BenchmarkTurnPersisted on one instance on
// PostgreSQL: each turn takes the conversation's lock, reads it, writes it
// and announces it.
func BenchmarkTurnPostgres(b *testing.B) {
	rts, _ := openShared(b, 1)
	rt := rts[0]
	inputs := []string{"我要取消会员", "退款政策是什么", "算了", "what can you do"}
	var workers atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		id, _, err := rt.Resolve(ctx, "bench", strconv.FormatInt(workers.Add(1), 10))
		if err != nil {
			b.Error(err)
			return
		}
		for i := 0; pb.Next(); i++ {
			if err := rt.Handle(ctx, id, dialog.InputText, inputs[i%len(inputs)], dialog.ZH); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
}

// What the reports count is stored with the conversations, so every
// instance on one database counts the same: a member keeps the membership
// on A, another asks for a person on B, is claimed and closed on A, and
// rates the agent on B.
func TestTalliesAgreeAcrossInstances(t *testing.T) {
	rts, cs := openShared(t, 2)
	a, b := rts[0], rts[1]
	ctx := context.Background()
	say := func(rt *bot.Runtime, id string, kind dialog.InputKind, text string) {
		t.Helper()
		if err := rt.Handle(ctx, id, kind, text, dialog.ZH); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	keeper, _, _ := a.Resolve(ctx, "test", "keeper")
	say(a, keeper, dialog.InputText, "我要取消会员")
	say(a, keeper, dialog.InputText, "13800138000")
	say(a, keeper, dialog.InputText, cs.get("13800138000"))
	say(a, keeper, dialog.InputText, "算了，不取消了")

	waiter, _, _ := b.Resolve(ctx, "test", "waiter")
	say(b, waiter, dialog.InputText, "转人工")
	if _, err := a.Handoffs().Claim(ctx, waiter, "alice", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Handoffs().CloseConversation(ctx, waiter, "alice", 0); err != nil {
		t.Fatal(err)
	}
	say(b, waiter, dialog.InputButton, "csat:down")

	count := func(rt *bot.Runtime) map[string]int {
		t.Helper()
		got := map[string]int{}
		now := time.Now()
		err := rt.Tallies(ctx, now.AddDate(0, 0, -1), now.AddDate(0, 0, 1), func(_ time.Time, x bot.Tally) {
			got[x.Kind+map[bool]string{true: "+", false: ""}[x.Up]]++
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := map[string]int{bot.TallyKept: 1, bot.TallyHandoff: 1, bot.TallyClaimed: 1, bot.TallyCSAT: 1}
	for name, rt := range map[string]*bot.Runtime{"A": a, "B": b} {
		if got := count(rt); !maps.Equal(got, want) {
			t.Fatalf("instance %s counts %v, want %v", name, got, want)
		}
	}
	if c, _ := a.Conversation(ctx, waiter); c.CSAT != "down" {
		t.Fatalf("the conversation keeps csat %q, want down", c.CSAT)
	}
}

// A note added on one instance reaches the note watchers (agents'
// consoles) on every instance, a note longer than a bus payload too.
func TestNotesReachEveryInstance(t *testing.T) {
	rts, _ := openShared(t, 2)
	a, b := rts[0], rts[1]
	ctx := context.Background()
	id, _, _ := a.Resolve(ctx, "test", "noted")
	if err := a.Handle(ctx, id, dialog.InputText, "转人工", dialog.ZH); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		conv string
		note bot.Note
	}
	watch := func(rt *bot.Runtime) chan seen {
		ch := make(chan seen, 4)
		t.Cleanup(rt.Handoffs().WatchNotes(func(conv string, n bot.Note) { ch <- seen{conv, n} }))
		return ch
	}
	onA, onB := watch(a), watch(b)
	long := strings.Repeat("会员要求回电", 2000/6) // 6 000 bytes: more than a bus payload holds
	n, err := a.Handoffs().AddNote(ctx, id, "alice", long)
	if err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan seen{"A": onA, "B": onB} {
		select {
		case got := <-ch:
			if got.conv != id || got.note != n {
				t.Fatalf("instance %s saw %+v, want %+v on %s", name, got, n, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("instance %s never saw the note", name)
		}
	}
	if notes, err := b.Handoffs().Notes(ctx, id); err != nil || len(notes) != 1 || notes[0] != n {
		t.Fatalf("B lists %+v %v", notes, err)
	}
}
