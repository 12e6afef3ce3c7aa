package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram"
)

// telegramStartTimeout bounds start-up's wait for the Bot API: a refused
// token ends it at once, an unreachable API after this long.
const telegramStartTimeout = 30 * time.Second

// startTelegram starts the Telegram channel when --telegram-token is set
// (nil, nil when it is not). With --telegram-webhook it mounts the webhook
// on mux at the URL's path, then sets the webhook; otherwise it polls. The
// caller shuts the adapter down before closing rt.
func startTelegram(ctx context.Context, cfg Config, rt *bot.Runtime, log *slog.Logger, mux *http.ServeMux) (*telegram.Adapter, error) {
	if cfg.TelegramToken == "" {
		return nil, nil
	}
	a, err := telegram.New(telegram.Config{
		Runtime:    rt,
		Token:      cfg.TelegramToken,
		APIURL:     cfg.TelegramAPI,
		WebhookURL: cfg.TelegramWebhook,
		Log:        log,
	})
	if err != nil {
		return nil, err
	}
	if p := a.WebhookPath(); p != "" {
		mux.Handle("POST "+p, a.WebhookHandler())
	}
	ctx, cancel := context.WithTimeout(ctx, telegramStartTimeout)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		_ = a.Shutdown(context.Background())
		return nil, err
	}
	return a, nil
}
