package agent

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// Reply is a canned reply an agent inserts by its shortcut: the same words
// in each language the console serves members in.
type Reply struct {
	Shortcut string `json:"shortcut" toml:"shortcut"` // "/refund"
	ZH       string `json:"zh" toml:"zh"`
	EN       string `json:"en" toml:"en"`
}

// maxShortcut bounds a shortcut's length, the "/" included.
const maxShortcut = 32

// Check says what is wrong with r, in a sentence naming the reply; nil
// when nothing is. A shortcut is "/" and then letters, digits, "-" or "_";
// each text is not empty and fits in one agent message.
func (r Reply) Check() error {
	name := r.Shortcut
	if name == "" {
		name = "(no shortcut)"
	}
	rest, ok := strings.CutPrefix(r.Shortcut, "/")
	if !ok || rest == "" || utf8.RuneCountInString(r.Shortcut) > maxShortcut || strings.ContainsFunc(rest, func(c rune) bool {
		return !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}) {
		return fmt.Errorf("reply %q: the shortcut must be / and then up to %d letters, digits, - or _, e.g. /refund", name, maxShortcut-1)
	}
	for _, text := range []struct{ lang, s string }{{"zh", r.ZH}, {"en", r.EN}} {
		if strings.TrimSpace(text.s) == "" {
			return fmt.Errorf("reply %s: %s is missing: give the reply in both zh and en", r.Shortcut, text.lang)
		}
		if n := utf8.RuneCountInString(text.s); n > dialog.DefaultMaxLen {
			return fmt.Errorf("reply %s: %s has %d characters; at most %d fit in one message", r.Shortcut, text.lang, n, dialog.DefaultMaxLen)
		}
	}
	return nil
}

// CheckReplies checks each reply and that no two share a shortcut
// (shortcuts are compared ignoring case); it returns the first problem.
func CheckReplies(replies []Reply) error {
	seen := map[string]bool{}
	for i, r := range replies {
		if r.Shortcut == "" {
			return fmt.Errorf("reply number %d has no shortcut: give it one such as /refund", i+1)
		}
		if err := r.Check(); err != nil {
			return err
		}
		key := strings.ToLower(r.Shortcut)
		if seen[key] {
			return fmt.Errorf("reply %s is given twice: each shortcut names one reply", r.Shortcut)
		}
		seen[key] = true
	}
	return nil
}

// DemoReplies are the canned replies of --demo, true to the demo platform's
// rules and contact (bot.DemoArticleFacts).
func DemoReplies() []Reply {
	f := bot.DemoArticleFacts()
	return []Reply{
		{
			Shortcut: "/hello",
			ZH:       "您好，我是人工客服，很高兴为您服务。请问有什么可以帮您？",
			EN:       "Hello, this is a support agent. How can I help you today?",
		},
		{
			Shortcut: "/refund",
			ZH:       fmt.Sprintf("月度 VIP 在本期开始后 %s 天内取消可全额退款，之后按未使用的天数退款；年度 VIP 取消不退款，您可以选择到期不续费，权益保留到本期结束。", f["cooling_off_days"]),
			EN:       fmt.Sprintf("Monthly VIP cancelled within %s days of the period's start is refunded in full, later for the days not used; Annual VIP is not refunded, but you can choose not to renew and keep your benefits to the end of the period.", f["cooling_off_days"]),
		},
		{
			Shortcut: "/wait",
			ZH:       "请稍等，我正在为您查询，马上回复您。",
			EN:       "One moment please, I am looking into it.",
		},
		{
			Shortcut: "/bye",
			ZH:       fmt.Sprintf("感谢您的耐心。如还有问题，欢迎随时联系我们，客服热线 %s（%s）。再见！", f["hotline"], f["hotline_hours"]),
			EN:       fmt.Sprintf("Thank you for your patience. If anything else comes up, write to us any time or call %s (%s). Goodbye!", f["hotline"], f["hotline_hours"]),
		},
	}
}

// replies serves GET /agent/api/replies: {"replies":[{"shortcut","zh","en"}]}.
func (c *Console) replies(w http.ResponseWriter, r *http.Request, agent string) {
	writeJSON(w, http.StatusOK, map[string]any{"replies": c.cannedReplies})
}
