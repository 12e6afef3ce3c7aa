package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// history is the transcript of a member's conversation.
func (m *member) history() []bot.Message {
	m.e.t.Helper()
	ctx := context.Background()
	id, found, err := m.e.rt.Lookup(ctx, ChannelName, strconv.FormatInt(m.u.ID, 10))
	if err != nil || !found {
		m.e.t.Fatalf("conversation of %d: found %v, %v", m.u.ID, found, err)
	}
	h, err := m.e.rt.History(ctx, id)
	if err != nil {
		m.e.t.Fatal(err)
	}
	return h
}

func fromMember(h []bot.Message) (texts []string) {
	for _, m := range h {
		if m.From == bot.FromMember {
			texts = append(texts, m.Text)
		}
	}
	return texts
}

// count is how many messages sent to the member so far have this text.
func (m *member) count(text string) int {
	n := 0
	for _, s := range m.e.api.Messages(m.u.ID) {
		if s.Text == text {
			n++
		}
	}
	return n
}

// The runtime's per-conversation rate holds on Telegram: a flood beyond
// the burst is dropped (nothing stored) and the member is asked to slow
// down once, not once per dropped message; another chat is not affected;
// the flooded chat carries on once the rate allows.
func TestFloodGetsOneSlowDown(t *testing.T) {
	clock := kefutest.NewClock(time.Now())
	e := newEnvWith(t, func(c *bot.Config) { c.MsgRate, c.Now = 5, clock.Now })
	slowDown := e.render(dialog.EN, "slow_down")
	m := e.member("en")
	before := e.handled.Load()
	const flood = bot.MsgBurst + 5
	for i := range flood {
		m.send("hello " + strconv.Itoa(i))
	}
	e.waitFor("the flood handled", func() bool { return e.handled.Load() >= before+flood })
	m.text(slowDown)

	other := e.member("en")
	other.send("/help")
	other.text(e.render(dialog.EN, "help"))
	if n := other.count(slowDown); n != 0 {
		t.Fatalf("another chat was asked to slow down %d times", n)
	}

	clock.Advance(time.Second) // five more tokens
	m.send("/help")
	m.text(e.render(dialog.EN, "help")) // sent after everything the flood caused
	if n := m.count(slowDown); n != 1 {
		t.Fatalf("%d slow-down replies to one flood; want exactly 1", n)
	}
	if got := fromMember(m.history()); len(got) != bot.MsgBurst+1 {
		t.Fatalf("%d member messages stored; want the burst of %d and the one after the pause", len(got), bot.MsgBurst)
	}
}

// A message longer than the configured limit is answered politely in the
// member's language, and only the limit's worth of it is stored.
func TestTooLongMessage(t *testing.T) {
	const max = 50
	e := newEnvWith(t, func(c *bot.Config) { c.MaxLen = max })
	m := e.member("en")
	long := strings.Repeat("too many words ", 20)
	m.send(long)
	m.text(e.rt.Catalog().MustRender(dialog.EN, "too_long", map[string]any{"Max": max}))
	m.send("/help")
	m.text(e.render(dialog.EN, "help"))
	for _, s := range e.api.Messages(m.u.ID) {
		if s.Text == e.render(dialog.EN, "unavailable") {
			t.Fatalf("the member was told something went wrong: %q", s.Text)
		}
	}
	got := fromMember(m.history())
	if len(got) == 0 {
		t.Fatal("the member's message was not stored")
	}
	stored := strings.TrimSuffix(got[0], "…")
	if utf8.RuneCountInString(stored) > max || !strings.HasPrefix(long, stored) {
		t.Fatalf("stored %q (%d characters); want at most the first %d of the message", got[0], utf8.RuneCountInString(stored), max)
	}
}
