package agent

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

// TestNotesNeverReachTheMember: agents' notes are listed with the
// conversation, reach a console that has it open, and never the member:
// not live, not in the transcript a channel replays.
func TestNotesNeverReachTheMember(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "noted")
	m.say("转人工")
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", &s)
	m.drain()

	// bob's console has the conversation open: the note reaches it.
	ev := e.events("/agent/api/events", bob)
	e.ok("PUT", "/agent/api/events/"+ev.ready.Stream, bob, `{"open":["`+m.id+`"]}`, nil)

	const secret = "会员语气激动，<b>先安抚</b>"
	var added struct{ Note bot.Note }
	res, body := e.call("POST", "/agent/api/conversations/"+m.id+"/notes", alice, `{"text":"  `+secret+`  "}`)
	if res.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"agent":"alice"`) {
		t.Fatalf("add a note: %d %s, want 201", res.StatusCode, body)
	}
	e.clock.Advance(time.Second) // notes are in the order of their time
	res, body = e.call("POST", "/agent/api/conversations/"+m.id+"/notes", bob, `{"text":"已回电"}`)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &added) != nil || added.Note.Agent != "bob" || added.Note.Text != "已回电" {
		t.Fatalf("bob's note %+v (any agent may note)", added.Note)
	}
	for _, want := range []string{"先安抚", "已回电"} {
		ev.next("the note "+want, func(se sseEvent) bool { return se.name == "note" && strings.Contains(se.data, want) })
	}

	var d Detail
	e.ok("GET", "/agent/api/conversations/"+m.id, alice, "", &d)
	if len(d.Notes) != 2 || d.Notes[0].Text != secret || d.Notes[1].Agent != "bob" {
		t.Fatalf("detail notes %+v, want alice's then bob's", d.Notes)
	}
	var list struct{ Notes []bot.Note }
	e.ok("GET", "/agent/api/conversations/"+m.id+"/notes", bob, "", &list)
	if len(list.Notes) != 2 {
		t.Fatalf("notes %+v", list.Notes)
	}
	for _, msg := range d.Messages {
		if strings.Contains(msg.Text, "安抚") || strings.Contains(msg.Text, "已回电") {
			t.Fatalf("a note in the transcript: %+v", msg)
		}
	}
	if heard := m.drain(); len(heard) != 0 {
		t.Fatalf("the member heard %+v", heard)
	}
	history, err := e.rt.History(t.Context(), m.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range history {
		if strings.Contains(msg.Text, "安抚") || strings.Contains(msg.Text, "已回电") {
			t.Fatalf("a note in the member's history: %+v", msg)
		}
	}

	e.fails("POST", "/agent/api/conversations/"+m.id+"/notes", alice, `{"text":"  "}`, http.StatusBadRequest, CodeBadRequest)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/notes", alice, `{"text":"`+strings.Repeat("长", 2001)+`"}`, http.StatusBadRequest, CodeBadRequest)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/notes", alice, `{"text":`, http.StatusBadRequest, CodeBadJSON)
	e.fails("POST", "/agent/api/conversations/no-such/notes", alice, `{"text":"x"}`, http.StatusNotFound, CodeNotFound)
	e.fails("GET", "/agent/api/conversations/no-such/notes", alice, "", http.StatusNotFound, CodeNotFound)
	e.fails("POST", "/agent/api/conversations/"+m.id+"/notes", "", `{"text":"x"}`, http.StatusUnauthorized, CodeUnauthorized)
	e.fails("GET", "/agent/api/conversations/"+m.id+"/notes", "Bearer nope", "", http.StatusUnauthorized, CodeUnauthorized)
}
