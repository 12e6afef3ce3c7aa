package telegram

import (
	"context"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

// Runtime is what the Telegram adapter needs of the bot runtime (a
// *bot.Runtime). Its methods are bot.Runtime's and keep their contracts.
type Runtime interface {
	// A chat's conversation and its turns.
	Resolve(ctx context.Context, channel, user string) (id string, created bool, err error)
	Conversation(ctx context.Context, id string) (bot.Conversation, error)
	Conversations(ctx context.Context, channel string) ([]bot.Conversation, error)
	History(ctx context.Context, id string) ([]bot.Message, error)
	Start(ctx context.Context, id string, hint dialog.Lang, payload string) error
	Handle(ctx context.Context, id string, kind dialog.InputKind, text string, hint dialog.Lang) error

	// Every message added to the channel's conversations, for the sender.
	SubscribeChannel(channel string, fn bot.ChannelSubscriber) (unsubscribe func())

	// Polling offset, delivery cursors and handled updates.
	ChannelState() *bot.ChannelState

	// One poller among the instances sharing a store.
	Shared() bool
	Lead(ctx context.Context, name string) (release func(), lost <-chan struct{}, ok bool, err error)

	Metrics() *bot.Metrics
	Catalog() *locales.Catalog
}

var _ Runtime = (*bot.Runtime)(nil)
