package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/channels/channeltest"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
)

// TestConformance runs the journeys every channel passes, through the Bot
// API wire format: members type, press inline buttons (callback queries),
// and read what the bot sends.
func TestConformance(t *testing.T) {
	channeltest.Run(t, func(t *testing.T) channeltest.Driver { return driver{newEnv(t)} })
}

type driver struct{ e *env }

// Open is a member opening the bot (Telegram's clients send /start) or a
// deep link (/start <payload>).
func (d driver) Open(t *testing.T, lang dialog.Lang, start string) channeltest.Session {
	code := "zh-hans"
	if lang == dialog.EN {
		code = "en"
	}
	m := d.e.member(code)
	m.send(strings.TrimSpace("/start " + start))
	return &session{e: d.e, m: m}
}

type session struct {
	e *env
	m *member
}

func (s *session) Send(text string) { s.m.send(text) }

// Press presses the newest button with the value, even one whose keyboard
// was marked as used since (a double click). A value no message offers is
// what a command does on Telegram.
func (s *session) Press(value string) {
	msgs := s.e.api.Messages(s.m.u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Offers(value) {
			s.e.api.Push(telegramtest.Press(s.m.u, msgs[i], value))
			return
		}
	}
	cmd := map[string]string{"abort": "/cancel", "intent:human_agent": "/agent", "intent:help": "/help"}[value]
	if l, ok := strings.CutPrefix(value, "lang:"); ok {
		cmd = "/lang " + l
	}
	if cmd == "" {
		s.e.t.Fatalf("no button %q to press and no command for it", value)
	}
	s.m.send(cmd)
}

// Next reads the next message sent to the member: system notices are set
// in italics, an agent's messages start with 👤.
func (s *session) Next(timeout time.Duration) (channeltest.Message, bool) {
	if !s.e.api.Wait(timeout, func() bool { return len(s.e.api.Messages(s.m.u.ID)) > s.m.seen }) {
		return channeltest.Message{}, false
	}
	sent := s.e.api.Messages(s.m.u.ID)[s.m.seen]
	s.m.seen++
	msg := channeltest.Message{From: "bot", Text: sent.Text}
	switch {
	case sent.Italic:
		msg.From = "system"
	case strings.HasPrefix(sent.Text, "👤 "):
		msg.From, msg.Text = "agent", strings.TrimPrefix(sent.Text, "👤 ")
	}
	for _, b := range sent.Buttons {
		msg.Buttons = append(msg.Buttons, channeltest.Button{Label: b.Text, Value: b.CallbackData})
	}
	return msg, true
}

// Reconnect restarts the adapter: Telegram has no connection to drop, so
// this is what can interrupt a member — kefu's side going away and back.
func (s *session) Reconnect() {
	s.e.stopAdapter()
	s.e.startAdapter()
}
