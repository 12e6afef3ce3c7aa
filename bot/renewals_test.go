package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/store"
)

const day = 24 * time.Hour

// reminderEnv is a demo runtime on a data directory that survives
// restarts, a settable clock, and a notifier that can refuse reminders.
type reminderEnv struct {
	t     *testing.T
	dir   string
	clock *kefutest.Clock
	rt    *Runtime
	cfg   func(*Config)

	mu         sync.Mutex
	sent       []Notice // accepted
	tried      int      // reminders offered, accepted or not
	refuse     bool     // refuse reminders
	duringSend func(Notice)
}

func newReminderEnv(t *testing.T, cfg func(*Config)) *reminderEnv {
	t.Helper()
	e := &reminderEnv{t: t, dir: t.TempDir(), clock: kefutest.NewClock(testNow), cfg: cfg}
	e.open()
	t.Cleanup(func() { e.rt.Close() })
	return e
}

func (e *reminderEnv) open() {
	e.t.Helper()
	c := Config{DataDir: e.dir, Demo: true, Location: shanghai, Log: quietLog, Now: e.clock.Now, Notifier: NotifierFunc(e.notify)}
	if e.cfg != nil {
		e.cfg(&c)
	}
	rt, err := Open(c)
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt = rt
}

func (e *reminderEnv) restart() {
	e.t.Helper()
	if err := e.rt.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *reminderEnv) notify(_ context.Context, n Notice) error {
	e.mu.Lock()
	during := e.duringSend
	if n.Kind == NoticeReminder {
		e.tried++
		if e.refuse {
			e.mu.Unlock()
			return errors.New("SMS gateway down")
		}
	}
	e.sent = append(e.sent, n)
	e.mu.Unlock()
	if during != nil && n.Kind == NoticeReminder {
		during(n)
	}
	return nil
}

func (e *reminderEnv) setRefuse(v bool) { e.mu.Lock(); e.refuse = v; e.mu.Unlock() }

func (e *reminderEnv) triedCount() int { e.mu.Lock(); defer e.mu.Unlock(); return e.tried }

// reminders lists the reminder notices accepted.
func (e *reminderEnv) reminders() []Notice {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Notice
	for _, n := range e.sent {
		if n.Kind == NoticeReminder {
			out = append(out, n)
		}
	}
	return out
}

func (e *reminderEnv) lastCode() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.sent) - 1; i >= 0; i-- {
		if e.sent[i].Kind == NoticeCode {
			return e.sent[i].Code
		}
	}
	e.t.Fatal("no code sent")
	return ""
}

func (e *reminderEnv) run() {
	e.t.Helper()
	if err := e.rt.Outbox().RunReminders(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *reminderEnv) say(conv string, kind dialog.InputKind, text string) Message {
	e.t.Helper()
	if err := e.rt.Handle(context.Background(), conv, kind, text, dialog.ZH); err != nil {
		e.t.Fatal(err)
	}
	h := e.history(conv)
	return h[len(h)-1]
}

func (e *reminderEnv) history(conv string) []Message {
	e.t.Helper()
	h, err := e.rt.History(context.Background(), conv)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// verified is a conversation in which phone verified by SMS and then left
// the flow: the member's newest conversation.
func (e *reminderEnv) verified(user, phone string) string {
	e.t.Helper()
	id, _, err := e.rt.Resolve(context.Background(), "test", user)
	if err != nil {
		e.t.Fatal(err)
	}
	e.say(id, dialog.InputText, "我要取消会员")
	e.say(id, dialog.InputText, phone)
	if got := e.say(id, dialog.InputText, e.lastCode()); !strings.Contains(got.Text, "自动续费") {
		e.t.Fatalf("not verified: %q", got.Text)
	}
	e.say(id, dialog.InputText, "算了")
	return id
}

// reminderMessages counts the reminders in a conversation.
func (e *reminderEnv) reminderMessages(conv string) (n int, last Message) {
	e.t.Helper()
	want := e.rt.render(dialog.ZH, "reminder_renewal", map[string]any{
		"Plan": dialog.Msg("plan_monthly_vip"), "PeriodEnd": testNow.Add(20 * day), "Price": dialog.Money(demoMonthly.PriceCents),
	})
	for _, m := range e.history(conv) {
		if m.From == FromBot && m.Text == want {
			n, last = n+1, m
		}
	}
	return n, last
}

// Five days before the renewal the member is reminded once, in the
// conversation where they verified and by SMS and email; restarts neither
// repeat it nor skip it; its button turns auto-renew off, verifying again
// because the verification lapsed long ago.
func TestReminderOnceAcrossRestarts(t *testing.T) {
	e := newReminderEnv(t, nil)
	conv := e.verified("a", "13800138000")
	e.run()
	if n := len(e.reminders()); n != 0 {
		t.Fatalf("%d reminders 20 days before the renewal", n)
	}
	e.clock.Advance(15*day - time.Minute) // a minute outside the lead
	e.run()
	if n := len(e.reminders()); n != 0 {
		t.Fatalf("%d reminders before the lead", n)
	}
	e.restart()
	e.clock.Advance(2 * time.Minute)
	e.run()
	got := e.reminders()
	if len(got) != 2 || got[0].Renewal == nil || got[0].Renewal.ID != "m-demo" || !got[0].Renewal.PeriodEnd.Equal(testNow.Add(20*day)) ||
		got[0].Conv != conv || got[0].Lang != dialog.ZH {
		t.Fatalf("reminders: %+v", got)
	}
	if to := []string{got[0].To, got[1].To}; to[0] != "13800138000" || to[1] != "demo@example.com" {
		t.Fatalf("reminded at %v", to)
	}
	n, msg := e.reminderMessages(conv)
	if n != 1 {
		t.Fatalf("%d reminders in the conversation, want 1", n)
	}
	var button string
	for _, b := range msg.Buttons {
		if b.Value == "intent:"+string(dialog.IntentTurnOffAutoRenew) {
			button = b.Value
		}
	}
	if button == "" {
		t.Fatalf("no turn-off button on %+v", msg)
	}

	for range 3 {
		e.restart()
		e.clock.Advance(time.Hour)
		e.run()
		if err := e.rt.Outbox().DeliverNotices(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.reminderMessages(conv); n != 1 || len(e.reminders()) != 2 {
		t.Fatalf("after restarts: %d in the conversation, %d notices", n, len(e.reminders()))
	}

	e.turnOffFromReminder(conv)
}

// turnOffFromReminder presses the reminder's button in conv, verifies
// again (the verification has lapsed) and confirms don't-renew.
func (e *reminderEnv) turnOffFromReminder(conv string) {
	e.t.Helper()
	if got := e.say(conv, dialog.InputButton, "intent:"+string(dialog.IntentTurnOffAutoRenew)); !strings.Contains(got.Text, "手机号") {
		e.t.Fatalf("the button without a fresh verification: %q, want the account asked", got.Text)
	}
	e.say(conv, dialog.InputText, "13800138000")
	for _, b := range e.say(conv, dialog.InputText, e.lastCode()).Buttons { // straight to confirming
		if strings.HasPrefix(b.Value, "confirm:") {
			e.say(conv, dialog.InputButton, b.Value)
		}
	}
	if m, _, err := e.rt.outbox.members.Get(context.Background(), "m-demo"); err != nil || m.AutoRenew {
		e.t.Fatalf("auto-renew still on (%v); the flow ended with %q", err, e.history(conv)[len(e.history(conv))-1].Text)
	}
}

// A member who was never reminded and is already inside the lead (kefu was
// down, or auto-renew went on late) is reminded at once; members with
// auto-renew off, expired or far from renewal are not; a member with no
// conversation gets the notices only.
func TestReminderInsideTheLead(t *testing.T) {
	e := newReminderEnv(t, nil)
	e.clock.Advance(18 * day) // two days before m-demo renews
	e.run()
	got := e.reminders()
	if len(got) != 2 {
		t.Fatalf("%d reminders, want m-demo's SMS and email: %+v", len(got), got)
	}
	for _, n := range got {
		if n.Renewal.ID != "m-demo" || n.Conv != "" {
			t.Fatalf("reminder %+v", n)
		}
	}
}

// Reminders off (a negative lead): nothing is sent.
func TestReminderOff(t *testing.T) {
	e := newReminderEnv(t, func(c *Config) { c.Reminders.Lead = -1 })
	e.clock.Advance(18 * day)
	e.run()
	if n := len(e.reminders()); n != 0 {
		t.Fatalf("%d reminders with reminders off", n)
	}
}

// A reminder whose notices failed is retried, but not once the member has
// turned auto-renew off (here, from the reminder itself): they are not
// told again that a renewal they stopped is coming.
func TestReminderRetryStopsWhenAutoRenewIsOff(t *testing.T) {
	e := newReminderEnv(t, nil)
	conv := e.verified("b", "13800138000")
	e.clock.Advance(16 * day)
	e.setRefuse(true)
	e.run()
	if e.triedCount() != 2 || len(e.reminders()) != 0 {
		t.Fatalf("%d tries, %d accepted", e.triedCount(), len(e.reminders()))
	}
	if n, _ := e.reminderMessages(conv); n != 1 {
		t.Fatalf("%d reminders in the conversation", n)
	}
	// The member turns auto-renew off from the reminder.
	e.setRefuse(false)
	e.turnOffFromReminder(conv)
	tried := e.triedCount()
	e.clock.Advance(time.Hour)
	if err := e.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.triedCount() != tried {
		t.Fatalf("the reminder was retried after auto-renew went off: %d notices", len(e.reminders()))
	}
	e.clock.Advance(time.Hour)
	pending, err := e.rt.outbox.pending.due(context.Background(), e.clock.Now())
	if err != nil || len(pending) != 0 {
		t.Fatalf("still pending: %+v %v", pending, err)
	}
}

// By the time the notices of a reminder go out, the chat message is
// recorded as posted in the Ledger: a stop while they are on their way does
// not post it again.
func TestReminderChatRecordedBeforeNotices(t *testing.T) {
	e := newReminderEnv(t, nil)
	conv := e.verified("c", "13800138000")
	e.clock.Advance(16 * day)
	var checked bool
	e.mu.Lock()
	e.duringSend = func(n Notice) {
		d := delivery{Kind: deliverReminder, Member: "m-demo", PeriodEnd: n.Renewal.PeriodEnd.Unix()}
		var stored delivery
		err := e.rt.ledger.View(context.Background(), func(txn store.Txn) error {
			_, err := getJSON(txn, d.key(), &stored)
			return err
		})
		if err != nil || stored.Conv != conv || !strings.Contains(strings.Join(stored.Done, ","), "chat") {
			t.Errorf("while the %s goes out the ledger holds %+v (%v)", n.Method, stored, err)
		}
		checked = true
	}
	e.mu.Unlock()
	e.run()
	if !checked {
		t.Fatal("no reminder went out")
	}
}

// While an agent holds the member's conversation the bot stays silent: the
// reminder's notices go out, its chat message waits until the agent lets
// go.
func TestReminderWaitsForTheAgent(t *testing.T) {
	e := newReminderEnv(t, nil)
	conv := e.verified("d", "13800138000")
	ctx := context.Background()
	if _, err := e.rt.Handoffs().Claim(ctx, conv, "alice", 0); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(16 * day)
	e.run()
	if n, _ := e.reminderMessages(conv); n != 0 || len(e.reminders()) != 2 {
		t.Fatalf("agent holding: %d in the conversation, %d notices", n, len(e.reminders()))
	}
	if _, err := e.rt.Handoffs().Release(ctx, conv, "alice", 0); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if err := e.rt.Outbox().DeliverNotices(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.reminderMessages(conv); n != 1 || len(e.reminders()) != 2 {
		t.Fatalf("after the release: %d in the conversation, %d notices", n, len(e.reminders()))
	}
}

// windowLister is a demo store that records the windows it is asked for
// and can fail.
type windowLister struct {
	*DemoMembers
	mu      sync.Mutex
	windows [][2]time.Time
	fail    bool
}

func (w *windowLister) DueForRenewal(ctx context.Context, from, to time.Time) ([]dialog.Member, error) {
	w.mu.Lock()
	w.windows = append(w.windows, [2]time.Time{from, to})
	fail := w.fail
	w.mu.Unlock()
	if fail {
		return nil, dialog.ErrUnavailable
	}
	return w.DemoMembers.DueForRenewal(ctx, from, to)
}

func (w *windowLister) setFail(v bool) { w.mu.Lock(); w.fail = v; w.mu.Unlock() }

func (w *windowLister) last() [2]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.windows[len(w.windows)-1]
}

// Between sweeps the member store is asked only for renewals that entered
// the lead since the last look; a failed look is looked at again; every
// hour, and after a restart that lost nothing, the cursor holds.
func TestReminderWindows(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	w := &windowLister{DemoMembers: seededMembers(t, s, 0)}
	clock := kefutest.NewClock(testNow)
	rt, err := Open(Config{Store: s, Location: shanghai, Log: quietLog, Now: clock.Now, Members: w, Notifier: NotifierFunc(func(context.Context, Notice) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	lead := DefaultReminderLead
	want := func(what string, from, to time.Time) {
		t.Helper()
		if got := w.last(); !got[0].Equal(from) || !got[1].Equal(to) {
			t.Fatalf("%s: asked for [%v, %v), want [%v, %v)", what, got[0], got[1], from, to)
		}
	}
	if err := rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	want("first look", testNow, testNow.Add(lead))
	clock.Advance(time.Minute)
	if err := rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	want("a minute later", testNow.Add(lead), testNow.Add(lead+time.Minute))

	w.setFail(true)
	clock.Advance(time.Minute)
	if err := rt.Outbox().RunReminders(ctx); !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("failed look: %v", err)
	}
	w.setFail(false)
	clock.Advance(time.Minute)
	if err := rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	want("after a failed look", testNow.Add(lead+time.Minute), testNow.Add(lead+3*time.Minute))

	clock.Advance(reminderSweep)
	if err := rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	want("an hour later", clock.Now(), clock.Now().Add(lead))
}

// The courier leaves a reminder alone while its first try is under way.
func TestReminderFirstTryIsNotTriedAlongside(t *testing.T) {
	e := newReminderEnv(t, nil)
	e.clock.Advance(16 * day)
	nested := false // the courier's try, were there one, would come back here
	e.mu.Lock()
	e.duringSend = func(Notice) {
		if nested {
			return
		}
		nested = true
		if err := e.rt.Outbox().DeliverNotices(context.Background()); err != nil {
			t.Error(err)
		}
	}
	e.mu.Unlock()
	e.run()
	if n := e.triedCount(); n != 2 {
		t.Fatalf("%d reminder notices tried, want SMS and email once each", n)
	}
}
