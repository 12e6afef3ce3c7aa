package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// Handle holds every channel to the conversation's rate and the length
// limit, and says so with typed errors: the first refusal of a flood is
// marked, the rest are not; a too-long message is answered, cut, and
// reported. An agent's message beyond the configured limit is refused.
func TestLimits(t *testing.T) {
	clock := kefutest.NewClock(time.Now())
	rt, err := bot.Open(bot.Config{DataDir: t.TempDir(), Demo: true, Log: slog.New(slog.DiscardHandler), Now: clock.Now, MsgRate: 5, MaxLen: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	a, _, _ := rt.Resolve(ctx, "test", "a")
	b, _, _ := rt.Resolve(ctx, "test", "b")

	for i := range bot.MsgBurst {
		if err := rt.Handle(ctx, a, dialog.InputText, "hi", dialog.EN); err != nil {
			t.Fatalf("message %d of the burst: %v", i+1, err)
		}
	}
	var firsts int
	for range 3 {
		var limited *bot.RateLimitError
		err := rt.Handle(ctx, a, dialog.InputText, "hi", dialog.EN)
		if !errors.As(err, &limited) || !errors.Is(err, bot.ErrRateLimited) || limited.Wait <= 0 {
			t.Fatalf("beyond the burst: %v, want a RateLimitError with a wait", err)
		}
		if limited.First {
			firsts++
		}
	}
	if firsts != 1 {
		t.Fatalf("%d refusals marked first in one flood; want 1", firsts)
	}
	if err := rt.Handle(ctx, b, dialog.InputText, "hi", dialog.EN); err != nil {
		t.Fatalf("another conversation during the flood: %v", err)
	}
	clock.Advance(time.Second)
	if err := rt.Handle(ctx, a, dialog.InputText, "hi", dialog.EN); err != nil {
		t.Fatalf("after the pause: %v", err)
	}

	var long *bot.TooLongError
	if err := rt.Handle(ctx, b, dialog.InputText, "far too long a message", dialog.EN); !errors.As(err, &long) || long.Max != 10 {
		t.Fatalf("a message over the limit: %v, want a TooLongError of 10", err)
	}
	h, _ := rt.History(ctx, b)
	if got := h[len(h)-2]; got.From != bot.FromMember || got.Text != "far too lo…" {
		t.Fatalf("stored %s %q; want the member's first 10 characters", got.From, got.Text)
	}
	if got := h[len(h)-1]; got.From != bot.FromBot || !strings.Contains(got.Text, "10") {
		t.Fatalf("answered %s %q; want the polite too-long reply", got.From, got.Text)
	}

	offline := rt.Handoffs().AgentOnline("alice")
	defer offline()
	if err := rt.Handle(ctx, b, dialog.InputButton, dialog.IntentValue(dialog.IntentHumanAgent), dialog.EN); err != nil {
		t.Fatal(err)
	}
	c, err := rt.Handoffs().Claim(ctx, b, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Handoffs().AgentMessage(ctx, b, "alice", c.Version, "eleven char"); !errors.As(err, &long) {
		t.Fatalf("an agent's message over the configured limit: %v, want a TooLongError", err)
	}
	if _, err := rt.Handoffs().AgentMessage(ctx, b, "alice", c.Version, "ten chars!"); err != nil {
		t.Fatalf("an agent's message at the limit: %v", err)
	}
}
