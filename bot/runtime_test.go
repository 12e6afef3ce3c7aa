package bot_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// codes records the verification codes kefu sends, per destination.
type codes struct {
	mu   sync.Mutex
	last map[string]string
}

func (c *codes) Notify(ctx context.Context, n bot.Notice) error {
	if n.Kind == "code" {
		c.mu.Lock()
		c.last[n.To] = n.Code
		c.mu.Unlock()
	}
	return nil
}

func (c *codes) get(to string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[to]
}

type env struct {
	t     *testing.T
	dir   string
	rt    *bot.Runtime
	codes *codes
	// clock is read by the runtime's goroutines (the courier) while the
	// test moves it.
	clockMu sync.Mutex
	clock   time.Time
}

func (e *env) now() time.Time {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	return e.clock
}

func (e *env) advance(d time.Duration) {
	e.clockMu.Lock()
	e.clock = e.clock.Add(d)
	e.clockMu.Unlock()
}

func openEnv(t *testing.T, dir string) *env {
	t.Helper()
	e := &env{t: t, dir: dir, codes: &codes{last: map[string]string{}}, clock: time.Date(2026, 11, 24, 9, 0, 0, 0, shanghai)}
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	rt, err := bot.Open(bot.Config{
		DataDir: e.dir, Demo: true, Location: shanghai, Notifier: e.codes,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: e.now,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt = rt
}

func (e *env) close() {
	e.t.Helper()
	if err := e.rt.Close(); err != nil {
		e.t.Fatal(err)
	}
}

// send runs one member message and returns the bot's and system's replies.
func (e *env) send(id string, kind dialog.InputKind, text string) []bot.Message {
	e.t.Helper()
	var got []bot.Message
	var mu sync.Mutex
	unsub, err := e.rt.Subscribe(id, func(m bot.Message) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	defer unsub()
	e.advance(time.Second)
	if err := e.rt.Handle(context.Background(), id, kind, text, dialog.ZH); err != nil {
		e.t.Fatalf("handle %q: %v", text, err)
	}
	e.rt.WorkOrders().WaitReceipts() // a demo receipt is posted after the turn
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || got[0].From != bot.FromMember {
		e.e("no member echo for %q: %+v", text, got)
	}
	return got[1:]
}

func (e *env) e(format string, args ...any) { e.t.Helper(); e.t.Fatalf(format, args...) }

var numberRE = regexp.MustCompile(`WO\d{15}`)

// TestRestartResumesMidFlow: a conversation stopped at the options resumes
// there after the store is closed and reopened, and work-order numbers
// continue without duplicates.
func TestRestartResumesMidFlow(t *testing.T) {
	dir := t.TempDir()
	e := openEnv(t, dir)
	ctx := context.Background()
	id, created, err := e.rt.Resolve(ctx, "test", "alice")
	if err != nil || !created {
		t.Fatalf("resolve: %v %v", created, err)
	}
	e.send(id, dialog.InputText, "我要取消会员")
	sent := e.send(id, dialog.InputText, "13800138000") // the code goes out at once
	if !strings.Contains(sent[len(sent)-1].Text, "演示") || !strings.Contains(sent[len(sent)-1].Text, e.codes.get("13800138000")) {
		t.Fatalf("demo code message missing: %+v", sent)
	}
	opts := e.send(id, dialog.InputText, e.codes.get("13800138000"))
	if !strings.Contains(opts[len(opts)-1].Text, "立即取消") {
		t.Fatalf("options not shown: %+v", opts)
	}
	e.close()

	e.open()
	defer e.close()
	again, created, err := e.rt.Resolve(ctx, "test", "alice")
	if err != nil || created || again != id {
		t.Fatalf("after restart: %q created=%v %v, want %q", again, created, err, id)
	}
	c, err := e.rt.Conversation(ctx, id)
	if err != nil || c.State.Step != dialog.StepOptions {
		t.Fatalf("state after restart: %+v %v", c.State, err)
	}
	e.send(id, dialog.InputButton, "opt:cancel_now")
	receipt := e.send(id, dialog.InputButton, "confirm:1")
	first := numberRE.FindString(receipt[0].Text)
	if first == "" {
		t.Fatalf("no work-order number in %q", receipt[0].Text)
	}
	if o, found, err := e.rt.WorkOrders().Get(ctx, first); err != nil || !found || o.Kind != dialog.KindCancelNow {
		t.Fatalf("order %s: %+v %v %v", first, o, found, err)
	}
	// Pressing confirm again (a reconnect, a double click) repeats the same receipt.
	dup := e.send(id, dialog.InputButton, "confirm:1")
	if got := numberRE.FindString(dup[0].Text); got != first {
		t.Fatalf("second confirm gave %q, want %q", got, first)
	}
	hist, err := e.rt.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var members int
	for i, m := range hist {
		if m.ID == "" || (i > 0 && m.ID == hist[i-1].ID) {
			t.Fatalf("message %d has id %q", i, m.ID)
		}
		if m.From == bot.FromMember {
			members++
		}
	}
	if members != 6 {
		t.Fatalf("history has %d member messages, want 6:\n%+v", members, hist)
	}

	// A second member after the restart gets the next number.
	other, _, _ := e.rt.Resolve(ctx, "test", "bob")
	e.send(other, dialog.InputText, "不续费了")
	e.send(other, dialog.InputText, "13900139000")
	e.send(other, dialog.InputText, e.codes.get("13900139000")) // 不续费了: straight to confirming
	second := numberRE.FindString(e.send(other, dialog.InputText, "确认")[0].Text)
	if second == "" || second == first {
		t.Fatalf("second order %q after %q", second, first)
	}
	if second[:10] != first[:10] || second[10:16] <= first[10:16] {
		t.Fatalf("sequence did not continue: %s then %s", first, second)
	}
}

func TestHandoffRecordsOneCallback(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	id, _, _ := e.rt.Resolve(context.Background(), "test", "carol")
	first := numberRE.FindString(texts(e.send(id, dialog.InputText, "转人工")))
	second := numberRE.FindString(texts(e.send(id, dialog.InputText, "人工客服")))
	if first == "" || first != second {
		t.Fatalf("callback numbers %q and %q, want one", first, second)
	}
	o, found, err := e.rt.WorkOrders().Get(context.Background(), first)
	if err != nil || !found || o.Kind != dialog.KindCallback || o.Conv != id {
		t.Fatalf("callback order: %+v %v %v", o, found, err)
	}
	c, _ := e.rt.Conversation(context.Background(), id)
	if c.Status != bot.ConvWaiting {
		t.Fatalf("status %q, want waiting", c.Status)
	}
	e.send(id, dialog.InputText, "算了")
	if c, _ := e.rt.Conversation(context.Background(), id); c.Status != bot.ConvBot {
		t.Fatalf("after withdrawing: %q", c.Status)
	}
}

func TestLongMessageStoredTruncated(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	id, _, _ := e.rt.Resolve(context.Background(), "test", "dave")
	err := e.rt.Handle(context.Background(), id, dialog.InputText, strings.Repeat("长", 10000), dialog.ZH)
	if !errors.Is(err, bot.ErrTooLong) {
		t.Fatalf("handle a long message: %v, want ErrTooLong", err)
	}
	hist, _ := e.rt.History(context.Background(), id)
	if n := len([]rune(hist[0].Text)); n > 2001 {
		t.Fatalf("stored %d characters", n)
	}
	if len(hist) != 2 || !strings.Contains(hist[1].Text, "2000") {
		t.Fatalf("reply to a long message: %+v", hist[1:])
	}
}

func texts(ms []bot.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Text)
		b.WriteByte('\n')
	}
	return b.String()
}
