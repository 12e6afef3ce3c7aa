package telegram

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// connectEnv is an env whose adapter is not started yet, on a runtime
// that disk (if given) watches.
func connectEnv(t *testing.T, disk ...bot.DiskFloor) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), api: telegramtest.NewServer()}
	e.cfg = Config{Token: telegramtest.Token, APIURL: e.api.URL, Log: quietLog, PollTimeout: 2 * time.Second, GlobalRate: -1, ChatRate: -1}
	rcfg := bot.Config{DataDir: e.dir, Demo: true, Log: quietLog}
	if len(disk) > 0 {
		rcfg.Disk = disk[0]
	}
	rt, err := bot.Open(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	e.rt = rt
	t.Cleanup(func() {
		e.close()
		e.api.Close()
	})
	cfg := e.cfg
	cfg.Runtime = rt
	if e.a, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

func badGateway(telegramtest.Call) *telegramtest.Failure {
	return &telegramtest.Failure{Status: http.StatusBadGateway, Body: "<html>502 Bad Gateway</html>"}
}

// An unreachable Bot API does not hold Connect: the adapter reports
// degraded, keeps trying, and once the API answers it polls and handles
// updates.
func TestConnectRetriesInTheBackground(t *testing.T) {
	e := connectEnv(t)
	e.api.Fail(badGateway)
	e.a.firstTry = time.Hour // so Connect returning at all shows it did not wait for the API
	connected := make(chan error, 1)
	go func() { connected <- e.a.Connect(context.Background()) }()
	select {
	case err := <-connected:
		if err != nil {
			t.Fatalf("connect during an outage: %v", err)
		}
	case <-time.After(timeout):
		t.Fatal("connect waits for a failing API")
	}
	if h := e.a.Health(); h.State != bot.PartDegraded || !strings.Contains(h.Reason, "502") {
		t.Fatalf("health during the outage: %+v", h)
	}
	kefutest.Eventually(t, timeout, "a retried getMe", func() bool { return len(e.api.Calls("getMe")) >= 2 })

	e.api.Fail(nil)
	kefutest.Eventually(t, timeout, "the adapter to connect", func() bool { return e.a.Health().State == bot.PartOK })
	m := e.member("en")
	m.send("/start")
	if got := m.next(); got.Text != e.render(dialog.EN, "welcome") {
		t.Fatalf("after the outage the member got %q", got.Text)
	}
}

// A refused token still ends Connect at once, with the sentence start-up
// prints.
func TestConnectRefusedToken(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusNotFound} {
		e := connectEnv(t)
		e.api.Fail(func(telegramtest.Call) *telegramtest.Failure { return &telegramtest.Failure{Status: status} })
		err := e.a.Connect(context.Background())
		if err == nil || !strings.Contains(err.Error(), "the bot token was refused") {
			t.Fatalf("HTTP %d: %v", status, err)
		}
		if n := len(e.api.Calls("getMe")); n != 1 {
			t.Fatalf("HTTP %d: %d getMe calls, want 1", status, n)
		}
	}
}

// A polling outage after start shows as degraded, and clears once polling
// works again.
func TestPollingOutageDegradesAndRecovers(t *testing.T) {
	e := newEnv(t)
	if h := e.a.Health(); h.State != bot.PartOK {
		t.Fatalf("health after start: %+v", h)
	}
	e.api.Fail(func(c telegramtest.Call) *telegramtest.Failure {
		if c.Method == "getUpdates" {
			return &telegramtest.Failure{Status: http.StatusInternalServerError}
		}
		return nil
	})
	kefutest.Eventually(t, timeout, "polling to show degraded", func() bool {
		h := e.a.Health()
		return h.State == bot.PartDegraded && strings.Contains(h.Reason, "polling")
	})
	e.api.Fail(nil)
	m := e.member("zh-hans")
	m.send("/start")
	m.next()
	kefutest.Eventually(t, timeout, "polling to show ok", func() bool { return e.a.Health().State == bot.PartOK })
}

// Below the disk floor a Telegram member is told, in their language, to
// try again shortly; once space returns their next message is answered.
func TestStoreFullTellsTheMember(t *testing.T) {
	var free atomic.Uint64
	free.Store(8 << 30)
	e := connectEnv(t, bot.DiskFloor{Min: 256 << 20, Every: time.Millisecond,
		Statfs: func(string) (uint64, error) { return free.Load(), nil }})
	if err := e.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := e.member("en")
	m.send("/start")
	m.text(e.render(dialog.EN, "welcome"))

	free.Store(1 << 20)
	kefutest.Eventually(t, timeout, "the store to degrade", func() bool {
		parts, _ := e.rt.Health().Parts()
		return parts[bot.PartStore].State == bot.PartDegraded
	})
	m.send("I want a person")
	m.text(e.render(dialog.EN, "store_full"))

	free.Store(8 << 30)
	kefutest.Eventually(t, timeout, "the store to recover", func() bool {
		parts, _ := e.rt.Health().Parts()
		return parts[bot.PartStore] == bot.OK
	})
	m.send("/help")
	m.text(e.render(dialog.EN, "help"))
}
