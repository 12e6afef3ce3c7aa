package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// BenchmarkTurnPersisted runs turns through the whole runtime: engine,
// rendering, Badger writes of the state and transcript, publishing. Each
// parallel worker (64 on 2 cores) has its own conversation.
func BenchmarkTurnPersisted(b *testing.B) {
	rt, err := bot.Open(bot.Config{DataDir: b.TempDir(), Demo: true, Location: shanghai,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	inputs := []string{"我要取消会员", "退款政策是什么", "算了", "what can you do"}
	var workers atomic.Int64
	b.SetParallelism(32) // many members at once, as on a busy server
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		id, _, err := rt.Resolve(ctx, "bench", fmt.Sprint(workers.Add(1)))
		if err != nil {
			b.Error(err)
			return
		}
		for i := 0; pb.Next(); i++ {
			if err := rt.Handle(ctx, id, dialog.InputText, inputs[i%len(inputs)], dialog.ZH); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
}
