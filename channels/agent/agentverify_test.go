package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// TestAgentVerifiesLockedMember: a member who locked themselves out with
// wrong codes asks for a person; the agent verifies them by the security
// questions (a wrong answer counts for agents apart), acts for them, and
// the member hears who checked.
func TestAgentVerifiesLockedMember(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "locked")
	m.say("我要取消会员")
	m.say("13800138000")
	for range 5 {
		m.say("000000")
	}
	m.say("转人工")
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", &s)

	verify := func(amount, month string) string {
		return fmt.Sprintf(`{"account":"138 0013 8000","method":"questions","answers":{"last_order":%q,"registered_month":%q},"version":%d}`, amount, month, s.Version)
	}
	res, body := e.call("POST", "/agent/api/conversations/"+m.id+"/verify", alice, verify("30.00", "3"))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"tries_left":2`) || !strings.Contains(string(body), CodeWrongAnswer) {
		t.Fatalf("a wrong answer: %d %s, want 422 wrong_answer with 2 tries left", res.StatusCode, body)
	}
	var ok struct {
		Verified bool              `json:"verified"`
		Member   bot.MemberSummary `json:"member"`
	}
	e.ok("POST", "/agent/api/conversations/"+m.id+"/verify", alice, verify("50", "March"), &ok)
	if !ok.Verified || !ok.Member.Verified || strings.Contains(ok.Member.Phone, "13800138000") {
		t.Fatalf("verified: %+v", ok)
	}
	m.await("the member told who checked", func(msg bot.Message) bool {
		return msg.From == bot.FromSystem && strings.Contains(msg.Text, "alice") && strings.Contains(msg.Text, "核实")
	})
	var o dialog.WorkOrder
	e.ok("POST", "/agent/api/conversations/"+m.id+"/actions", alice, fmt.Sprintf(`{"action":"cancel_now","version":%d}`, s.Version), &o)
	if o.Executor != "alice" || o.Action != dialog.KindCancelNow {
		t.Fatalf("the agent's order %+v", o)
	}
}

// TestAgentVerificationLocksAfterThreeWrong: agents get three tries per
// account, then wait; bob is refused while alice's wrong answers lock it.
func TestAgentVerificationLocksAfterThreeWrong(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "guess")
	m.say("转人工")
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", &s)
	wrong := `{"account":"13900139000","method":"questions","answers":{"last_order":"1","registered_month":"1"}}`
	for _, want := range []int{http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusLocked, http.StatusLocked} {
		if res, body := e.call("POST", "/agent/api/conversations/"+m.id+"/verify", alice, wrong); res.StatusCode != want {
			t.Fatalf("wrong answers: %d %s, want %d", res.StatusCode, body, want)
		}
	}
	right := `{"account":"13900139000","method":"questions","answers":{"last_order":"298","registered_month":"7"}}`
	if res, _ := e.call("POST", "/agent/api/conversations/"+m.id+"/verify", alice, right); res.StatusCode != http.StatusLocked {
		t.Fatalf("right answers while locked for agents: %d, want 423", res.StatusCode)
	}
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", bob, right, http.StatusConflict, CodeHeld)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", "", right, http.StatusUnauthorized, CodeUnauthorized)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", alice, `{"account":"nobody","method":"questions"}`, http.StatusBadRequest, CodeBadRequest)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", alice, `{"account":"13900139000","method":"fax"}`, http.StatusBadRequest, CodeBadRequest)
	e.fails("POST", "/agent/api/conversations/no-such/verify", alice, right, http.StatusNotFound, CodeNotFound)
}

// TestAgentVerifiesByCode: the agent has a code sent by SMS; the member
// types it in the chat while the agent holds it (a wrong one first, which
// counts as the bot's do), and the agent can then act. A 6-digit number
// typed with no code pending is only a message.
func TestAgentVerifiesByCode(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "by-code")
	m.say("转人工")
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", &s)
	m.drain()
	if heard := m.say("123456"); len(heard) != 0 {
		t.Fatalf("a number with no code pending was answered: %+v", heard)
	}

	var sent struct {
		Sent    bool   `json:"sent"`
		Method  string `json:"method"`
		Account string `json:"account"`
	}
	res, body := e.call("POST", "/agent/api/conversations/"+m.id+"/verify", alice, `{"account":"13800138000","method":"sms"}`)
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(body, &sent) != nil || !sent.Sent || sent.Method != "sms" || sent.Account != "138****8000" {
		t.Fatalf("send a code: %d %s, want 202 with the masked account", res.StatusCode, body)
	}
	var code string
	told := false
	for _, msg := range m.drain() {
		if c := sixDigits.FindStringSubmatch(msg.Text); msg.From == bot.FromSystem && c != nil {
			code = c[1]
		}
		told = told || msg.From == bot.FromSystem && strings.Contains(msg.Text, "alice") && strings.Contains(msg.Text, "138****8000")
	}
	if code == "" || !told {
		t.Fatalf("code %q, member told %v", code, told)
	}
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", alice, `{"account":"13800138000","method":"sms"}`, http.StatusTooManyRequests, CodeTooSoon)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/actions", alice, `{"action":"no_renew"}`, http.StatusConflict, CodeNotVerified)

	wrong := "000000"
	if wrong == code {
		wrong = "111111"
	}
	if heard := m.say(wrong); len(heard) != 1 || heard[0].From != bot.FromSystem || !strings.Contains(heard[0].Text, "还可以再试 4 次") {
		t.Fatalf("a wrong code: %+v", heard)
	}
	if heard := m.say("验证码是 " + code); len(heard) != 1 || !strings.Contains(heard[0].Text, "已核实") || !strings.Contains(heard[0].Text, "alice") {
		t.Fatalf("the right code: %+v", heard)
	}
	var o dialog.WorkOrder
	e.ok("POST", "/agent/api/conversations/"+m.id+"/actions", alice, `{"action":"no_renew"}`, &o)
	if o.Executor != "alice" || o.Action != dialog.KindNoRenew {
		t.Fatalf("the agent's order %+v", o)
	}
	// The receipt names the agent, in the chat and by the notifier (the
	// demo's shows it, after the turn).
	m.await("the receipt naming alice", func(msg bot.Message) bool {
		return msg.From == bot.FromAgent && strings.Contains(msg.Text, o.Number) && strings.Contains(msg.Text, "办理人：客服 alice")
	})
	for _, by := range []string{"短信", "邮件"} {
		m.await("the notifier's receipt by "+by+" naming alice", func(msg bot.Message) bool {
			return msg.From == bot.FromSystem && strings.Contains(msg.Text, o.Number+" 的"+by) && strings.Contains(msg.Text, "客服 alice")
		})
	}
	if heard := m.say(code); len(heard) != 0 {
		t.Fatalf("the code again after verifying was answered: %+v", heard)
	}
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", bob, `{"account":"13800138000","method":"email"}`, http.StatusConflict, CodeHeld)
}
