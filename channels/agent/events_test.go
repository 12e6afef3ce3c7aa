package agent

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

// The event stream tells the console of a member who starts waiting, and
// brings the messages of the conversations it opens.
func TestEventsDeliverQueueAndMessages(t *testing.T) {
	e := newEnv(t, Config{})
	ev := e.events("/agent/api/events?token=alice-token", "")
	if ev.ready.Agent != "alice" {
		t.Fatalf("ready %+v", ev.ready)
	}
	if !e.rt.Handoffs().AgentsAvailable(context.Background()) {
		t.Fatal("an agent with the console open is not available")
	}
	m := e.member("web", "m")
	m.say("转人工")
	s := ev.conversation(m.id, "the member waiting", func(s Summary) bool { return s.Status == "waiting" })
	if s.Position != 1 || s.WaitingSince == nil || s.Preview != "转人工" || s.Channel != "web" {
		t.Fatalf("waiting event %+v", s)
	}

	// Messages come only for conversations the console opened.
	m.say("有人吗")
	var opened struct{ Open []string }
	e.ok("PUT", "/agent/api/events/"+ev.ready.Stream, alice, fmt.Sprintf(`{"open":[%q,%q]}`, m.id, m.id), &opened)
	if len(opened.Open) != 1 || opened.Open[0] != m.id {
		t.Fatalf("open %v", opened.Open)
	}
	m.say("还在排队吗")
	got := ev.message(m.id, "the member's message", func(msg Message) bool { return msg.From == "member" })
	if got.Text != "还在排队吗" || got.Type != "message" || got.ID == "" {
		t.Fatalf("first message event %+v, want the one after opening", got)
	}

	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", nil)
	joined := ev.message(m.id, "the join notice", func(msg Message) bool { return msg.From == "system" })
	if !strings.Contains(joined.Text, "alice") {
		t.Fatalf("join notice %q", joined.Text)
	}
	ev.conversation(m.id, "the claim", func(s Summary) bool { return s.Status == "active" && s.Agent == "alice" })
	e.ok("POST", "/agent/api/conversations/"+m.id+"/messages", alice, `{"text":"您好"}`, nil)
	ev.message(m.id, "the agent's reply", func(msg Message) bool { return msg.From == "agent" && msg.Text == "您好" })

	// Closing it again: no more messages.
	e.ok("PUT", "/agent/api/events/"+ev.ready.Stream, alice, `{"open":[]}`, nil)
	m.say("谢谢")
	e.ok("POST", "/agent/api/conversations/"+m.id+"/release", alice, "", nil)
	ev.next("the release", func(se sseEvent) bool {
		if se.name == "message" {
			t.Fatalf("a message of a closed conversation: %s", se.data)
		}
		return se.name == "conversation" && strings.Contains(se.data, `"status":"bot"`)
	})

	// Streams are the agent's own, and only known conversations open.
	e.fails("PUT", "/agent/api/events/"+ev.ready.Stream, bob, `{"open":[]}`, http.StatusNotFound, CodeNotFound)
	e.fails("PUT", "/agent/api/events/nope", alice, `{"open":[]}`, http.StatusNotFound, CodeNotFound)
	e.fails("PUT", "/agent/api/events/"+ev.ready.Stream, alice, `{"open":["nope"]}`, http.StatusNotFound, CodeNotFound)
	e.fails("PUT", "/agent/api/events/"+ev.ready.Stream, alice, `{"open":`, http.StatusBadRequest, CodeBadJSON)
	var many []string
	for i := range maxOpen + 1 {
		many = append(many, fmt.Sprintf("%q", fmt.Sprint("c", i)))
	}
	e.fails("PUT", "/agent/api/events/"+ev.ready.Stream, alice, `{"open":[`+strings.Join(many, ",")+`]}`, http.StatusBadRequest, CodeBadRequest)
}

func TestEventsKeepAlive(t *testing.T) {
	e := newEnv(t, Config{KeepAlive: 20 * time.Millisecond})
	ev := e.events("/agent/api/events", bob)
	ev.next("a keep-alive comment", func(se sseEvent) bool { return se.name == "comment" && se.data == "keep-alive" })
}

// An agent whose console is gone loses their conversations back to the
// queue after the grace period; the member is told.
func TestLeaseExpiresWhenTheConsoleCloses(t *testing.T) {
	e := newEnv(t, Config{})
	ev := e.events("/agent/api/events", alice)
	m := e.member("web", "m")
	m.say("转人工")
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", nil)

	ev.close()
	e.waitStreams(0)
	if e.rt.Handoffs().AgentsAvailable(context.Background()) {
		t.Fatal("alice is still online with her console closed")
	}
	e.rt.Handoffs().ExpireLeases(context.Background())
	if d := e.detail(m.id); d.Status != "active" {
		t.Fatalf("lease lost within the grace period: %+v", d.Summary)
	}

	e.clock.Advance(3 * time.Minute)
	e.rt.Handoffs().ExpireLeases(context.Background())
	d := e.detail(m.id)
	if d.Status != "waiting" || d.Agent != "" || d.Position != 1 {
		t.Fatalf("after the grace period: %+v", d.Summary)
	}
	m.await("the notice that the agent left", func(msg bot.Message) bool {
		return msg.From == bot.FromSystem && strings.Contains(msg.Text, "第 1 位")
	})
	// Alice's old version no longer works; a fresh claim does.
	e.fails("POST", "/agent/api/conversations/"+m.id+"/messages", alice, `{"text":"back"}`, http.StatusConflict, CodeNotHeld)
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", bob, "", &s)
	if s.Agent != "bob" {
		t.Fatalf("reclaimed %+v", s)
	}
}

// An open console keeps its agent's leases however long it stays.
func TestOpenConsoleKeepsLeases(t *testing.T) {
	e := newEnv(t, Config{})
	e.events("/agent/api/events", alice)
	m := e.member("web", "m")
	m.say("转人工")
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", nil)
	e.clock.Advance(time.Hour)
	e.rt.Handoffs().ExpireLeases(context.Background())
	if d := e.detail(m.id); d.Status != "active" || d.Agent != "alice" {
		t.Fatalf("lease lost with the console open: %+v", d.Summary)
	}
}

// A console that does not read never blocks the runtime: its queue fills
// and the stream is dropped.
func TestSlowConsoleIsDropped(t *testing.T) {
	s := &stream{events: make(chan event, streamBuffer), full: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range streamBuffer + 10 {
			s.push(event{conv: bot.Conversation{ID: "x"}})
		}
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("push blocked")
	}
	select {
	case <-s.full:
	default:
		t.Fatal("an overflowing stream is not marked full")
	}
}

// Shutting the server down ends the streams, so it does not wait for them.
func TestServerShutdownEndsStreams(t *testing.T) {
	e := newEnv(t, Config{})
	ev := e.events("/agent/api/events", alice)
	ctx, cancel := context.WithTimeout(context.Background(), timeout/2)
	defer cancel()
	if err := e.srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a console open: %v", err)
	}
	select {
	case <-ev.done:
	case <-time.After(timeout):
		t.Fatal("the stream is still open")
	}
	e.waitStreams(0)
	if e.rt.Handoffs().AgentsAvailable(context.Background()) {
		t.Fatal("the agent is still online after shutdown")
	}
}

func TestShutdownRefusesNewStreams(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.console.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, body := e.call("GET", "/agent/api/events", alice, "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), CodeUnavailable) {
		t.Fatalf("new stream after shutdown: HTTP %d %s", resp.StatusCode, body)
	}
}
