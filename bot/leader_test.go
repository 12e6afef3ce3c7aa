package bot

import (
	"context"
	"log/slog"
	"testing"

	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/internal/postgrestest"
	"github.com/kefu-dev/kefu/store/pgstore"
)

// Of two instances on one store one leads (the courier's retries and
// reminder looks run there only); the other takes over once it stops,
// trying at most every leaderRetry.
func TestOneInstanceLeads(t *testing.T) {
	url := postgrestest.NewDatabase(t)
	clock := kefutest.NewClock(testNow)
	var leaders []*leader
	for range 2 {
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := Open(Config{Store: st, Location: shanghai, Log: quietLog, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close() })
		l := &leader{r: rt, name: "test"}
		t.Cleanup(l.stop)
		leaders = append(leaders, l)
	}
	a, b := leaders[0], leaders[1]
	ctx := context.Background()
	if !a.held(ctx) || b.held(ctx) || !a.held(ctx) {
		t.Fatal("want the first instance to lead alone")
	}
	a.stop()
	if b.held(ctx) {
		t.Fatal("the second instance tried again before leaderRetry")
	}
	clock.Advance(leaderRetry)
	if !b.held(ctx) || a.held(ctx) {
		t.Fatal("want the second instance to take over after leaderRetry")
	}
}
