package dialog_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// verifyTo drives a fresh conversation to the options step.
func verifyTo(h *harness, first, account string) []dialog.Reply {
	h.say(first)
	h.say(account) // the code goes out at once
	r, _ := h.say(testCode)
	return r
}

func TestCancelNowIssuesOneOrder(t *testing.T) {
	h := newHarness(t)
	if got := ids(verifyTo(h, "我要取消会员", "13800138000")); !slices.Equal(got, []string{"verified", "options"}) {
		t.Fatalf("after the code: %v, want verified, options", got)
	}
	h.turn(dialog.InputButton, "opt:cancel_now")
	r, _ := h.turn(dialog.InputButton, "confirm:1")
	if len(r) != 2 || r[0].ID != "receipt_cancel_now" || r[1].ID != "ask_reason" {
		t.Fatalf("confirm: %v", ids(r))
	}
	number := r[0].Data["Number"].(string)
	if _, err := dialog.ParseNumber(number); err != nil {
		t.Fatalf("receipt number %q: %v", number, err)
	}
	// The refund is the unused 20 of 30 days of ¥30.
	if got := r[0].Data["Refund"]; got != dialog.Money(2000) {
		t.Errorf("refund %v, want ¥20.00", got)
	}
	again, _ := h.turn(dialog.InputButton, "confirm:1")
	if len(again) != 1 || again[0].Data["Number"] != number {
		t.Fatalf("second confirm: %+v, want the same receipt %s", again, number)
	}
	if len(h.orders.byNum) != 1 {
		t.Fatalf("%d orders, want 1", len(h.orders.byNum))
	}
}

func TestBareCancelAtConfirmationAsks(t *testing.T) {
	for _, word := range []string{"取消", "cancel"} {
		h := newHarness(t)
		verifyTo(h, "cancel my membership", "13800138000")
		h.turn(dialog.InputButton, "opt:no_renew")
		r, _ := h.say(word)
		if len(r) != 1 || r[0].ID != "clarify_confirm" || len(r[0].Buttons) != 2 {
			t.Fatalf("%q at confirmation: %+v, want a clarifying question with two buttons", word, r)
		}
		if len(h.orders.byNum) != 0 {
			t.Fatalf("%q at confirmation issued an order", word)
		}
	}
}

func TestUnregisteredAccountLooksRegistered(t *testing.T) {
	run := func(account string) []string {
		h := newHarness(t)
		var all []string
		for _, in := range []string{"cancel my membership", account} {
			r, _ := h.say(in)
			all = append(all, ids(r)...)
		}
		r, _ := h.say("000000")
		return append(all, ids(r)...)
	}
	if reg, unreg := run("13800138000"), run("13500135000"); !slices.Equal(reg, unreg) {
		t.Fatalf("registered %v, unregistered %v", reg, unreg)
	}
	h := newHarness(t)
	r := verifyTo(h, "cancel my membership", "13500135000")
	if len(r) != 1 || r[0].ID != "code_wrong" {
		t.Fatalf("the right code for an unregistered phone: %v, want code_wrong", ids(r))
	}
}

func TestLockoutOffersPersonAndSurvivesNewConversation(t *testing.T) {
	h := newHarness(t)
	h.say("取消会员")
	h.say("13800138000")
	var r []dialog.Reply
	for i := 0; i < 5; i++ {
		r, _ = h.say("000000")
	}
	if len(r) != 1 || r[0].ID != "locked" || r[0].Buttons[0].Value != "intent:human_agent" {
		t.Fatalf("fifth wrong code: %+v", r)
	}
	h.conv = "fresh"
	r = verifyTo(h, "取消会员", "13800138000")
	if h.state().Verified != "" {
		t.Fatalf("a new conversation verified a locked account: %v", ids(r))
	}
}

// TestAbortChangesNothing: an explicit keep ends the flow with nothing
// changed and says what still happens: the next charge while auto-renew is
// on.
func TestAbortChangesNothing(t *testing.T) {
	for _, word := range []string{"算了", "不取消了", "never mind", "keep my membership", "保留会员"} {
		h := newHarness(t)
		verifyTo(h, "cancel my membership", "13800138000")
		h.turn(dialog.InputButton, "opt:cancel_now")
		r, _ := h.say(word)
		if len(r) != 1 || r[0].ID != "kept_renews" || r[0].Data["Price"] != dialog.Money(3000) {
			t.Errorf("%q: %+v, want kept_renews with the next charge", word, r)
		}
		if h.state().InFlow() || len(h.orders.byNum) != 0 {
			t.Errorf("%q left a flow open or issued an order", word)
		}
	}
}

func TestWrongCheckDigitRefusedBeforeLookup(t *testing.T) {
	h := newHarness(t)
	r, _ := h.say("查询工单 WO202611240000128")
	if len(r) != 1 || r[0].ID != "number_check_digit" {
		t.Fatalf("wrong check digit: %v", ids(r))
	}
}

func TestHumanAgentIsAnEffect(t *testing.T) {
	for _, text := range []string{"转人工", "I want to talk to a real person"} {
		h := newHarness(t)
		h.say("取消会员")
		_, effects := h.say(text)
		if !slices.ContainsFunc(effects, func(e dialog.Effect) bool { _, ok := e.(dialog.Handoff); return ok }) {
			t.Errorf("%q: effects %v, want a Handoff", text, effects)
		}
		if h.state().Goal != dialog.IntentCancelMembership {
			t.Errorf("%q dropped the open flow", text)
		}
	}
}

func TestMemberMessageLimit(t *testing.T) {
	h := newHarness(t)
	r, _ := h.say(strings.Repeat("取", dialog.DefaultMaxLen+1))
	if len(r) != 1 || r[0].ID != "too_long" {
		t.Fatalf("long message: %v", ids(r))
	}
	r, _ = h.say(strings.Repeat("取", dialog.DefaultMaxLen))
	if r[0].ID == "too_long" {
		t.Fatalf("a message of exactly the limit was refused")
	}
}

func TestVerificationExpires(t *testing.T) {
	h := newHarness(t)
	verifyTo(h, "我的会员状态", "13800138000")
	if h.state().Verified == "" {
		t.Fatal("not verified")
	}
	h.now = h.now.Add(16 * time.Minute)
	r, _ := h.say("取消会员")
	if got := ids(r); !slices.Equal(got, []string{"intro_cancel_membership", "ask_account"}) {
		t.Fatalf("after 16 minutes: %v, want to verify again", got)
	}
}

func TestPortFailureIsHonest(t *testing.T) {
	h := newHarness(t)
	h.say("取消会员")
	h.say("13800138000")
	h.members.down = true
	r, effects := h.say(testCode)
	last := r[len(r)-1]
	if last.ID != "unavailable" || len(effects) != 1 {
		t.Fatalf("member system down: %v %v", ids(r), effects)
	}
}

// TestTurnDeterministic: the same input in the same state yields the same
// replies.
func TestTurnDeterministic(t *testing.T) {
	h := newHarness(t)
	for _, in := range []string{"取消会员", "13800138000", testCode, "2", "取消", "确认", "太贵了"} {
		input := dialog.Input{Kind: dialog.InputText, Text: in, At: h.now.Add(time.Second), Conv: h.conv}
		_, r1, e1 := h.engine.Turn(context.Background(), h.state(), input)
		st, r2, e2 := h.engine.Turn(context.Background(), h.state(), input)
		if !reflect.DeepEqual(ids(r1), ids(r2)) || len(e1) != len(e2) {
			t.Fatalf("%q: %v then %v", in, ids(r1), ids(r2))
		}
		h.states[h.conv], h.now = st, input.At
	}
	if h.state().InFlow() || len(h.orders.byNum) != 1 {
		t.Fatalf("the flow did not finish with one order: %+v", h.state())
	}
}

func TestButtonLabelsRender(t *testing.T) {
	h := newHarness(t)
	values := []string{"abort", "back", "resend", "methods", "continue", "reason:price", "lang:en", "lang:zh-CN",
		"method:sms", "method:email", "method:questions", "opt:cancel_now", "opt:no_renew"}
	for _, in := range dialog.Intents {
		if in != dialog.IntentGreeting && in != dialog.IntentHelp && in != dialog.IntentOutOfScope {
			values = append(values, "intent:"+string(in))
		}
	}
	for _, v := range values {
		id, ok := dialog.ButtonLabel(v)
		if !ok {
			t.Errorf("%q has no label", v)
			continue
		}
		h.render(dialog.ZH, dialog.Reply{ID: id})
	}
	if _, ok := dialog.ButtonLabel("confirm:1"); ok {
		t.Error("a confirm button got a label without its message")
	}
}

// TestLapsedMemberCountsAsExpired: a plan past its period end is not
// offered for cancelling, even if the member system still says active.
func TestLapsedMemberCountsAsExpired(t *testing.T) {
	h := newHarness(t)
	h.now = h.now.Add(21 * 24 * time.Hour)
	r := verifyTo(h, "我要取消会员", "13800138000")
	if got := ids(r); !slices.Equal(got, []string{"verified", "cancel_expired"}) {
		t.Fatalf("lapsed member: %v, want verified, cancel_expired", got)
	}
}
