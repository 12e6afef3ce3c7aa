package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram"
)

// partTelegram is Telegram's name in /healthz.
const partTelegram = "telegram"

// startTelegram starts the Telegram channel when --telegram-token is set
// (nil, nil when it is not; /healthz then says "off"). With
// --telegram-webhook it mounts the webhook on mux at the URL's path;
// otherwise it polls. Start-up does not wait for an unreachable Bot API:
// the adapter connects in the background and /healthz says "degraded"
// until it has; only a refused token ends start-up. The caller shuts the
// adapter down before closing rt.
func startTelegram(ctx context.Context, cfg Config, rt *bot.Runtime, log *slog.Logger, mux *http.ServeMux) (*telegram.Adapter, error) {
	if cfg.TelegramToken == "" {
		rt.Health().Set(partTelegram, bot.HealthFunc(func() bot.PartHealth { return bot.PartHealth{State: bot.PartOff} }))
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
	if err := a.Connect(ctx); err != nil {
		_ = a.Shutdown(context.Background())
		return nil, err
	}
	rt.Health().Set(partTelegram, a)
	return a, nil
}
