package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
)

// leakWait bounds every wait in these tests; generous for -race.
const leakWait = 15 * time.Second

// leakLog is a concurrency-safe buffer for a server's log.
type leakLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *leakLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *leakLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// leakFrame is a websocket frame from the server.
type leakFrame struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Code    string `json:"code"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Buttons []struct {
		Value string `json:"value"`
	} `json:"buttons"`
}

// leakChat is a member in the web chat. Each exchange ends with a frame of
// an unknown type: its error frame marks the end of what the turn sent.
type leakChat struct {
	t       *testing.T
	ws      *websocket.Conn
	session string
	seen    []leakFrame
}

func leakDial(t *testing.T, addr, lang string) *leakChat {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	c := &leakChat{t: t, ws: ws}
	frames := c.send(map[string]string{"type": "hello", "lang": lang})
	if len(frames) == 0 || frames[0].Type != "welcome" {
		t.Fatalf("hello: %+v", frames)
	}
	c.session = frames[0].Session
	return c
}

func (c *leakChat) send(frames ...any) []leakFrame {
	c.t.Helper()
	for _, f := range append(frames, map[string]string{"type": "probe"}) {
		if err := c.ws.WriteJSON(f); err != nil {
			c.t.Fatal(err)
		}
	}
	var out []leakFrame
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(leakWait))
		var f leakFrame
		if err := c.ws.ReadJSON(&f); err != nil {
			c.t.Fatal(err)
		}
		if f.Type == "error" && f.Code == "unknown_type" {
			c.seen = append(c.seen, out...)
			return out
		}
		if f.Type == "error" {
			c.t.Fatalf("error frame %s", f.Code)
		}
		out = append(out, f)
	}
}

func (c *leakChat) say(text string) []leakFrame {
	return c.send(map[string]string{"type": "text", "text": text})
}

func (c *leakChat) press(value string) []leakFrame {
	return c.send(map[string]string{"type": "button", "value": value})
}

// button is the value of the newest button starting with prefix.
func (c *leakChat) button(prefix string) string {
	c.t.Helper()
	for i := len(c.seen) - 1; i >= 0; i-- {
		for _, b := range c.seen[i].Buttons {
			if strings.HasPrefix(b.Value, prefix) {
				return b.Value
			}
		}
	}
	c.t.Fatalf("no button %s in the chat", prefix)
	return ""
}

var leakCodeRE = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)

// code is the newest demo code shown in the chat.
func (c *leakChat) code() string {
	c.t.Helper()
	for i := len(c.seen) - 1; i >= 0; i-- {
		if m := leakCodeRE.FindStringSubmatch(c.seen[i].Text); c.seen[i].From == "system" && m != nil {
			return m[1]
		}
	}
	c.t.Fatal("no demo code in the chat")
	return ""
}

// lastBot is the bot's newest message.
func (c *leakChat) lastBot() leakFrame {
	for i := len(c.seen) - 1; i >= 0; i-- {
		if c.seen[i].From == "bot" {
			return c.seen[i]
		}
	}
	return leakFrame{}
}

// flakyTelegram fronts a fake Bot API and drops the first few getUpdates
// connections, as a network would: the errors that follow quote the
// request's URL, which holds the bot token.
func flakyTelegram(t *testing.T, api *telegramtest.Server, drops int32) (*httptest.Server, *atomic.Int32) {
	target, err := url.Parse(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var dropped atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getUpdates") && dropped.Add(1) <= drops {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &dropped
}

// TestLogsKeepSecrets runs the server with debug logging through what
// touches personal data and secrets — cancellations on the web by phone
// and by email, a wrong code, a Telegram member sharing their phone, the
// agent API with a right and a wrong token, a flaky Bot API — then looks
// for any code, token, full phone number or email in everything logged.
func TestLogsKeepSecrets(t *testing.T) {
	const (
		agentToken = "s3cret-agent-token-4711"
		wrongToken = "guessed-token-0815"
	)
	api := telegramtest.NewServer()
	defer api.Close()
	flaky, dropped := flakyTelegram(t, api, 2)
	logs := &leakLog{}
	cfg, err := parseServe([]string{
		"--demo", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--msg-rate", "0",
		"--agents", "alice:" + agentToken,
		"--telegram-token", telegramtest.Token, "--telegram-api", flaky.URL,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- m.Serve(ctx) }()
	var once sync.Once
	var serveErr error
	shutdown := func() {
		once.Do(func() {
			stop()
			serveErr = <-served
		})
	}
	defer shutdown()

	secrets := []string{agentToken, wrongToken, telegramtest.Token, strings.SplitN(telegramtest.Token, ":", 2)[1]}
	personal := []string{"13800138000", "renewoff@example.com", "13900139000", "annual@example.com", "demo@example.com", "13700137000"}

	// The web: a cancellation by phone with a wrong code first.
	w := leakDial(t, m.Addr(), "zh-CN")
	w.say("我要取消会员")
	w.say("13800138000") // the code goes out by SMS at once
	code := w.code()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	w.say(wrong)
	w.say(code)
	w.press("opt:cancel_now")
	receipt := ""
	for _, f := range w.press(w.button("confirm:")) {
		if f.From == "bot" && regexp.MustCompile(`WO\d{15}`).MatchString(f.Text) {
			receipt = f.Text
		}
	}
	if receipt == "" {
		t.Fatalf("no receipt: %q", w.lastBot().Text)
	}
	w.say("太贵了，用不上") // a reason, asked after the receipt
	if got := w.lastBot().Text; !strings.Contains(got, "谢谢您的反馈") {
		t.Fatalf("the reason was not taken: %q", got)
	}
	secrets = append(secrets, code, w.session)

	// The web: membership status, identified by email, code by email.
	e := leakDial(t, m.Addr(), "en")
	e.say("what is my membership status")
	e.say("renewoff@example.com") // the code goes out by email at once
	secrets = append(secrets, e.code(), e.session)
	e.say(e.code())

	// Telegram: a member shares their phone and asks for a code.
	u := telegramtest.User{ID: 777001, FirstName: "M", LanguageCode: "zh-hans"}
	api.Push(telegramtest.Text(u, "我要取消会员"))
	api.Push(telegramtest.Contact(u, "+86 139 0013 9000", u.ID))
	var tgCode string
	if !api.Wait(leakWait, func() bool {
		for _, s := range api.Messages(u.ID) {
			if s.HasButton("method:questions") && s.HasButton("resend") {
				return true
			}
		}
		return false
	}) {
		t.Fatal("Telegram: no code sent")
	}
	if !api.Wait(leakWait, func() bool {
		for _, s := range api.Messages(u.ID) {
			if c := leakCodeRE.FindStringSubmatch(s.Text); s.Italic && c != nil {
				tgCode = c[1]
				return true
			}
		}
		return false
	}) {
		t.Fatal("Telegram: no demo code")
	}
	api.Push(telegramtest.Text(u, tgCode))
	if !api.Wait(leakWait, func() bool {
		msgs := api.Messages(u.ID)
		return len(msgs) > 0 && msgs[len(msgs)-1].HasButton("opt:cancel_now")
	}) {
		t.Fatal("Telegram: not verified")
	}
	secrets = append(secrets, tgCode)

	// The agent API, with a right and a wrong token.
	for _, token := range []string{agentToken, wrongToken} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+m.Addr()+"/api/workorders?since="+url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			WorkOrders []json.RawMessage `json:"work_orders"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if token == agentToken && len(body.WorkOrders) != 1 {
			t.Fatalf("agent API: %d orders, want 1", len(body.WorkOrders))
		}
	}

	// The flaky Bot API has dropped its connections and the adapter said
	// so in the log.
	deadline := time.Now().Add(leakWait)
	for dropped.Load() < 2 || !strings.Contains(logs.String(), "getUpdates") {
		if time.Now().After(deadline) {
			t.Fatalf("the Bot API's dropped connections were not logged (%d dropped)", dropped.Load())
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}

	shutdown()
	if serveErr != nil {
		t.Fatalf("serve: %v", serveErr)
	}

	out := logs.String()
	if !strings.Contains(out, "kind=receipt") || !strings.Contains(out, "138****8000") {
		t.Fatalf("the log lacks what the test expects to find (notices, masked numbers):\n%s", out)
	}
	for _, s := range append(secrets, personal...) {
		// Digits count only as a whole number: a code may occur inside a
		// work-order number or a byte count by chance.
		re := regexp.MustCompile(`(?:^|\D)` + regexp.QuoteMeta(s) + `(?:\D|$)`)
		if loc := re.FindStringIndex(out); loc != nil {
			i := loc[0]
			line := out[strings.LastIndexByte(out[:i], '\n')+1:]
			if j := strings.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			t.Errorf("the log holds %q:\n%s", s, line)
		}
	}
	t.Logf("%d log lines, %d bytes checked for %d secrets and %d personal identifiers", strings.Count(out, "\n"), len(out), len(secrets), len(personal))
}

// One client address asking codes for account after account is stopped
// after 10 in an hour, whichever accounts (the per-account limits alone
// would allow 5 each); with --msg-rate 0 per-address limits are off.
func TestCodesLimitedPerAddress(t *testing.T) {
	for _, tc := range []struct {
		rate    string
		limited bool
	}{{"1000000", true}, {"0", false}} { // a rate no round trip can reach: only the source limit counts
		m := startMain(t, "--demo-extra", "12", "--msg-rate", tc.rate)
		c := leakDial(t, m.Addr(), "zh-CN")
		c.say("我要取消会员")
		for i := range 11 {
			c.say(strconv.Itoa(15000000000 + i)) // "my number is actually …": a code by SMS at once
			got := c.lastBot().Text
			sent := strings.Contains(got, "验证码已发送至 150****")
			limited := strings.Contains(got, "次数过多")
			switch {
			case i < 10 && !sent:
				t.Fatalf("--msg-rate %s: code %d not sent: %q", tc.rate, i+1, got)
			case i == 10 && tc.limited && !limited:
				t.Fatalf("11th code from one address: %q; want the send limit", got)
			case i == 10 && !tc.limited && !sent:
				t.Fatalf("--msg-rate 0, 11th code from one address: %q; want it sent", got)
			}
		}
	}
}
