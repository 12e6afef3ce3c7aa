package main

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/browsertest"
)

// The Reports view: two members leave through the chat, one at once and
// one at the period's end because of the price; the demo agent opens
// Reports and finds them in the day bars, the reasons, the tiles and the
// tables under the charts, in Chinese and in English, picks other ranges,
// downloads the CSV, and axe-core finds nothing serious.
func TestBrowserReports(t *testing.T) {
	m := startMain(t)
	base := "http://" + m.Addr()
	now := leaveByChat(t, m, "reports-now", channelDemoPhone, "opt:cancel_now", "")
	renewOff := leaveByChat(t, m, "reports-renew", "13900139000", "opt:no_renew", "reason:price")
	if renewOff.Reason != "price" {
		t.Fatalf("don't-renew order %s has reason %q, want price", renewOff.Number, renewOff.Reason)
	}
	// The same member finds a help-center article helpful.
	ctx := context.Background()
	conv, _, err := m.Runtime.Resolve(ctx, "web", "reports-renew")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"csat:up", "kb:up:refund-policy"} { // rates the flow, then an article
		if err := m.Runtime.Handle(ctx, conv, dialog.InputButton, v, dialog.ZH); err != nil {
			t.Fatal(err)
		}
	}
	// Each order counts on its own day (the two may straddle midnight).
	nowDay := now.CreatedAt.In(m.Config.TZ).Format(time.DateOnly)
	renewDay := renewOff.CreatedAt.In(m.Config.TZ).Format(time.DateOnly)

	agent := newTab(t, "agent")
	agent.do(chromedp.Navigate(base+"/agent/"), chromedp.WaitVisible(agent.sel("[data-kefu=agent-name]")))
	// The charts are drawn within the console's CSP (no inline style).
	agent.do(chromedp.Evaluate[chromedp.Void](`window.kefuCSP = []; document.addEventListener('securitypolicyviolation', e => window.kefuCSP.push(e.violatedDirective + ' ' + e.blockedURI))`))
	agent.signIn()
	if agent.eval(`document.documentElement.lang`) != "zh-CN" { // the browser's language picks the first
		agent.do(chromedp.Click(agent.sel("#app [data-kefu=ui-lang]")))
		agent.waitJS("the Chinese labels", `document.documentElement.lang === 'zh-CN'`)
	}

	agent.do(chromedp.Click(agent.sel("[data-kefu=reports-view]")))
	agent.waitReport("the default report", 7)
	if got := agent.eval(`[document.querySelector('#chat-view').hidden, document.querySelector('#callbacks').hidden,
		document.querySelector('[data-kefu=reports-view]').getAttribute('aria-pressed')].join()`); got != "true,true,true" {
		t.Fatalf("chat hidden, call-backs hidden, reports pressed: %s", got)
	}

	// The bars: one cancel-now and one don't-renew, each on its day.
	bars := agent.bars("#chart-outcomes")
	if len(bars) != 7*3 {
		t.Fatalf("%d outcome bars, want 3 for each of 7 days: %v", len(bars), bars)
	}
	if bars[nowDay+" cancel_now"] != 1 || bars[renewDay+" no_renew"] != 1 {
		t.Fatalf("outcome bars %v: want cancel_now 1 on %s and no_renew 1 on %s", bars, nowDay, renewDay)
	}
	if sum := seriesTotals(bars); sum["cancel_now"] != 1 || sum["no_renew"] != 1 || sum["kept"] != 0 {
		t.Fatalf("outcome totals %v, want cancel_now 1, no_renew 1, kept 0", sum)
	}
	if n := len(agent.bars("#chart-contacts")); n != 7*2 {
		t.Fatalf("%d handoff and call-back bars, want 2 for each of 7 days", n)
	}
	reasons := agent.bars("#chart-reasons")
	if want := map[string]int{" price": 1, " unused": 0, " switching": 0, " other": 0}; !equalCounts(reasons, want) {
		t.Fatalf("reason bars %v, want %v", reasons, want)
	}

	// The tiles and the tables hold the same totals.
	tiles := agent.texts(`#reports-tiles [data-kefu=tile] .tile-value`)
	if len(tiles) != 8 || tiles[0] != "1" || tiles[1] != "1" || tiles[2] != "0" || !strings.Contains(tiles[5], "👍 1") || tiles[7] != "5" {
		t.Fatalf("tiles %q, want 8: cancelled 1, don't renew 1, kept 0, …, 👍 1, …, 5 member actions", tiles)
	}
	if foot := agent.texts(`#chart-outcomes tfoot td`); strings.Join(foot, ",") != "1,1,0" {
		t.Fatalf("the outcome table's totals %q, want 1,1,0", foot)
	}
	if row := agent.texts(`#chart-reasons tbody tr:first-child > *`); strings.Join(row, ",") != "价格太贵,1" {
		t.Fatalf("the reason table's first row %q, want 价格太贵,1", row)
	}
	if row := agent.texts(`#reports-kb [data-kefu=kb-article][data-id=refund-policy] > *`); strings.Join(row, ",") != "refund-policy,1,0,100%" {
		t.Fatalf("the article verdicts row %q, want refund-policy,1,0,100%%", row)
	}
	if label := agent.eval(`document.querySelector('#chart-outcomes svg').getAttribute('role') + ' ' + document.querySelector('#chart-outcomes svg').getAttribute('aria-label')`); !strings.HasPrefix(label, "img ") || !strings.Contains(label, "立即取消 1") {
		t.Fatalf("the outcome chart's accessible name %q, want an img summing up 立即取消 1", label)
	}
	if page := agent.eval(`document.querySelector('[data-kefu=reports]').textContent`); strings.Contains(page, channelDemoPhone) || strings.Contains(page, "demo@example.com") {
		t.Fatalf("the reports show a member's details: %q", page)
	}

	// The tables open from the keyboard; axe checks them open.
	agent.do(chromedp.Focus(agent.sel("#chart-outcomes summary")), pressEnter())
	agent.waitJS("the outcome table open", `document.querySelector('#chart-outcomes details').open`)
	agent.do(chromedp.Click(agent.sel("#chart-reasons summary")))
	agent.waitJS("the reason table open", `document.querySelector('#chart-reasons details').open`)
	browsertest.RequireAccessible(t, agent.ctx, "the reports view")
	agent.screenshot("/tmp/kefu-reports-zh.png")

	// English relabels the page, the charts included.
	agent.do(chromedp.Click(agent.sel("#app [data-kefu=ui-lang]")))
	agent.waitJS("the English labels", `document.documentElement.lang === 'en' && document.querySelector('#reports-title').textContent === 'Service reports'`)
	if got := agent.texts(`#reports-tiles .tile-label`); len(got) < 2 || got[0] != "Cancelled now" || got[1] != "Don't renew" {
		t.Fatalf("English tile labels %q", got)
	}
	if got := agent.texts(`#chart-reasons svg text.label`); strings.Join(got, "|") != "Too expensive|I don't use it enough|Switching to another service|Something else" {
		t.Fatalf("English reason labels %q", got)
	}
	if got := agent.eval(`document.querySelector('#chart-outcomes svg').getAttribute('aria-label')`); !strings.Contains(got, "Cancelled now 1") {
		t.Fatalf("English chart name %q", got)
	}
	if got := agent.eval(`document.querySelector('#reports').textContent`); regexp.MustCompile(`\p{Han}`).MatchString(got) {
		t.Fatalf("Chinese left on the English reports view: %q", got)
	}
	browsertest.RequireAccessible(t, agent.ctx, "the reports view in English")
	agent.screenshot("/tmp/kefu-reports-en.png")

	// One day: the don't-renew's.
	agent.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-kefu=reports-from]').value = document.querySelector('[data-kefu=reports-to]').value = ` + jsString(renewDay)))
	agent.do(chromedp.Click(agent.sel("[data-kefu=reports-show]")))
	agent.waitReport("the one-day report", 1)
	if bars := agent.bars("#chart-outcomes"); len(bars) != 3 || bars[renewDay+" no_renew"] != 1 {
		t.Fatalf("one day's bars %v, want no_renew 1 on %s", bars, renewDay)
	}
	// A range ending before it starts is refused in the page.
	agent.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-kefu=reports-from]').value = '2026-12-02'; document.querySelector('[data-kefu=reports-to]').value = '2026-12-01'`))
	agent.do(chromedp.Click(agent.sel("[data-kefu=reports-show]")))
	agent.waitJS("the range refused", `!document.querySelector('#reports-error').hidden && document.querySelector('#reports-error').textContent.includes('start date')`)

	// The last 30 days.
	agent.do(chromedp.Click(agent.sel("[data-kefu=reports-days][data-days='30']")))
	agent.waitReport("the 30-day report", 30)
	if got := agent.eval(`document.querySelector('[data-kefu=reports-days][data-days="30"]').getAttribute('aria-pressed') + document.querySelector('#reports-error').hidden`); got != "truetrue" {
		t.Fatalf("after the 30-day button: pressed and error hidden = %s", got)
	}

	if v := agent.eval(`JSON.stringify(window.kefuCSP)`); v != "[]" {
		t.Fatalf("CSP violations on the reports view: %s", v)
	}

	// The CSV comes with the token; the test catches the file instead of
	// letting the browser save it.
	agent.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const make = URL.createObjectURL;
		URL.createObjectURL = b => { b.text().then(x => { window.kefuCSV = x; }); return make.call(URL, b); };
		document.addEventListener('click', e => {
			if (e.target.matches('a[download]')) { window.kefuCSVName = e.target.download; e.preventDefault(); }
		}, true);
	})()`))
	agent.do(chromedp.Click(agent.sel("[data-kefu=reports-csv]")))
	agent.waitJS("the CSV", `typeof window.kefuCSV === 'string' && typeof window.kefuCSVName === 'string'`)
	csvText, name := agent.eval(`window.kefuCSV`), agent.eval(`window.kefuCSVName`)
	from, to := agent.eval(`document.querySelector('[data-kefu=reports]').dataset.from`), agent.eval(`document.querySelector('[data-kefu=reports]').dataset.to`)
	if name != "kefu-report-"+from+"-"+to+".csv" || !strings.HasPrefix(csvText, "date,") || !strings.Contains(csvText, "\n"+renewDay+",") {
		t.Fatalf("CSV %q:\n%s\nwant the days %s to %s with a header", name, csvText, from, to)
	}
}

// leaveByChat takes a member through the chat's cancel flow, from the
// opener to the receipt and, when reason is set, the optional reason, and
// returns the work order.
func leaveByChat(t *testing.T, m *Main, user, phone, option, reason string) dialog.WorkOrder {
	t.Helper()
	ctx := context.Background()
	conv, _, err := m.Runtime.Resolve(ctx, "web", user)
	if err != nil {
		t.Fatal(err)
	}
	handle := func(kind dialog.InputKind, text string) {
		t.Helper()
		if err := m.Runtime.Handle(ctx, conv, kind, text, dialog.ZH); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	handle(dialog.InputText, "我要取消会员")
	handle(dialog.InputText, phone)
	handle(dialog.InputText, lastMatch(t, m, conv, "system", demoCodeRE)) // the demo code
	handle(dialog.InputButton, option)
	handle(dialog.InputButton, "confirm:1")
	number := lastMatch(t, m, conv, "bot", woRE)
	if reason != "" {
		handle(dialog.InputButton, reason)
	}
	o, found, err := m.Runtime.WorkOrders().Get(ctx, number)
	if err != nil || !found {
		t.Fatalf("order %s: found=%v %v", number, found, err)
	}
	return o
}

// lastMatch is re's last match (its group, if it has one) in a message
// from from in the conversation.
func lastMatch(t *testing.T, m *Main, conv, from string, re *regexp.Regexp) string {
	t.Helper()
	msgs, err := m.Runtime.History(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if c := re.FindStringSubmatch(msgs[i].Text); msgs[i].From == from && c != nil {
			return c[len(c)-1]
		}
	}
	t.Fatalf("no %s message matching %s in %+v", from, re, msgs)
	return ""
}

// waitReport waits for the Reports view to show a report of days days.
func (b *tab) waitReport(what string, days int) {
	b.t.Helper()
	b.waitJS(what, `(() => {
		const r = document.querySelector('[data-kefu=reports]');
		return !r.hidden && r.hasAttribute('data-to') && !r.hasAttribute('aria-busy') &&
			document.querySelectorAll('#chart-outcomes tbody tr').length === `+strconv.Itoa(days)+`;
	})()`)
}

// bars are the data-value of each [data-kefu=bar] in the chart, by
// "data-date data-series".
func (b *tab) bars(chart string) map[string]int {
	b.t.Helper()
	raw := b.eval(`JSON.stringify(Array.from(document.querySelectorAll(` + jsString(chart+" [data-kefu=bar]") + `)).map(x =>
		[(x.getAttribute('data-date') || '') + ' ' + x.getAttribute('data-series'), Number(x.getAttribute('data-value'))]))`)
	var pairs [][2]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
		b.t.Fatalf("bars %s: %v", raw, err)
	}
	out := map[string]int{}
	for _, p := range pairs {
		var k string
		var v int
		if json.Unmarshal(p[0], &k) != nil || json.Unmarshal(p[1], &v) != nil {
			b.t.Fatalf("bar %s", raw)
		}
		if _, dup := out[k]; dup {
			b.t.Fatalf("two bars for %q in %s", k, chart)
		}
		out[k] = v
	}
	return out
}

// texts are the textContent of the elements matching css, in order.
func (b *tab) texts(css string) []string {
	b.t.Helper()
	var out []string
	raw := b.eval(`JSON.stringify(Array.from(document.querySelectorAll(` + jsString(css) + `)).map(x => x.textContent))`)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		b.t.Fatalf("texts of %s: %v", css, err)
	}
	return out
}

// screenshot saves the tab, the Reports view whole, to file when
// KEFU_SCREENSHOTS=1, for a person to look at.
func (b *tab) screenshot(file string) {
	b.t.Helper()
	if os.Getenv("KEFU_SCREENSHOTS") != "1" {
		return
	}
	h := b.eval(`String(Math.max(document.body.scrollHeight, document.querySelector('#reports-body').scrollHeight + 120))`)
	var height int64
	if err := json.Unmarshal([]byte(h), &height); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1280, max(height, 860)))
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1280, 860))
	b.t.Logf("screenshot: %s", file)
}

func seriesTotals(bars map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range bars {
		_, series, _ := strings.Cut(k, " ")
		out[series] += v
	}
	return out
}

func equalCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if n, ok := got[k]; !ok || n != v {
			return false
		}
	}
	return true
}
