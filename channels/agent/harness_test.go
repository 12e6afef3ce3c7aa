package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// The conversation API's tests run a real runtime (Badger in a temporary
// directory, demo members) behind a real HTTP server; members talk to the
// runtime directly, as a channel would. Agents: alice and bob.

const (
	alice = "Bearer alice-token"
	bob   = "Bearer bob-token"
)

// timeout bounds every wait for something the server is expected to do.
const timeout = 10 * time.Second

type env struct {
	t       *testing.T
	rt      *bot.Runtime
	console *Console
	srv     *httptest.Server
	clock   *kefutest.Clock
	dir     string // the runtime's data
	cfg     Config // as given to newEnv
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	return openEnv(t, cfg, t.TempDir(), kefutest.NewClock(time.Now()))
}

// reopen closes e's runtime and serves the same data and clock afresh, as
// after a restart.
func (e *env) reopen() *env {
	e.t.Helper()
	e.srv.Close()
	if err := e.rt.Close(); err != nil {
		e.t.Fatal(err)
	}
	return openEnv(e.t, e.cfg, e.dir, e.clock)
}

func openEnv(t *testing.T, cfg Config, dir string, clk *kefutest.Clock) *env {
	t.Helper()
	rt, err := bot.Open(bot.Config{DataDir: dir, Demo: true, Location: shanghai, Log: slog.New(slog.DiscardHandler), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	given := cfg
	t.Cleanup(func() { rt.Close() })
	cfg.Runtime = rt
	cfg.Agents = map[string]string{"alice": "alice-token", "bob": "bob-token"}
	cfg.Location = shanghai
	cfg.Log = slog.New(slog.DiscardHandler)
	cfg.Now = clk.Now
	c := New(cfg)
	mux := http.NewServeMux()
	c.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, rt: rt, console: c, srv: srv, clock: clk, dir: dir, cfg: given}
}

// call sends a request with an Authorization header (when auth is not
// empty) and a JSON body (when body is not empty).
func (e *env) call(method, path, auth, body string) (*http.Response, []byte) {
	e.t.Helper()
	return e.callWith(http.DefaultClient, method, path, auth, body)
}

func (e *env) callWith(client *http.Client, method, path, auth, body string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// ok calls and expects 200 with a JSON body decoded into v.
func (e *env) ok(method, path, auth, body string, v any) {
	e.t.Helper()
	resp, b := e.call(method, path, auth, body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// fails calls and expects the status and error code; it returns the error.
func (e *env) fails(method, path, auth, body string, status int, code string) apiError {
	e.t.Helper()
	resp, b := e.call(method, path, auth, body)
	var got apiError
	if err := json.Unmarshal(b, &got); err != nil {
		e.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
	}
	if resp.StatusCode != status || got.Code != code || got.Error == "" {
		e.t.Fatalf("%s %s: HTTP %d %s, want %d with code %q and a message", method, path, resp.StatusCode, b, status, code)
	}
	return got
}

func (e *env) list(status string) []Summary {
	e.t.Helper()
	var got struct{ Conversations []Summary }
	e.ok("GET", "/agent/api/conversations"+status, alice, "", &got)
	if got.Conversations == nil {
		e.t.Fatalf("list%s: no conversations array", status)
	}
	return got.Conversations
}

func (e *env) detail(id string) Detail {
	e.t.Helper()
	var d Detail
	e.ok("GET", "/agent/api/conversations/"+id, alice, "", &d)
	return d
}

// member is someone talking to the runtime on a channel, hearing every
// message of their conversation.
type member struct {
	e     *env
	id    string
	heard chan bot.Message
}

func (e *env) member(channel, user string) *member {
	e.t.Helper()
	id, _, err := e.rt.Resolve(context.Background(), channel, user)
	if err != nil {
		e.t.Fatal(err)
	}
	m := &member{e: e, id: id, heard: make(chan bot.Message, 512)}
	unsub, err := e.rt.Subscribe(id, func(msg bot.Message) {
		select {
		case m.heard <- msg:
		default:
			e.t.Errorf("member %s heard too much", user)
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(unsub)
	return m
}

// send runs one member message and returns what the member heard from
// others in that turn (the runtime publishes a turn before it returns).
func (m *member) send(kind dialog.InputKind, text string) []bot.Message {
	m.e.t.Helper()
	if err := m.e.rt.Handle(context.Background(), m.id, kind, text, ""); err != nil {
		m.e.t.Fatal(err)
	}
	return m.drain()
}

func (m *member) say(text string) []bot.Message { return m.send(dialog.InputText, text) }

// drain returns the messages heard so far from others than the member.
func (m *member) drain() []bot.Message {
	var out []bot.Message
	for {
		select {
		case msg := <-m.heard:
			if msg.From != bot.FromMember {
				out = append(out, msg)
			}
		default:
			return out
		}
	}
}

// await waits until the member hears a message matching ok.
func (m *member) await(what string, ok func(bot.Message) bool) bot.Message {
	m.e.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case msg := <-m.heard:
			if ok(msg) {
				return msg
			}
		case <-deadline:
			m.e.t.Fatalf("the member never heard %s", what)
		}
	}
}

var sixDigits = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)

// verify takes the member through the cancel flow's identification with
// the demo SMS code, up to the choice of options.
func (m *member) verify() {
	m.e.t.Helper()
	m.say("我要取消会员")
	var code string
	sent := false
	for _, msg := range m.say("13800138000") { // the code is sent at once
		if c := sixDigits.FindStringSubmatch(msg.Text); msg.From == bot.FromSystem && c != nil {
			code = c[1]
		}
		sent = sent || msg.From == bot.FromBot && hasButton(msg, "method:email")
	}
	if code == "" || !sent {
		m.e.t.Fatalf("no demo code (%q) or no reply that it was sent (%v)", code, sent)
	}
	for _, msg := range m.say(code) {
		if msg.From == bot.FromBot && hasButton(msg, "opt:cancel_now") {
			return
		}
	}
	m.e.t.Fatal("no options after the code")
}

func hasButton(msg bot.Message, value string) bool {
	for _, b := range msg.Buttons {
		if b.Value == value {
			return true
		}
	}
	return false
}

// events is an open event stream, read by a goroutine.
type events struct {
	t      *testing.T
	ready  readyEvent
	ch     chan sseEvent
	cancel func()
	done   chan struct{}
}

type sseEvent struct {
	name, data string
}

type readyEvent struct{ Agent, Stream string }

// events opens GET /agent/api/events and waits for its ready event.
func (e *env) events(path, auth string) *events {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		e.t.Fatalf("GET %s: HTTP %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	s := &events{t: e.t, ch: make(chan sseEvent, 1024), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.ch)
		defer resp.Body.Close()
		emit := func(ev sseEvent) bool {
			select {
			case s.ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if (ev.name != "" || ev.data != "") && !emit(ev) {
					return
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				if !emit(sseEvent{name: "comment", data: strings.TrimSpace(line[1:])}) {
					return
				}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	e.t.Cleanup(s.close)
	first := s.next("the ready event", func(ev sseEvent) bool { return true })
	if first.name != "ready" || json.Unmarshal([]byte(first.data), &s.ready) != nil || s.ready.Stream == "" {
		e.t.Fatalf("first event %+v, want ready with a stream id", first)
	}
	return s
}

// next returns the next event matching ok, skipping others.
func (s *events) next(what string, ok func(sseEvent) bool) sseEvent {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, open := <-s.ch:
			if !open {
				s.t.Fatalf("the event stream ended while waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			s.t.Fatalf("no event: %s", what)
		}
	}
}

// conversation waits for a conversation event about id matching ok.
func (s *events) conversation(id string, what string, ok func(Summary) bool) Summary {
	s.t.Helper()
	var got Summary
	s.next(what, func(ev sseEvent) bool {
		if ev.name != "conversation" {
			return false
		}
		var c Summary
		if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
			s.t.Fatalf("conversation event %q: %v", ev.data, err)
		}
		got = c
		return c.ID == id && ok(c)
	})
	return got
}

// message waits for a message event of conversation id matching ok.
func (s *events) message(id string, what string, ok func(Message) bool) Message {
	s.t.Helper()
	var got struct {
		Conversation string
		Message      Message
	}
	s.next(what, func(ev sseEvent) bool {
		if ev.name != "message" {
			return false
		}
		if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
			s.t.Fatalf("message event %q: %v", ev.data, err)
		}
		return got.Conversation == id && ok(got.Message)
	})
	return got.Message
}

// close hangs up and waits until the reader has stopped.
func (s *events) close() {
	s.cancel()
	<-s.done
}

// waitStreams waits until the console has n event streams open: a stream's
// handler has returned (and its agent gone offline) once it is not counted.
func (e *env) waitStreams(n int) {
	e.t.Helper()
	deadline := time.After(timeout)
	for {
		e.console.streams.mu.Lock()
		count, changed := len(e.console.streams.byID), e.console.streams.changed
		e.console.streams.mu.Unlock()
		if count == n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			e.t.Fatalf("%d event streams open, want %d", count, n)
		}
	}
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip, so tests can be two clients.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}
