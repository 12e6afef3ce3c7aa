package dialog

import "time"

// Step is where a conversation stands inside a flow.
type Step string

// Steps. StepIdle means no flow is open.
const (
	StepIdle     Step = ""
	StepIdentify Step = "identify" // asked for the account's phone or email
	StepMethod   Step = "method"   // asked how to verify
	StepCode     Step = "code"     // waiting for the verification code
	StepAmount   Step = "amount"   // security question 1: last order amount
	StepMonth    Step = "month"    // security question 2: registration month
	StepOptions  Step = "options"  // consequences shown: cancel now or don't renew?
	StepReason   Step = "reason"   // optional reason, asked after the receipt of DoneNumber
	StepConfirm  Step = "confirm"  // one last yes
	StepClarify  Step = "clarify"  // a bare 取消 at options/confirm: which did you mean?
	StepNumber   Step = "number"   // asked for a work-order number
)

// State is everything the engine remembers of one conversation. The runtime
// persists it between turns; it is plain data.
type State struct {
	Lang       Lang      `json:"lang,omitempty"`
	LangChosen bool      `json:"lang_chosen,omitempty"` // the member asked for Lang: detection no longer changes it
	Step       Step      `json:"step,omitempty"`
	Goal       Intent    `json:"goal,omitempty"`    // what the open flow is for
	Flow       int       `json:"flow,omitempty"`    // counts flows; part of idempotency keys
	Account    string    `json:"account,omitempty"` // phone or email the member gave
	Method     Method    `json:"method,omitempty"`
	Amount     int64     `json:"amount,omitempty"`   // answer to security question 1, in fen
	Verified   string    `json:"verified,omitempty"` // member ID verified in this conversation
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	Choice     OrderKind `json:"choice,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Number     string    `json:"number,omitempty"`      // work order asked about
	Misses     int       `json:"misses,omitempty"`      // misunderstandings in a row
	Buttons    []string  `json:"buttons,omitempty"`     // values of the last buttons shown, for answers like "2"
	DoneFlow   int       `json:"done_flow,omitempty"`   // the last flow that issued an order…
	DoneNumber string    `json:"done_number,omitempty"` // …and its number, for repeated confirmations
	Callback   string    `json:"callback,omitempty"`    // an open callback order of this conversation, closed by the next order
	Actions    int       `json:"actions,omitempty"`     // the member's actions in the open flow, its opener included
	CSATFor    string    `json:"csat_for,omitempty"`    // what the satisfaction question asks about, until answered
	LastActive time.Time `json:"last_active,omitzero"`
}

// InFlow reports whether a flow is open.
func (s State) InFlow() bool { return s.Step != StepIdle }

// Executed records an order issued outside the engine (by an agent): the
// open flow is closed as if the member had confirmed it.
func (s *State) Executed(o WorkOrder) {
	s.Reset()
	s.DoneFlow, s.DoneNumber = s.Flow, o.Number
}

// VerifiedMember is the member verified in this conversation at now, if the
// verification has not run out.
func (s *State) VerifiedMember(now time.Time, verifiedFor time.Duration) (string, bool) {
	if s.Verified == "" || now.Sub(s.VerifiedAt) > orDefault(verifiedFor, DefaultVerifiedFor) {
		return "", false
	}
	return s.Verified, true
}

// Reset closes the open flow, keeping language, verification and the last
// order.
func (s *State) Reset() {
	s.Step, s.Goal, s.Method, s.Amount = StepIdle, "", "", 0
	s.Choice, s.Reason, s.Number, s.Misses, s.Actions = "", "", "", 0, 0
}
