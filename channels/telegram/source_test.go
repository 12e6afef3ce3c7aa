package telegram

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
)

// A Telegram user is a source for the verification limits: one asking
// codes for account after account is stopped after 10 in an hour, whatever
// the accounts; another user is not.
func TestCodesLimitedPerTelegramUser(t *testing.T) {
	e := newEnv(t)
	// Each account given is sent a code at once, by SMS.
	ask := func(m *member, account int) (got string, sent bool) {
		t.Helper()
		phone := strconv.Itoa(13000000000 + account)
		m.send(phone) // "my number is actually …"
		got = m.until("an answer about the code", func(s telegramtest.Sent) bool {
			return strings.Contains(s.Text, "验证码") && !s.Italic && s.HasButton("method:questions") // sent, or refused
		}).Text
		want := e.rt.Catalog().MustRender(dialog.ZH, "code_sent_sms", map[string]any{"Account": dialog.Masked(dialog.MaskPhone(phone)), "Minutes": 5})
		return got, got == want
	}

	m := e.member("zh-hans")
	m.send("我要取消会员")
	for i := range 10 {
		if got, sent := ask(m, i); !sent {
			t.Fatalf("code %d: %q", i+1, got)
		}
	}
	if got, _ := ask(m, 10); !strings.Contains(got, "次数过多") {
		t.Fatalf("11th code from one Telegram user: %q; want the send limit", got)
	}
	other := e.member("zh-hans")
	other.send("我要取消会员")
	if got, sent := ask(other, 11); !sent {
		t.Fatalf("another user's code: %q", got)
	}
}
