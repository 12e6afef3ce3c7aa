package agent

import (
	"context"
	"io"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/locales"
)

// Runtime is what the agents' console needs of the bot runtime (a
// *bot.Runtime). Its methods are bot.Runtime's and keep their contracts.
type Runtime interface {
	// The queue, claims and agents' actions.
	Handoffs() *bot.Handoffs

	// Conversations and what is added to them.
	Conversation(ctx context.Context, id string) (bot.Conversation, error)
	Conversations(ctx context.Context, channel string) ([]bot.Conversation, error)
	History(ctx context.Context, id string) ([]bot.Message, error)
	Subscribe(id string, fn func(bot.Message)) (unsubscribe func(), err error)

	// Search finds members by phone or email.
	Members() bot.MemberStore

	// Reports and callbacks: work orders, and members' verdicts on
	// help-center articles.
	WorkOrders() *bot.WorkOrderBook
	KBFeedback(ctx context.Context, from, until time.Time) (map[string]bot.ArticleFeedback, error)
	Tallies(ctx context.Context, from, to time.Time, fn func(day time.Time, t bot.Tally)) error

	Catalog() *locales.Catalog
	Backup(w io.Writer) error
}

var _ Runtime = (*bot.Runtime)(nil)
