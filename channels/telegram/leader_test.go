package telegram

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/postgrestest"
	"github.com/kefu-dev/kefu/store/pgstore"
)

func TestMain(m *testing.M) { os.Exit(postgrestest.Run(m)) }

// instance is one kefu instance's runtime and Telegram adapter on a shared
// PostgreSQL, reaching the fake Bot API through a proxy that counts its
// getUpdates calls.
type instance struct {
	rt    *bot.Runtime
	a     *Adapter
	polls atomic.Int64
}

func startInstance(t *testing.T, dbURL, app string, api *telegramtest.Server) *instance {
	t.Helper()
	in := &instance{}
	target, _ := url.Parse(api.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getUpdates") {
			in.polls.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	st, err := pgstore.Open(context.Background(), dbURL, pgstore.Options{Log: quietLog, AppName: app})
	if err != nil {
		t.Fatal(err)
	}
	in.rt, err = bot.Open(bot.Config{Store: st, Demo: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	in.a, err = New(Config{Runtime: in.rt, Token: telegramtest.Token, APIURL: front.URL, Log: quietLog,
		PollTimeout: 200 * time.Millisecond, GlobalRate: -1, ChatRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *instance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in.a.Shutdown(ctx)
	in.rt.Close()
}

// Two instances on one database: one polls and answers; when its
// connection to the database dies (as with kill -9), the other takes over
// and the member's next message is answered, once.
func TestTelegramLeadershipTakeover(t *testing.T) {
	dbURL := postgrestest.NewDatabase(t)
	api := telegramtest.NewServer()
	defer api.Close()
	a := startInstance(t, dbURL, "kefu-a", api)
	defer a.stop()
	if !api.Wait(timeout, func() bool { return a.polls.Load() > 0 }) {
		t.Fatal("the first instance never polled")
	}
	b := startInstance(t, dbURL, "kefu-b", api)
	defer b.stop()

	u := telegramtest.User{ID: 777001, FirstName: "M", LanguageCode: "en"}
	api.Push(telegramtest.Text(u, "/start"))
	if !api.Wait(timeout, func() bool { return len(api.Messages(u.ID)) > 0 }) {
		t.Fatal("no welcome")
	}
	if n := b.polls.Load(); n != 0 {
		t.Fatalf("the second instance polled %d times while the first leads", n)
	}

	postgrestest.Kill(t, dbURL, "kefu-a") // a's connections die: it loses the lead
	if !api.Wait(timeout, func() bool { return b.polls.Load() > 0 }) {
		t.Fatal("the second instance never took over")
	}
	polled := a.polls.Load()
	sent := len(api.Messages(u.ID))
	api.Push(telegramtest.Text(u, "I want to cancel my membership"))
	ask := b.rt.Catalog().MustRender(dialog.EN, "ask_account", nil)
	if !api.Wait(timeout, func() bool {
		for _, m := range api.Messages(u.ID)[sent:] {
			if m.Text == ask {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no answer after the takeover: %+v", api.Messages(u.ID)[sent:])
	}
	n := 0
	for _, m := range api.Messages(u.ID)[sent:] {
		if m.Text == ask {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the answer came %d times", n)
	}
	if a.polls.Load() > polled+1 { // a call in flight may finish
		t.Fatalf("the first instance went on polling after it lost the lead")
	}
}

// In webhook mode several instances ask Telegram for one update at a time,
// so a chat's updates are handled in order across instances.
func TestSharedWebhookTakesOneUpdateAtATime(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	st, err := pgstore.Open(context.Background(), postgrestest.NewDatabase(t), pgstore.Options{Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := bot.Open(bot.Config{Store: st, Demo: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	a, err := New(Config{Runtime: rt, Token: telegramtest.Token, APIURL: api.URL, WebhookURL: "https://kefu.example.com/telegram/hook", Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	calls := api.Calls("setWebhook")
	if len(calls) != 1 || calls[0].Params["max_connections"] != "1" {
		t.Fatalf("setWebhook calls: %+v", calls)
	}
}
