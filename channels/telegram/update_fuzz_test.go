package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
)

// problems collects what a logger reports at error level or as a panic.
type problems struct {
	mu   sync.Mutex
	msgs []string
}

func (p *problems) Enabled(context.Context, slog.Level) bool { return true }
func (p *problems) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *problems) WithGroup(string) slog.Handler            { return p }

func (p *problems) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError && !strings.Contains(r.Message, "panic") {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	p.mu.Lock()
	p.msgs = append(p.msgs, b.String())
	p.mu.Unlock()
	return nil
}

func (p *problems) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs = nil
	return out
}

var chatTypes = []string{"private", "group", "supergroup", "channel", "sender", ""}

// fuzzUpdate builds an update of kind k: a text message, a shared contact,
// a pressed button on a message that is still there or one that is not;
// or, for k%8 == 7, text itself is the body.
func fuzzUpdate(id int64, k uint8, chat, from int64, chatType uint8, text, data, lang string, contactUser int64) []byte {
	if k%8 == 7 {
		return []byte(text)
	}
	user := map[string]any{"id": from, "is_bot": k&0x40 != 0, "first_name": "M"}
	if lang != "" {
		user["language_code"] = lang
	}
	ct := chatTypes[int(chatType)%len(chatTypes)]
	chatObj := map[string]any{"id": chat, "type": ct}
	msg := map[string]any{"message_id": 1 + int(id%1000), "date": time.Now().Unix(), "chat": chatObj, "from": user}
	if k&0x20 != 0 {
		msg["reply_to_message"] = map[string]any{
			"message_id": 1, "date": time.Now().Unix(), "chat": chatObj,
			"from": map[string]any{"id": telegramtest.BotID, "is_bot": true, "first_name": "Kefu", "username": telegramtest.BotUsername},
		}
	}
	u := map[string]any{"update_id": id}
	switch k % 8 {
	case 0, 1, 2:
		msg["text"] = text
		if strings.HasPrefix(text, "/") {
			n := strings.IndexByte(text+" ", ' ')
			msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len([]rune(text[:n]))}}
		}
		u["message"] = msg
	case 3:
		msg["caption"] = text
		u["message"] = msg
	case 4:
		msg["contact"] = map[string]any{"phone_number": text, "first_name": "Me", "user_id": contactUser}
		u["message"] = msg
	case 5:
		msg["from"] = map[string]any{"id": telegramtest.BotID, "is_bot": true, "first_name": "Kefu", "username": telegramtest.BotUsername}
		msg["text"] = text
		msg["reply_markup"] = map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "x", "callback_data": data}}}}
		u["callback_query"] = map[string]any{"id": "q" + data, "from": user, "message": msg, "chat_instance": "ci", "data": data}
	case 6: // the message is too old to be shown: date 0
		u["callback_query"] = map[string]any{
			"id": "q", "from": user, "chat_instance": "ci", "data": data,
			"message": map[string]any{"message_id": 1, "date": 0, "chat": chatObj},
		}
	}
	b, _ := json.Marshal(u)
	return b
}

// FuzzUpdate hands the Telegram adapter's webhook any update — messages,
// commands, shared contacts, pressed buttons, in private chats, groups and
// channels, from members and bots, and raw bodies — and checks that it
// answers as the webhook must (200 for an update, 400 for anything else),
// that nothing panics, and that nothing is logged as an error: a refused
// send means kefu sent Telegram something invalid.
func FuzzUpdate(f *testing.F) {
	for _, s := range []struct {
		k          uint8
		chat, from int64
		ct         uint8
		text, data string
		lang       string
	}{
		{0, 4242, 4242, 0, "我要取消会员", "", "zh-hans"},
		{0, 4242, 4242, 0, "/start cancel", "", "en"},
		{1, 4242, 4242, 0, "/lang@kefu_test_bot en", "", ""},
		{2, -100, 4242, 2, "@kefu_test_bot 我要取消会员", "", "zh"},
		{0x20, -100, 4242, 1, "cancel please", "", "en"},
		{3, 4242, 4242, 0, "caption text", "", ""},
		{4, 4242, 4242, 0, "+86 138-0013-8000", "", "zh-hans"},
		{5, 4242, 4242, 0, "pick", "method:sms", "en"},
		{5, 4242, 4242, 0, "pick", "confirm:1", "en"},
		{6, 4242, 4242, 0, "", "opt:cancel_now", ""},
		{0x40, 4242, 4242, 0, "I am a bot", "", ""},
		{7, 0, 0, 0, `{"update_id":5,"message":{"message_id":1,"date":1760000000,"chat":{"id":1,"type":"private"},"text":"hi"}}`, "", ""},
		{7, 0, 0, 0, `{"update_id":6,"callback_query":{"id":"x","from":{"id":1,"is_bot":false,"first_name":"a"},"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"}},"data":"abort"}}`, "", ""},
		{7, 0, 0, 0, `{"update_id":0}`, "", ""},
		{7, 0, 0, 0, `[]`, "", ""},
		{0, 4242, 4242, 0, strings.Repeat("长", 5000), "", ""},
		{0, 0, 0, 0, "", "", ""},
	} {
		f.Add(s.k, s.chat, s.from, s.ct, s.text, s.data, s.lang, s.from)
	}

	api := telegramtest.NewServer()
	f.Cleanup(api.Close)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	rt, err := bot.Open(bot.Config{DataDir: f.TempDir(), Demo: true, Location: loc, Log: quietLog})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { rt.Close() })
	seen := &problems{}
	a, err := New(Config{
		Runtime: rt, Token: telegramtest.Token, APIURL: api.URL, WebhookURL: "https://kefu.example.com/hook",
		Log: slog.New(seen), GlobalRate: -1, ChatRate: -1,
	})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	hook := a.WebhookHandler()
	var ids atomic.Int64

	f.Fuzz(func(t *testing.T, k uint8, chat, from int64, chatType uint8, text, data, lang string, contactUser int64) {
		// Few chats, so that per-chat state stays small over a long run.
		chat, from = chat%200, from%200
		id := ids.Add(1)
		if k&0x80 != 0 && id > 1 {
			id-- // a repeated update
		}
		body := fuzzUpdate(id, k, chat, from, chatType, text, data, lang, contactUser)
		req := httptest.NewRequest(http.MethodPost, a.WebhookPath(), bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", a.secret)
		rec := httptest.NewRecorder()
		hook.ServeHTTP(rec, req)
		var probe struct {
			ID int64 `json:"update_id"`
		}
		isUpdate := json.Unmarshal(body, &probe) == nil && probe.ID != 0
		switch {
		case rec.Code == http.StatusOK:
		case rec.Code == http.StatusBadRequest && (k%8 == 7 || !isUpdate):
		default:
			t.Fatalf("webhook answered %d to %s", rec.Code, body)
		}
		if ps := seen.take(); len(ps) > 0 {
			t.Fatalf("after %s:\n%s", body, strings.Join(ps, "\n"))
		}
	})
}
