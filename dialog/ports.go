package dialog

import (
	"context"
	"errors"
	"time"
)

// RefundPolicy is how a plan refunds the unused part of a period when it is
// cancelled now.
type RefundPolicy string

// Refund policies.
const (
	RefundNone     RefundPolicy = "none"
	RefundProrated RefundPolicy = "prorated"
)

// MembershipStatus is the state of a member's plan.
type MembershipStatus string

// Membership states.
const (
	StatusActive    MembershipStatus = "active"    // benefits running
	StatusExpired   MembershipStatus = "expired"   // period ended
	StatusCancelled MembershipStatus = "cancelled" // ended early by a cancel_now order
)

// Member is what the engine knows of an account once it is identified.
type Member struct {
	ID           string
	Phone        string // normalised: 11 digits
	Email        string // lower case
	RegisteredAt time.Time
	Plan         Plan
	Status       MembershipStatus
	PeriodStart  time.Time
	PeriodEnd    time.Time
	AutoRenew    bool
	LastOrder    Order // most recent order, for the security questions
}

// StatusAt is the member's status at now: an active plan whose paid period
// has ended counts as expired even before the member system says so.
func (m Member) StatusAt(now time.Time) MembershipStatus {
	if m.Status == StatusActive && !now.Before(m.PeriodEnd) {
		return StatusExpired
	}
	return m.Status
}

// Plan is a membership plan.
type Plan struct {
	Code           string // "monthly_vip", "annual_vip"; also the message ID suffix of its name
	PriceCents     int64  // price of one period, in fen
	Policy         RefundPolicy
	CoolingOffDays int // full refund when cancelled now within this many days of the period start; 0: none
}

// Order is a purchase, as used by the security questions.
type Order struct {
	AmountCents int64
	At          time.Time
}

// Members is the platform's member system.
type Members interface {
	// Lookup finds a member by normalised phone or email; found is false
	// when no member has it.
	Lookup(ctx context.Context, account string) (m Member, found bool, err error)
}

// Method is a verification method.
type Method string

// Verification methods.
const (
	MethodSMS       Method = "sms"
	MethodEmail     Method = "email"
	MethodQuestions Method = "questions"
)

// SendStatus is the outcome of a request for a verification code.
type SendStatus string

// Send outcomes. SendSent is also the answer for an account that is not
// registered, so that replies never reveal registration.
const (
	SendSent    SendStatus = "sent"
	SendTooSoon SendStatus = "too_soon" // resend asked before the resend interval
	SendLimited SendStatus = "limited"  // hourly send limit reached
	SendLocked  SendStatus = "locked"   // too many wrong tries: locked for a while
)

// SendResult answers Verifier.SendCode.
type SendResult struct {
	Status SendStatus
	Wait   time.Duration // with TooSoon, Limited, Locked: how long until it may work
}

// CheckStatus is the outcome of checking a code or security answers.
type CheckStatus string

// Check outcomes.
const (
	CheckOK      CheckStatus = "ok"
	CheckWrong   CheckStatus = "wrong"   // Remaining tries left
	CheckExpired CheckStatus = "expired" // no valid code: ask for a new one
	CheckLocked  CheckStatus = "locked"  // too many wrong tries; Wait until unlocked
)

// CheckResult answers Verifier.CheckCode and Verifier.CheckAnswers.
type CheckResult struct {
	Status    CheckStatus
	Remaining int
	Wait      time.Duration
	MemberID  string // with CheckOK
}

// CodeRequest asks for a verification code to be sent.
type CodeRequest struct {
	Account string // normalised phone or email the member gave
	Method  Method // MethodSMS or MethodEmail
	Lang    Lang
	Conv    string
	Channel string
}

// Verifier owns the verification rules (code length, lifetime, tries, locks,
// send limits); they count per account, not per conversation. For an account
// that is not registered it answers exactly as for one that is, and never
// verifies it.
type Verifier interface {
	SendCode(ctx context.Context, req CodeRequest) (SendResult, error)
	CheckCode(ctx context.Context, account, code string) (CheckResult, error)
	// CheckAnswers checks the security questions: the amount of the most
	// recent order in fen and the registration month (1–12).
	CheckAnswers(ctx context.Context, account string, amountCents int64, month int) (CheckResult, error)
}

// OrderKind is the kind of a work order.
type OrderKind string

// Work-order kinds (DESIGN §4).
const (
	KindCancelNow   OrderKind = "cancel_now"
	KindNoRenew     OrderKind = "no_renew"
	KindCallback    OrderKind = "callback"
	KindAgentAction OrderKind = "agent_action"
)

// OrderRequest asks for a confirmed choice to be executed and recorded.
type OrderRequest struct {
	Key      string    // idempotency key: the same key always yields the same order
	Kind     OrderKind // for agent_action, Action says which
	Action   OrderKind // KindCancelNow or KindNoRenew for agent_action
	MemberID string    // empty for a callback from an unidentified member
	Channel  string
	Conv     string
	Reason   string
	Executor string // "bot" or the agent's name
	Lang     Lang
	At       time.Time
	// Closes names an open callback order this request stands in for: once
	// carried out, the callback is done and the receipt says so.
	Closes string
}

// CallbackKey is the idempotency key of the callback order recorded for
// the request with key when the member system could not carry it out; the
// order for key, once carried out, closes it.
func CallbackKey(key string) string { return key + "/callback" }

// WorkOrder is the durable record of a request (DESIGN §4).
type WorkOrder struct {
	Number      string    `json:"number"`
	Kind        OrderKind `json:"kind"`
	Action      OrderKind `json:"action,omitempty"`
	MemberID    string    `json:"member_id,omitempty"`
	Channel     string    `json:"channel"`
	Conv        string    `json:"conversation"`
	Reason      string    `json:"reason,omitempty"`
	Status      string    `json:"status"` // "done" or, for callbacks, "open"
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	RefundCents int64     `json:"refund_cents"`
	AutoRenew   bool      `json:"auto_renew"`
	Executor    string    `json:"executor"`
	Closes      string    `json:"closes,omitempty"`     // the callback order this one closed
	ClosedBy    string    `json:"closed_by,omitempty"`  // the agent who closed this callback by hand
	CloseNote   string    `json:"close_note,omitempty"` // what that agent noted on closing it
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Key         string    `json:"-"`
	Sig         string    `json:"sig,omitempty"` // receipt signature (README "Verifiable receipts"); not stored
}

// Agent is the agent who executed o, or "" for the bot's orders.
func (o WorkOrder) Agent() string {
	if o.Kind == KindAgentAction {
		return o.Executor
	}
	return ""
}

// ActionKind is what o did to the membership: the action of an agent's
// order, or its kind.
func (o WorkOrder) ActionKind() OrderKind {
	if o.Kind == KindAgentAction {
		return o.Action
	}
	return o.Kind
}

// WorkOrders executes confirmed choices and records them durably: an order
// returned by Execute is on stable storage before the call returns.
type WorkOrders interface {
	Execute(ctx context.Context, req OrderRequest) (WorkOrder, error)
	// Get finds an order by its canonical number; found is false when none.
	Get(ctx context.Context, number string) (o WorkOrder, found bool, err error)
	// SetReason records the member's reason on an issued order (asked after
	// the receipt, so it never stands in front of the confirmation).
	SetReason(ctx context.Context, number, reason string) error
}

// ErrUnavailable is returned by ports when the system behind them is down;
// the engine tells the member honestly and offers a person.
var ErrUnavailable = errors.New("dialog: service unavailable")

// Answers is the help center's knowledge base: the best article for a
// question, only when it matches well enough (found false otherwise, and
// the engine says it does not know rather than guess).
type Answers interface {
	Answer(ctx context.Context, question string, lang Lang) (a Article, found bool)
}

// Article is a help-center article as the chat shows it.
type Article struct {
	ID      string
	Title   string
	Summary string // its first paragraph, plain text
	URL     string // its page, for a link
}
