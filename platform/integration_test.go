package platform_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/platform"
	"github.com/kefu-dev/kefu/platform/platformtest"
)

var numberRE = regexp.MustCompile(`WO\d{15}`)

// kefuOnPlatform is a runtime on a data directory whose members live on
// the fake platform and whose notices go to the fake receiver.
type kefuOnPlatform struct {
	t        *testing.T
	dir      string
	clock    *kefutest.Clock
	api      *platformtest.MemberAPI
	receiver *platformtest.Receiver
	rt       *bot.Runtime
}

func newKefuOnPlatform(t *testing.T) *kefuOnPlatform {
	k := &kefuOnPlatform{t: t, dir: t.TempDir(), clock: kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))}
	k.api = platformtest.NewMemberAPI(bot.DemoProfiles(k.clock.Now(), shanghai), k.clock.Now)
	t.Cleanup(k.api.Close)
	k.receiver = platformtest.NewReceiver(func(header string, body []byte) error {
		return platform.VerifySignature(platformtest.Secret, header, body, k.clock.Now(), 5*time.Minute)
	})
	t.Cleanup(k.receiver.Close)
	k.open()
	t.Cleanup(func() {
		if k.rt != nil {
			k.rt.Close()
		}
	})
	return k
}

func (k *kefuOnPlatform) open() {
	k.t.Helper()
	members, err := platform.NewMemberAPI(platform.MemberAPIConfig{
		URL: k.api.URL, Token: platformtest.Token, Backoff: time.Millisecond, Attempts: 2, Now: k.clock.Now,
	})
	if err != nil {
		k.t.Fatal(err)
	}
	notifier, err := platform.NewNotifier(platform.NotifierConfig{
		URL: k.receiver.URL, Secret: platformtest.Secret, PublicURL: "https://help.example.com", Now: k.clock.Now,
	})
	if err != nil {
		k.t.Fatal(err)
	}
	k.rt, err = bot.Open(bot.Config{
		DataDir: k.dir, Location: shanghai, Now: k.clock.Now, Members: members, Notifier: notifier,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		k.t.Fatal(err)
	}
}

func (k *kefuOnPlatform) restart() {
	k.t.Helper()
	if err := k.rt.Close(); err != nil {
		k.t.Fatal(err)
	}
	k.open()
}

// member drives one conversation.
type member struct {
	k  *kefuOnPlatform
	id string
}

func (k *kefuOnPlatform) member(user string) *member {
	id, _, err := k.rt.Resolve(context.Background(), "test", user)
	if err != nil {
		k.t.Fatal(err)
	}
	return &member{k: k, id: id}
}

func (m *member) say(text string) bot.Message {
	m.k.t.Helper()
	if err := m.k.rt.Handle(context.Background(), m.id, dialog.InputText, text, dialog.ZH); err != nil {
		m.k.t.Fatal(err)
	}
	return m.last()
}

func (m *member) press(value string) bot.Message {
	m.k.t.Helper()
	if err := m.k.rt.Handle(context.Background(), m.id, dialog.InputButton, value, ""); err != nil {
		m.k.t.Fatal(err)
	}
	return m.last()
}

// pressTurn presses a button and returns the messages its turn added.
func (m *member) pressTurn(value string) []bot.Message {
	m.k.t.Helper()
	before := len(m.history())
	m.press(value)
	return m.history()[before:]
}

func (m *member) history() []bot.Message {
	m.k.t.Helper()
	h, err := m.k.rt.History(context.Background(), m.id)
	if err != nil {
		m.k.t.Fatalf("history: %v", err)
	}
	return h
}

// receiptIn is the receipt among a confirmation's messages, which must end
// with the optional question for the reason.
func receiptIn(t *testing.T, msgs []bot.Message) bot.Message {
	t.Helper()
	var out []bot.Message
	for _, msg := range msgs {
		if numberRE.MatchString(msg.Text) {
			out = append(out, msg)
		}
	}
	if len(out) != 1 || len(msgs) == 0 {
		t.Fatalf("%d receipts among %+v", len(out), msgs)
	}
	button(t, out[0], "order:")
	button(t, msgs[len(msgs)-1], "reason:price")
	return out[0]
}

func (m *member) last() bot.Message {
	h, err := m.k.rt.History(context.Background(), m.id)
	if err != nil || len(h) == 0 {
		m.k.t.Fatalf("history: %v", err)
	}
	return h[len(h)-1]
}

func button(t *testing.T, msg bot.Message, prefix string) string {
	t.Helper()
	for _, b := range msg.Buttons {
		if strings.HasPrefix(b.Value, prefix) {
			return b.Value
		}
	}
	t.Fatalf("no %s… button on %q", prefix, msg.Text)
	return ""
}

// toConfirm verifies the demo member by SMS through the platform and
// chooses cancel now; it returns the confirm button's value.
func (m *member) toConfirm() string {
	t := m.k.t
	t.Helper()
	m.say("我要取消会员")
	button(t, m.say("13800138000"), "method:email") // the code is sent at once
	var code string
	for _, n := range m.k.receiver.Accepted() {
		if n.Kind == bot.NoticeCode && n.To == "13800138000" {
			code = n.Code
		}
	}
	if len(code) != 6 {
		t.Fatalf("no code reached the platform's SMS service: %+v", m.k.receiver.Accepted())
	}
	button(t, m.say(code), "opt:cancel_now")
	return button(t, m.press("opt:cancel_now"), "confirm:")
}

func (k *kefuOnPlatform) receipts(number string) []platformtest.Notice {
	var out []platformtest.Notice
	for _, n := range k.receiver.Accepted() {
		if n.Kind == bot.NoticeReceipt && n.Receipt != nil && n.Receipt.Number == number {
			out = append(out, n)
		}
	}
	return out
}

// A cancellation carried out on the platform: one action, a durable order,
// signed receipts by SMS and email, verifiable; a tampered signature is
// refused.
func TestCancelOnThePlatform(t *testing.T) {
	k := newKefuOnPlatform(t)
	m := k.member("a")
	receipt := receiptIn(t, m.pressTurn(m.toConfirm()))
	if k.api.Actions("m-demo") != 1 || k.api.Member("m-demo").Status != dialog.StatusCancelled {
		t.Fatalf("platform: %d actions, status %s", k.api.Actions("m-demo"), k.api.Member("m-demo").Status)
	}
	number := numberRE.FindString(receipt.Text)
	o, found, err := k.rt.WorkOrders().Get(context.Background(), number)
	if err != nil || !found || o.Kind != dialog.KindCancelNow || o.RefundCents != 2000 || o.Sig == "" {
		t.Fatalf("order %q from %q: %+v %v %v", number, receipt.Text, o, found, err)
	}
	k.rt.WorkOrders().WaitReceipts()
	sent := k.receipts(number)
	if len(sent) != 2 || sent[0].Receipt.Sig != o.Sig || !strings.HasPrefix(sent[0].Receipt.VerifyURL, "https://help.example.com/api/receipts/"+number+"?sig=") {
		t.Fatalf("receipts sent: %+v", sent)
	}
	r, ok, err := k.rt.WorkOrders().VerifyReceipt(context.Background(), number, o.Sig)
	if err != nil || !ok || r.Number != number || r.RefundCents != 2000 {
		t.Fatalf("genuine receipt: %+v %v %v", r, ok, err)
	}
	tampered := []byte(o.Sig)
	tampered[0] ^= 1
	if _, ok, _ := k.rt.WorkOrders().VerifyReceipt(context.Background(), number, string(tampered)); ok {
		t.Fatal("a tampered signature was accepted")
	}
	if k.receiver.BadSignatures() != 0 {
		t.Fatalf("%d notices with a bad signature", k.receiver.BadSignatures())
	}
}

// The platform down at the confirmation: the member is told honestly and
// gets a callback order's number; confirming once it is back carries the
// request out, once, and closes the callback order.
func TestPlatformDownRecordsACallback(t *testing.T) {
	k := newKefuOnPlatform(t)
	m := k.member("b")
	confirm := m.toConfirm()
	k.api.Down(true)
	reply := m.press(confirm)
	want, _ := k.rt.Catalog().Render(dialog.ZH, "unavailable_recorded_cancel_now", map[string]any{"Number": "X"})
	head, _, _ := strings.Cut(want, "X")
	if !strings.HasPrefix(reply.Text, strings.TrimSuffix(head, "工单号：")) {
		t.Fatalf("reply with the platform down: %q", reply.Text)
	}
	number := numberRE.FindString(reply.Text)
	o, found, _ := k.rt.WorkOrders().Get(context.Background(), number)
	if !found || o.Kind != dialog.KindCallback || o.Status != "open" || o.MemberID != "m-demo" || !strings.Contains(o.Reason, "cancel_now") {
		t.Fatalf("callback order %q: %+v", number, o)
	}
	if k.api.Actions("m-demo") != 0 {
		t.Fatal("the platform acted while down")
	}
	k.api.Down(false)
	k.clock.Advance(time.Minute)
	done := receiptIn(t, m.pressTurn(confirm))
	if n := numberRE.FindString(done.Text); n == "" || n == number || k.api.Actions("m-demo") != 1 {
		t.Fatalf("confirming again: %q, %d actions", done.Text, k.api.Actions("m-demo"))
	}
	// Nobody needs to call back about a request now carried out.
	if o, _, _ := k.rt.WorkOrders().Get(context.Background(), number); o.Status != "done" || !o.UpdatedAt.Equal(o.CreatedAt.Add(time.Minute)) {
		t.Fatalf("callback order after the request was carried out: %+v", o)
	}
}

// A receipt the SMS/email service does not accept is retried, across a
// restart, until it is: each destination once.
func TestReceiptRetriedAcrossRestart(t *testing.T) {
	k := newKefuOnPlatform(t)
	m := k.member("c")
	confirm := m.toConfirm()
	k.receiver.Fail(1000)
	number := numberRE.FindString(receiptIn(t, m.pressTurn(confirm)).Text)
	k.rt.WorkOrders().WaitReceipts()
	if len(k.receipts(number)) != 0 {
		t.Fatal("accepted while failing")
	}
	k.restart()
	k.receiver.Fail(0)
	if err := k.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(k.receipts(number)); n != 0 {
		t.Fatalf("retried before its backoff: %d receipts", n)
	}
	k.clock.Advance(time.Minute)
	if err := k.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(k.receipts(number)); n != 2 {
		t.Fatalf("%d receipts after the retry, want SMS and email", n)
	}
	tries := k.receiver.Tries("receipt/" + number + "/sms")
	k.clock.Advance(time.Hour)
	if err := k.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if k.receiver.Tries("receipt/"+number+"/sms") != tries {
		t.Fatal("a delivered receipt was sent again")
	}
}

// Five days before the renewal the member is reminded once, in their
// conversation and by SMS and email; a restart neither repeats nor skips
// it.
func TestRenewalReminderOnceAcrossRestarts(t *testing.T) {
	k := newKefuOnPlatform(t)
	m := k.member("d")
	m.say("我要取消会员")
	m.say("13800138000") // the code is sent at once
	for _, n := range k.receiver.Accepted() {
		if n.Kind == bot.NoticeCode {
			m.say(n.Code) // verified: this is the member's conversation
		}
	}
	m.say("算了")
	ctx := context.Background()
	if err := k.rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	reminders := func() (n int) {
		for _, x := range k.receiver.Accepted() {
			if x.Kind == bot.NoticeReminder {
				n++
			}
		}
		return n
	}
	if reminders() != 0 {
		t.Fatal("reminded 20 days before the renewal")
	}
	k.clock.Advance(16 * 24 * time.Hour) // 4 days before
	k.receiver.Fail(1)                   // the SMS fails once: retried
	if err := k.rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	if got := m.last(); !strings.Contains(got.Text, "自动续费") || button(t, got, "intent:turn_off_autorenew") == "" {
		t.Fatalf("reminder in the conversation: %q", got.Text)
	}
	if reminders() != 1 {
		t.Fatalf("%d reminder notices, want email only so far", reminders())
	}
	k.restart()
	if err := k.rt.Outbox().RunReminders(ctx); err != nil {
		t.Fatal(err)
	}
	k.clock.Advance(time.Minute)
	if err := k.rt.Outbox().DeliverNotices(ctx); err != nil {
		t.Fatal(err)
	}
	if reminders() != 2 {
		t.Fatalf("%d reminder notices after the restart, want SMS and email", reminders())
	}
	h, _ := k.rt.History(ctx, m.id)
	chat := 0
	for _, msg := range h {
		if strings.Contains(msg.Text, "自动续费，届时扣款") {
			chat++
		}
	}
	if chat != 1 {
		t.Fatalf("%d reminders in the conversation, want 1", chat)
	}
}
