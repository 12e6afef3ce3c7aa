package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
)

// fuzzConn is a plain synchronous websocket client for the fuzz target.
type fuzzConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func (c fuzzConn) write(typ int, b []byte) {
	c.t.Helper()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.ws.WriteMessage(typ, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c fuzzConn) read() frame {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("the server ended the connection: %v", err)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil || f.Type == "" {
		c.t.Fatalf("server frame %q is not a typed JSON object", b)
	}
	return f
}

// FuzzWebSocketFrame sends any frame, text or binary, to a real connection
// of the web channel — before the hello or after it — and checks the
// protocol's promises (DESIGN §5): the server never drops the connection
// over a frame (up to gorilla's hard limit) and answers each frame either
// with exactly one error frame of a known code, the right one for a frame
// that is too long or not UTF-8 text, or with the member's echo and the
// bot's messages in order; and it stays usable afterwards.
func FuzzWebSocketFrame(f *testing.F) {
	seeds := []string{
		`{"type":"hello","session":"","lang":"zh-CN"}`,
		`{"type":"hello","session":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","lang":"en","start":"cancel_membership"}`,
		`{"type":"text","text":"我要取消会员"}`,
		`{"type":"text","text":"13800138000"}`,
		`{"type":"button","value":"method:sms"}`,
		`{"type":"button","value":"confirm:1"}`,
		`{"type":"button"}`,
		`{"type":"text"}`,
		`{"type":"text","text":null}`,
		`{"type":1}`,
		`{"type":"bogus"}`,
		`{}`, `null`, `[]`, `"text"`, `{"type":"text","text":"a"`, "\xff\xfe",
		`{"type":"text","text":"` + strings.Repeat("长", 2100) + `"}`,
		`{"type":"text","text":"` + strings.Repeat("x", MaxFrameBytes) + `"}`,
		`{"type":"text","type":"button","value":"abort","text":"hi"}`,
		`{"type":"text","text":"\ud800"}`,
	}
	for _, s := range seeds {
		f.Add(false, false, []byte(s))
		f.Add(true, false, []byte(s))
	}
	f.Add(false, true, []byte(`{"type":"text","text":"binary"}`))
	f.Add(true, true, []byte{0, 1, 2})

	srv := newTestServerWith(f, func(c *bot.Config) { c.MsgRate = 0 }, nil)
	known := map[string]bool{}
	for code := range errorMessages {
		known[code] = true
	}
	var (
		main fuzzConn
		uses int
	)
	f.Fuzz(func(t *testing.T, beforeHello, binary bool, data []byte) {
		if len(data) > hardReadLimit-1024 {
			t.Skip("beyond gorilla's hard limit the connection is closed by design")
		}
		typ := websocket.TextMessage
		if binary {
			typ = websocket.BinaryMessage
		}
		// What the frame must earn, when its bytes decide it alone.
		var want string
		switch {
		case len(data) > MaxFrameBytes:
			want = CodeTooLong
		case binary || !utf8.Valid(data):
			want = CodeBadFrame
		}
		checkError := func(e frame) {
			t.Helper()
			if !known[e.Code] || e.Message != errorMessages[e.Code] {
				t.Fatalf("error frame %q %q is not one of the protocol's", e.Code, e.Message)
			}
			if want != "" && e.Code != want {
				t.Fatalf("frame of %d bytes (binary %v): error %s, want %s", len(data), binary, e.Code, want)
			}
		}
		dial := func() fuzzConn {
			ws, _, err := websocket.DefaultDialer.Dial(srv.wsURL(), nil)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			return fuzzConn{t, ws}
		}

		if beforeHello {
			c := dial()
			defer c.ws.Close()
			c.write(typ, data)
			got := c.read()
			switch got.Type {
			case "welcome":
				if want != "" {
					t.Fatalf("welcomed after a frame that earns %s", want)
				}
				return
			case "error":
				checkError(got)
				if got.Code == CodeRateLimited || got.Code == CodeUnavailable || got.Code == CodeRestarting {
					t.Fatalf("error %s before hello", got.Code)
				}
			default:
				t.Fatalf("first frame %v, want welcome or an error", got)
			}
			c.write(websocket.TextMessage, []byte(`{"type":"hello","lang":"en"}`))
			if got := c.read(); got.Type != "welcome" {
				t.Fatalf("hello after a refused frame: %v, want welcome", got)
			}
			return
		}

		// After hello: a connection kept across inputs, on a conversation
		// renewed now and then so that its history stays short.
		if main.ws == nil || uses >= 100 {
			if main.ws != nil {
				main.ws.Close()
			}
			main, uses = dial(), 0
			main.write(websocket.TextMessage, []byte(`{"type":"hello","lang":"zh-CN"}`))
			w := main.read()
			if w.Type != "welcome" {
				t.Fatalf("hello: %v", w)
			}
			main.read() // the welcome message
		}
		uses++
		t.Cleanup(func() {
			if t.Failed() || t.Skipped() { // mid-exchange: start afresh
				main.ws.Close()
				main.ws = nil
			}
		})
		// A marker message after the frame: its echo ends the frame's
		// answer, as turns run in order.
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		marker := "marker-" + hex.EncodeToString(b)
		main.write(typ, data)
		main.write(websocket.TextMessage, []byte(`{"type":"text","text":"`+marker+`"}`))
		var answer []frame
		for {
			got := main.read()
			if got.Type == "message" && got.From == "member" && got.Text == marker {
				break
			}
			// The previous marker's replies come first: the frame's
			// answer starts with the echo, or is an error.
			if len(answer) == 0 && got.Type == "message" && got.From != "member" {
				continue
			}
			answer = append(answer, got)
		}
		if len(answer) == 0 {
			t.Fatalf("no answer to a frame of %d bytes: %q", len(data), data)
		}
		if answer[0].Type == "error" {
			if len(answer) != 1 {
				t.Fatalf("an error and more: %v", answer)
			}
			checkError(answer[0])
			return
		}
		if want != "" {
			t.Fatalf("frame that earns %s answered with %v", want, answer)
		}
		last := uint64(0)
		for i, m := range answer {
			id, err := strconv.ParseUint(m.ID, 10, 64)
			if m.Type != "message" || err != nil || id <= last {
				t.Fatalf("answer %d: %v (after id %d)", i, m, last)
			}
			last = id
			if (i == 0) != (m.From == "member") {
				t.Fatalf("answer %v: the member's echo first, and only first", answer)
			}
			if !utf8.ValidString(m.Text) {
				t.Fatalf("message %s is not UTF-8", m.ID)
			}
		}
		if len(answer) < 2 {
			t.Fatalf("answer %v: no reply after the echo", answer)
		}
	})
}
