package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/channeltest"
	"github.com/kefu-dev/kefu/internal/browsertest"
)

// The browser tests drive the real help page and widget in Debian's
// Chromium: one browser for the test binary, started by the first browser
// test, and a tab per test. Without a browser they skip, unless CI is set:
// there they must run.

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// page is a browser tab on a test server.
type page struct {
	t   *testing.T
	ctx context.Context
	srv *testServer
}

// newPage opens a tab; when the test fails, its screenshot is saved under
// testdata/failures.
func newPage(t *testing.T) *page {
	t.Helper()
	ctx := browsertest.Tab(t, "", 90*time.Second)
	return &page{t: t, ctx: ctx, srv: newTestServer(t, nil)}
}

// widget selects inside the widget's shadow root.
func widget(sel string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`document.querySelector('#kefu-widget').shadowRoot.querySelector(%q)`, sel))
}

const shadow = `document.querySelector('#kefu-widget').shadowRoot`

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// waitJS waits until the JavaScript expression is truthy; what names it in
// the failure.
func (p *page) waitJS(what, expr string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(channeltest.Timeout)))
	if err != nil {
		p.t.Fatalf("waiting for %s: %v\nmessages: %q", what, err, p.messages())
	}
}

// shownMessage is a rendered message as the test reads it.
type shownMessage struct {
	From    string   `json:"from"`
	Text    string   `json:"text"`
	Buttons []string `json:"buttons"` // values
}

func (p *page) messages() []shownMessage {
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`JSON.stringify(Array.from(`+shadow+`.querySelectorAll('[data-kefu=message]')).map(m => ({
		from: m.getAttribute('data-from'),
		text: m.querySelector('.bubble').innerText,
		buttons: Array.from(m.querySelectorAll('[data-kefu=button]')).map(b => b.getAttribute('data-value')),
	})))`))
	if err != nil {
		return nil
	}
	var out []shownMessage
	_ = json.Unmarshal([]byte(raw), &out)
	return out
}

// waitButton waits for an enabled reply button whose value starts with
// prefix and returns its value.
func (p *page) waitButton(prefix string) string {
	p.t.Helper()
	sel := fmt.Sprintf(`[data-kefu=button][data-value^=%q]:not(:disabled)`, prefix)
	p.waitJS("button "+prefix, shadow+`.querySelector(`+jsString(sel)+`)`)
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](shadow+`.querySelector(`+jsString(sel)+`).getAttribute('data-value')`))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

func (p *page) press(value string) {
	p.t.Helper()
	p.do(chromedp.Click(widget(fmt.Sprintf(`[data-kefu=button][data-value=%q]:not(:disabled)`, value))))
}

// say types text and clicks send.
func (p *page) say(text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(widget("[data-kefu=input]"), text), chromedp.Click(widget("[data-kefu=send]")))
	p.waitMember(text)
}

// sayEnter types text and presses Enter.
func (p *page) sayEnter(text string) {
	p.t.Helper()
	p.do(chromedp.Focus(widget("[data-kefu=input]")), chromedp.KeyEvent(text+kb.Enter))
	p.waitMember(text)
}

// waitMember waits for the echo of the member's text.
func (p *page) waitMember(text string) {
	p.t.Helper()
	p.waitJS("echo of "+text, `Array.from(`+shadow+`.querySelectorAll('[data-kefu=message][data-from=member] .bubble')).some(b => b.innerText.includes(`+jsString(text)+`))`)
}

var sixDigits = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)

// demoCode waits for the demo code's system message and reads the code.
func (p *page) demoCode() string {
	p.t.Helper()
	p.waitJS("demo code", `Array.from(`+shadow+`.querySelectorAll('[data-kefu=message][data-from=system]')).some(m => /(^|\D)\d{6}(\D|$)/.test(m.innerText))`)
	for _, m := range p.messages() {
		if m.From == "system" {
			if c := sixDigits.FindStringSubmatch(m.Text); c != nil {
				return c[1]
			}
		}
	}
	p.t.Fatal("demo code vanished")
	return ""
}

var woNumber = regexp.MustCompile(`WO\d{15}`)

// receipt waits for the bot's receipt and returns its work-order number.
func (p *page) receipt() string {
	p.t.Helper()
	p.waitJS("receipt", shadow+`.querySelector('[data-kefu=message][data-from=bot] .wo')`)
	for _, m := range p.messages() {
		if n := woNumber.FindString(m.Text); n != "" && m.From == "bot" {
			return n
		}
	}
	p.t.Fatal("no work-order number in the bot's messages")
	return ""
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The help page's cancel entry opens the widget straight into the cancel
// flow, finished here with buttons.
func TestBrowserCancelWithButtons(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(p.srv.URL+"/?lang=zh-CN"), chromedp.WaitVisible(chromedp.ID("cancel-membership")))
	p.do(chromedp.Click(chromedp.ID("cancel-membership")))
	p.do(chromedp.WaitVisible(widget("[data-kefu=input]")))
	p.waitJS("the flow's question", shadow+`.querySelectorAll('[data-kefu=message][data-from=bot]').length >= 2`)
	for _, m := range p.messages() {
		if len(m.Buttons) > 0 {
			t.Fatalf("the cancel entry showed %q with buttons %v, want the cancel flow at once", m.Text, m.Buttons)
		}
		channeltest.InLang(t, "zh-CN", m.Text)
	}
	p.say(channeltest.DemoPhone)
	// The code goes out at once; the other ways are on the message.
	p.waitButton("method:questions")
	code := p.demoCode()
	// The bot asks for the code: the text box offers the SMS's code.
	p.waitJS("text box set for a code", shadow+`.querySelector('[data-kefu=input]').autocomplete === 'one-time-code'`)
	p.say(code)
	p.press(p.waitButton("opt:cancel_now"))
	p.press(p.waitButton("confirm:"))
	number := p.receipt()
	o, found, err := p.srv.rt.WorkOrders().Get(p.ctx, number)
	if err != nil || !found || o.Channel != ChannelName {
		t.Fatalf("order %s: found=%v err=%v channel=%q", number, found, err, o.Channel)
	}
	// The receipt links its printable page, named, as a link of its own.
	href := testPublicURL + bot.ReceiptPath(number, o.Sig)
	p.waitJS("the receipt page's link", shadow+`.querySelector('[data-kefu=message][data-from=bot] a[href='+JSON.stringify(`+jsString(href)+`)+']')?.textContent === '打开回执页面'`)
	// Answered buttons cannot be pressed again.
	p.waitJS("old buttons disabled", `!`+shadow+`.querySelector('[data-kefu=button][data-value^="method:"]:not(:disabled), [data-kefu=button][data-value^="confirm:"]:not(:disabled)')`)
	// The optional reason question follows the receipt, and one tap answers it.
	p.press(p.waitButton("reason:price"))
	p.waitJS("the thanks", `(() => {
		const all = `+shadow+`.querySelectorAll('[data-kefu=message]');
		const last = all[all.length - 1];
		return last.getAttribute('data-from') === 'bot' && !last.querySelector('[data-kefu=button][data-value^="reason:"]');
	})()`)
	if o, _, err := p.srv.rt.WorkOrders().Get(p.ctx, number); err != nil || o.Reason != "price" {
		t.Fatalf("order %s after the reason: reason %q (%v), want price", number, o.Reason, err)
	}
}

// The same in English, typing every answer and sending with Enter.
func TestBrowserCancelByTyping(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(p.srv.URL+"/?lang=en"), chromedp.Click(widget("[data-kefu=launcher]")))
	p.waitButton("intent:cancel_membership")
	p.sayEnter("I want to cancel my membership")
	p.sayEnter("13800138000")
	p.waitButton("method:questions")
	p.sayEnter(p.demoCode())
	p.waitButton("opt:no_renew")
	p.sayEnter("don't renew")
	p.waitButton("confirm:")
	p.sayEnter("yes")
	number := p.receipt()
	// The optional reason question follows; a few typed words answer it.
	p.waitButton("reason:")
	p.sayEnter("too expensive")
	p.waitJS("the thanks", `(() => {
		const all = `+shadow+`.querySelectorAll('[data-kefu=message]');
		const last = all[all.length - 1];
		return last.getAttribute('data-from') === 'bot' && !last.querySelector('[data-kefu=button][data-value^="reason:"]');
	})()`)
	if o, _, err := p.srv.rt.WorkOrders().Get(p.ctx, number); err != nil || o.Reason == "" {
		t.Fatalf("order %s after the reason: reason %q (%v), want the member's words", number, o.Reason, err)
	}
	for _, m := range p.messages() {
		if m.From == "bot" {
			channeltest.InLang(t, "en", m.Text)
		}
	}
}

// A reload in the middle of the flow reopens the widget on the same
// conversation, without duplicates, and the flow continues.
func TestBrowserReloadMidFlow(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(p.srv.URL+"/?lang=zh-CN"), chromedp.Click(chromedp.ID("cancel-membership")))
	p.waitJS("the flow's question", shadow+`.querySelectorAll('[data-kefu=message][data-from=bot]').length >= 2`)
	p.say(channeltest.DemoPhone)
	p.waitButton("method:questions")
	code := p.demoCode() // the last message before the reload
	before := p.messages()

	p.do(chromedp.Reload())
	p.waitJS("the conversation replayed", shadow+`.querySelectorAll('[data-kefu=message]').length >= `+fmt.Sprint(len(before)))
	p.waitButton("method:email")
	if after := p.messages(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("after reload:\n%q\nwant:\n%q", after, before)
	}
	// The replayed buttons work: asking for the code by email this soon
	// gets an answer, and the code sent before still does.
	p.press("method:email")
	p.waitJS("the answer to the press", shadow+`.querySelectorAll('[data-kefu=message][data-from=bot]').length > `+fmt.Sprint(bots(before)))
	p.say(code)
	p.waitButton("opt:cancel_now")
}

// bots counts the bot's messages among ms.
func bots(ms []shownMessage) int {
	n := 0
	for _, m := range ms {
		if m.From == "bot" {
			n++
		}
	}
	return n
}

// The page's language switch reloads the page in English; the widget
// follows, and so does the conversation.
func TestBrowserSwitchLanguage(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(p.srv.URL+"/?lang=zh-CN"), chromedp.Click(widget("[data-kefu=launcher]")))
	p.waitButton("intent:cancel_membership")
	channeltest.InLang(t, "zh-CN", p.messages()[0].Text)

	if _, err := chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.CSS(`[data-lang-switch=en]`))); err != nil {
		t.Fatalf("switch to English: %v", err)
	}
	p.waitJS("English page", `document.documentElement.lang === 'en'`)
	p.waitJS("English widget", shadow+`.querySelector('h2').textContent === 'Membership assistant'`)
	p.waitJS("the bot in English", `(() => {
		const bots = `+shadow+`.querySelectorAll('[data-kefu=message][data-from=bot] .bubble');
		const last = bots[bots.length - 1];
		return bots.length > 1 && last && !/[\u4e00-\u9fff]/.test(last.innerText);
	})()`)
	p.sayEnter("I want to cancel my membership")
	p.waitJS("an English reply", `(() => {
		const all = `+shadow+`.querySelectorAll('[data-kefu=message]');
		const last = all[all.length - 1];
		return last.getAttribute('data-from') === 'bot' && !/[\u4e00-\u9fff]/.test(last.innerText);
	})()`)
}

// Messages typed before the socket is open are sent once it is; member text
// is shown as text, never HTML; the page loads nothing from elsewhere; the
// keyboard can close the chat.
func TestBrowserWidgetBasics(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(p.srv.URL + "/?lang=en"))
	p.waitJS("widget", `window.Kefu && `+shadow+`.querySelector('[data-kefu=launcher]')`)
	const evil = `<img src=x onerror="window.pwned=1"><b>bold</b>`
	p.do(chromedp.Evaluate[chromedp.Void](`(() => {
		Kefu.open({focus: false});
		const input = ` + shadow + `.querySelector('[data-kefu=input]');
		input.value = ` + jsString(evil) + `;
		` + shadow + `.querySelector('[data-kefu=send]').click();
	})()`))
	p.waitMember(evil)
	p.waitJS("the reply", shadow+`.querySelectorAll('[data-kefu=message][data-from=bot]').length >= 2`)
	injected, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.pwned === 1 || !!`+shadow+`.querySelector('.bubble img, .bubble b')`))
	if err != nil || injected {
		t.Fatalf("member text rendered as HTML (injected=%v, %v)", injected, err)
	}
	live, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](shadow+`.querySelector('[data-kefu=message]').parentElement.getAttribute('aria-live')`))
	if err != nil || live != "polite" {
		t.Fatalf("message list aria-live = %q (%v), want polite", live, err)
	}

	resources, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name).concat([location.href])`))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resources {
		if !strings.HasPrefix(r, p.srv.URL+"/") {
			t.Fatalf("the page loaded %s from elsewhere", r)
		}
	}

	p.do(chromedp.Focus(widget("[data-kefu=input]")), chromedp.KeyEvent(kb.Escape))
	p.waitJS("closed by Escape", shadow+`.querySelector('.panel').hidden && `+shadow+`.activeElement === `+shadow+`.querySelector('[data-kefu=launcher]')`)
}
