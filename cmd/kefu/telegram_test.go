package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
)

// openTelegram runs startTelegram as `kefu serve --demo` with args would,
// against a fake Bot API.
func openTelegram(t *testing.T, api *telegramtest.Server, args ...string) (*http.ServeMux, error) {
	t.Helper()
	cfg, err := parseServe(append([]string{"--demo", "--data", t.TempDir(), "--telegram-api", api.URL}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := bot.Open(bot.Config{DataDir: cfg.Data, Demo: cfg.Demo, Location: cfg.TZ, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a, err := startTelegram(context.Background(), cfg, rt, slog.New(slog.DiscardHandler), mux)
	t.Cleanup(func() {
		if a != nil {
			if err := a.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
		}
		rt.Close()
	})
	if err == nil && a == nil && cfg.TelegramToken != "" {
		t.Fatal("no adapter for a token")
	}
	return mux, err
}

func TestTelegramOffWithoutToken(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	if _, err := openTelegram(t, api); err != nil {
		t.Fatal(err)
	}
	if n := len(api.Calls("")); n != 0 {
		t.Fatalf("%d Bot API calls without a token", n)
	}
}

func TestTelegramBadToken(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	_, err := openTelegram(t, api, "--telegram-token", "42:refused")
	if err == nil || !strings.Contains(err.Error(), "telegram: the bot token was refused (401 Unauthorized)") {
		t.Fatalf("bad token: %v", err)
	}
}

func TestTelegramPolling(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	if _, err := openTelegram(t, api, "--telegram-token", telegramtest.Token); err != nil {
		t.Fatal(err)
	}
	u := telegramtest.User{ID: 4242, LanguageCode: "en"}
	api.Push(telegramtest.Text(u, "/start"))
	if !api.Wait(15*time.Second, func() bool { return len(api.Messages(u.ID)) > 0 }) {
		t.Fatal("no welcome")
	}
	if got := api.Messages(u.ID)[0]; !got.HasButton("intent:cancel_membership") {
		t.Fatalf("welcome %q without the menu", got.Text)
	}
}

func TestTelegramWebhook(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	mux, err := openTelegram(t, api, "--telegram-token", telegramtest.Token, "--telegram-webhook", "https://kefu.example.com/hooks/telegram")
	if err != nil {
		t.Fatal(err)
	}
	url, secret := api.Webhook()
	if url != "https://kefu.example.com/hooks/telegram" || secret == "" {
		t.Fatalf("webhook %q with secret %q", url, secret)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, s := range []string{"", "wrong"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/telegram", strings.NewReader(`{"update_id":1}`))
		if s != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", s)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("secret %q: HTTP %d, want 401", s, resp.StatusCode)
		}
	}
	u := telegramtest.User{ID: 4343, LanguageCode: "zh-hans"}
	body := strings.NewReader(`{"update_id":7,"message":{"message_id":1,"date":1760000000,"chat":{"id":4343,"type":"private"},"from":{"id":4343,"is_bot":false,"first_name":"M","language_code":"zh-hans"},"text":"/start"}}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/telegram", body)
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("right secret: HTTP %d", resp.StatusCode)
	}
	if !api.Wait(15*time.Second, func() bool { return len(api.Messages(u.ID)) > 0 }) {
		t.Fatal("no welcome")
	}
}
