package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-dev/kefu/internal/browsertest"
)

// axe-core finds no critical or serious violation in the agent console:
// the sign-in page, the empty queue, the queue with a member waiting, and
// the conversation view with that member selected, then claimed and
// answered.
func TestBrowserConsoleAccessible(t *testing.T) {
	m := startMain(t)
	base := "http://" + m.Addr()
	agent := newTab(t, "agent")
	agent.do(chromedp.Navigate(base+"/agent/"), chromedp.WaitVisible(agent.sel("[data-kefu=agent-name]")))
	browsertest.RequireAccessible(t, agent.ctx, "the sign-in page")

	agent.signIn()
	browsertest.RequireAccessible(t, agent.ctx, "the console with nobody waiting")

	// A member asks for a person while the agent is online.
	member := openWebMember(t, m, "zh-CN")
	member.await("the welcome", func(f convMessage) bool { return f.From == "bot" })
	member.say("转人工")
	if got := member.await("the queue notice", func(f convMessage) bool { return f.From == "bot" }); !strings.Contains(got.Text, "第 1 位") {
		t.Fatalf("member told %q, want place 1", got.Text)
	}
	conv := waitingConversation(t, m)

	agent.waitJS("the member in the queue", `document.querySelector('[data-kefu=conversation][data-id=`+jsString(conv)+`]')`)
	browsertest.RequireAccessible(t, agent.ctx, "the console with a member waiting")

	agent.do(chromedp.Click(agent.sel(`[data-kefu=conversation][data-id=` + jsString(conv) + `]`)))
	agent.waitMessage("member", "转人工")
	agent.waitJS("the member summary", `document.querySelector('#member-verified').hasAttribute('data-verified')`)
	browsertest.RequireAccessible(t, agent.ctx, "the conversation view")

	agent.do(chromedp.Click(agent.sel("[data-kefu=claim]")))
	agent.waitJS("the claim", `!document.querySelector('[data-kefu=input]').disabled`)
	agent.say("您好，我是客服 demo。")
	agent.waitMessage("agent", "您好，我是客服 demo。")
	browsertest.RequireAccessible(t, agent.ctx, "the claimed conversation")
}
