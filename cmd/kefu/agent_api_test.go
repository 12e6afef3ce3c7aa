package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
)

// The agent API end to end: the real program with its web and Telegram
// channels; a member on each asks for a person, the demo agent claims,
// replies, hands back and closes through the API, and each member sees it
// on their own channel.

const agentTimeout = 15 * time.Second

// agentAPI is an agent's client of the real server.
type agentAPI struct {
	t    *testing.T
	base string
	auth string
}

func (a *agentAPI) do(method, path, body string, v any) int {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	req.Header.Set("Authorization", a.auth)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			a.t.Fatalf("%s %s: HTTP %d %q: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// ok expects 200.
func (a *agentAPI) ok(method, path, body string, v any) {
	a.t.Helper()
	var raw json.RawMessage
	if status := a.do(method, path, body, &raw); status != http.StatusOK {
		a.t.Fatalf("%s %s: HTTP %d %s", method, path, status, raw)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			a.t.Fatal(err)
		}
	}
}

// convSummary is a listed conversation as the contract describes it.
type convSummary struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Channel      string     `json:"channel"`
	Lang         string     `json:"lang"`
	WaitingSince *time.Time `json:"waiting_since"`
	Agent        string     `json:"agent"`
	Preview      string     `json:"preview"`
	Version      int64      `json:"version"`
	Position     int        `json:"position"`
}

type convMessage struct {
	Type, ID, From, Text string
}

// agentEvents is an open event stream.
type agentEvents struct {
	t      *testing.T
	stream string
	ch     chan [2]string // event name, data
	cancel func()
}

func (a *agentAPI) events() *agentEvents {
	a.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", a.base+"/agent/api/events", nil)
	req.Header.Set("Authorization", a.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		a.t.Fatalf("event stream: %v %v", resp, err)
	}
	ev := &agentEvents{t: a.t, ch: make(chan [2]string, 1024), cancel: cancel}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ev.ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name, data string
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "" && data != "":
				select {
				case ev.ch <- [2]string{name, data}:
				case <-ctx.Done():
					return
				}
				name, data = "", ""
			case strings.HasPrefix(line, "event: "):
				name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				data = line[len("data: "):]
			}
		}
	}()
	// Closed before the server shuts down, as a console tab would be.
	a.t.Cleanup(func() { cancel(); <-done })
	var ready struct{ Stream string }
	ev.next("ready", func(name, data string) bool { return name == "ready" && json.Unmarshal([]byte(data), &ready) == nil })
	ev.stream = ready.Stream
	return ev
}

func (ev *agentEvents) next(what string, ok func(name, data string) bool) {
	ev.t.Helper()
	deadline := time.After(agentTimeout)
	for {
		select {
		case e, open := <-ev.ch:
			if !open {
				ev.t.Fatalf("the event stream ended before %s", what)
			}
			if ok(e[0], e[1]) {
				return
			}
		case <-deadline:
			ev.t.Fatalf("no event: %s", what)
		}
	}
}

// conversation waits for a conversation event matching ok.
func (ev *agentEvents) conversation(what string, ok func(convSummary) bool) convSummary {
	ev.t.Helper()
	var got convSummary
	ev.next(what, func(name, data string) bool {
		got = convSummary{}
		return name == "conversation" && json.Unmarshal([]byte(data), &got) == nil && ok(got)
	})
	return got
}

// message waits for a message event of conversation id matching ok.
func (ev *agentEvents) message(id, what string, ok func(convMessage) bool) convMessage {
	ev.t.Helper()
	var got struct {
		Conversation string
		Message      convMessage
	}
	ev.next(what, func(name, data string) bool {
		return name == "message" && json.Unmarshal([]byte(data), &got) == nil && got.Conversation == id && ok(got.Message)
	})
	return got.Message
}

// webMember is a member in the web chat, over the real websocket.
type webMember struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan convMessage
}

func openWebMember(t *testing.T, m *Main, lang string) *webMember {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+m.Addr()+"/ws", http.Header{"Origin": {"http://" + m.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]string{"type": "hello", "lang": lang}); err != nil {
		t.Fatal(err)
	}
	w := &webMember{t: t, ws: ws, frames: make(chan convMessage, 256)}
	go func() {
		defer close(w.frames)
		for {
			var f convMessage
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			if f.Type == "message" && f.From != "member" {
				w.frames <- f
			}
		}
	}()
	return w
}

func (w *webMember) say(text string) {
	w.t.Helper()
	if err := w.ws.WriteJSON(map[string]string{"type": "text", "text": text}); err != nil {
		w.t.Fatal(err)
	}
}

// next returns the next message shown to the member from others.
func (w *webMember) next(what string) convMessage {
	w.t.Helper()
	select {
	case f, ok := <-w.frames:
		if !ok {
			w.t.Fatalf("the websocket closed before %s", what)
		}
		return f
	case <-time.After(agentTimeout):
		w.t.Fatalf("the member never saw %s", what)
	}
	return convMessage{}
}

// await skips messages until one matches ok.
func (w *webMember) await(what string, ok func(convMessage) bool) convMessage {
	w.t.Helper()
	for {
		if f := w.next(what); ok(f) {
			return f
		}
	}
}

func TestAgentTakesOverWebAndTelegramMembers(t *testing.T) {
	api := telegramtest.NewServer()
	t.Cleanup(api.Close) // after the server has stopped
	m := startMain(t, "--telegram-token", telegramtest.Token, "--telegram-api", api.URL)
	agent := &agentAPI{t: t, base: "http://" + m.Addr(), auth: "Bearer demo"}
	ev := agent.events()

	// A web member asks for a person.
	web := openWebMember(t, m, "zh-CN")
	web.await("the welcome", func(f convMessage) bool { return f.From == "bot" })
	web.say("转人工")
	if got := web.await("the queue notice", func(f convMessage) bool { return f.From == "bot" }); !strings.Contains(got.Text, "第 1 位") {
		t.Fatalf("web member told %q, want place 1", got.Text)
	}
	webConv := ev.conversation("the web member waiting", func(c convSummary) bool { return c.Channel == "web" && c.Status == "waiting" })

	// So does a Telegram member.
	tg := telegramtest.User{ID: 777001, LanguageCode: "en"}
	api.Push(telegramtest.Text(tg, "/agent"))
	tgConv := ev.conversation("the Telegram member waiting", func(c convSummary) bool { return c.Channel == "telegram" && c.Status == "waiting" })
	if tgConv.Position != 2 || tgConv.Lang != "en" {
		t.Fatalf("Telegram member %+v, want place 2 in English", tgConv)
	}
	if !api.Wait(agentTimeout, func() bool { return hasSent(api, tg.ID, "number 2") }) {
		t.Fatalf("the Telegram member was not told their place: %v", sentTexts(api, tg.ID))
	}
	var list struct{ Conversations []convSummary }
	agent.ok("GET", "/agent/api/conversations?status=waiting", "", &list)
	if len(list.Conversations) != 2 || list.Conversations[0].ID != webConv.ID || list.Conversations[1].ID != tgConv.ID {
		t.Fatalf("waiting %+v", list.Conversations)
	}

	// The agent takes the Telegram member and answers.
	agent.ok("PUT", "/agent/api/events/"+ev.stream, fmt.Sprintf(`{"open":[%q,%q]}`, tgConv.ID, webConv.ID), nil)
	var held convSummary
	agent.ok("POST", "/agent/api/conversations/"+tgConv.ID+"/claim", fmt.Sprintf(`{"version":%d}`, tgConv.Version), &held)
	if held.Status != "active" || held.Agent != "demo" {
		t.Fatalf("claimed %+v", held)
	}
	agent.ok("POST", "/agent/api/conversations/"+tgConv.ID+"/messages", fmt.Sprintf(`{"text":"Hi, this is Demo from support.","version":%d}`, held.Version), nil)
	if !api.Wait(agentTimeout, func() bool { return hasSent(api, tg.ID, "👤 Hi, this is Demo from support.") }) {
		t.Fatalf("the Telegram member did not get the agent's reply: %v", sentTexts(api, tg.ID))
	}
	// The member's next message reaches the agent and nobody else answers:
	// the agent's next reply is the next thing the member gets.
	sentBefore := len(api.Messages(tg.ID))
	api.Push(telegramtest.Text(tg, "I was charged twice"))
	ev.message(tgConv.ID, "the Telegram member's message", func(msg convMessage) bool { return msg.From == "member" && msg.Text == "I was charged twice" })
	agent.ok("POST", "/agent/api/conversations/"+tgConv.ID+"/messages", `{"text":"Let me check that."}`, nil)
	if !api.Wait(agentTimeout, func() bool { return len(api.Messages(tg.ID)) > sentBefore }) {
		t.Fatal("the Telegram member got nothing more")
	}
	if got := api.Messages(tg.ID)[sentBefore].Text; got != "👤 Let me check that." {
		t.Fatalf("after the member's message Telegram got %q, want only the agent's reply", got)
	}

	// The web member: claimed, answered, silent bot, handed back.
	agent.ok("POST", "/agent/api/conversations/"+webConv.ID+"/claim", "", nil)
	web.await("the agent joining", func(f convMessage) bool { return f.From == "system" && strings.Contains(f.Text, "demo") })
	agent.ok("POST", "/agent/api/conversations/"+webConv.ID+"/messages", `{"text":"您好，我是客服"}`, nil)
	if got := web.next("the agent's reply"); got.From != "agent" || got.Text != "您好，我是客服" {
		t.Fatalf("web member got %+v, want the agent's reply", got)
	}
	web.say("我被重复扣费了")
	ev.message(webConv.ID, "the web member's message", func(msg convMessage) bool { return msg.From == "member" && msg.Text == "我被重复扣费了" })
	agent.ok("POST", "/agent/api/conversations/"+webConv.ID+"/messages", `{"text":"马上为您核实"}`, nil)
	if got := web.next("the agent's second reply"); got.From != "agent" || got.Text != "马上为您核实" {
		t.Fatalf("after the member's message the web member got %+v, want only the agent's reply", got)
	}
	agent.ok("POST", "/agent/api/conversations/"+webConv.ID+"/release", "", nil)
	web.await("the hand-back notice", func(f convMessage) bool { return f.From == "system" })
	web.await("the bot again", func(f convMessage) bool { return f.From == "bot" })

	// Closing the Telegram conversation tells the member.
	agent.ok("POST", "/agent/api/conversations/"+tgConv.ID+"/close", "", nil)
	if !api.Wait(agentTimeout, func() bool { return hasSent(api, tg.ID, "closed this conversation") }) {
		t.Fatalf("the Telegram member was not told of the close: %v", sentTexts(api, tg.ID))
	}
	agent.ok("GET", "/agent/api/conversations", "", &list)
	if len(list.Conversations) != 0 {
		t.Fatalf("still listed: %+v", list.Conversations)
	}
	// Errors carry codes on the real server too.
	var e struct{ Error, Code string }
	if status := agent.do("POST", "/agent/api/conversations/"+tgConv.ID+"/messages", `{"text":"hello?"}`, &e); status != http.StatusConflict || e.Code != "not_held" {
		t.Fatalf("message after close: HTTP %d %+v", status, e)
	}
}

func hasSent(api *telegramtest.Server, chat int64, text string) bool {
	for _, m := range api.Messages(chat) {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

func sentTexts(api *telegramtest.Server, chat int64) []string {
	var out []string
	for _, m := range api.Messages(chat) {
		out = append(out, m.Text)
	}
	return out
}

// The console page and the API are served by the real program, and the
// demo agent can sign in; a running server backs itself up.
func TestAgentConsoleServed(t *testing.T) {
	m := startMain(t, "--agents", "alice:wonderland")
	base := "http://" + m.Addr()
	resp, err := http.Get(base + "/agent/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-kefu="agent-login"`) {
		t.Fatalf("GET /agent/: HTTP %d", resp.StatusCode)
	}
	for token, want := range map[string]string{"demo": "demo", "wonderland": "alice"} {
		a := &agentAPI{t: t, base: base, auth: "Bearer " + token}
		var me struct{ Name, TZ string }
		a.ok("GET", "/agent/api/me", "", &me)
		if me.Name != want || me.TZ != "Asia/Shanghai" {
			t.Fatalf("token %s: %+v", token, me)
		}
	}
	req, _ := http.NewRequest("GET", base+"/agent/api/backup", nil)
	req.Header.Set("Authorization", "Bearer wonderland")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n < 1024 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("backup: HTTP %d, %d bytes, %q", resp.StatusCode, n, resp.Header.Get("Content-Disposition"))
	}
}

// A console left open does not hold up the server's shutdown.
func TestAgentEventStreamEndsOnShutdown(t *testing.T) {
	m, stop := serveMain(t)
	a := &agentAPI{t: t, base: "http://" + m.Addr(), auth: "Bearer demo"}
	ev := a.events()
	served := make(chan error, 1)
	go func() { served <- stop() }()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(agentTimeout):
		t.Fatal("the server did not stop")
	}
	deadline := time.After(agentTimeout)
	for {
		select {
		case _, open := <-ev.ch:
			if !open {
				return // the stream ended
			}
		case <-deadline:
			t.Fatal("the event stream outlived the server")
		}
	}
}
