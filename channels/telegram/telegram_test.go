package telegram

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
)

func TestCancelFlowChineseByText(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	m.send("/start")
	welcome := m.text(e.render(dialog.ZH, "welcome"))
	if !welcome.HasButton("intent:cancel_membership") {
		t.Fatalf("welcome without the menu: %+v", welcome.Buttons)
	}
	m.send("我要取消会员")
	ask := m.text(e.render(dialog.ZH, "ask_account"))
	if !strings.Contains(string(ask.Keyboard), `"request_contact":true`) {
		t.Fatalf("the account question does not offer to share the phone number: %s", ask.Keyboard)
	}
	m.send("13800138000")
	m.codeSent(dialog.ZH, "13800138000")
	m.send(m.demoCode())
	m.withButton("opt:no_renew")
	m.send("到期不续费")
	// Straight to the confirmation: no reason asked before it.
	confirm := m.withButton("confirm:")
	for _, b := range []string{"back", "abort"} {
		if !confirm.HasButton(b) {
			t.Fatalf("confirmation %q without %s: %+v", confirm.Text, b, confirm.Buttons)
		}
	}
	m.send("确认")
	r := m.until("receipt", func(s telegramtest.Sent) bool { return !s.Italic && numberRE.MatchString(s.Text) })
	number := numberRE.FindString(r.Text)
	if len(r.Buttons) != 1 || r.Buttons[0].CallbackData != "order:"+number {
		t.Fatalf("receipt buttons %+v, want only order:%s", r.Buttons, number)
	}
	// The optional reason question comes right after the receipt.
	if s := m.next(); !isReasonQuestion(e, dialog.ZH, s) {
		t.Fatalf("after the receipt: %q %+v, want the reason question", s.Text, s.Buttons)
	}
	o, found, err := e.rt.WorkOrders().Get(context.Background(), number)
	if err != nil || !found || o.Kind != dialog.KindNoRenew || o.Channel != ChannelName {
		t.Fatalf("work order %s: %+v found=%v err=%v", number, o, found, err)
	}
	for _, s := range e.api.Messages(m.u.ID) {
		if !s.Italic && codeRE.MatchString(s.Text) && !numberRE.MatchString(s.Text) {
			t.Fatalf("the bot itself sent a code: %q", s.Text)
		}
	}
}

func TestCancelFlowEnglishByButtons(t *testing.T) {
	e := newEnv(t)
	m := e.member("en")
	m.send("/start")
	m.text(e.render(dialog.EN, "welcome"))
	press := m.press("intent:cancel_membership")
	m.text(e.render(dialog.EN, "intro_cancel_membership"))
	if ask := m.text(e.render(dialog.EN, "ask_account")); !strings.Contains(string(ask.Keyboard), e.a.text(dialog.EN, "telegram_share_phone", nil)) {
		t.Fatalf("share-my-phone keyboard: %s", ask.Keyboard)
	}
	if !e.api.Answered(press) {
		t.Fatal("callback query not answered")
	}
	edits := e.api.Calls("editMessageReplyMarkup")
	if len(edits) != 1 || !strings.Contains(edits[0].Params["reply_markup"], "✓ "+e.render(dialog.EN, "menu_cancel")) || !edits[0].OK() {
		t.Fatalf("used keyboard not marked: %+v", edits)
	}
	// Shares their own phone number instead of typing it.
	e.api.Push(telegramtest.Contact(m.u, "+86 138 0013 8000", m.u.ID))
	m.codeSent(dialog.EN, "13800138000") // sent at once, by SMS to a phone
	code := m.demoCode()
	if !hasRemoveKeyboard(e, m) {
		t.Fatal("share-my-phone keyboard not removed once the number was given")
	}
	m.send(code)
	m.withButton("opt:cancel_now")
	m.press("opt:cancel_now")
	confirm := m.withButton("confirm:")
	value := buttonValue(confirm, "confirm:")
	m.press(value)
	number := m.receipt()
	m.reasonAsked(dialog.EN)
	// A double click: the same order again, not a second one.
	e.api.Push(telegramtest.Press(m.u, confirm, value))
	if again := m.receipt(); again != number {
		t.Fatalf("confirming twice gave %s and %s", number, again)
	}
	o, found, err := e.rt.WorkOrders().Get(context.Background(), number)
	if err != nil || !found || o.Kind != dialog.KindCancelNow {
		t.Fatalf("work order %s: %+v %v %v", number, o, found, err)
	}
	orders, err := e.rt.WorkOrders().ByMember(context.Background(), o.MemberID)
	if err != nil || len(orders) != 1 {
		t.Fatalf("member has %d orders (%v), want 1", len(orders), err)
	}
}

func hasRemoveKeyboard(e *env, m *member) bool {
	for _, c := range e.api.Calls("sendMessage") {
		if c.Int("chat_id") == m.u.ID && c.OK() && strings.Contains(c.Params["reply_markup"], `"remove_keyboard":true`) {
			return true
		}
	}
	return false
}

func TestContactOfSomeoneElseIsNotUsed(t *testing.T) {
	e := newEnv(t)
	m := e.member("en")
	m.send("/start cancel")
	m.text(e.render(dialog.EN, "ask_account"))
	e.api.Push(telegramtest.Contact(m.u, "+8613800138000", m.u.ID+1))
	m.text(e.a.text(dialog.EN, "telegram_contact_not_own", nil))
	m.send("hi")
	m.next() // the answer to "hi", handled after the contact
	for _, s := range e.api.Messages(m.u.ID) {
		if s.HasButton("method:questions") || s.HasButton("resend") || strings.Contains(s.Text, "138****8000") || s.Italic && codeRE.MatchString(s.Text) {
			t.Fatalf("someone else's number was used: %q %+v", s.Text, s.Buttons)
		}
	}
}

func TestDeepLinkOpensCancelFlow(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	m.send("/start cancel")
	first := m.next()
	if first.Text != e.render(dialog.ZH, "intro_cancel_membership") || len(first.Buttons) > 0 {
		t.Fatalf("first message %q %v, want the cancel flow's introduction", first.Text, first.Buttons)
	}
	m.text(e.render(dialog.ZH, "ask_account"))
}

func TestCommands(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	m.send("/start cancel")
	m.text(e.render(dialog.ZH, "ask_account"))
	m.send("/cancel")
	m.text(e.render(dialog.ZH, "aborted_kept"))
	m.send("/help")
	if h := m.text(e.render(dialog.ZH, "help")); !h.HasButton("intent:cancel_membership") {
		t.Fatalf("help without the menu: %+v", h.Buttons)
	}
	m.send("/lang")
	m.text(e.render(dialog.EN, "lang_switched"))
	m.send("/lang@" + telegramtest.BotUsername)
	m.text(e.render(dialog.ZH, "lang_switched"))
	m.send("/lang en")
	m.text(e.render(dialog.EN, "lang_switched"))
	m.send("/agent")
	s := m.until("call-back work order", func(s telegramtest.Sent) bool { return numberRE.MatchString(s.Text) })
	o, found, err := e.rt.WorkOrders().Get(context.Background(), numberRE.FindString(s.Text))
	if err != nil || !found || o.Kind != dialog.KindCallback {
		t.Fatalf("/agent: %q → %+v %v %v", s.Text, o, found, err)
	}
}

func TestLanguageFromLanguageCode(t *testing.T) {
	e := newEnv(t)
	for code, lang := range map[string]dialog.Lang{"en": dialog.EN, "en-US": dialog.EN, "zh-hans": dialog.ZH, "zh": dialog.ZH, "": dialog.ZH, "ru": dialog.ZH} {
		m := e.member(code)
		m.send("/start")
		if got := m.next(); got.Text != e.render(lang, "welcome") {
			t.Errorf("language_code %q: welcome %q, want it in %s", code, got.Text, lang)
		}
	}
}

func TestGroupChatGetsOnlyADeepLink(t *testing.T) {
	e := newEnv(t)
	u := telegramtest.User{ID: 777001, LanguageCode: "zh-hans"}
	g := telegramtest.Group{ID: -100123, Title: "会员群"}
	// Not addressed to the bot: ignored. Handled before the next one, as
	// updates of one chat are handled in order.
	e.api.Push(telegramtest.GroupText(u, g, "13800138000 我要取消会员"))
	e.api.Push(telegramtest.GroupText(u, g, "@"+telegramtest.BotUsername+" 我要取消会员"))
	e.waitFor("the group reply", func() bool { return len(e.api.Messages(g.ID)) >= 1 })
	e.waitFor("both updates handled", func() bool { return e.handled.Load() >= 2 })
	msgs := e.api.Messages(g.ID)
	if len(msgs) != 1 {
		t.Fatalf("group got %d messages, want 1: %+v", len(msgs), msgs)
	}
	link := "https://t.me/" + telegramtest.BotUsername + "?start=cancel"
	if !strings.Contains(msgs[0].Text, link) || len(msgs[0].Buttons) > 0 || msgs[0].ReplyTo == 0 {
		t.Fatalf("group reply %+v, want a reply with %s", msgs[0], link)
	}
	if convs, _ := e.rt.Conversations(context.Background(), ChannelName); len(convs) != 0 {
		t.Fatalf("a group message opened %d conversations", len(convs))
	}
	for _, c := range e.api.Calls("sendMessage") {
		if strings.Contains(c.Params["text"], e.render(dialog.ZH, "ask_account")) || strings.Contains(c.Params["reply_markup"], "request_contact") {
			t.Fatalf("asked for personal data in a group: %q", c.Params["text"])
		}
	}
	e.api.Push(telegramtest.GroupText(telegramtest.User{ID: 777002, LanguageCode: "en"}, g, "/start@"+telegramtest.BotUsername))
	e.waitFor("the English group reply", func() bool { return len(e.api.Messages(g.ID)) == 2 })
	if got := e.api.Messages(g.ID)[1].Text; !strings.Contains(got, "private chat") || !strings.Contains(got, "https://t.me/"+telegramtest.BotUsername) {
		t.Fatalf("English group reply %q", got)
	}
}

func TestRepeatedUpdateHandledOnce(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	intro := e.render(dialog.ZH, "intro_cancel_membership")
	cancel := m.send("我要取消会员")
	m.text(e.render(dialog.ZH, "ask_account"))
	e.api.Redeliver(cancel)
	phone := m.send("13800138000")
	m.codeSent(dialog.ZH, "13800138000")

	e.close()
	polls := len(e.api.Calls("getUpdates"))
	e.open()
	// Telegram delivers both again after the restart.
	e.api.Redeliver(cancel)
	e.api.Redeliver(phone)
	// The code, sent after both, is answered after them.
	m.send(m.demoCode())
	m.withButton("opt:cancel_now")
	count := func(text string) int {
		n := 0
		for _, s := range e.api.Messages(m.u.ID) {
			if s.Text == text {
				n++
			}
		}
		return n
	}
	if n := count(intro); n != 1 {
		t.Fatalf("introduction sent %d times, want 1", n)
	}
	n, codes := 0, 0
	for _, s := range e.api.Messages(m.u.ID) {
		if s.HasButton("method:questions") { // the code sent, or asked for again
			n++
		}
		if s.Italic && codeRE.MatchString(s.Text) {
			codes++
		}
	}
	if n != 1 || codes != 1 {
		dump(t, e, m)
		t.Fatalf("code asked for %d times and sent %d times, want 1 and 1", n, codes)
	}
	// The restarted poller asked from the stored offset on.
	first := e.api.Calls("getUpdates")[polls]
	if want := phone["update_id"].(int64) + 1; first.Int("offset") != want {
		t.Fatalf("first getUpdates after the restart asked for offset %d, want %d", first.Int("offset"), want)
	}
}

func TestUpdatesOfAChatInOrderAndChatsInParallel(t *testing.T) {
	e := newEnv(t)
	a, b := e.member("zh-hans"), e.member("zh-hans")
	release := make(chan struct{})
	e.beforeHandle = func(u *models.Update) {
		// a's first update waits until b has been answered: if chats were
		// handled one after another, this would never end.
		if u.Message != nil && u.Message.Chat.ID == a.u.ID && u.Message.Text == "/start" {
			select {
			case <-release:
			case <-time.After(timeout):
			}
		}
	}
	for _, text := range []string{"/start", "我要取消会员", "13800138000", "短信"} {
		a.send(text)
	}
	b.send("/start")
	b.text(e.render(dialog.ZH, "welcome"))
	close(release)
	want := []string{e.render(dialog.ZH, "welcome"), e.render(dialog.ZH, "intro_cancel_membership"), e.render(dialog.ZH, "ask_account")}
	for i, w := range want {
		if got := a.next(); got.Text != w {
			t.Fatalf("message %d: %q, want %q", i, got.Text, w)
		}
	}
	if got := a.next(); !got.HasButton("resend") || !got.HasButton("method:questions") {
		t.Fatalf("message 3: %q, want the code sent", got.Text)
	}
	if got := a.next(); !got.Italic || !codeRE.MatchString(got.Text) {
		t.Fatalf("message 4: %q, want the demo code", got.Text)
	}
	// 短信 after the code went by SMS: it was just sent, no second one.
	if got := a.next(); !strings.Contains(got.Text, "验证码刚刚发出") || !got.HasButton("method:questions") || got.HasButton("resend") {
		t.Fatalf("message 5: %q %+v, want the code just sent", got.Text, got.Buttons)
	}
}

func TestTooManyRequestsIsHonoured(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	var mu sync.Mutex
	failed := false
	e.api.Fail(func(c telegramtest.Call) *telegramtest.Failure {
		mu.Lock()
		defer mu.Unlock()
		if c.Method == "sendMessage" && c.Int("chat_id") == m.u.ID && !failed {
			failed = true
			return &telegramtest.Failure{Status: http.StatusTooManyRequests, Description: "Too Many Requests: retry after 1", RetryAfter: 1}
		}
		return nil
	})
	m.send("/start")
	m.send("我要取消会员")
	m.text(e.render(dialog.ZH, "welcome"))
	m.text(e.render(dialog.ZH, "intro_cancel_membership"))
	m.text(e.render(dialog.ZH, "ask_account"))
	var refusedAt, retriedAt time.Time
	for _, c := range e.api.Calls("sendMessage") {
		if c.Int("chat_id") != m.u.ID {
			continue
		}
		if c.Status == http.StatusTooManyRequests {
			refusedAt = c.At
		} else if retriedAt.IsZero() && !refusedAt.IsZero() {
			retriedAt = c.At
		}
	}
	if refusedAt.IsZero() || retriedAt.Sub(refusedAt) < time.Second {
		t.Fatalf("429 at %v, retried at %v: want a retry after retry_after (1 s)", refusedAt, retriedAt)
	}
	var got []string
	for _, s := range e.api.Messages(m.u.ID) {
		got = append(got, s.Text)
	}
	want := []string{e.render(dialog.ZH, "welcome"), e.render(dialog.ZH, "intro_cancel_membership"), e.render(dialog.ZH, "ask_account")}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("delivered %q, want %q in this order", got, want)
	}
}

// cancelToConfirm runs the cancel flow up to the confirmation and returns
// the confirm button's value.
func cancelToConfirm(t *testing.T, m *member) string {
	t.Helper()
	m.send("/start cancel")
	m.send("13800138000")
	m.codeSent(dialog.ZH, "13800138000")
	m.send(m.demoCode())
	m.withButton("opt:cancel_now")
	m.press("opt:cancel_now")
	return buttonValue(m.withButton("confirm:"), "confirm:")
}

// codeSent awaits the answer to an account: the code sent at once, by SMS
// to a phone and by email to an email — no menu of methods — with buttons
// for the other way, the security questions, a new code and a person.
func (m *member) codeSent(lang dialog.Lang, account string) telegramtest.Sent {
	m.e.t.Helper()
	method, other := dialog.MethodSMS, dialog.MethodEmail
	if strings.Contains(account, "@") {
		method, other = other, method
	}
	want := m.e.rt.Catalog().MustRender(lang, "code_sent_"+string(method), map[string]any{"Account": dialog.Masked(dialog.MaskAccount(account)), "Minutes": 5})
	s := m.text(want)
	for _, b := range []string{"method:" + string(other), "method:questions", "resend", "intent:human_agent"} {
		if !s.HasButton(b) {
			m.e.t.Fatalf("code sent without %s: %+v", b, s.Buttons)
		}
	}
	if s.HasButton("method:" + string(method)) {
		m.e.t.Fatalf("code sent by %s offers %s again: %+v", method, method, s.Buttons)
	}
	return s
}

// isReasonQuestion tells whether s is the optional question after a
// receipt: why the member left, with a button for each reason and none to
// skip it.
func isReasonQuestion(e *env, lang dialog.Lang, s telegramtest.Sent) bool {
	if s.Text != e.render(lang, "ask_reason") || s.HasButton("reason:skip") {
		return false
	}
	for _, r := range []string{"price", "unused", "switching", "other"} {
		if !s.HasButton("reason:" + r) {
			return false
		}
	}
	return true
}

// reasonAsked awaits the reason question that follows a receipt.
func (m *member) reasonAsked(lang dialog.Lang) telegramtest.Sent {
	m.e.t.Helper()
	s := m.text(m.e.render(lang, "ask_reason"))
	if !isReasonQuestion(m.e, lang, s) {
		m.e.t.Fatalf("reason question with buttons %+v, want reason:price, unused, switching, other", s.Buttons)
	}
	return s
}

func failReceipts(e *env, times *int, mu *sync.Mutex, limit int) {
	e.api.Fail(func(c telegramtest.Call) *telegramtest.Failure {
		mu.Lock()
		defer mu.Unlock()
		if c.Method == "sendMessage" && numberRE.MatchString(c.Params["text"]) && (limit < 0 || *times < limit) {
			*times++
			if *times%2 == 0 {
				return &telegramtest.Failure{Status: http.StatusBadGateway, Body: "<html>502 Bad Gateway</html>"}
			}
			return &telegramtest.Failure{Status: http.StatusInternalServerError, Description: "Internal Server Error"}
		}
		return nil
	})
}

func TestReceiptRetriedUntilDelivered(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	confirm := cancelToConfirm(t, m)
	var mu sync.Mutex
	failures := 0
	failReceipts(e, &failures, &mu, 3)
	m.press(confirm)
	number := m.receipt()
	mu.Lock()
	if failures != 3 {
		t.Fatalf("receipt failed %d times before delivery, want 3", failures)
	}
	mu.Unlock()
	// The reason question, part of the same turn, comes next, and the demo
	// receipt notice, published after the turn, follows them.
	if s := m.next(); !isReasonQuestion(e, dialog.ZH, s) {
		t.Fatalf("after the receipt: %q, want the reason question", s.Text)
	}
	m.until("demo receipt notice", func(s telegramtest.Sent) bool { return s.Italic && strings.Contains(s.Text, number) })
}

func TestReceiptDeliveredAfterRestart(t *testing.T) {
	e := newEnv(t)
	m := e.member("zh-hans")
	confirm := cancelToConfirm(t, m)
	before := len(e.api.Messages(m.u.ID))
	var mu sync.Mutex
	failures := 0
	failReceipts(e, &failures, &mu, -1)
	m.press(confirm)
	e.waitFor("a failed receipt", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failures >= 2
	})
	e.close()
	e.api.Fail(nil)
	e.open()
	number := m.receipt()
	m.reasonAsked(dialog.ZH)
	m.until("demo receipt notice", func(s telegramtest.Sent) bool { return s.Italic && strings.Contains(s.Text, number) })
	// Nothing delivered before the restart came again; the receipt and the
	// reason question that follows it came once each.
	receipts, questions := 0, 0
	for _, s := range e.api.Messages(m.u.ID)[before:] {
		switch {
		case isReasonQuestion(e, dialog.ZH, s):
			questions++
		case !strings.Contains(s.Text, number):
			t.Fatalf("sent again after the restart: %q", s.Text)
		case !s.Italic:
			receipts++
		}
	}
	if receipts != 1 || questions != 1 {
		t.Fatalf("receipt sent %d times, reason question %d times; want once each", receipts, questions)
	}
}

// After a restart the adapter takes up only chats with undelivered
// messages: conversations that are up to date stay out of memory until
// their member writes, and then carry on.
func TestRestartLeavesDeliveredChatsInTheStore(t *testing.T) {
	e := newEnv(t)
	m := e.member("en")
	m.send("/start")
	m.text(e.render(dialog.EN, "welcome"))
	e.restart()
	if n := liveConversations(t, e.rt); n != 0 {
		t.Fatalf("%v conversations in memory after start-up, want 0", n)
	}
	m.send("I want to cancel my membership")
	m.text(e.render(dialog.EN, "ask_account"))
}

// liveConversations reads the runtime's gauge of conversations in memory.
func liveConversations(t *testing.T, rt *bot.Runtime) float64 {
	families, err := rt.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "kefu_conversations_active" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no kefu_conversations_active metric")
	return 0
}

func TestBlockedMemberGetsMessagesOnReturn(t *testing.T) {
	e := newEnv(t)
	m := e.member("en")
	var mu sync.Mutex
	blocked := true
	e.api.Fail(func(c telegramtest.Call) *telegramtest.Failure {
		mu.Lock()
		defer mu.Unlock()
		if blocked && c.Method == "sendMessage" && c.Int("chat_id") == m.u.ID {
			return &telegramtest.Failure{Status: http.StatusForbidden, Description: "Forbidden: bot was blocked by the user"}
		}
		return nil
	})
	m.send("/start")
	e.waitFor("the refused welcome", func() bool {
		for _, c := range e.api.Calls("sendMessage") {
			if c.Status == http.StatusForbidden {
				return true
			}
		}
		return false
	})
	mu.Lock()
	blocked = false
	mu.Unlock()
	m.send("/help")
	m.text(e.render(dialog.EN, "welcome"))
	m.text(e.render(dialog.EN, "help"))
}

func TestWebhook(t *testing.T) {
	const hookURL = "https://kefu.example.com/telegram/hook"
	e := newEnv(t, func(c *Config) { c.WebhookURL = hookURL })
	url, secret := e.api.Webhook()
	if url != hookURL || len(secret) < 32 {
		t.Fatalf("setWebhook(%q, secret of %d chars)", url, len(secret))
	}
	if e.a.WebhookPath() != "/telegram/hook" {
		t.Fatalf("webhook path %q", e.a.WebhookPath())
	}
	srv := httptest.NewServer(e.a.WebhookHandler())
	defer srv.Close()
	m := e.member("en")
	upd := telegramtest.Text(m.u, "/start")
	upd["update_id"] = int64(42)
	body, _ := json.Marshal(upd)
	post := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/telegram/hook", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(""); got != http.StatusUnauthorized {
		t.Fatalf("no secret: %d, want 401", got)
	}
	if got := post(secret[:len(secret)-1] + "x"); got != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d, want 401", got)
	}
	if n := e.handled.Load(); n != 0 {
		t.Fatalf("%d updates handled after refused requests", n)
	}
	// The same update with the right secret is handled: the refused ones
	// were not even recorded.
	if got := post(secret); got != http.StatusOK {
		t.Fatalf("right secret: %d, want 200", got)
	}
	m.text(e.render(dialog.EN, "welcome"))
	if got := post(secret); got != http.StatusOK { // Telegram retrying
		t.Fatalf("redelivery: %d, want 200", got)
	}
	help := telegramtest.Text(m.u, "/help")
	help["update_id"] = int64(43)
	body, _ = json.Marshal(help)
	if got := post(secret); got != http.StatusOK {
		t.Fatalf("second update: %d", got)
	}
	m.text(e.render(dialog.EN, "help"))
	if n := len(e.api.Messages(m.u.ID)); n != 2 {
		dump(t, e, m)
		t.Fatalf("%d messages, want the welcome and help once each", n)
	}
	if n := len(e.api.Calls("getUpdates")); n != 0 {
		t.Fatalf("webhook mode polled %d times", n)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	e := newEnv(t)
	e.beforeHandle = func(u *models.Update) {
		if u.Message != nil && u.Message.Text == "boom" {
			panic("boom")
		}
	}
	m := e.member("en")
	m.send("/start")
	m.text(e.render(dialog.EN, "welcome"))
	m.send("boom")
	m.text(e.render(dialog.EN, "unavailable"))
	m.send("/help")
	m.text(e.render(dialog.EN, "help"))
}

func TestBadTokenEndsStart(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	rt, err := bot.Open(bot.Config{DataDir: t.TempDir(), Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	a, err := New(Config{Runtime: rt, Token: "123:wrong", APIURL: api.URL, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = a.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), "telegram: the bot token was refused (401 Unauthorized)") {
		t.Fatalf("Start with a bad token: %v", err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCommandsRegisteredInBothLanguages(t *testing.T) {
	e := newEnv(t)
	e.waitFor("setMyCommands twice", func() bool { return len(e.api.Calls("setMyCommands")) >= 2 })
	byLang := map[string]string{}
	for _, c := range e.api.Calls("setMyCommands") {
		if !c.OK() {
			t.Fatalf("setMyCommands refused: %+v", c)
		}
		byLang[c.Params["language_code"]] = c.Params["commands"]
	}
	for _, code := range []string{"", "zh"} {
		var cmds []models.BotCommand
		if err := json.Unmarshal([]byte(byLang[code]), &cmds); err != nil {
			t.Fatalf("language %q: %v", code, err)
		}
		var names []string
		for _, c := range cmds {
			names = append(names, c.Command)
			if c.Command != "lang" && (code == "zh") != hasHan(c.Description) {
				t.Errorf("language %q: /%s described as %q", code, c.Command, c.Description)
			}
		}
		if got := strings.Join(names, " "); got != "start help cancel agent lang" {
			t.Errorf("language %q: commands %s", code, got)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// Sends keep the outbound limits, in each chat and over all chats: no run
// of sends is denser than a token bucket of the limit's rate and burst
// allows, as the limiters scheduled them, and no message reaches the Bot
// API before its limiters let it go. It asserts the limiters' schedule,
// not arrival times, which a loaded machine bunches up; the rate achieved
// is BenchmarkOutboundBurst1000Chats's to measure.
func TestOutboundLimits(t *testing.T) {
	const chats, each = 20, 3
	const globalRate, chatRate, chatBurst = 40, 2, 1
	const globalBurst = globalRate / 10 // as New sets it
	e := newEnv(t, func(c *Config) { c.GlobalRate, c.ChatRate, c.ChatBurst = globalRate, chatRate, chatBurst })
	var members []*member
	for range chats {
		m := e.member("zh-hans")
		members = append(members, m)
		m.send("/start cancel") // two messages each…
		m.send("/help")         // …and one
	}
	e.waitFor("every message", func() bool { return e.api.MessageCount() >= chats*each })
	var all []time.Time
	for _, m := range members {
		sent, paces := e.api.Messages(m.u.ID), e.paces.of(m.u.ID)
		if len(paces) < len(sent) {
			t.Fatalf("chat %d: %d messages, %d paced", m.u.ID, len(sent), len(paces))
		}
		var chat []time.Time
		for i, s := range sent {
			p := paces[i]
			if s.At.Before(p.chatAt) || s.At.Before(p.globalAt) {
				t.Errorf("chat %d: message %d reached the Bot API at %v, before its limiters let it go (%v, %v)",
					m.u.ID, i+1, s.At, p.chatAt, p.globalAt)
			}
			chat = append(chat, p.chatAt)
			all = append(all, p.globalAt)
		}
		if over := overBucket(chat, chatRate, chatBurst); over > 1e-3 {
			t.Errorf("chat %d: %.2f sends more than %d a second after a burst of %d allow", m.u.ID, over, chatRate, chatBurst)
		}
	}
	if over := overBucket(all, globalRate, globalBurst); over > 1e-3 {
		t.Errorf("all chats: %.2f sends more than %d a second after a burst of %d allow", over, globalRate, globalBurst)
	}
}

// overBucket is how many of the events at ts exceed, at worst, what a token
// bucket of rate a second and burst allows: the largest n - burst -
// rate×span over runs of n events; zero or less when the bucket allows
// them all.
func overBucket(ts []time.Time, rate float64, burst int) float64 {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, time.Time.Compare)
	worst := math.Inf(-1)
	for i := range ts {
		for j := i; j < len(ts); j++ {
			n := float64(j - i + 1)
			worst = max(worst, n-float64(burst)-rate*ts[j].Sub(ts[i]).Seconds())
		}
	}
	return worst
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("第一行文字。\n", 1000) // 7000 code units
	parts := splitText(long)
	if len(parts) != 2 || strings.Join(parts, "") != long {
		t.Fatalf("split into %d parts", len(parts))
	}
	for _, p := range parts {
		if utf16Len(p) > maxTextUnits || !strings.HasSuffix(p, "\n") {
			t.Fatalf("part of %d units ending %q", utf16Len(p), p[len(p)-3:])
		}
	}
	emoji := strings.Repeat("😀", 3000) // 2 units each
	for _, p := range splitText(emoji) {
		if utf16Len(p) > maxTextUnits {
			t.Fatalf("part of %d units", utf16Len(p))
		}
	}
	if got := splitText("short"); len(got) != 1 || got[0] != "short" {
		t.Fatalf("splitText(short) = %q", got)
	}
}

func dump(t *testing.T, e *env, m *member) {
	for _, s := range e.api.Messages(m.u.ID) {
		t.Logf("%d %q %v", s.MessageID, s.Text, s.Buttons)
	}
}

func TestAgentAndSystemMessagesReachTheMember(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.member("zh-hans")
	m.send("/agent")
	m.until("call-back work order", func(s telegramtest.Sent) bool { return numberRE.MatchString(s.Text) })
	conv, created, err := e.rt.Resolve(ctx, ChannelName, strconv.FormatInt(m.u.ID, 10))
	if err != nil || created {
		t.Fatalf("resolve: %v created=%v", err, created)
	}
	c, err := e.rt.Handoffs().Claim(ctx, conv, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	m.until("the agent-joined notice", func(s telegramtest.Sent) bool { return s.Italic && strings.Contains(s.Text, "alice") })
	say := func(text string) {
		t.Helper()
		if _, err := e.rt.Handoffs().AgentMessage(ctx, conv, "alice", c.Version, text); err != nil {
			t.Fatal(err)
		}
	}
	say("您好，我是客服")
	m.text("👤 您好，我是客服")
	// Written while the Telegram side is down: delivered once it is back.
	e.stopAdapter()
	say("还在吗？")
	e.startAdapter()
	m.text("👤 还在吗？")
	// After a full restart, a conversation nobody has written in since is
	// still followed.
	e.restart()
	say("好的，已为您处理。")
	m.text("👤 好的，已为您处理。")
	n := 0
	for _, s := range e.api.Messages(m.u.ID) {
		if strings.Contains(s.Text, "还在吗") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the message written while down was sent %d times", n)
	}
}

func TestKeyboardLeavesOutWhatTelegramCannotCarry(t *testing.T) {
	e := newEnv(t)
	kb := e.a.keyboard([]bot.MessageButton{
		{Label: "ok", Value: "intent:help"},
		{Label: "too long", Value: strings.Repeat("v", maxCallbackData+1)},
		{Label: "", Value: "abort"},
	})
	if kb == nil || len(kb.InlineKeyboard) != 1 || kb.InlineKeyboard[0][0].CallbackData != "intent:help" {
		t.Fatalf("keyboard %+v, want only the button Telegram accepts", kb)
	}
	if kb := e.a.keyboard([]bot.MessageButton{{Label: "x", Value: strings.Repeat("v", 65)}}); kb != nil {
		t.Fatalf("keyboard of nothing sendable: %+v", kb)
	}
}

// TestCallsCarryTheirLength: the library streams each call's form through
// a pipe; the adapter sends it whole, with a Content-Length, instead of in
// a chunk (and a write) per form field.
func TestCallsCarryTheirLength(t *testing.T) {
	e := newEnv(t)
	m := e.member("en")
	m.send("/start")
	m.text(e.render(dialog.EN, "welcome"))
	for _, method := range []string{"getUpdates", "sendMessage"} {
		calls := e.api.Calls(method)
		if len(calls) == 0 {
			t.Fatalf("no %s call", method)
		}
		for _, c := range calls {
			if c.Chunked {
				t.Errorf("%s sent chunked, without a Content-Length", method)
			}
		}
	}
}
