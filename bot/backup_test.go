package bot_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// TestBackupRestore: an online backup restored into a new directory has the
// work orders and conversations, and numbering continues after them.
func TestBackupRestore(t *testing.T) {
	e := openEnv(t, t.TempDir())
	ctx := context.Background()
	id, _, _ := e.rt.Resolve(ctx, "test", "m")
	number := numberRE.FindString(texts(e.send(id, dialog.InputText, "转人工")))
	if number == "" {
		t.Fatal("no callback order")
	}
	var buf bytes.Buffer
	if err := e.rt.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	e.close()

	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := bot.Restore(dir, bytes.NewReader(buf.Bytes()), log); err != nil {
		t.Fatal(err)
	}
	if err := bot.Restore(dir, bytes.NewReader(buf.Bytes()), log); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("restoring over a store: %v", err)
	}
	if err := bot.Restore(t.TempDir(), strings.NewReader("not a backup"), log); err == nil {
		t.Fatal("garbage restored")
	}
	r := openEnv(t, dir)
	defer r.close()
	if _, found, err := r.rt.WorkOrders().Get(ctx, number); err != nil || !found {
		t.Fatalf("order %s after restore: %v %v", number, found, err)
	}
	hist, err := r.rt.History(ctx, id)
	if err != nil || len(hist) < 2 {
		t.Fatalf("history after restore: %d %v", len(hist), err)
	}
	other, _, _ := r.rt.Resolve(ctx, "test", "n")
	next := numberRE.FindString(texts(r.send(other, dialog.InputText, "转人工")))
	if next == "" || next <= number {
		t.Fatalf("numbering after restore: %q after %q", next, number)
	}
}
