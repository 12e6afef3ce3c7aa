package bot

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dialog"
)

// MsgBurst is the burst of the per-conversation message rate (DESIGN §2):
// a member may send this many messages at once before Config.MsgRate
// applies.
const MsgBurst = 20

// The limits a member's message is held to (DESIGN §2), whatever the
// channel. Channels map them to their wire with errors.Is / errors.As.
var (
	ErrTooLong     = errors.New("message longer than the limit")
	ErrRateLimited = errors.New("messages faster than the conversation's rate")
)

// TooLongError is a message longer than Max characters. Handle returns it
// once the turn is done: the member's message is stored cut at Max and the
// bot's reply asks, in their language, for a shorter one (unless an agent
// holds the conversation: the agent sees the cut message); a channel need
// show nothing more. AgentMessage returns it
// without storing anything. It matches ErrTooLong.
type TooLongError struct{ Max int }

func (e *TooLongError) Error() string { return fmt.Sprintf("message longer than %d characters", e.Max) }

func (e *TooLongError) Unwrap() error { return ErrTooLong }

// RateLimitError is a message refused because its conversation sent more
// than Config.MsgRate a second beyond the burst: nothing was stored and
// nothing ran. Wait is how long until the next message is accepted; First
// is set on the first refusal of a flood only, so a channel that answers in
// words answers once. It matches ErrRateLimited.
type RateLimitError struct {
	Wait  time.Duration
	First bool
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("messages faster than the conversation's rate: next in %v", e.Wait)
}

func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// MaxLen is the longest message, in characters, a member or an agent may
// send.
func (r *Runtime) MaxLen() int { return r.maxLen }

// checkRate takes a token of the conversation's message rate.
func (r *Runtime) checkRate(id string) error {
	if ok, wait, first := r.msgLimit.Take(id); !ok {
		return &RateLimitError{Wait: wait, First: first}
	}
	return nil
}

// checkLen refuses a text longer than the limit.
func (r *Runtime) checkLen(text string) error {
	if utf8.RuneCountInString(text) > r.maxLen {
		return &TooLongError{Max: r.maxLen}
	}
	return nil
}

// memberEcho is the member's message as stored: cut at the limit (long is
// then set), never invalid UTF-8; empty for a button, whose label the turn
// fills in.
func (r *Runtime) memberEcho(kind dialog.InputKind, text string) (echo string, long bool) {
	if kind == dialog.InputButton {
		return "", false
	}
	if r.checkLen(text) != nil {
		text, long = string([]rune(text)[:r.maxLen])+"…", true
	}
	if !utf8.ValidString(text) {
		text = "\ufffd"
	}
	return text, long
}
