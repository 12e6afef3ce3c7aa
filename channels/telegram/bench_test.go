package telegram

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/kefu-dev/kefu/channels/telegram/telegramtest"
)

const benchChats = 64

// BenchmarkTelegramUpdates measures updates a second through the fake Bot
// API: the library with a handler that does nothing (what polling and
// decoding cost), and the adapter, where each update is deduplicated, runs
// a conversation turn on Badger and is answered with one sendMessage.
func BenchmarkTelegramUpdates(b *testing.B) {
	b.Run("noop-handler", func(b *testing.B) {
		api := telegramtest.NewServer()
		defer api.Close()
		var n atomic.Int64
		done := make(chan struct{})
		target := int64(b.N)
		tg, err := tgbot.New(telegramtest.Token,
			tgbot.WithServerURL(api.URL),
			tgbot.WithSkipGetMe(),
			tgbot.WithHTTPClient(2*time.Second, &http.Client{Timeout: 10 * time.Second}),
			tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {
				if n.Add(1) == target {
					close(done)
				}
			}),
		)
		if err != nil {
			b.Fatal(err)
		}
		pushUpdates(api, b.N)
		ctx, cancel := context.WithCancel(context.Background())
		b.ResetTimer()
		start := time.Now()
		go tg.Start(ctx)
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("%d of %d updates", n.Load(), b.N)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
		b.StopTimer()
		cancel()
	})
	b.Run("adapter", func(b *testing.B) {
		e := newEnv(b)
		pushUpdates(e.api, b.N)
		b.ResetTimer()
		start := time.Now()
		if !e.api.Wait(5*time.Minute, func() bool { return e.handled.Load() >= int64(b.N) && e.api.MessageCount() >= b.N }) {
			b.Fatalf("%d of %d updates handled, %d replies", e.handled.Load(), b.N, e.api.MessageCount())
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
		b.StopTimer()
	})
}

// pushUpdates queues n greetings from benchChats members: one reply each.
func pushUpdates(api *telegramtest.Server, n int) {
	for i := range n {
		u := telegramtest.User{ID: 900000 + int64(i%benchChats), LanguageCode: "zh-hans"}
		api.Push(telegramtest.Text(u, "你好"))
	}
}

// BenchmarkOutboundBurst1000Chats sends one message to each of 1 000 chats
// at once with Telegram's limits (30/s in all, 1/s per chat) and reports
// how long delivery takes and the most messages sent in any one second.
// It takes about half a minute: run it alone, with -benchtime=1x.
func BenchmarkOutboundBurst1000Chats(b *testing.B) {
	const chats = 1000
	for range b.N {
		e := newEnv(b, func(c *Config) { c.GlobalRate, c.ChatRate, c.ChatBurst = 0, 0, 0 })
		start := time.Now()
		for i := range chats {
			e.api.Push(telegramtest.Text(telegramtest.User{ID: 800000 + int64(i), LanguageCode: "en"}, "/start"))
		}
		if !e.api.Wait(5*time.Minute, func() bool { return e.api.MessageCount() >= chats }) {
			b.Fatalf("%d of %d delivered", e.api.MessageCount(), chats)
		}
		took := time.Since(start)
		var at []time.Time
		for i := range chats {
			for _, s := range e.api.Messages(800000 + int64(i)) {
				at = append(at, s.At)
			}
		}
		b.ReportMetric(took.Seconds(), "s/1000-chats")
		b.ReportMetric(float64(chats)/took.Seconds(), "msgs/s")
		b.ReportMetric(float64(maxInWindowSorted(at, time.Second)), "max-msgs/1s")
		e.close()
	}
}

// maxInWindowSorted is the most timestamps of ts within any span of w.
func maxInWindowSorted(ts []time.Time, w time.Duration) int {
	sorted := slices.Clone(ts)
	slices.SortFunc(sorted, time.Time.Compare)
	best, lo := 0, 0
	for hi := range sorted {
		for sorted[hi].Sub(sorted[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
