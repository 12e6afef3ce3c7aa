package telegram

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/go-telegram/bot/models"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/channeltest"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
)

// timeout is how long a test waits for any one thing; generous for -race
// on a loaded machine. Tests wait on conditions, never for a fixed time.
const timeout = 15 * time.Second

var quietLog = slog.New(slog.DiscardHandler)

// env is a kefu runtime on its own data directory with the adapter in front
// of it, talking to a fake Bot API.
type env struct {
	t   testing.TB
	dir string
	api *telegramtest.Server
	rt  *bot.Runtime
	a   *Adapter
	cfg Config // template for each adapter; Runtime filled in
	// editRuntime, when not nil, adjusts the runtime's configuration.
	editRuntime func(*bot.Config)

	beforeHandle func(*models.Update)
	handled      atomic.Int64 // updates finished by every adapter so far
	paces        paceLog      // when the limiters let each send go
}

// paceLog records the times the outbound limiters gave each send, by chat.
type paceLog struct {
	mu     sync.Mutex
	byChat map[int64][]pace
}

type pace struct{ chatAt, globalAt time.Time }

func (l *paceLog) record(chat int64, chatAt, globalAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byChat == nil {
		l.byChat = map[int64][]pace{}
	}
	l.byChat[chat] = append(l.byChat[chat], pace{chatAt, globalAt})
}

func (l *paceLog) of(chat int64) []pace {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pace(nil), l.byChat[chat]...)
}

// newEnv opens a demo runtime and starts an adapter polling a fresh fake
// Bot API, without outbound limits unless mod sets them.
func newEnv(t testing.TB, mod ...func(*Config)) *env {
	t.Helper()
	return newEnvWith(t, nil, mod...)
}

// newEnvWith is newEnv with the runtime's configuration adjusted by
// editRuntime.
func newEnvWith(t testing.TB, editRuntime func(*bot.Config), mod ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), api: telegramtest.NewServer(), editRuntime: editRuntime}
	e.cfg = Config{
		Token:       telegramtest.Token,
		APIURL:      e.api.URL,
		Log:         quietLog,
		PollTimeout: 2 * time.Second,
		GlobalRate:  -1,
		ChatRate:    -1,
	}
	for _, m := range mod {
		m(&e.cfg)
	}
	t.Cleanup(func() {
		e.close()
		e.api.Close()
	})
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := bot.Config{DataDir: e.dir, Demo: true, Location: loc, Log: quietLog, Answers: channeltest.DemoArticles()}
	if e.editRuntime != nil {
		e.editRuntime(&cfg)
	}
	rt, err := bot.Open(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt = rt
	e.startAdapter()
}

// startAdapter starts a new adapter on the open runtime.
func (e *env) startAdapter() {
	e.t.Helper()
	cfg := e.cfg
	cfg.Runtime = e.rt
	a, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	a.beforeHandle = func(u *models.Update) {
		if e.beforeHandle != nil {
			e.beforeHandle(u)
		}
	}
	a.afterHandle = func(*models.Update) { e.handled.Add(1) }
	a.paced = e.paces.record
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.a = a
}

func (e *env) stopAdapter() {
	e.t.Helper()
	if e.a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := e.a.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
	e.a = nil
}

// close stops the adapter and closes the runtime.
func (e *env) close() {
	e.stopAdapter()
	if e.rt != nil {
		if err := e.rt.Close(); err != nil {
			e.t.Errorf("close runtime: %v", err)
		}
		e.rt = nil
	}
}

// restart is a process restart: adapter and runtime, same data directory.
func (e *env) restart() {
	e.t.Helper()
	e.close()
	e.open()
}

func (e *env) render(lang dialog.Lang, id string) string {
	return e.rt.Catalog().MustRender(lang, id, nil)
}

// waitFor fails the test unless cond holds within timeout.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	if !e.api.Wait(timeout, cond) {
		e.t.Fatalf("timed out waiting for %s", what)
	}
}

// member is a Telegram user talking to the bot in a private chat.
type member struct {
	e    *env
	u    telegramtest.User
	seen int // messages already returned by next
	last map[string]any
}

var nextUser atomic.Int64

func (e *env) member(lang string) *member {
	id := 500000 + nextUser.Add(1)
	return &member{e: e, u: telegramtest.User{ID: id, FirstName: "M", LanguageCode: lang}}
}

// send sends text and returns the update.
func (m *member) send(text string) map[string]any {
	upd := telegramtest.Text(m.u, text)
	m.e.api.Push(upd)
	m.last = upd
	return upd
}

// press presses the newest button with this callback data.
func (m *member) press(data string) map[string]any {
	m.e.t.Helper()
	msgs := m.e.api.Messages(m.u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].HasButton(data) {
			upd := telegramtest.Press(m.u, msgs[i], data)
			m.e.api.Push(upd)
			m.last = upd
			return upd
		}
	}
	m.e.t.Fatalf("no message with button %q among %d", data, len(msgs))
	return nil
}

// next returns the next message the bot sent to the member.
func (m *member) next() telegramtest.Sent {
	m.e.t.Helper()
	m.e.waitFor("a message to the member", func() bool { return len(m.e.api.Messages(m.u.ID)) > m.seen })
	msg := m.e.api.Messages(m.u.ID)[m.seen]
	m.seen++
	return msg
}

// until returns the first next message for which ok holds.
func (m *member) until(what string, ok func(telegramtest.Sent) bool) telegramtest.Sent {
	m.e.t.Helper()
	var seen []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !m.e.api.Wait(time.Until(deadline), func() bool { return len(m.e.api.Messages(m.u.ID)) > m.seen }) {
			break
		}
		msg := m.e.api.Messages(m.u.ID)[m.seen]
		m.seen++
		if ok(msg) {
			return msg
		}
		seen = append(seen, msg.Text)
	}
	m.e.t.Fatalf("no %s; saw %q", what, seen)
	return telegramtest.Sent{}
}

func (m *member) withButton(data string) telegramtest.Sent {
	m.e.t.Helper()
	return m.until("message with button "+data, func(s telegramtest.Sent) bool {
		for _, b := range s.Buttons {
			if b.CallbackData == data || strings.HasSuffix(data, ":") && strings.HasPrefix(b.CallbackData, data) {
				return true
			}
		}
		return false
	})
}

func (m *member) text(want string) telegramtest.Sent {
	m.e.t.Helper()
	return m.until("message "+want, func(s telegramtest.Sent) bool { return s.Text == want })
}

var (
	codeRE   = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)
	numberRE = regexp.MustCompile(`WO\d{15}`)
)

// demoCode awaits the demo verification code: a system message, which the
// adapter sets in italics.
func (m *member) demoCode() string {
	m.e.t.Helper()
	s := m.until("demo code", func(s telegramtest.Sent) bool { return s.Italic && codeRE.MatchString(s.Text) })
	return codeRE.FindStringSubmatch(s.Text)[1]
}

func (m *member) receipt() string {
	m.e.t.Helper()
	s := m.until("receipt", func(s telegramtest.Sent) bool { return !s.Italic && numberRE.MatchString(s.Text) })
	return numberRE.FindString(s.Text)
}

func buttonValue(s telegramtest.Sent, prefix string) string {
	for _, b := range s.Buttons {
		if strings.HasPrefix(b.CallbackData, prefix) {
			return b.CallbackData
		}
	}
	return ""
}
