package web

import (
	"context"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// Runtime is what the web chat needs of the bot runtime (a *bot.Runtime):
// a member's conversation by session, its turns, its transcript and what
// is added to it. Its methods are bot.Runtime's and keep their contracts.
type Runtime interface {
	// Resolve and Lookup find a session's conversation, Resolve creating
	// it when the session is new.
	Resolve(ctx context.Context, channel, user string) (id string, created bool, err error)
	Lookup(ctx context.Context, channel, user string) (id string, found bool, err error)
	Conversation(ctx context.Context, id string) (bot.Conversation, error)
	History(ctx context.Context, id string) ([]bot.Message, error)
	// Subscribe's fn must not block nor call back into the runtime for
	// the same conversation.
	Subscribe(id string, fn func(bot.Message)) (unsubscribe func(), err error)
	Start(ctx context.Context, id string, hint dialog.Lang, payload string) error
	Handle(ctx context.Context, id string, kind dialog.InputKind, text string, hint dialog.Lang) error
	Metrics() *bot.Metrics
}

var _ Runtime = (*bot.Runtime)(nil)
