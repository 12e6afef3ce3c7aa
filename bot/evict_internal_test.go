package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// TestIdleConversationsLeaveMemory: a conversation nobody watches is
// dropped from memory after a while and comes back from the store intact.
func TestIdleConversationsLeaveMemory(t *testing.T) {
	r, err := Open(Config{DataDir: t.TempDir(), Demo: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	id, _, _ := r.Resolve(ctx, "test", "idle")
	if err := r.Handle(ctx, id, dialog.InputText, "我要取消会员", dialog.ZH); err != nil {
		t.Fatal(err)
	}
	unsub, _ := r.Subscribe(id, func(Message) {})
	age := func() {
		r.mu.Lock()
		r.live[id].used = time.Now().Add(-2 * idleEvict)
		r.mu.Unlock()
	}
	age()
	r.evictIdle()
	if r.liveCount() != 1 {
		t.Fatal("a watched conversation was evicted")
	}
	unsub()
	age()
	r.evictIdle()
	if r.liveCount() != 0 {
		t.Fatal("an idle conversation stayed in memory")
	}
	c, err := r.Conversation(ctx, id)
	if err != nil || c.State.Step != dialog.StepIdentify {
		t.Fatalf("after eviction: %+v %v", c.State, err)
	}
}
