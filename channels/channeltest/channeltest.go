// Package channeltest is the conformance suite every kefu channel adapter
// passes (web, Telegram, …): the same member journeys, driven through the
// adapter's own wire protocol against a real runtime with demo data.
//
// An adapter's test implements Driver for its protocol and calls Run:
//
//	func TestConformance(t *testing.T) {
//		channeltest.Run(t, func(t *testing.T) channeltest.Driver { return newDriver(t) })
//	}
//
// The harness must give every call a fresh runtime opened with
// bot.Config{Demo: true, Answers: channeltest.DemoArticles()} on its own
// data directory: the journeys cancel the demo member 13800138000's
// membership, verification limits count per account, and one journey asks
// the help center.
package channeltest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/kb"
)

// Harness starts a fresh kefu behind the adapter under test.
type Harness func(t *testing.T) Driver

// Driver opens member sessions on one adapter.
type Driver interface {
	// Open starts a new member's conversation with the channel's language
	// hint lang and returns once the member is connected. start, when not
	// empty, is an intent to open straight away ("cancel_membership"), as
	// a deep link or the help page's cancel entry does. The session ends
	// with the test.
	Open(t *testing.T, lang dialog.Lang, start string) Session
}

// Session is one member talking through the adapter.
type Session interface {
	// Send sends typed text.
	Send(text string)
	// Press presses the reply button with this value.
	Press(value string)
	// Next returns the next message shown to the member from the bot, an
	// agent or the system — the member's own messages are skipped; ok is
	// false when none came within timeout.
	Next(timeout time.Duration) (m Message, ok bool)
	// Reconnect drops the member's connection and resumes the same
	// conversation, as a member whose network came back, or who reloaded
	// the page. Messages Next returned before are not returned again.
	Reconnect()
}

// Message is a message as the member sees it.
type Message struct {
	From    string // "bot", "agent" or "system"
	Text    string
	Buttons []Button
}

// Button is a reply button.
type Button struct{ Label, Value string }

// HasButton reports whether m has a button with the value, or one starting
// with it when value ends in ":".
func (m Message) HasButton(value string) bool {
	for _, b := range m.Buttons {
		if b.Value == value || strings.HasSuffix(value, ":") && strings.HasPrefix(b.Value, value) {
			return true
		}
	}
	return false
}

// Button returns the value of m's first button starting with prefix.
func (m Message) Button(prefix string) (string, bool) {
	for _, b := range m.Buttons {
		if strings.HasPrefix(b.Value, prefix) {
			return b.Value, true
		}
	}
	return "", false
}

// Timeout is how long a journey waits for any one message. Generous: the
// race detector and a loaded CI machine slow turns down.
const Timeout = 15 * time.Second

// DemoPhone is the demo member the journeys use (DESIGN §3).
const DemoPhone = "13800138000"

// Run runs every journey as a subtest, each on a fresh driver.
func Run(t *testing.T, h Harness) {
	t.Run("Welcome", func(t *testing.T) { TestWelcome(t, h(t)) })
	t.Run("CancelWithButtonsZH", func(t *testing.T) { TestCancelWithButtons(t, h(t)) })
	t.Run("CancelByTypingEN", func(t *testing.T) { TestCancelByTyping(t, h(t)) })
	t.Run("StartCancel", func(t *testing.T) { TestStartCancel(t, h(t)) })
	t.Run("Resume", func(t *testing.T) { TestResume(t, h(t)) })
	t.Run("Language", func(t *testing.T) { TestLanguage(t, h(t)) })
	t.Run("HelpCenter", func(t *testing.T) { TestHelpCenter(t, h(t)) })
}

// DemoArticles is the demo help center the harness's runtime answers from.
func DemoArticles() *kb.Library {
	b, problems := kb.Demo(bot.DemoArticleFacts())
	if len(problems) > 0 {
		panic(fmt.Sprint("demo articles: ", problems))
	}
	return kb.NewLibrary(b)
}

// TestHelpCenter asks a question that is no flow: the help center's
// article answers it with its link and asks whether it helped, a verdict is
// thanked; a question no article answers gets a plain "I don't know" with
// the menu and a person, never an invented answer.
func TestHelpCenter(t *testing.T, d Driver) {
	s := d.Open(t, dialog.ZH, "")
	Next(t, s) // the welcome
	s.Send("验证码一直收不到怎么办")
	m := WithButton(t, s, "kb:up:")
	InLang(t, dialog.ZH, m.Text)
	if !strings.Contains(m.Text, "/help/code-not-received") || !m.HasButton("kb:down:code-not-received") || !m.HasButton("intent:human_agent") {
		t.Fatalf("the answer %q %v, want the code-not-received article's link, 有帮助 / 没帮助 and a person", m.Text, m.Buttons)
	}
	up, _ := m.Button("kb:up:")
	s.Press(up)
	thanks := Until(t, s, "the thanks", func(m Message) bool { return m.From == "bot" })
	InLang(t, dialog.ZH, thanks.Text)
	if thanks.HasButton("kb:") {
		t.Fatalf("the thanks %q asks again: %v", thanks.Text, thanks.Buttons)
	}
	s.Send("这只股票明天会涨吗")
	none := Until(t, s, "the answer to an unknown question", func(m Message) bool { return m.From == "bot" })
	if none.HasButton("kb:") || !none.HasButton("intent:human_agent") || !none.HasButton("intent:cancel_membership") {
		t.Fatalf("an unknown question: %q %v, want I-don't-know with the menu and a person", none.Text, none.Buttons)
	}
}

// Until returns the first message for which ok holds, skipping others, and
// fails the test when none comes in time. what names the awaited message in
// the failure.
func Until(t testing.TB, s Session, what string, ok func(Message) bool) Message {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	var seen []string
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no %s within %v; saw %q", what, Timeout, seen)
		}
		m, got := s.Next(left)
		if !got {
			t.Fatalf("no %s within %v; saw %q", what, Timeout, seen)
		}
		if ok(m) {
			return m
		}
		seen = append(seen, m.From+": "+m.Text)
	}
}

// WithButton awaits a bot message offering a button value (or a prefix of
// one ending in ":").
func WithButton(t testing.TB, s Session, value string) Message {
	t.Helper()
	return Until(t, s, "message with button "+value, func(m Message) bool { return m.HasButton(value) })
}

var (
	codeRE   = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)
	numberRE = regexp.MustCompile(`WO\d{15}`)
)

// DemoCode awaits the demo verification code, which with --demo reaches the
// chat only as a system message (DESIGN §2).
func DemoCode(t testing.TB, s Session) string {
	t.Helper()
	m := Until(t, s, "system message with a 6-digit code", func(m Message) bool {
		if m.From == "bot" && codeRE.MatchString(m.Text) {
			t.Fatalf("the bot sent a code itself: %q", m.Text)
		}
		return m.From == "system" && codeRE.MatchString(m.Text)
	})
	return codeRE.FindStringSubmatch(m.Text)[1]
}

// Receipt awaits the bot's receipt and returns its work-order number, whose
// check digit it verifies, and which the receipt's button looks up.
func Receipt(t testing.TB, s Session) (number string, m Message) {
	t.Helper()
	m = Until(t, s, "receipt with a work-order number", func(m Message) bool {
		return m.From == "bot" && numberRE.MatchString(m.Text)
	})
	number = numberRE.FindString(m.Text)
	if _, err := dialog.ParseNumber(number); err != nil {
		t.Fatalf("receipt's work-order number %s: %v", number, err)
	}
	if !m.HasButton("order:" + number) {
		t.Fatalf("receipt %q with buttons %v, want order:%s", m.Text, m.Buttons, number)
	}
	return number, m
}

// CodeSent awaits the bot's word that the verification code went out to
// the demo phone, which comes at once after the phone: it offers a code by
// email instead, the security questions and a resend — no choice of method
// comes first.
func CodeSent(t testing.TB, s Session) Message {
	t.Helper()
	m := Until(t, s, "the code-sent message", func(m Message) bool {
		if m.From == "bot" && m.HasButton("method:sms") {
			t.Fatalf("the bot offered a code by SMS instead of sending it: %q %v", m.Text, m.Buttons)
		}
		return m.From == "bot" && m.HasButton("method:questions")
	})
	if !m.HasButton("method:email") || !m.HasButton("resend") {
		t.Fatalf("code-sent message %q with buttons %v, want method:email and resend", m.Text, m.Buttons)
	}
	return m
}

// ReasonAsked awaits the optional question why the member leaves, which
// directly follows a receipt (demo notices aside), with a button per
// reason and none to skip.
func ReasonAsked(t testing.TB, s Session) Message {
	t.Helper()
	m := Next(t, s)
	for m.From == "system" {
		m = Next(t, s)
	}
	for _, r := range []string{"price", "unused", "switching", "other"} {
		if m.From != "bot" || !m.HasButton("reason:"+r) {
			t.Fatalf("after the receipt: %s %q %v, want the reason question with reason:%s", m.From, m.Text, m.Buttons, r)
		}
	}
	if m.HasButton("reason:skip") || numberRE.MatchString(m.Text) {
		t.Fatalf("reason question %q %v: want no reason:skip, and no second receipt", m.Text, m.Buttons)
	}
	return m
}

// HasHan reports whether s has a Chinese character.
func HasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// InLang fails the test unless text reads as lang: Chinese has Han
// characters, English none.
func InLang(t testing.TB, lang dialog.Lang, text string) {
	t.Helper()
	if HasHan(text) != (lang == dialog.ZH) {
		t.Fatalf("want a message in %s, got %q", lang, text)
	}
}

// Next returns the next message, failing the test when none comes in time.
func Next(t testing.TB, s Session) Message {
	t.Helper()
	m, ok := s.Next(Timeout)
	if !ok {
		t.Fatalf("no message within %v", Timeout)
	}
	return m
}

// TestWelcome: a new member is greeted in the channel's language with the
// menu, cancelling first.
func TestWelcome(t *testing.T, d Driver) {
	for _, lang := range []dialog.Lang{dialog.ZH, dialog.EN} {
		s := d.Open(t, lang, "")
		m := Next(t, s)
		if m.From != "bot" {
			t.Fatalf("%s: first message from %q, want the bot's welcome: %q", lang, m.From, m.Text)
		}
		InLang(t, lang, m.Text)
		if len(m.Buttons) == 0 || m.Buttons[0].Value != "intent:"+string(dialog.IntentCancelMembership) {
			t.Fatalf("%s: welcome's buttons %v, want the menu with cancelling first", lang, m.Buttons)
		}
		for _, b := range m.Buttons {
			InLang(t, lang, b.Label)
		}
	}
}

// TestCancelWithButtons cancels the demo membership at once in Chinese,
// pressing every button a member can press and typing only the phone and
// the code.
func TestCancelWithButtons(t *testing.T, d Driver) {
	s := d.Open(t, dialog.ZH, "")
	welcome := WithButton(t, s, "intent:cancel_membership")
	InLang(t, dialog.ZH, welcome.Text)
	s.Press("intent:cancel_membership")
	intro := Next(t, s)
	if intro.From != "bot" || len(intro.Buttons) > 0 {
		t.Fatalf("after pressing cancel: %s %q %v, want the flow's introduction", intro.From, intro.Text, intro.Buttons)
	}
	InLang(t, dialog.ZH, intro.Text)
	// Turns run in order, so the phone answers the flow's question, and
	// the code goes out at once.
	s.Send(DemoPhone)
	sent := CodeSent(t, s)
	InLang(t, dialog.ZH, sent.Text)
	s.Send(DemoCode(t, s))
	options := WithButton(t, s, "opt:cancel_now")
	InLang(t, dialog.ZH, options.Text)
	s.Press("opt:cancel_now")
	confirm := WithButton(t, s, "confirm:")
	if !confirm.HasButton("back") || !confirm.HasButton("abort") || confirm.HasButton("reason:") {
		t.Fatalf("confirmation %q with buttons %v, want confirm, back and abort straight after the option", confirm.Text, confirm.Buttons)
	}
	value, _ := confirm.Button("confirm:")
	s.Press(value)
	number, receipt := Receipt(t, s)
	InLang(t, dialog.ZH, receipt.Text)
	if !strings.Contains(receipt.Text, "工单") {
		t.Fatalf("receipt %q does not say 工单", receipt.Text)
	}
	InLang(t, dialog.ZH, ReasonAsked(t, s).Text)
	// Confirming again (a double click) shows the same order, not a new one.
	s.Press(value)
	again, _ := Receipt(t, s)
	if again != number {
		t.Fatalf("confirming twice: orders %s and %s, want one", number, again)
	}
}

// TestCancelByTyping turns renewal off in English by typing every answer.
func TestCancelByTyping(t *testing.T, d Driver) {
	s := d.Open(t, dialog.EN, "")
	WithButton(t, s, "intent:cancel_membership")
	s.Send("I want to cancel my membership")
	s.Send("my phone is 138 0013 8000")
	InLang(t, dialog.EN, CodeSent(t, s).Text)
	s.Send(DemoCode(t, s))
	options := WithButton(t, s, "opt:no_renew")
	InLang(t, dialog.EN, options.Text)
	s.Send("don't renew")
	WithButton(t, s, "confirm:")
	s.Send("yes")
	_, receipt := Receipt(t, s)
	InLang(t, dialog.EN, receipt.Text)
	if !strings.Contains(receipt.Text, "Work order") {
		t.Fatalf("receipt %q does not name the work order", receipt.Text)
	}
	InLang(t, dialog.EN, ReasonAsked(t, s).Text)
	s.Send("skip")
	done := Until(t, s, "bot reply", func(m Message) bool { return m.From == "bot" })
	InLang(t, dialog.EN, done.Text)
	if done.HasButton("reason:") || numberRE.MatchString(done.Text) {
		t.Fatalf("after skipping the reason: %q %v, want the question closed", done.Text, done.Buttons)
	}
}

// TestStartCancel opens the cancel flow straight from the start (the help
// page's cancel entry, a Telegram deep link).
func TestStartCancel(t *testing.T, d Driver) {
	s := d.Open(t, dialog.ZH, string(dialog.IntentCancelMembership))
	m := Next(t, s)
	if m.From != "bot" || m.HasButton("intent:cancel_membership") {
		t.Fatalf("first message %s: %q %v, want the cancel flow's introduction, not the menu", m.From, m.Text, m.Buttons)
	}
	InLang(t, dialog.ZH, m.Text)
	s.Send(DemoPhone)
	CodeSent(t, s)
	DemoCode(t, s)
}

// TestResume drops the connection in the middle of the flow, at the
// verification code, at the options and at the reason question, and
// finishes after reconnecting.
func TestResume(t *testing.T, d Driver) {
	s := d.Open(t, dialog.ZH, string(dialog.IntentCancelMembership))
	s.Send(DemoPhone)
	CodeSent(t, s)
	code := DemoCode(t, s)
	s.Reconnect()
	s.Send(code)
	WithButton(t, s, "opt:no_renew")
	s.Reconnect()
	s.Press("opt:no_renew")
	confirm := WithButton(t, s, "confirm:")
	value, _ := confirm.Button("confirm:")
	s.Press(value)
	Receipt(t, s)
	ReasonAsked(t, s)
	s.Reconnect()
	s.Press("reason:price")
	thanks := Until(t, s, "bot reply", func(m Message) bool { return m.From == "bot" })
	InLang(t, dialog.ZH, thanks.Text)
	if thanks.HasButton("reason:") {
		t.Fatalf("after pressing a reason: %q %v, want the question closed", thanks.Text, thanks.Buttons)
	}
}

// TestLanguage: the language follows what the member writes, and switches
// on request.
func TestLanguage(t *testing.T, d Driver) {
	s := d.Open(t, dialog.ZH, "")
	InLang(t, dialog.ZH, Next(t, s).Text)
	s.Send("I want to cancel my membership")
	m := Until(t, s, "bot reply", func(m Message) bool { return m.From == "bot" })
	InLang(t, dialog.EN, m.Text)
	s.Press("lang:zh-CN")
	Until(t, s, "bot reply in Chinese", func(m Message) bool { return m.From == "bot" && HasHan(m.Text) })
	s.Send(DemoPhone)
	m = CodeSent(t, s)
	InLang(t, dialog.ZH, m.Text)
}
