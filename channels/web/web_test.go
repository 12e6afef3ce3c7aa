package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/channeltest"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

func TestConformance(t *testing.T) {
	channeltest.Run(t, func(t *testing.T) channeltest.Driver {
		return driver{newTestServer(t, nil)}
	})
}

// A full cancellation in each language, checked against the work-order book
// as well as the chat.
func TestCancelFlowRecordsOrder(t *testing.T) {
	for _, tc := range []struct {
		lang   dialog.Lang
		choice string
		kind   dialog.OrderKind
	}{
		{dialog.ZH, "opt:cancel_now", dialog.KindCancelNow},
		{dialog.EN, "opt:no_renew", dialog.KindNoRenew},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			srv := newTestServer(t, nil)
			s := driver{srv}.Open(t, tc.lang, string(dialog.IntentCancelMembership))
			s.Send(channeltest.DemoPhone)
			channeltest.CodeSent(t, s)
			s.Send(channeltest.DemoCode(t, s))
			channeltest.WithButton(t, s, tc.choice)
			s.Press(tc.choice)
			confirm := channeltest.WithButton(t, s, "confirm:")
			channeltest.InLang(t, tc.lang, confirm.Text)
			value, _ := confirm.Button("confirm:")
			s.Press(value)
			number, receipt := channeltest.Receipt(t, s)
			channeltest.InLang(t, tc.lang, receipt.Text)

			o, found, err := srv.rt.WorkOrders().Get(context.Background(), number)
			if err != nil || !found {
				t.Fatalf("order %s in the book: found=%v err=%v", number, found, err)
			}
			if o.Kind != tc.kind || o.Channel != ChannelName || o.Executor != "bot" {
				t.Fatalf("order %s: kind %s channel %s executor %s; want %s web bot", number, o.Kind, o.Channel, o.Executor, tc.kind)
			}

			// The reason is asked after the receipt, and a tap records it
			// on the order.
			channeltest.ReasonAsked(t, s)
			s.Press("reason:price")
			channeltest.Until(t, s, "the thanks", func(m channeltest.Message) bool { return m.From == "bot" })
			o, found, err = srv.rt.WorkOrders().Get(context.Background(), number)
			if err != nil || !found || o.Reason != "price" {
				t.Fatalf("order %s after the reason: reason %q found=%v err=%v, want price", number, o.Reason, found, err)
			}
		})
	}
}

// A reconnect with the token replays the whole transcript, member echoes
// included, then continues live.
func TestReconnectReplaysHistory(t *testing.T) {
	srv := newTestServer(t, nil)
	a := dial(t, srv.wsURL(), nil)
	w := a.hello("", "en", "")
	if w.Lang != "en" {
		t.Fatalf("welcome lang %q, want en", w.Lang)
	}
	a.botReply()
	a.button("intent:refund_policy")
	a.botReply()
	a.close()

	b := dial(t, srv.wsURL(), nil)
	if got := b.hello(w.Session, "en", ""); got.Session != w.Session || got.Lang != "en" {
		t.Fatalf("resume: welcome %+v, want session %s in en", got, w.Session)
	}
	history, err := srv.rt.History(context.Background(), idOf(t, srv, w.Session))
	if err != nil {
		t.Fatal(err)
	}
	if len(history) < 3 {
		t.Fatalf("history has %d messages, want welcome, echo and reply", len(history))
	}
	for i, m := range history {
		f := b.next()
		if f.Type != "message" || f.ID != m.ID || f.From != m.From || f.Text != m.Text || !f.At.Equal(m.At) {
			t.Fatalf("replayed frame %d = %v, want %s#%s %q", i, f, m.From, m.ID, m.Text)
		}
	}
	if echo := history[1]; echo.From != bot.FromMember || echo.Text == "" {
		t.Fatalf("history[1] = %+v, want the member's echo", echo)
	}
	b.text("hello")
	if f := b.next(); f.From != bot.FromMember || f.Text != "hello" {
		t.Fatalf("after the replay got %v, want the live echo", f)
	}
	b.botReply()
}

func idOf(t *testing.T, srv *testServer, token string) string {
	t.Helper()
	id, created, err := srv.rt.Resolve(context.Background(), ChannelName, sessionUser(token))
	if err != nil || created {
		t.Fatalf("conversation of session: created=%v err=%v", created, err)
	}
	return id
}

// Two tabs on one session see every message, whichever tab sent it, with
// the same IDs, in the same order.
func TestTwoTabs(t *testing.T) {
	srv := newTestServer(t, nil)
	a := dial(t, srv.wsURL(), nil)
	w := a.hello("", "zh-CN", "")
	a.botReply()
	b := dial(t, srv.wsURL(), nil)
	b.hello(w.Session, "zh-CN", "")
	b.botReply() // the welcome, replayed

	a.text("你好")
	b.button("intent:refund_policy")
	var got [2][]string
	for i, c := range []*client{a, b} {
		bots := 0
		for bots < 2 {
			f := c.next()
			if f.Type != "message" {
				t.Fatalf("tab %d: %v", i, f)
			}
			got[i] = append(got[i], f.ID+"/"+f.From+"/"+f.Text)
			if f.From == bot.FromBot {
				bots++
			}
		}
	}
	if strings.Join(got[0], "\n") != strings.Join(got[1], "\n") {
		t.Fatalf("tabs saw different transcripts:\n%q\n%q", got[0], got[1])
	}
	if len(got[0]) != 4 {
		t.Fatalf("tabs saw %q, want two echoes and two replies", got[0])
	}
}

// Garbled frames get an error frame and the connection carries on.
func TestBadFrames(t *testing.T) {
	srv := newTestServer(t, nil)
	c := dial(t, srv.wsURL(), nil)

	c.text("too early")
	c.errorFrame(CodeHelloRequired)
	c.raw(websocket.TextMessage, []byte("{not json"))
	c.errorFrame(CodeBadFrame)
	c.hello("", "zh-CN", "")
	c.botReply()

	for _, tc := range []struct {
		name string
		typ  int
		data []byte
		code string
	}{
		{"not JSON", websocket.TextMessage, []byte("hello there"), CodeBadFrame},
		{"invalid UTF-8", websocket.TextMessage, []byte("{\"type\":\"text\",\"text\":\"\xff\xfe\"}"), CodeBadFrame},
		{"binary", websocket.BinaryMessage, []byte(`{"type":"text","text":"hi"}`), CodeBadFrame},
		{"JSON array", websocket.TextMessage, []byte(`[1,2]`), CodeBadFrame},
		{"no type", websocket.TextMessage, []byte(`{"text":"hi"}`), CodeBadFrame},
		{"button without value", websocket.TextMessage, []byte(`{"type":"button"}`), CodeBadFrame},
		{"second hello", websocket.TextMessage, []byte(`{"type":"hello"}`), CodeBadFrame},
		{"unknown type", websocket.TextMessage, []byte(`{"type":"typing"}`), CodeUnknownType},
		{"over 8 KiB", websocket.TextMessage, []byte(`{"type":"text","text":"` + strings.Repeat("x", MaxFrameBytes) + `"}`), CodeTooLong},
	} {
		c.raw(tc.typ, tc.data)
		f := c.next()
		if f.Type != "error" || f.Code != tc.code {
			t.Fatalf("%s: got %v, want error %s", tc.name, f, tc.code)
		}
	}
	// Still alive, and the conversation is untouched.
	c.text("你好")
	if f := c.next(); f.From != bot.FromMember || f.Text != "你好" {
		t.Fatalf("after bad frames got %v, want the echo", f)
	}
	c.botReply()
}

// A frame of exactly 8 KiB is accepted; the runtime answers an over-long
// message politely.
func TestFrameLimitEdge(t *testing.T) {
	srv := newTestServer(t, nil)
	c := dial(t, srv.wsURL(), nil)
	c.hello("", "en", "")
	c.botReply()
	head, tail := `{"type":"text","text":"`, `"}`
	c.raw(websocket.TextMessage, []byte(head+strings.Repeat("a", MaxFrameBytes-len(head)-len(tail))+tail))
	if f := c.next(); f.Type != "message" || f.From != bot.FromMember {
		t.Fatalf("8 KiB frame: got %v, want the echo", f)
	}
	if r := c.botReply(); !strings.Contains(r.Text, "2000") {
		t.Fatalf("reply to an over-long message: %q, want the limit named", r.Text)
	}
}

func TestUnknownSessionGetsNewToken(t *testing.T) {
	srv := newTestServer(t, nil)
	for _, token := range []string{"", "short", "not base64 but long enough to pass!!", newToken()} {
		c := dial(t, srv.wsURL(), nil)
		w := c.hello(token, "zh-CN", "")
		if w.Session == token || !wellFormedToken(w.Session) {
			t.Fatalf("hello with unknown session %q: welcome session %q, want a fresh token", token, w.Session)
		}
		if f := c.next(); f.From != bot.FromBot {
			t.Fatalf("new session: first message %v, want the welcome", f)
		}
	}
}

// The help page's cancel entry on an existing conversation opens the flow.
func TestStartOnExistingConversation(t *testing.T) {
	srv := newTestServer(t, nil)
	c := dial(t, srv.wsURL(), nil)
	w := c.hello("", "zh-CN", "")
	c.botReply()
	c.close()
	c = dial(t, srv.wsURL(), nil)
	c.hello(w.Session, "zh-CN", "cancel_membership")
	c.botReply() // the welcome, replayed
	c.text(channeltest.DemoPhone)
	sent := c.until("the code sent", func(f frame) bool {
		for _, b := range f.Buttons {
			if b.Value == "method:questions" {
				return true
			}
		}
		return false
	})
	if sent.From != bot.FromBot {
		t.Fatalf("code-sent message %v, want the bot's", sent)
	}
}

func TestOrigins(t *testing.T) {
	srv := newTestServer(t, func(c *Config) { c.AllowedOrigins = []string{"https://shop.example.com/"} })
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{srv.URL, true},
		{"https://shop.example.com", true},
		{"https://SHOP.example.com", true},
		{"https://evil.example.com", false},
		{"http://shop.example.com", false},
		{"null", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(srv.wsURL(), h)
		if tc.ok {
			if err != nil {
				t.Fatalf("origin %q refused: %v", tc.origin, err)
			}
			ws.Close()
			continue
		}
		if err == nil {
			ws.Close()
			t.Fatalf("origin %q accepted, want refused", tc.origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: %v, want HTTP 403", tc.origin, err)
		}
	}
}

// A flood beyond the burst is refused frame by frame, in that conversation
// only: another conversation from the same address carries on, since the
// refused messages do not count against the address. The flooded
// conversation carries on once the rate allows again.
func TestMessageRateLimit(t *testing.T) {
	clock := kefutest.NewClock(time.Now())
	srv := newTestServerWith(t, func(c *bot.Config) { c.MsgRate, c.Now = 5, clock.Now },
		func(c *Config) { c.IPRate, c.Now = ipBurstFactor*5, clock.Now }) // as kefu serve sets them
	c := dial(t, srv.wsURL(), nil)
	c.hello("", "zh-CN", "")
	c.botReply()
	other := dial(t, srv.wsURL(), nil)
	other.hello("", "zh-CN", "")
	other.botReply()
	const flood = ipBurstFactor*bot.MsgBurst + 5 // more than the address's burst
	for range flood {
		c.text("你好")
	}
	accepted, refused := 0, 0
	for accepted+refused < flood {
		f := c.next()
		switch {
		case f.Type == "error" && f.Code == CodeRateLimited:
			refused++
		case f.Type == "error":
			t.Fatalf("error frame %s, want only rate_limited", f.Code)
		case f.From == bot.FromMember:
			accepted++
		}
	}
	if accepted != bot.MsgBurst || refused != flood-bot.MsgBurst {
		t.Fatalf("accepted %d, refused %d; want %d and %d", accepted, refused, bot.MsgBurst, flood-bot.MsgBurst)
	}
	other.text("我也在")
	other.until("the other conversation's echo", func(f frame) bool {
		if f.Type == "error" {
			t.Fatalf("another conversation during the flood: error %s", f.Code)
		}
		return f.From == bot.FromMember && f.Text == "我也在"
	})
	clock.Advance(time.Second) // five more tokens
	c.text("hello again")
	c.until("the echo after the pause", func(f frame) bool {
		if f.Type == "error" {
			t.Fatalf("after the pause: error %s", f.Code)
		}
		return f.From == bot.FromMember && f.Text == "hello again"
	})
}

// The per-address limit spans conversations; --msg-rate 0 lifts the
// per-conversation one.
func TestAddressRateLimit(t *testing.T) {
	clock := kefutest.NewClock(time.Now())
	srv := newTestServerWith(t, func(c *bot.Config) { c.MsgRate = 0 }, func(c *Config) { c.IPRate, c.Now = 1, clock.Now })
	var tabs []*client
	for range 2 {
		c := dial(t, srv.wsURL(), nil)
		c.hello("", "en", "")
		c.botReply()
		tabs = append(tabs, c)
	}
	burst := ipBurstFactor * bot.MsgBurst
	for i := range burst {
		tabs[i%2].button("intent:refund_policy")
	}
	for i := range burst {
		tabs[i%2].until("echo", func(f frame) bool {
			if f.Type == "error" {
				t.Fatalf("message %d refused: %s", i, f.Code)
			}
			return f.From == bot.FromMember
		})
	}
	tabs[0].button("intent:refund_policy")
	tabs[0].errorFrame(CodeRateLimited)
}

func TestConnectionRateLimit(t *testing.T) {
	clock := kefutest.NewClock(time.Now())
	srv := newTestServer(t, func(c *Config) { c.ConnRate, c.Now = 1, clock.Now })
	for range connBurst {
		dial(t, srv.wsURL(), nil).close()
	}
	_, resp, err := websocket.DefaultDialer.Dial(srv.wsURL(), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("connection %d: %v, want HTTP 429", connBurst+1, err)
	}
	clock.Advance(time.Second)
	dial(t, srv.wsURL(), nil).hello("", "en", "")
}

// Shutdown tells connected members the service restarts and refuses new
// connections.
func TestShutdown(t *testing.T) {
	srv := newTestServer(t, nil)
	c := dial(t, srv.wsURL(), nil)
	c.hello("", "zh-CN", "")
	c.botReply()
	silent := dial(t, srv.wsURL(), nil) // never says hello

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.ch.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	c.errorFrame(CodeRestarting)
	<-c.done
	if !websocket.IsCloseError(c.closeErr, websocket.CloseServiceRestart) {
		t.Fatalf("connection ended with %v, want close 1012", c.closeErr)
	}
	<-silent.done
	_, resp, err := websocket.DefaultDialer.Dial(srv.wsURL(), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v, want HTTP 503", err)
	}
}

// A connection that never says hello is dropped after HelloTimeout, and one
// that stops answering pings after two intervals.
func TestDeadClientsDropped(t *testing.T) {
	srv := newTestServer(t, func(c *Config) { c.HelloTimeout, c.PingInterval = 200*time.Millisecond, 100*time.Millisecond })
	silent := dial(t, srv.wsURL(), nil)
	select {
	case <-silent.done:
	case <-time.After(channeltest.Timeout):
		t.Fatal("a connection without hello was kept")
	}

	// gorilla answers pings only while reading: a client that stops reading
	// stops answering.
	ended := silentClient(t, srv, func(*websocket.Conn, string) error { return nil }) // swallow pings: no pongs
	select {
	case <-ended:
	case <-time.After(channeltest.Timeout):
		t.Fatal("a connection that never answers pings was kept")
	}
}

// A connection that answers pings is kept however long it stays silent:
// the channel's pinger pings every idle connection.
func TestIdleClientKeptByPings(t *testing.T) {
	srv := newTestServer(t, func(c *Config) { c.PingInterval = 250 * time.Millisecond })
	pings := make(chan struct{}, 100)
	ended := silentClient(t, srv, func(ws *websocket.Conn, data string) error {
		pings <- struct{}{}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	// Six pings span three read deadlines (two intervals each).
	for i := range 6 {
		select {
		case <-pings:
		case err := <-ended:
			t.Fatalf("an idle connection answering pings was dropped after %d pings: %v", i, err)
		case <-time.After(channeltest.Timeout):
			t.Fatalf("ping %d never came", i+1)
		}
	}
}

// The subscription never blocks the runtime: a connection whose queue is
// full is dropped at once (the member's widget reconnects and catches up).
func TestSlowConnectionDropped(t *testing.T) {
	srv := newTestServer(t, nil)
	accepted := make(chan *conn, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &batchWriter{ResponseWriter: w}
		ws, err := srv.ch.upgrader.Upgrade(bw, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- newConn(srv.ch, ws, bw.conn, "127.0.0.1") // its writer never runs
	}))
	defer up.Close()
	client := dial(t, "ws"+strings.TrimPrefix(up.URL, "http"), nil)
	c := <-accepted
	for range sendQueue {
		c.deliver(bot.Message{ID: "1", From: bot.FromSystem, Text: "queued"})
	}
	select {
	case <-c.done:
		t.Fatal("dropped with room left in the queue")
	default:
	}
	c.deliver(bot.Message{ID: "2", From: bot.FromSystem, Text: "one too many"})
	select {
	case <-c.done:
	default:
		t.Fatal("a connection with a full queue was kept")
	}
	<-client.done // the socket was closed
}

// silentClient says hello and then only reads, answering pings with onPing;
// the channel gets the read error that ends the connection.
func silentClient(t *testing.T, srv *testServer, onPing func(ws *websocket.Conn, data string) error) <-chan error {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]string{"type": "hello", "lang": "en"}); err != nil {
		t.Fatal(err)
	}
	ws.SetPingHandler(func(data string) error { return onPing(ws, data) })
	ended := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				ended <- err
				return
			}
		}
	}()
	return ended
}
