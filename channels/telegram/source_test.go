package telegram

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
)

// A Telegram user is a source for the verification limits: one asking
// codes for account after account is stopped after 10 in an hour, whatever
// the accounts; another user is not.
func TestCodesLimitedPerTelegramUser(t *testing.T) {
	e := newEnv(t)
	ask := func(m *member, account int) string {
		t.Helper()
		m.send(strconv.Itoa(13000000000 + account)) // "my number is actually …"
		m.withButton("method:sms")
		m.press("method:sms")
		return m.until("an answer about the code", func(s telegramtest.Sent) bool {
			return strings.Contains(s.Text, "验证码") && !s.Italic
		}).Text
	}
	sent := func(s string) bool { return strings.Contains(s, "已通过短信发送") }

	m := e.member("zh-hans")
	m.send("我要取消会员")
	for i := range 10 {
		if got := ask(m, i); !sent(got) {
			t.Fatalf("code %d: %q", i+1, got)
		}
	}
	if got := ask(m, 10); !strings.Contains(got, "次数过多") {
		t.Fatalf("11th code from one Telegram user: %q; want the send limit", got)
	}
	other := e.member("zh-hans")
	other.send("我要取消会员")
	if got := ask(other, 11); !sent(got) {
		t.Fatalf("another user's code: %q", got)
	}
}
