package bot

import (
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// Message senders.
const (
	FromMember = "member"
	FromBot    = "bot"
	FromAgent  = "agent"
	FromSystem = "system"
)

// Conversation statuses (DESIGN §5): who answers the member. Named Conv…
// so they are never read as a membership's status (dialog.StatusActive).
const (
	ConvBot     = "bot"     // the bot answers
	ConvWaiting = "waiting" // the member asked for a person
	ConvActive  = "active"  // an agent holds it; the bot is silent
	ConvClosed  = "closed"
)

// Message is one rendered line of a transcript, as channels show it.
type Message struct {
	ID      string          `json:"id"`
	From    string          `json:"from"`
	Text    string          `json:"text"`
	Buttons []MessageButton `json:"buttons,omitempty"`
	At      time.Time       `json:"at"`
	// Expect says what the bot asks for next, so a channel can help the
	// member answer (a phone keyboard, a share-my-phone button).
	Expect string `json:"expect,omitempty"`
}

// Values of Message.Expect.
const (
	ExpectAccount = "account" // a phone number or email
	ExpectCode    = "code"    // a 6-digit verification code
)

func expectFor(step dialog.Step) string {
	switch step {
	case dialog.StepIdentify:
		return ExpectAccount
	case dialog.StepCode:
		return ExpectCode
	}
	return ""
}

// MessageButton is a reply button as channels show it.
type MessageButton struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Conversation is one member's conversation on one channel.
type Conversation struct {
	ID           string    `json:"id"`
	Channel      string    `json:"channel"`
	User         string    `json:"user"` // the channel's key for the member
	Status       string    `json:"status"`
	Agent        string    `json:"agent,omitempty"`
	Version      int64     `json:"version"` // changes whenever the owner does`
	WaitingSince time.Time `json:"waiting_since,omitzero"`
	Callback     string    `json:"callback,omitempty"` // open callback work order
	// CodeBy is the agent who had a code sent to the member: the code the
	// member types next verifies them (Handoffs.AgentSendCode).
	CodeBy    string       `json:"code_by,omitempty"`
	CSAT      string       `json:"csat,omitempty"` // the member's last satisfaction answer: up or down
	State     dialog.State `json:"state"`
	Seq       uint64       `json:"seq"` // last message number
	Preview   string       `json:"preview,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// letGo ends an agent's hold on c (a release, a close, a lease lost):
// status says who answers now, and a code the agent had sent no longer
// verifies.
func (c *Conversation) letGo(status string) {
	c.Status, c.Agent, c.CodeBy = status, "", ""
	c.Version++
}

// Lang is the conversation's language.
func (c *Conversation) Lang() dialog.Lang {
	if c.State.Lang == "" {
		return dialog.ZH
	}
	return c.State.Lang
}
