package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

func TestQueueClaimReplyRelease(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	ctx := context.Background()
	offline := e.rt.Handoffs().AgentOnline("alice")
	defer offline()

	a, _, _ := e.rt.Resolve(ctx, "test", "member-a")
	b, _, _ := e.rt.Resolve(ctx, "test", "member-b")
	e.send(a, dialog.InputText, "取消会员")
	queued := texts(e.send(a, dialog.InputText, "转人工"))
	if !strings.Contains(queued, "第 1 位") || numberRE.MatchString(queued) {
		t.Fatalf("with an agent online: %q, want place 1 and no callback order", queued)
	}
	if got := texts(e.send(b, dialog.InputText, "人工客服")); !strings.Contains(got, "第 2 位") {
		t.Fatalf("second member: %q", got)
	}
	if p := e.rt.Handoffs().QueuePosition(b); p != 2 {
		t.Fatalf("position of b: %d", p)
	}

	// b hears of the better place once a is claimed.
	heard := make(chan bot.Message, 8)
	unsub, _ := e.rt.Subscribe(b, func(m bot.Message) { heard <- m })
	defer unsub()
	c, err := e.rt.Handoffs().Claim(ctx, a, "alice", 0)
	if err != nil || c.Status != bot.ConvActive || c.Agent != "alice" {
		t.Fatalf("claim: %+v %v", c, err)
	}
	select {
	case m := <-heard:
		if m.From != bot.FromSystem || !strings.Contains(m.Text, "第 1 位") {
			t.Fatalf("b heard %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b was not told its new place")
	}

	if _, err := e.rt.Handoffs().Claim(ctx, a, "bob", 0); !errors.Is(err, bot.ErrHeld) {
		t.Fatalf("second claim: %v, want ErrHeld", err)
	}
	if _, err := e.rt.Handoffs().AgentMessage(ctx, a, "alice", c.Version+1, "hi"); !errors.Is(err, bot.ErrStale) {
		t.Fatalf("stale version: %v, want ErrStale", err)
	}
	if _, err := e.rt.Handoffs().AgentMessage(ctx, a, "bob", 0, "hi"); !errors.Is(err, bot.ErrHeld) {
		t.Fatalf("message from another agent: %v, want ErrHeld", err)
	}
	if _, err := e.rt.Handoffs().AgentMessage(ctx, a, "alice", c.Version, "您好，我是客服 Alice"); err != nil {
		t.Fatal(err)
	}
	// While held, the bot is silent: the member's message gets no reply.
	if got := e.send(a, dialog.InputText, "我想取消会员"); len(got) != 0 {
		t.Fatalf("the bot spoke in a held conversation: %+v", got)
	}
	c, err = e.rt.Handoffs().Release(ctx, a, "alice", c.Version)
	if err != nil || c.Status != bot.ConvBot {
		t.Fatalf("release: %+v %v", c, err)
	}
	if got := e.send(a, dialog.InputText, "13800138000"); len(got) == 0 || got[0].From != bot.FromBot {
		t.Fatalf("the bot did not answer after release: %+v", got)
	}
	hist, _ := e.rt.History(ctx, a)
	var agentSaid bool
	for _, m := range hist {
		agentSaid = agentSaid || (m.From == bot.FromAgent && m.Text == "您好，我是客服 Alice")
	}
	if !agentSaid {
		t.Fatal("the agent's message is not in the transcript")
	}
}

// TestNoAgentOnlineGivesCallbackAndStillQueues: with nobody online the
// member is told so plainly with a callback number, never a queue place
// and a wait that cannot both be true; agents still see them waiting.
func TestNoAgentOnlineGivesCallbackAndStillQueues(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	ctx := context.Background()
	id, _, _ := e.rt.Resolve(ctx, "test", "m")
	got := texts(e.send(id, dialog.InputText, "转人工"))
	if strings.Contains(got, "第 1 位") || strings.Contains(got, "分钟") || !strings.Contains(got, "没有在线") || !numberRE.MatchString(got) {
		t.Fatalf("no agent online: %q, want a callback number and no queue place", got)
	}
	c, err := e.rt.Conversation(ctx, id)
	if err != nil || c.Status != bot.ConvWaiting {
		t.Fatalf("status %q (%v), want waiting", c.Status, err)
	}
	// Asking again repeats the same callback, not a second one.
	if again := texts(e.send(id, dialog.InputText, "转人工")); numberRE.FindString(again) != numberRE.FindString(got) {
		t.Fatalf("second ask: %q, want the callback %s again", again, numberRE.FindString(got))
	}
}

func TestAgentActExecutesForVerifiedMemberOnly(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	ctx := context.Background()
	defer e.rt.Handoffs().AgentOnline("alice")()
	id, _, _ := e.rt.Resolve(ctx, "test", "m")
	e.send(id, dialog.InputText, "转人工")
	c, _ := e.rt.Handoffs().Claim(ctx, id, "alice", 0)
	if _, err := e.rt.Handoffs().AgentAct(ctx, id, "alice", c.Version, dialog.KindCancelNow); !errors.Is(err, bot.ErrNotVerified) {
		t.Fatalf("acting for an unverified member: %v", err)
	}
	c, _ = e.rt.Handoffs().Release(ctx, id, "alice", c.Version)
	e.send(id, dialog.InputText, "取消会员")
	e.send(id, dialog.InputText, "13800138000")
	e.send(id, dialog.InputText, e.codes.get("13800138000"))
	e.send(id, dialog.InputText, "转人工")
	c, err := e.rt.Handoffs().Claim(ctx, id, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.rt.Handoffs().AgentAct(ctx, id, "alice", c.Version, dialog.KindNoRenew)
	if err != nil || o.Kind != dialog.KindAgentAction || o.Action != dialog.KindNoRenew || o.Executor != "alice" {
		t.Fatalf("agent action: %+v %v", o, err)
	}
	again, err := e.rt.Handoffs().AgentAct(ctx, id, "alice", c.Version, dialog.KindNoRenew)
	if err != nil || again.Number != o.Number {
		t.Fatalf("repeated action gave %q, want %q (%v)", again.Number, o.Number, err)
	}
	hist, _ := e.rt.History(ctx, id)
	last := hist[len(hist)-1]
	for _, m := range hist {
		if strings.Contains(m.Text, o.Number) && m.From == bot.FromAgent {
			last = m
		}
	}
	if !strings.Contains(last.Text, o.Number) {
		t.Fatalf("the member got no receipt with %s", o.Number)
	}
}

func TestLeaseExpiresWithoutConsole(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	ctx := context.Background()
	offline := e.rt.Handoffs().AgentOnline("alice")
	id, _, _ := e.rt.Resolve(ctx, "test", "m")
	e.send(id, dialog.InputText, "转人工")
	if _, err := e.rt.Handoffs().Claim(ctx, id, "alice", 0); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Handoffs().AgentSendCode(ctx, id, "alice", 0, "13800138000", dialog.MethodSMS); err != nil {
		t.Fatal(err)
	}
	offline()
	e.rt.Handoffs().ExpireLeases(ctx) // within the grace period: kept
	if c, _ := e.rt.Conversation(ctx, id); c.Status != bot.ConvActive {
		t.Fatalf("lease expired within the grace period: %q", c.Status)
	}
	e.advance(3 * time.Minute)
	e.rt.Handoffs().ExpireLeases(ctx)
	c, _ := e.rt.Conversation(ctx, id)
	if c.Status != bot.ConvWaiting || c.Agent != "" || c.CodeBy != "" {
		t.Fatalf("after the grace period: %q held by %q, code pending for %q", c.Status, c.Agent, c.CodeBy)
	}
	if e.rt.Handoffs().QueuePosition(id) != 1 {
		t.Fatalf("not back in the queue")
	}
}

func TestCloseThenMemberStartsAfresh(t *testing.T) {
	e := openEnv(t, t.TempDir())
	defer e.close()
	ctx := context.Background()
	defer e.rt.Handoffs().AgentOnline("alice")()
	id, _, _ := e.rt.Resolve(ctx, "test", "m")
	e.send(id, dialog.InputText, "转人工")
	c, _ := e.rt.Handoffs().Claim(ctx, id, "alice", 0)
	if c, err := e.rt.Handoffs().CloseConversation(ctx, id, "alice", c.Version); err != nil || c.Status != bot.ConvClosed {
		t.Fatalf("close: %+v %v", c, err)
	}
	if _, err := e.rt.Handoffs().AgentMessage(ctx, id, "alice", 0, "late"); !errors.Is(err, bot.ErrNotHeld) {
		t.Fatalf("message after close: %v", err)
	}
	if got := e.send(id, dialog.InputText, "你好"); len(got) == 0 {
		t.Fatal("no bot reply after close")
	}
	if c, _ := e.rt.Conversation(ctx, id); c.Status != bot.ConvBot {
		t.Fatalf("status after the member came back: %q", c.Status)
	}
}

func TestQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := openEnv(t, dir)
	ctx := context.Background()
	a, _, _ := e.rt.Resolve(ctx, "test", "a")
	b, _, _ := e.rt.Resolve(ctx, "test", "b")
	e.send(a, dialog.InputText, "转人工")
	e.send(b, dialog.InputText, "转人工")
	e.close()
	e.open()
	defer e.close()
	if pa, pb := e.rt.Handoffs().QueuePosition(a), e.rt.Handoffs().QueuePosition(b); pa != 1 || pb != 2 {
		t.Fatalf("positions after restart: %d, %d", pa, pb)
	}
}
