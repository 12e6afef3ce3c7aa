package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// A callback closes once: by an agent with a note, or by the member's
// later confirmation naming it; whichever comes second finds it done.
func TestCloseCallback(t *testing.T) {
	ctx := context.Background()
	book, _, _ := newTestBook(t, 0)
	callback := func(key string, at time.Time) dialog.WorkOrder {
		t.Helper()
		o, err := book.Execute(ctx, dialog.OrderRequest{Key: key, Kind: dialog.KindCallback, MemberID: "m-demo", Channel: "web", Conv: "c-" + key, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	byAgent := callback("cb1", testNow)
	byMember := callback("cb2", testNow.Add(time.Minute))

	open, err := book.Callbacks(ctx, "open")
	if err != nil || !slices.Equal(orderNumbers(open), []string{byMember.Number, byAgent.Number}) {
		t.Fatalf("open callbacks %v %v, want newest first", orderNumbers(open), err)
	}

	at := testNow.Add(time.Hour)
	closed, err := book.CloseCallback(ctx, byAgent.Number, "alice", "  called back  ", at)
	if err != nil || closed.Status != "done" || closed.ClosedBy != "alice" || closed.CloseNote != "called back" || !closed.UpdatedAt.Equal(at) {
		t.Fatalf("closed %+v %v", closed, err)
	}
	if _, err := book.CloseCallback(ctx, byAgent.Number, "bob", "again", at); !errors.Is(err, ErrAlreadyClosed) {
		t.Fatalf("closing twice: %v", err)
	}
	// The member's confirmation closes only the callback still open.
	order, err := book.Execute(ctx, dialog.OrderRequest{Key: "k", Kind: dialog.KindNoRenew, MemberID: "m-demo", Channel: "web", Conv: "c", Closes: byAgent.Number, At: at})
	if err != nil || order.Closes != "" {
		t.Fatalf("a confirmation naming a callback closed by an agent: %+v %v", order, err)
	}
	order2, err := book.Execute(ctx, dialog.OrderRequest{Key: "k2", Kind: dialog.KindCancelNow, MemberID: "m-demo", Channel: "web", Conv: "c", Closes: byMember.Number, At: at})
	if err != nil || order2.Closes != byMember.Number {
		t.Fatalf("a confirmation naming an open callback: %+v %v", order2, err)
	}
	if _, err := book.CloseCallback(ctx, byMember.Number, "alice", "late", at); !errors.Is(err, ErrAlreadyClosed) {
		t.Fatalf("closing a callback the member's order closed: %v", err)
	}
	if again, _, _ := book.Get(ctx, byAgent.Number); again.ClosedBy != "alice" || again.CloseNote != "called back" {
		t.Fatalf("stored %+v", again)
	}

	done, err := book.Callbacks(ctx, "done")
	if err != nil || !slices.Equal(orderNumbers(done), []string{byMember.Number, byAgent.Number}) {
		t.Fatalf("done callbacks %v %v", orderNumbers(done), err)
	}
	if open, err := book.Callbacks(ctx, "open"); err != nil || len(open) != 0 {
		t.Fatalf("open callbacks after both closed: %v %v", orderNumbers(open), err)
	}

	for _, tc := range []struct {
		number, note string
		want         error
	}{
		{order.Number, "x", ErrNotCallback},
		{dialog.FormatNumber(testNow.In(shanghai), 999), "x", ErrNoOrder},
		{"WO1", "x", dialog.ErrNumberFormat},
		{byAgent.Number, " ", ErrCloseNote},
		{byAgent.Number, strings.Repeat("x", MaxCloseNote+1), ErrCloseNote},
	} {
		if _, err := book.CloseCallback(ctx, tc.number, "alice", tc.note, at); !errors.Is(err, tc.want) {
			t.Errorf("CloseCallback(%s, %d characters) = %v, want %v", tc.number, len([]rune(tc.note)), err, tc.want)
		}
	}
}
