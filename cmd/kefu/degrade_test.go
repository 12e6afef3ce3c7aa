package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// "Degrade, never die": a Telegram outage at start and a filling disk
// leave the web chat and /healthz working, and each part recovers by
// itself.

const degradeTimeout = 15 * time.Second

// startMainWith is startMain with test hooks set before Open.
func startMainWith(t *testing.T, hook func(*Main), args ...string) *Main {
	t.Helper()
	cfg, err := parseServe(append([]string{"--demo", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.DiscardHandler)}
	hook(m)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- m.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return m
}

// getHealth reads GET /healthz.
func getHealth(t *testing.T, m *Main) (int, healthBody) {
	t.Helper()
	resp, err := http.Get("http://" + m.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h healthBody
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

// metricLine reports whether GET /metrics has a line starting with line.
func metricLine(t *testing.T, m *Main, line string) bool {
	t.Helper()
	resp, err := http.Get("http://" + m.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line)).Match(b)
}

func badGateway(telegramtest.Call) *telegramtest.Failure {
	return &telegramtest.Failure{Status: http.StatusBadGateway, Body: "<html>502 Bad Gateway</html>"}
}

// A Bot API that answers 502 at start: kefu comes up at once, serves the
// web chat, says telegram is degraded, and once the API is back it
// connects and handles updates.
func TestServeWhileTheBotAPIIsDown(t *testing.T) {
	api := telegramtest.NewServer()
	t.Cleanup(api.Close)
	api.Fail(badGateway)
	// Up and answering while the API still fails: start-up did not wait
	// for it (how long start-up takes is bench's business, not a test's).
	m := startMain(t, "--telegram-token", telegramtest.Token, "--telegram-api", api.URL)
	code, h := getHealth(t, m)
	if code != http.StatusOK || h.Status != "degraded" || h.Telegram != "degraded" || h.Reasons["telegram"] == "" ||
		h.Store != "ok" || h.MembersAPI != "ok" || h.Notifier != "ok" {
		t.Fatalf("/healthz during the outage: HTTP %d %+v", code, h)
	}
	if strings.Contains(h.Reasons["telegram"], telegramtest.Token) {
		t.Fatalf("the reason shows the token: %q", h.Reasons["telegram"])
	}
	if !metricLine(t, m, `kefu_part_degraded{part="telegram"} 1`) {
		t.Fatal("no kefu_part_degraded{part=\"telegram\"} 1")
	}
	web := openWebMember(t, m, "en")
	web.await("the welcome on the web", func(f convMessage) bool { return f.From == "bot" })

	api.Fail(nil)
	kefutest.Eventually(t, degradeTimeout, "telegram to connect", func() bool {
		_, h := getHealth(t, m)
		return h.Telegram == "ok" && h.Status == "ok" && len(h.Reasons) == 0
	})
	u := telegramtest.User{ID: 7301, LanguageCode: "en"}
	api.Push(telegramtest.Text(u, "/start"))
	if !api.Wait(degradeTimeout, func() bool { return len(api.Messages(u.ID)) > 0 }) {
		t.Fatal("no welcome on Telegram after the outage")
	}
}

// A Bot API nobody listens on: the same, without waiting for a timeout.
func TestServeWithTheBotAPIUnreachable(t *testing.T) {
	m := startMain(t, "--telegram-token", telegramtest.Token, "--telegram-api", "http://"+kefutest.FreeAddr(t))
	code, h := getHealth(t, m)
	if code != http.StatusOK || h.Telegram != "degraded" || !strings.Contains(h.Reasons["telegram"], "does not answer") {
		t.Fatalf("/healthz: HTTP %d %+v", code, h)
	}
	openWebMember(t, m, "zh-CN").await("the welcome on the web", func(f convMessage) bool { return f.From == "bot" })
}

// A token the Bot API refuses still ends start-up with one sentence.
func TestServeRefusedTokenEndsStartUp(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusNotFound} {
		api := telegramtest.NewServer()
		api.Fail(func(telegramtest.Call) *telegramtest.Failure { return &telegramtest.Failure{Status: status} })
		err := run(context.Background(), []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
			"--telegram-token", telegramtest.Token, "--telegram-api", api.URL}, nil, io.Discard, io.Discard)
		api.Close()
		if err == nil || !strings.Contains(err.Error(), "telegram: the bot token was refused") {
			t.Fatalf("HTTP %d at start: %v", status, err)
		}
	}
	_, h := getHealth(t, startMain(t))
	if h.Telegram != "off" {
		t.Fatalf("telegram without a token: %q, want off", h.Telegram)
	}
}

// wsFrame is any frame the server sends.
type wsFrame struct {
	Type, ID, From, Text, Code, Message string
}

// A data directory below --min-free-disk: a member's turn gets the polite
// message in their language and no work order is issued, /healthz says
// store degraded; once space returns the next turn works.
func TestServeDiskFloor(t *testing.T) {
	const floor = 256 << 20
	var free atomic.Uint64
	free.Store(8 << 30)
	m := startMainWith(t, func(m *Main) {
		m.statfs = func(string) (uint64, error) { return free.Load(), nil }
		m.diskEvery = 5 * time.Millisecond
	}, "--min-free-disk", "256MiB")
	if m.Config.MinFreeDisk != floor {
		t.Fatalf("--min-free-disk 256MiB read as %d", m.Config.MinFreeDisk)
	}
	agent := &agentAPI{t: t, base: "http://" + m.Addr(), auth: "Bearer demo"}
	since := "/api/workorders?since=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
	orders := func() int {
		var list struct {
			WorkOrders []json.RawMessage `json:"work_orders"`
		}
		agent.ok("GET", since, "", &list)
		return len(list.WorkOrders)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+m.Addr()+"/ws", http.Header{"Origin": {"http://" + m.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	frames := make(chan wsFrame, 64)
	go func() {
		defer close(frames)
		for {
			var f wsFrame
			if ws.ReadJSON(&f) != nil {
				return
			}
			frames <- f
		}
	}()
	next := func(what string, ok func(wsFrame) bool) wsFrame {
		t.Helper()
		deadline := time.After(degradeTimeout)
		for {
			select {
			case f, open := <-frames:
				if !open {
					t.Fatalf("the websocket closed before %s", what)
				}
				if ok(f) {
					return f
				}
			case <-deadline:
				t.Fatalf("never saw %s", what)
			}
		}
	}
	say := func(text string) {
		t.Helper()
		if err := ws.WriteJSON(map[string]string{"type": "text", "text": text}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ws.WriteJSON(map[string]string{"type": "hello", "lang": "zh-CN"}); err != nil {
		t.Fatal(err)
	}
	next("the welcome", func(f wsFrame) bool { return f.Type == "message" && f.From == "bot" })

	free.Store(floor - 1)
	kefutest.Eventually(t, degradeTimeout, "store degraded", func() bool {
		code, h := getHealth(t, m)
		return code == http.StatusOK && h.Store == "degraded" && h.Status == "degraded" && h.Reasons["store"] != ""
	})
	if !metricLine(t, m, `kefu_part_degraded{part="store"} 1`) || !metricLine(t, m, "kefu_data_free_bytes 2.68435455e+08") {
		t.Fatal("no kefu_part_degraded{part=\"store\"} 1 or kefu_data_free_bytes in /metrics")
	}
	say("转人工") // would issue a callback order: no agent is online
	refused := next("the refusal", func(f wsFrame) bool { return f.Type == "error" || f.From == "bot" })
	if want := m.Runtime.Catalog().MustRender(dialog.ZH, "store_full", nil); refused.Type != "error" || refused.Code != "try_later" || refused.Message != want {
		t.Fatalf("below the floor the member got %+v, want a try_later frame saying %q", refused, want)
	}

	free.Store(8 << 30)
	kefutest.Eventually(t, degradeTimeout, "store ok again", func() bool {
		_, h := getHealth(t, m)
		return h.Store == "ok" && h.Status == "ok"
	})
	say("转人工")
	number := regexp.MustCompile(`WO\d{15}`)
	reply := next("the callback number", func(f wsFrame) bool { return f.Type == "error" || number.MatchString(f.Text) })
	if reply.Type != "message" {
		t.Fatalf("after space returned the member got %+v, want a callback number", reply)
	}
	// Asked after the turns: an agent using the API counts as online,
	// which would queue the member instead of issuing a callback.
	if n := orders(); n != 1 {
		t.Fatalf("%d work orders, want 1: the refused turn issued one", n)
	}
	if !metricLine(t, m, `kefu_part_degraded{part="store"} 0`) {
		t.Fatal("no kefu_part_degraded{part=\"store\"} 0 after space returned")
	}
}

func TestMinFreeDiskFlag(t *testing.T) {
	for arg, want := range map[string]uint64{"0": 0, "1048576": 1 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "2 TiB": 2 << 40} {
		c, err := parseServe([]string{"--min-free-disk", arg}, io.Discard)
		if err != nil || c.MinFreeDisk != want {
			t.Errorf("--min-free-disk %q: %d, %v; want %d", arg, c.MinFreeDisk, err, want)
		}
	}
	if c, err := parseServe(nil, io.Discard); err != nil || c.MinFreeDisk != 256<<20 {
		t.Errorf("default: %d, %v; want 256 MiB", c.MinFreeDisk, err)
	}
	for _, arg := range []string{"lots", "-1", "1.5GiB", "99999999999TiB"} {
		if _, err := parseServe([]string{"--min-free-disk", arg}, io.Discard); err == nil || !strings.Contains(err.Error(), "--min-free-disk") {
			t.Errorf("--min-free-disk %q: %v, want an error naming the flag", arg, err)
		}
	}
}
