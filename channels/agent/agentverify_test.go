package agent

import (
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
	e.fails("POST", "/agent/api/conversations/"+m.id+"/verify", alice, `{"account":"13900139000","method":"sms"}`, http.StatusBadRequest, CodeBadRequest)
	e.fails("POST", "/agent/api/conversations/no-such/verify", alice, right, http.StatusNotFound, CodeNotFound)
}
