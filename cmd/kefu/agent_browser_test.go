package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/browsertest"
)

// Browser tests of the agent console drive the real program in Debian's
// Chromium: one browser for the test binary, started by the first browser
// test, a tab per actor. Without a browser they skip, unless CI is set:
// there they must run. A failing test leaves each tab's screenshot under
// testdata/failures.

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// tab is one actor's browser tab.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

func newTab(t *testing.T, name string) *tab {
	t.Helper()
	return &tab{t: t, name: name, ctx: browsertest.Tab(t, name, 2*time.Minute)}
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s tab: %v", b.name, err)
	}
}

// waitJS waits until the JavaScript expression is truthy.
func (b *tab) waitJS(what, expr string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(agentTimeout)))
	if err != nil {
		b.t.Fatalf("%s tab: waiting for %s: %v\nmessages: %q", b.name, what, err, b.messages())
	}
}

func (b *tab) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s tab: %v", b.name, err)
	}
	return v
}

// root is where the tab's [data-kefu] hooks are: the widget's shadow root
// on the help page, the document in the console.
func (b *tab) root() string {
	if b.name == "member" {
		return `document.querySelector('#kefu-widget').shadowRoot`
	}
	return `document`
}

func (b *tab) sel(css string) chromedp.JSPath {
	return chromedp.JSPath(b.root() + `.querySelector(` + jsString(css) + `)`)
}

type shown struct{ From, Text string }

// messages are the [data-kefu=message] the tab shows, oldest first.
func (b *tab) messages() []shown {
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(Array.from(`+b.root()+`.querySelectorAll('[data-kefu=message]')).map(m => ({
		from: m.getAttribute('data-from'), text: m.querySelector('.bubble').textContent})))`))
	if err != nil {
		return nil
	}
	var out []shown
	_ = json.Unmarshal([]byte(raw), &out)
	return out
}

// waitMessage waits for a message from from whose text contains text.
func (b *tab) waitMessage(from, text string) {
	b.t.Helper()
	b.waitJS(from+" says "+text, `Array.from(`+b.root()+`.querySelectorAll('[data-kefu=message][data-from=`+from+`] .bubble')).some(x => x.textContent.includes(`+jsString(text)+`))`)
}

// signIn signs the console's sign-in page in as the demo agent and waits
// for the live connection.
func (b *tab) signIn() {
	b.t.Helper()
	b.do(
		chromedp.SendKeys(b.sel("[data-kefu=agent-name]"), "demo"),
		chromedp.SendKeys(b.sel("[data-kefu=agent-token]"), "demo"),
		chromedp.Click(b.sel("[data-kefu=agent-login]")),
	)
	b.waitJS("the live connection", `document.querySelector('#conn').getAttribute('data-state') === 'online'`)
}

// say types into [data-kefu=input] and presses [data-kefu=send].
func (b *tab) say(text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(b.sel("[data-kefu=input]"), text), chromedp.Click(b.sel("[data-kefu=send]")))
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

var (
	demoCodeRE = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)
	woRE       = regexp.MustCompile(`WO\d{15}`)
)

// The whole takeover in two browsers: a member verifies with the bot and
// asks for a person; the demo agent signs in, sees them arrive, claims,
// replies, reads the member's answer (the bot stays silent), cancels the
// membership for them (the member gets the receipt) and hands back to the
// bot, which answers again.
func TestBrowserAgentTakesOver(t *testing.T) {
	m := startMain(t)
	base := "http://" + m.Addr()
	member, agent := newTab(t, "member"), newTab(t, "agent")

	// The member verifies in the cancel flow.
	member.do(chromedp.Navigate(base+"/?lang=zh-CN"), chromedp.Click(member.sel("[data-kefu=launcher]")))
	member.waitJS("the welcome", member.root()+`.querySelector('[data-kefu=message][data-from=bot]')`)
	member.say("我要取消会员")
	member.waitMessage("member", "我要取消会员")
	member.say(channelDemoPhone)
	// The code goes out at once; the other ways are on the message.
	member.waitJS("the code sent", member.root()+`.querySelector('[data-kefu=button][data-value="method:questions"]:not(:disabled)')`)
	member.waitJS("the demo code", `Array.from(`+member.root()+`.querySelectorAll('[data-kefu=message][data-from=system]')).some(m => /(^|\D)\d{6}(\D|$)/.test(m.textContent))`)
	var code string
	for _, msg := range member.messages() {
		if c := demoCodeRE.FindStringSubmatch(msg.Text); msg.From == "system" && c != nil {
			code = c[1]
		}
	}
	member.say(code)
	member.waitJS("the options", member.root()+`.querySelector('[data-kefu=button][data-value="opt:cancel_now"]:not(:disabled)')`)

	// The agent signs in; nobody waits yet.
	agent.do(chromedp.Navigate(base+"/agent/"), chromedp.WaitVisible(agent.sel("[data-kefu=agent-name]")))
	agent.signIn()
	if n := agent.eval(`String(document.querySelectorAll('[data-kefu=conversation]').length)`); n != "0" {
		t.Fatalf("%s conversations listed before anyone asked", n)
	}

	// The member asks for a person and appears in the console, live.
	member.say("转人工")
	member.waitMessage("bot", "第 1 位")
	conv := waitingConversation(t, m)
	agent.waitJS("the member in the queue", `document.querySelector('[data-kefu=conversation][data-id=`+jsString(conv)+`][data-status=waiting]')`)
	for _, msg := range member.messages() {
		if woRE.MatchString(msg.Text) {
			t.Fatalf("the member was offered a call-back with an agent online: %q", msg.Text)
		}
	}
	agent.do(chromedp.Click(agent.sel(`[data-kefu=conversation][data-id=` + jsString(conv) + `]`)))
	agent.waitMessage("member", "转人工")
	agent.waitJS("the member summary", `document.querySelector('#member-verified').getAttribute('data-verified') === 'true'`)
	if facts := agent.eval(`document.querySelector('#member-facts').textContent`); strings.Contains(facts, channelDemoPhone) || !strings.Contains(facts, "****") {
		t.Fatalf("member facts %q: want the phone masked", facts)
	}

	// Claim and reply.
	agent.do(chromedp.Click(agent.sel("[data-kefu=claim]")))
	agent.waitJS("the claim", `!document.querySelector('[data-kefu=release]').hidden && !document.querySelector('[data-kefu=input]').disabled`)
	member.waitMessage("system", "demo")
	const hello = "您好，我是客服 demo，已看到您的会员信息。"
	agent.say(hello)
	member.waitMessage("agent", hello)
	agent.waitMessage("agent", hello)

	// The member's answer reaches the console, shown as text; the bot
	// stays silent: the agent's next reply is the next thing the member sees.
	const answer = "请帮我立即取消 <b>谢谢</b><img src=x onerror=\"window.pwned=1\">"
	member.say(answer)
	member.waitMessage("member", answer)
	agent.waitMessage("member", answer)
	if injected := agent.eval(`String(window.pwned === 1 || !!document.querySelector('.bubble b, .bubble img'))`); injected != "false" {
		t.Fatal("member text rendered as HTML in the console")
	}
	const onIt = "好的，马上为您办理。"
	agent.say(onIt)
	member.waitMessage("agent", onIt)
	msgs := member.messages()
	for i := len(msgs) - 1; i >= 0 && !(msgs[i].From == "member" && strings.Contains(msgs[i].Text, answer)); i-- {
		if msgs[i].From != "agent" {
			t.Fatalf("after the member's message the widget shows %+v, want only the agent's reply", msgs[i])
		}
	}

	// Cancel now for the member, with the confirm step.
	agent.waitJS("the action enabled", `!document.querySelector('[data-kefu=action-cancel-now]').disabled`)
	agent.do(chromedp.Click(agent.sel("[data-kefu=action-cancel-now]")))
	agent.waitJS("the confirm step", `!document.querySelector('#confirm').hidden`)
	agent.do(chromedp.Click(agent.sel("[data-kefu=action-confirm]")))
	agent.waitJS("the result", `/WO\d{15}/.test(document.querySelector('[data-kefu=action-result]').textContent) && !document.querySelector('[data-kefu=action-result]').hidden`)
	number := woRE.FindString(agent.eval(`document.querySelector('[data-kefu=action-result]').textContent`))
	member.waitMessage("agent", number)
	o, found, err := m.Runtime.WorkOrders().Get(context.Background(), number)
	if err != nil || !found || o.Kind != dialog.KindAgentAction || o.Action != dialog.KindCancelNow || o.Executor != "demo" || o.Conv != conv {
		t.Fatalf("order %s: %+v found=%v %v", number, o, found, err)
	}

	// The agent finds the order by number.
	agent.do(chromedp.SendKeys(agent.sel("[data-kefu=workorder-number]"), strings.ToLower(number)), chromedp.Click(agent.sel("[data-kefu=workorder-lookup]")))
	agent.waitJS("the work order", `!document.querySelector('[data-kefu=workorder]').hidden && document.querySelector('[data-kefu=workorder]').textContent.includes(`+jsString(number)+`)`)

	// Back to the bot, which answers the member again.
	agent.do(chromedp.Click(agent.sel("[data-kefu=release]")))
	agent.waitJS("the release", `!document.querySelector('[data-kefu=claim]').hidden && document.querySelector('[data-kefu=input]').disabled`)
	member.waitMessage("system", "交回")
	before := len(member.messages())
	member.say("你好")
	member.waitMessage("member", "你好")
	member.waitJS("the bot's answer", `(() => {
		const all = Array.from(`+member.root()+`.querySelectorAll('[data-kefu=message]')).slice(`+fmt.Sprint(before)+`);
		const i = all.findIndex(m => m.getAttribute('data-from') === 'member');
		return i >= 0 && all.slice(i + 1).some(m => m.getAttribute('data-from') === 'bot');
	})()`)
	agent.waitMessage("member", "你好")
	agent.waitJS("the conversation off the list", `!document.querySelector('[data-kefu=conversation][data-id=`+jsString(conv)+`]')`)
}

const channelDemoPhone = "13800138000"

// waitingConversation is the one web conversation waiting for a person.
func waitingConversation(t *testing.T, m *Main) string {
	t.Helper()
	convs, err := m.Runtime.Conversations(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range convs {
		if c.Status == bot.ConvWaiting {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("waiting web conversations %v, want one", ids)
	}
	return ids[0]
}

// The agent's tools in the console: a member who asked for a person while
// nobody was online left a call-back; the demo agent finds them by the last
// 4 digits of their phone, claims, inserts a canned reply by its shortcut
// from the keyboard, sends it, and closes the call-back with a note.
func TestBrowserAgentTools(t *testing.T) {
	m := startMain(t)
	base := "http://" + m.Addr()
	ctx := context.Background()
	conv, _, err := m.Runtime.Resolve(ctx, "web", "tools-member")
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"我要取消会员", channelDemoPhone, "转人工"} {
		if err := m.Runtime.Handle(ctx, conv, dialog.InputText, text, dialog.ZH); err != nil {
			t.Fatal(err)
		}
	}
	c, err := m.Runtime.Conversation(ctx, conv)
	if err != nil || c.Callback == "" {
		t.Fatalf("no call-back for a member asking while nobody is online: %+v %v", c, err)
	}
	number := c.Callback

	agent := newTab(t, "agent")
	agent.do(chromedp.Navigate(base+"/agent/"), chromedp.WaitVisible(agent.sel("[data-kefu=agent-name]")))
	agent.signIn()

	// Search by the last 4 digits; the list never shows the whole phone.
	agent.do(chromedp.SendKeys(agent.sel("[data-kefu=search]"), channelDemoPhone[7:]+"\r"))
	result := `[data-kefu=search-result][data-id=` + jsString(conv) + `]`
	agent.waitJS("the search result", `document.querySelector('`+result+`')`)
	if list := agent.eval(`document.querySelector('#results').textContent`); strings.Contains(list, channelDemoPhone) {
		t.Fatalf("search results show the whole phone: %q", list)
	}
	browsertest.RequireAccessible(t, agent.ctx, "the search results")
	agent.do(chromedp.Click(agent.sel(result)))
	agent.waitMessage("member", "转人工")
	agent.do(chromedp.Click(agent.sel("[data-kefu=claim]")))
	agent.waitJS("the claim", `!document.querySelector('[data-kefu=input]').disabled`)

	// "/ref" lists /refund; Enter inserts it in the conversation's language.
	var refund string
	for _, r := range m.Config.Replies {
		if r.Shortcut == "/refund" {
			refund = r.ZH
		}
	}
	if refund == "" {
		t.Fatalf("no demo reply /refund in %+v", m.Config.Replies)
	}
	agent.do(chromedp.Focus(agent.sel("[data-kefu=input]")), chromedp.SendKeys(agent.sel("[data-kefu=input]"), "/ref"))
	agent.waitJS("the canned replies offered", `!document.querySelector('[data-kefu=replies]').hidden && document.querySelector('[data-kefu=reply][data-shortcut="/refund"][aria-selected=true]')`)
	browsertest.RequireAccessible(t, agent.ctx, "the canned replies offered")
	agent.do(pressEnter())
	agent.waitJS("the reply inserted", `document.querySelector('[data-kefu=input]').value === `+jsString(refund)+` && document.querySelector('[data-kefu=replies]').hidden`)
	agent.do(chromedp.Click(agent.sel("[data-kefu=send]")))
	agent.waitMessage("agent", refund)

	// The call-backs view lists the order; a note closes it.
	agent.do(chromedp.Click(agent.sel("[data-kefu=callbacks-view]")))
	item := `[data-kefu=callback][data-number=` + jsString(number) + `]`
	agent.waitJS("the call-back listed", `document.querySelector('`+item+`') && !document.querySelector('#callbacks').hidden`)
	browsertest.RequireAccessible(t, agent.ctx, "the call-backs view")
	const note = "已回电，会员已在对话中处理。"
	agent.do(
		chromedp.SendKeys(agent.sel(item+" [data-kefu=callback-note]"), note),
		chromedp.Click(agent.sel(item+" [data-kefu=callback-close]")),
	)
	agent.waitJS("the call-back closed", `!document.querySelector('`+item+`') && document.querySelector('#count-callbacks').textContent === '0'`)
	o, found, err := m.Runtime.WorkOrders().Get(ctx, number)
	if err != nil || !found || o.Status != "done" || o.ClosedBy != "demo" || o.CloseNote != note {
		t.Fatalf("call-back %s after closing: %+v found=%v %v", number, o, found, err)
	}
}

// pressEnter presses Enter as a keyboard does: a key down the page may
// cancel, so the character it would type is not sent on its own (as
// chromedp's key events send it, whatever the page did).
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, k := range kb.Encode('\r') {
			if k.Type == kb.KeyChar {
				continue
			}
			if k.Type == kb.KeyDown {
				k.Text, k.UnmodifiedText = "\r", "\r" // typed unless the page cancels the key down
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
				return err
			}
		}
		return nil
	})
}
