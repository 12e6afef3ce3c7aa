package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/channeltest"
	"github.com/kefu-dev/kefu/dialog"
)

var quietLog = slog.New(slog.DiscardHandler)

// testServer is the real web channel on a real runtime with demo data, on an
// httptest server.
type testServer struct {
	*httptest.Server
	rt *bot.Runtime
	ch *Channel
}

// testPublicURL is the public base URL the test runtime links receipts under.
const testPublicURL = "https://help.example.com"

// newTestServer starts a server; edit, when not nil, adjusts the channel's
// configuration. Everything stops when the test ends.
func newTestServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	return newTestServerWith(t, nil, edit)
}

// newTestServerWith is newTestServer with the runtime's configuration
// adjusted by editRuntime as well (its message rate is 5 unless it says
// otherwise).
func newTestServerWith(t testing.TB, editRuntime func(*bot.Config), edit func(*Config)) *testServer {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	articles := channeltest.DemoArticles()
	rcfg := bot.Config{DataDir: t.TempDir(), Demo: true, Location: loc, Log: quietLog, PublicURL: testPublicURL, MsgRate: 5, Answers: articles}
	if editRuntime != nil {
		editRuntime(&rcfg)
	}
	rt, err := bot.Open(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("runtime close: %v", err)
		}
	})
	cfg := Config{Runtime: rt, Log: quietLog, Demo: true, KB: articles}
	if edit != nil {
		edit(&cfg)
	}
	ch := New(cfg)
	mux := http.NewServeMux()
	ch.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ch.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testServer{Server: srv, rt: rt, ch: ch}
}

func (s *testServer) wsURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

// frame is any server frame.
type frame struct {
	Type    string              `json:"type"`
	Session string              `json:"session"`
	Lang    string              `json:"lang"`
	Code    string              `json:"code"`
	Message string              `json:"message"`
	ID      string              `json:"id"`
	From    string              `json:"from"`
	Text    string              `json:"text"`
	Buttons []bot.MessageButton `json:"buttons"`
	At      time.Time           `json:"at"`
}

func (f frame) String() string {
	if f.Type == "message" {
		return f.From + "#" + f.ID + ": " + f.Text
	}
	return f.Type + " " + f.Code + f.Session
}

// client is a websocket client whose frames a goroutine collects, so tests
// can wait for one with a timeout.
type client struct {
	t        testing.TB
	ws       *websocket.Conn
	frames   chan frame
	done     chan struct{} // closed when the connection has ended
	mu       sync.Mutex
	closeErr error
}

// dial connects without saying hello.
func dial(t testing.TB, url string, header http.Header) *client {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, status)
	}
	c := &client{t: t, ws: ws, frames: make(chan frame, 1024), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(c.close)
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.closeErr = err
			c.mu.Unlock()
			return
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			c.t.Errorf("server sent a frame that is not JSON: %q", b)
			return
		}
		c.frames <- f
	}
}

func (c *client) close() {
	c.ws.Close()
	<-c.done
}

// send writes a JSON frame.
func (c *client) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("send %v: %v", v, err)
	}
}

func (c *client) raw(typ int, b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(typ, b); err != nil {
		c.t.Fatalf("send raw frame: %v", err)
	}
}

func (c *client) text(s string)   { c.send(map[string]string{"type": "text", "text": s}) }
func (c *client) button(v string) { c.send(map[string]string{"type": "button", "value": v}) }
func (c *client) hello(session, lang, start string) frame {
	c.t.Helper()
	c.send(map[string]string{"type": "hello", "session": session, "lang": lang, "start": start})
	f := c.next()
	if f.Type != "welcome" || f.Session == "" {
		c.t.Fatalf("after hello got %v, want welcome with a session", f)
	}
	return f
}

// next returns the next frame, failing the test after channeltest.Timeout.
func (c *client) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(channeltest.Timeout):
		c.t.Fatalf("no frame within %v", channeltest.Timeout)
	case <-c.done:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.t.Fatalf("connection ended: %v", c.closeErr)
	}
	return frame{}
}

// until skips frames until ok holds.
func (c *client) until(what string, ok func(frame) bool) frame {
	c.t.Helper()
	var seen []string
	deadline := time.After(channeltest.Timeout)
	for {
		select {
		case f := <-c.frames:
			if ok(f) {
				return f
			}
			seen = append(seen, f.String())
		case <-deadline:
			c.t.Fatalf("no %s within %v; saw %q", what, channeltest.Timeout, seen)
		case <-c.done:
			for { // frames that came before the end
				select {
				case f := <-c.frames:
					if ok(f) {
						return f
					}
					seen = append(seen, f.String())
				default:
					c.t.Fatalf("connection ended waiting for %s; saw %q", what, seen)
				}
			}
		}
	}
}

// errorFrame awaits an error frame and fails unless it has code.
func (c *client) errorFrame(code string) {
	c.t.Helper()
	f := c.until("error frame", func(f frame) bool { return f.Type == "error" })
	if f.Code != code {
		c.t.Fatalf("error frame %q (%s), want %q", f.Code, f.Message, code)
	}
	if f.Message == "" {
		c.t.Fatalf("error frame %q has no message", f.Code)
	}
}

// botReply awaits the next message from the bot.
func (c *client) botReply() frame {
	c.t.Helper()
	return c.until("bot message", func(f frame) bool { return f.Type == "message" && f.From == "bot" })
}

// driver runs channeltest's journeys over the websocket protocol.
type driver struct{ srv *testServer }

func (d driver) Open(t *testing.T, lang dialog.Lang, start string) channeltest.Session {
	s := &session{t: t, url: d.srv.wsURL(), lang: string(lang)}
	s.c = dial(t, s.url, nil)
	s.token = s.c.hello("", s.lang, start).Session
	return s
}

type session struct {
	t     *testing.T
	url   string
	lang  string
	token string
	c     *client
	seen  uint64 // the highest message ID returned
}

func (s *session) Send(text string)   { s.c.text(text) }
func (s *session) Press(value string) { s.c.button(value) }

func (s *session) Next(timeout time.Duration) (channeltest.Message, bool) {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		var f frame
		select {
		case f = <-s.c.frames:
		case <-deadline:
			return channeltest.Message{}, false
		case <-s.c.done:
			s.t.Fatalf("connection ended")
		}
		if f.Type == "error" {
			s.t.Fatalf("error frame %s: %s", f.Code, f.Message)
		}
		if f.Type != "message" {
			continue
		}
		id := messageID(bot.Message{ID: f.ID})
		if id == 0 {
			s.t.Fatalf("message without a numeric id: %v", f)
		}
		if id <= s.seen || f.From == bot.FromMember {
			s.seen = max(s.seen, id)
			continue
		}
		s.seen = id
		m := channeltest.Message{From: f.From, Text: f.Text}
		for _, b := range f.Buttons {
			m.Buttons = append(m.Buttons, channeltest.Button{Label: b.Label, Value: b.Value})
		}
		return m, true
	}
}

func (s *session) Reconnect() {
	s.t.Helper()
	s.c.close()
	s.c = dial(s.t, s.url, nil)
	if w := s.c.hello(s.token, s.lang, ""); w.Session != s.token {
		s.t.Fatalf("reconnect: session %q, want %q resumed", w.Session, s.token)
	}
}
