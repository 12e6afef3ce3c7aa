package bot

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// retentionEnv is a demo runtime on a settable clock that keeps the codes
// it sends.
type retentionEnv struct {
	t    *testing.T
	rt   *Runtime
	sent *notices
	*kefutest.Clock
}

func newRetentionEnv(t *testing.T, ret Retention) *retentionEnv {
	t.Helper()
	e := &retentionEnv{t: t, sent: &notices{}, Clock: kefutest.NewClock(testNow)}
	rt, err := Open(Config{
		DataDir: t.TempDir(), Demo: true, DemoExtra: 3, Location: shanghai, Log: quietLog,
		Notifier: e.sent, Now: e.Now, Retention: ret,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	e.rt = rt
	return e
}

// conversation starts a conversation and says lines in it.
func (e *retentionEnv) conversation(user string, lines ...string) string {
	e.t.Helper()
	ctx := context.Background()
	id, _, err := e.rt.Resolve(ctx, "test", user)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.rt.Start(ctx, id, dialog.ZH, ""); err != nil {
		e.t.Fatal(err)
	}
	for _, l := range lines {
		e.handle(id, l)
	}
	return id
}

// handle sends a line; "button:v" presses the button with value v.
func (e *retentionEnv) handle(id, line string) {
	e.t.Helper()
	kind, text := dialog.InputText, line
	if v, ok := strings.CutPrefix(line, "button:"); ok {
		kind, text = dialog.InputButton, v
	}
	if err := e.rt.Handle(context.Background(), id, kind, text, dialog.ZH); err != nil {
		e.t.Fatal(err)
	}
}

var orderNumberRE = regexp.MustCompile(`WO\d{15}`)

// cancel runs a whole don't-renew flow for phone and returns the order's
// number.
func (e *retentionEnv) cancel(user, phone string) (conv, number string) {
	e.t.Helper()
	id := e.conversation(user, "我要取消会员", phone)
	ns := e.sent.list()
	e.handle(id, ns[len(ns)-1].Code)
	e.handle(id, "button:opt:no_renew")
	h, err := e.rt.History(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range h[len(h)-1].Buttons {
		if strings.HasPrefix(b.Value, "confirm:") {
			e.handle(id, "button:"+b.Value)
		}
	}
	if h, err = e.rt.History(context.Background(), id); err != nil {
		e.t.Fatal(err)
	}
	number = orderNumberRE.FindString(h[len(h)-2].Text) // the receipt, then the optional reason question
	if number == "" {
		e.t.Fatalf("no receipt at the end of the flow: %q", h[len(h)-1].Text)
	}
	return id, number
}

// keysMentioning lists the keys of db whose key or value contains s.
func keysMentioning(t *testing.T, db store.DB, s string) []string {
	t.Helper()
	var out []string
	err := db.View(context.Background(), func(txn store.Txn) error {
		return txn.Scan(nil, store.ScanOptions{}, func(k, v []byte) error {
			if bytes.Contains(k, []byte(s)) || bytes.Contains(v, []byte(s)) {
				out = append(out, string(k))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Transcripts go a retention period after the conversation's last message,
// with everything that names the conversation; newer ones, those a person
// is waiting on and those a channel watches stay. Work orders go their own
// (longer) period after creation, with their indexes.
func TestRetentionExpiresOldRecords(t *testing.T) {
	ret := Retention{Transcripts: 30 * 24 * time.Hour, Orders: 90 * 24 * time.Hour}
	e := newRetentionEnv(t, Retention{}) // no background sweep: the test sweeps
	ctx := context.Background()

	oldConv, number := e.cancel("old", "15000000000")
	if _, err := e.rt.Handoffs().AddNote(ctx, oldConv, "alice", "已回电"); err != nil { // notes go with the transcript
		t.Fatal(err)
	}
	waiting := e.conversation("waiting", "转人工")
	watched := e.conversation("watched", "你好")
	unsubscribe, err := e.rt.Subscribe(watched, func(Message) {})
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(20 * 24 * time.Hour)
	recent := e.conversation("recent", "你好")
	e.Advance(11 * 24 * time.Hour) // 31 days after the first ones, 11 after recent

	n, err := e.rt.Expire(ctx, ret)
	if err != nil || n.Conversations != 1 || n.WorkOrders != 0 {
		t.Fatalf("first sweep = %+v, %v; want the one old conversation and no order", n, err)
	}
	if _, found, _ := e.rt.Lookup(ctx, "test", "old"); found {
		t.Error("the expired conversation's address still leads somewhere")
	}
	if _, err := e.rt.Conversation(ctx, oldConv); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired conversation: %v, want ErrNotFound", err)
	}
	if h, err := e.rt.History(ctx, oldConv); err != nil || len(h) != 0 {
		t.Errorf("expired transcript: %d messages, %v", len(h), err)
	}
	if keys := keysMentioning(t, e.rt.state, oldConv); len(keys) != 0 {
		t.Errorf("state still names the expired conversation: %q", keys)
	}
	for _, id := range []string{waiting, watched, recent} {
		if h, err := e.rt.History(ctx, id); err != nil || len(h) == 0 {
			t.Errorf("conversation %s lost its transcript (%v)", id, err)
		}
	}
	if _, found, err := e.rt.WorkOrders().Get(ctx, number); !found || err != nil {
		t.Fatalf("order %s expired with its conversation: found=%v err=%v", number, found, err)
	}

	// The member comes back under the same address: a new conversation.
	again, created, err := e.rt.Resolve(ctx, "test", "old")
	if err != nil || !created || again == oldConv {
		t.Fatalf("returning member: %s created=%v err=%v", again, created, err)
	}

	unsubscribe()
	e.Advance(60 * 24 * time.Hour) // 91 days after the order
	n, err = e.rt.Expire(ctx, ret)
	// The cancellation and the waiting member's callback; the conversations
	// watched, recent and again, not the waiting one.
	if err != nil || n.WorkOrders != 2 || n.Conversations != 3 {
		t.Fatalf("second sweep = %+v, %v; want 2 orders and 3 conversations", n, err)
	}
	if _, found, err := e.rt.WorkOrders().Get(ctx, number); found || err != nil {
		t.Errorf("order %s after its retention: found=%v err=%v", number, found, err)
	}
	if os, err := e.rt.WorkOrders().Since(ctx, testNow.Add(-time.Hour)); err != nil || len(os) != 0 {
		t.Errorf("orders listed after the sweep: %+v, %v; want none", os, err)
	}
	if os, err := e.rt.WorkOrders().ByMember(ctx, "m-x0"); err != nil || len(os) != 0 {
		t.Errorf("member's orders after the sweep: %+v, %v", os, err)
	}
	if keys := keysMentioning(t, e.rt.ledger, number); len(keys) != 0 {
		t.Errorf("ledger still names order %s: %q", number, keys)
	}
	if h, err := e.rt.History(ctx, waiting); err != nil || len(h) == 0 {
		t.Errorf("the waiting member's conversation went (%v)", err)
	}

	// The day's sequence stays, so its numbers are never issued again.
	if keys := keysMentioning(t, e.rt.ledger, "seq/"+orderSeqName+number[2:10]); len(keys) != 1 {
		t.Errorf("sequence of %s after the sweep: %q", number[2:10], keys)
	}
}

// A long transcript goes in several transactions.
func TestRetentionLongTranscript(t *testing.T) {
	e := newRetentionEnv(t, Retention{})
	id := e.conversation("chatty")
	for range sweepChunk / 2 { // two messages each: echo and reply
		e.handle(id, "你好")
	}
	for range 3 { // and agents' notes, past the first transaction's chunk
		if _, err := e.rt.Handoffs().AddNote(context.Background(), id, "alice", "备注"); err != nil {
			t.Fatal(err)
		}
	}
	e.Advance(2 * time.Hour)
	n, err := e.rt.Expire(context.Background(), Retention{Transcripts: time.Hour})
	if err != nil || n.Conversations != 1 {
		t.Fatalf("sweep = %+v, %v", n, err)
	}
	if keys := keysMentioning(t, e.rt.state, id); len(keys) != 0 {
		t.Fatalf("%d keys of the conversation left", len(keys))
	}
}

// With retention configured, the runtime sweeps by itself.
func TestRetentionSweepsInTheBackground(t *testing.T) {
	rt, err := Open(Config{
		DataDir: t.TempDir(), Demo: true, Location: shanghai, Log: quietLog, Notifier: &notices{},
		Retention: Retention{Transcripts: 100 * time.Millisecond, Orders: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	id, _, err := rt.Resolve(ctx, "test", "brief")
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Handle(ctx, id, dialog.InputText, "你好", dialog.ZH); err != nil {
		t.Fatal(err)
	}
	o, err := rt.WorkOrders().Execute(ctx, dialog.OrderRequest{Key: "brief/callback", Kind: dialog.KindCallback, Conv: id, Channel: "test", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	kefutest.Eventually(t, 10*time.Second, "the conversation and its order to be swept", func() bool {
		_, convFound, err1 := rt.Lookup(ctx, "test", "brief")
		_, orderFound, err2 := rt.WorkOrders().Get(ctx, o.Number)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		return !convFound && !orderFound
	})
}
