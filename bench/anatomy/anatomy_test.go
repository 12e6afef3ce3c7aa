package anatomy_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/dgraph-io/badger/v4"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

// fixture is one web greeting turn as the runtime records it: the
// conversation after the turn and the two messages it added (the member's
// "你好" and the bot's greeting with the six menu buttons).
type fixture struct {
	conv    bot.Conversation
	msgs    []bot.Message
	catalog *locales.Catalog
}

func newFixture(b *testing.B) fixture {
	b.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	rt, err := bot.Open(bot.Config{DataDir: b.TempDir(), Demo: true, Location: loc, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	id, _, err := rt.Resolve(ctx, "web", "anatomy")
	if err == nil {
		err = rt.Start(ctx, id, dialog.ZH, "")
	}
	if err == nil {
		err = rt.Handle(ctx, id, dialog.InputText, "你好", dialog.ZH)
	}
	if err != nil {
		b.Fatal(err)
	}
	f := fixture{catalog: rt.Catalog()}
	if f.conv, err = rt.Conversation(ctx, id); err != nil {
		b.Fatal(err)
	}
	h, err := rt.History(ctx, id)
	if err != nil || len(h) < 3 {
		b.Fatalf("history: %d messages, %v", len(h), err)
	}
	f.msgs = h[len(h)-2:]
	return f
}

// BenchmarkRender renders a greeting turn's words: the reply and its six
// button labels, seven calls of locales.Catalog.Render (go-i18n matches
// the language on every call).
func BenchmarkRender(b *testing.B) {
	f := newFixture(b)
	ids := []string{"greeting", "menu_cancel", "menu_autorenew", "menu_status", "menu_refund", "menu_workorder", "menu_agent"}
	for _, id := range ids {
		if _, err := f.catalog.Render(dialog.ZH, id, nil); err != nil {
			b.Skipf("message %s: %v", id, err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, id := range ids {
			_, _ = f.catalog.Render(dialog.ZH, id, nil)
		}
	}
}

// BenchmarkEncode is the JSON the runtime writes for the turn (the
// conversation record and two messages) and the web channel encodes again
// for the wire (the two message frames).
func BenchmarkEncode(b *testing.B) {
	f := newFixture(b)
	b.Run("conversation", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			out, _ := json.Marshal(f.conv)
			n = len(out)
		}
		b.ReportMetric(float64(n), "B/record")
	})
	b.Run("messages", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			n = 0
			for _, m := range f.msgs {
				out, _ := json.Marshal(m)
				n += len(out)
			}
		}
		b.ReportMetric(float64(n), "B/turn")
	})
	b.Run("conversation-decode", func(b *testing.B) {
		raw, _ := json.Marshal(f.conv)
		b.ReportAllocs()
		for b.Loop() {
			var c bot.Conversation
			_ = json.Unmarshal(raw, &c)
		}
	})
}

// BenchmarkStateWrite is the State database write of one turn as the
// runtime makes it (bot.Runtime.change: one read-write transaction setting
// the conversation record and the turn's two messages), on a Badger opened
// with kefu's options, from GOMAXPROCS goroutines each with a conversation
// of its own; the same without Badger's conflict detection (the runtime
// already serialises each conversation's turns); and with 64 conversations
// writing at once, as under load.
func BenchmarkStateWrite(b *testing.B) {
	f := newFixture(b)
	conv, _ := json.Marshal(f.conv)
	var msgs [][]byte
	for _, m := range f.msgs {
		raw, _ := json.Marshal(m)
		msgs = append(msgs, raw)
	}
	for _, v := range []struct {
		name      string
		conflicts bool
		parallel  int // goroutines per GOMAXPROCS
	}{
		{"as-kefu", true, 1},
		{"no-conflict-detection", false, 1},
		{"as-kefu-64-conversations", true, 32},
	} {
		b.Run(v.name, func(b *testing.B) {
			opts := badger.DefaultOptions(b.TempDir()).
				WithSyncWrites(false).WithLogger(nil).
				WithMemTableSize(16 << 20).WithNumMemtables(2).
				WithBlockCacheSize(16 << 20).WithValueThreshold(1 << 10).
				WithDetectConflicts(v.conflicts)
			db, err := badger.Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			var convs atomic.Int64
			b.SetParallelism(v.parallel)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprintf("%032x", convs.Add(1))
				var seq uint64
				for pb.Next() {
					err := db.Update(func(txn *badger.Txn) error {
						if err := txn.Set([]byte("conv/"+id), conv); err != nil {
							return err
						}
						for _, m := range msgs {
							seq++
							if err := txn.Set(binary.BigEndian.AppendUint64([]byte("msg/"+id+"/"), seq), m); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
		})
	}
}
