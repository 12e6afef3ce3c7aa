// Package dialog is kefu's conversation engine: a deterministic function of
// (state, input) → (state, replies, effects). It imports the standard library
// only. Replies leave it as message IDs plus data; the locales package turns
// them into words. What the engine needs from the outside world (members,
// verification, work orders) are the small interfaces declared in ports.go.
package dialog

import "time"

// Lang is a conversation language, as a BCP 47 tag.
type Lang string

// The languages the engine reads: its language detection and commands
// know these. ZH is the default of a new conversation.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// ParseLang maps a channel's language hint ("zh", "zh-Hans", "en-US", …) to a
// language the engine reads; ok is false when the hint names none of them.
// The words of each language are a message file (locales.Langs lists them);
// a locale test requires every file's language to be one ParseLang accepts,
// since a conversation in a language the engine cannot read would be
// answered but not understood.
func ParseLang(hint string) (lang Lang, ok bool) {
	h := []rune(hint)
	if len(h) >= 2 {
		switch string([]rune{lower(h[0]), lower(h[1])}) {
		case "zh":
			return ZH, true
		case "en":
			return EN, true
		}
	}
	return "", false
}

func lower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// Intent is what a member's message asks for.
type Intent string

// The intents of DESIGN §2.
const (
	IntentCancelMembership Intent = "cancel_membership"
	IntentTurnOffAutoRenew Intent = "turn_off_autorenew"
	IntentMembershipStatus Intent = "membership_status"
	IntentRefundPolicy     Intent = "refund_policy"
	IntentHumanAgent       Intent = "human_agent"
	IntentWorkOrderStatus  Intent = "work_order_status"
	IntentGreeting         Intent = "greeting"
	IntentHelp             Intent = "help"
	IntentOutOfScope       Intent = "out_of_scope"
)

// Intents lists every intent, in menu order.
var Intents = []Intent{
	IntentCancelMembership, IntentTurnOffAutoRenew, IntentMembershipStatus,
	IntentRefundPolicy, IntentHumanAgent, IntentWorkOrderStatus,
	IntentGreeting, IntentHelp, IntentOutOfScope,
}

// InputKind tells what kind of event reached the conversation.
type InputKind string

// Input kinds.
const (
	InputText   InputKind = "text"   // the member typed something
	InputButton InputKind = "button" // the member pressed a reply button
	InputStart  InputKind = "start"  // a new conversation opened (or /start); Text may carry a deep-link payload such as "cancel"
)

// Input is one event from the member.
type Input struct {
	Kind    InputKind
	Text    string // typed text, or a button's value
	At      time.Time
	Hint    Lang   // the channel's language hint, empty when unknown
	Conv    string // conversation ID, passed through to ports
	Channel string // channel name ("web", "telegram", "cli"), passed through to ports
	// Waiting: the member is queued for a person (the runtime knows).
	Waiting bool
}

// Button is a reply button. Label is a message ID; Value is what comes back
// as Input.Text when it is pressed.
type Button struct {
	Label string         `json:"label"`
	Data  map[string]any `json:"data,omitempty"`
	Value string         `json:"value"`
}

// Reply is one bot message: a message ID with its template data and buttons.
type Reply struct {
	ID      string         `json:"id"`
	Data    map[string]any `json:"data,omitempty"`
	Buttons []Button       `json:"buttons,omitempty"`
}

// Effect is something the runtime must do after a turn, beyond replying.
type Effect interface{ effect() }

// Handoff asks the runtime to put the conversation in front of a person.
type Handoff struct {
	Reason string // "asked", "locked", "misunderstood", "error"
}

func (Handoff) effect() {}

// Withdraw tells the runtime the member no longer waits for a person.
type Withdraw struct{}

func (Withdraw) effect() {}

// Feedback is a member's verdict on a help-center article the chat showed.
type Feedback struct {
	Article string
	Helpful bool
}

func (Feedback) effect() {}

// Completed reports a flow the member finished with a work order of Kind,
// after Actions of their own (typed or tapped, the opener included).
type Completed struct {
	Kind    OrderKind
	Actions int
}

func (Completed) effect() {}

// Kept reports a member who was told what cancelling would do and kept
// the membership.
type Kept struct{}

func (Kept) effect() {}

// Satisfaction is the member's answer to the satisfaction question about
// Subject (a work order's number, or an agent's close).
type Satisfaction struct {
	Subject string
	Up      bool
}

func (Satisfaction) effect() {}

// Failure reports a port error the member was told about in general terms;
// the runtime logs it.
type Failure struct{ Err error }

func (Failure) effect() {}
