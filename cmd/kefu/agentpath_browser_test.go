package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/browsertest"
)

// A person does everything a 客服 does, in two browsers: a member locks
// themselves out with wrong codes and asks for a person; the demo agent
// signs in, finds them by phone, claims, verifies them by the security
// questions, cancels for them, leaves a note the member never sees,
// answers with a canned reply and closes; the member rates the agent.
func TestBrowserAgentFullPath(t *testing.T) {
	m := startMain(t)
	base := "http://" + m.Addr()
	member, agent := newTab(t, "member"), newTab(t, "agent")

	agent.do(chromedp.Navigate(base+"/agent/"), chromedp.WaitVisible(agent.sel("[data-kefu=agent-name]")))
	browsertest.RequireAccessible(t, agent.ctx, "the sign-in page")
	agent.signIn()

	// The member locks the account with wrong codes, then asks for a person.
	member.do(chromedp.Navigate(base+"/?lang=zh-CN"), chromedp.Click(member.sel("[data-kefu=launcher]")))
	member.waitJS("the welcome", member.root()+`.querySelector('[data-kefu=message][data-from=bot]')`)
	member.say("我要取消会员")
	member.waitMessage("member", "我要取消会员")
	member.say(channelDemoPhone)
	member.waitMessage("bot", "验证码已发送")
	for range 5 {
		member.say("000000")
	}
	member.waitMessage("bot", "转人工")
	member.say("转人工")
	member.waitMessage("bot", "第 1 位")
	conv := waitingConversation(t, m)

	// Find by the whole phone; claim.
	agent.do(chromedp.SendKeys(agent.sel("[data-kefu=search]"), channelDemoPhone+"\r"))
	result := `[data-kefu=search-result][data-id=` + jsString(conv) + `]`
	agent.waitJS("the search result", `document.querySelector('`+result+`')`)
	agent.do(chromedp.Click(agent.sel(result)))
	agent.waitMessage("member", "转人工")
	agent.do(chromedp.Click(agent.sel("[data-kefu=claim]")))
	agent.waitJS("the verify form", `!document.querySelector('[data-kefu=verify-form]').hidden && !document.querySelector('[data-kefu=input]').disabled`)
	member.waitMessage("system", "demo")
	agent.waitJS("the search result held", `document.querySelector('`+result+`[data-status=active][data-mine=true]')`)
	if agent.eval(`String(document.querySelector('[data-kefu=action-cancel-now]').disabled)`) != "true" {
		t.Fatal("cancel offered before the member is verified")
	}
	browsertest.RequireAccessible(t, agent.ctx, "the conversation with the verify form")

	// A wrong answer, then the right ones.
	agent.do(
		chromedp.SendKeys(agent.sel("[data-kefu=verify-account]"), channelDemoPhone),
		chromedp.SendKeys(agent.sel("[data-kefu=verify-last-order]"), "30"),
		chromedp.SendKeys(agent.sel("[data-kefu=verify-month]"), "3"),
		chromedp.Click(agent.sel("[data-kefu=verify-submit]")),
	)
	agent.waitJS("the wrong answer", `document.querySelector('[data-kefu=verify-result]').getAttribute('data-kind') === 'error' && document.querySelector('[data-kefu=verify-result]').textContent.includes('2')`)
	agent.do(
		chromedp.SetValue(agent.sel("[data-kefu=verify-last-order]"), "50.00"),
		chromedp.Click(agent.sel("[data-kefu=verify-submit]")),
	)
	agent.waitJS("verified", `document.querySelector('#member-verified').getAttribute('data-verified') === 'true' && document.querySelector('[data-kefu=verify-form]').hidden`)
	member.waitMessage("system", "已通过安全问题核实")
	agent.screenshot("/tmp/kefu-verified.png")

	// Cancel now for them: the member gets the receipt.
	agent.waitJS("the action enabled", `!document.querySelector('[data-kefu=action-cancel-now]').disabled`)
	agent.do(chromedp.Click(agent.sel("[data-kefu=action-cancel-now]")))
	agent.waitJS("the confirm step", `!document.querySelector('#confirm').hidden`)
	agent.do(chromedp.Click(agent.sel("[data-kefu=action-confirm]")))
	agent.waitJS("the result", `/WO\d{15}/.test(document.querySelector('[data-kefu=action-result]').textContent)`)
	number := woRE.FindString(agent.eval(`document.querySelector('[data-kefu=action-result]').textContent`))
	member.waitMessage("agent", number)

	// A note, shown as text to agents and never to the member.
	const note = "会员被锁定后转人工，已核实并代办 <b>立即取消</b>"
	agent.do(chromedp.SendKeys(agent.sel("[data-kefu=note-input]"), note), chromedp.Click(agent.sel("[data-kefu=note-add]")))
	agent.waitJS("the note", `Array.from(document.querySelectorAll('[data-kefu=note]')).some(n => n.textContent.includes(`+jsString(note)+`)) && !document.querySelector('#notes b')`)

	// A canned reply by its shortcut.
	agent.do(chromedp.Focus(agent.sel("[data-kefu=input]")), chromedp.SendKeys(agent.sel("[data-kefu=input]"), "/ref"))
	agent.waitJS("the canned replies", `document.querySelector('[data-kefu=reply][data-shortcut="/refund"][aria-selected=true]')`)
	agent.do(pressEnter())
	agent.waitJS("the reply inserted", `document.querySelector('[data-kefu=input]').value.length > 0 && document.querySelector('[data-kefu=replies]').hidden`)
	reply := agent.eval(`document.querySelector('[data-kefu=input]').value`)
	agent.do(chromedp.Click(agent.sel("[data-kefu=send]")))
	member.waitMessage("agent", reply)
	agent.screenshot("/tmp/kefu-conversation.png")
	browsertest.RequireAccessible(t, agent.ctx, "the conversation with notes")

	// Close: the member is asked one optional question, and answers it.
	agent.do(chromedp.Click(agent.sel("[data-kefu=close]")))
	member.waitJS("the satisfaction question", member.root()+`.querySelector('[data-kefu=button][data-value="csat:up"]:not(:disabled)')`)
	member.do(chromedp.Click(member.sel(`[data-kefu=button][data-value="csat:up"]`)))
	member.waitMessage("bot", "谢谢您的评价")
	for _, msg := range member.messages() {
		if strings.Contains(msg.Text, "代办") {
			t.Fatalf("the member sees the note: %+v", msg)
		}
	}
	c, err := m.Runtime.Conversation(context.Background(), conv)
	if err != nil || c.CSAT != "up" || c.Status != bot.ConvBot {
		t.Fatalf("after the rating: %+v %v", c, err)
	}
	o, found, err := m.Runtime.WorkOrders().Get(context.Background(), number)
	if err != nil || !found || o.Action != dialog.KindCancelNow || o.Executor != "demo" {
		t.Fatalf("order %s: %+v found=%v %v", number, o, found, err)
	}

	// The day in the report: the cancellation, the handoff, the 👍.
	today := o.CreatedAt.In(m.Config.TZ).Format(time.DateOnly)
	agent.do(chromedp.Click(agent.sel("[data-kefu=reports-view]")))
	agent.waitReport("the report", 7)
	if bars := agent.bars("#chart-outcomes"); bars[today+" cancel_now"] != 1 {
		t.Fatalf("outcome bars %v, want the cancellation on %s", bars, today)
	}
	if bars := agent.bars("#chart-contacts"); bars[today+" handoffs"] != 1 {
		t.Fatalf("contact bars %v, want the handoff on %s", bars, today)
	}
	if tiles := agent.texts(`#reports-tiles [data-kefu=tile] .tile-value`); len(tiles) != 8 || !strings.Contains(tiles[5], "👍 1") || tiles[6] == "—" {
		t.Fatalf("tiles %q, want 👍 1 and the wait for a person", tiles)
	}
	browsertest.RequireAccessible(t, agent.ctx, "the reports view")
	agent.screenshot("/tmp/kefu-path-report.png")
}
