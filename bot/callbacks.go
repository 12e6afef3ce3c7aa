package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/store"
)

// MaxCloseNote is the longest note an agent may leave on closing a
// callback, in characters.
const MaxCloseNote = 500

// Errors of CloseCallback.
var (
	ErrNoOrder       = errors.New("no such work order")
	ErrNotCallback   = errors.New("work order is not a callback")
	ErrAlreadyClosed = errors.New("callback already closed")
	ErrCloseNote     = fmt.Errorf("a closing note must have 1 to %d characters", MaxCloseNote)
)

// Callbacks returns the callback orders whose status is status ("open" or
// "done"), newest first.
func (b *WorkOrderBook) Callbacks(ctx context.Context, status string) ([]dialog.WorkOrder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	orders := []dialog.WorkOrder{}
	err := b.db.View(ctx, func(txn store.Txn) error {
		// Every order is visited: callbacks are few among them, and this
		// needs no index of its own.
		return txn.Scan([]byte(orderTimePrefix), store.ScanOptions{KeysOnly: true, Reverse: true}, func(k, _ []byte) error {
			var rec orderRecord
			found, err := getJSON(txn, []byte(orderPrefix+string(k[len(k)-17:])), &rec)
			if err != nil {
				return err
			}
			if found && rec.Kind == dialog.KindCallback && rec.Status == status {
				orders = append(orders, rec.order())
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("callbacks: %w", err)
	}
	b.signAll(orders)
	return orders, nil
}

// CloseCallback marks the open callback order number done by agent, with
// their note (trimmed; 1 to MaxCloseNote characters, else ErrCloseNote), and
// returns it. A malformed number or a wrong check digit is an error as
// from Get; an unknown one is ErrNoOrder, an order of another kind
// ErrNotCallback, one already done ErrAlreadyClosed (whoever closed it: an
// agent, or the member's later confirmation).
func (b *WorkOrderBook) CloseCallback(ctx context.Context, number, agent, note string, at time.Time) (dialog.WorkOrder, error) {
	n, err := dialog.ParseNumber(number)
	if err != nil {
		return dialog.WorkOrder{}, err
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > MaxCloseNote {
		return dialog.WorkOrder{}, ErrCloseNote
	}
	var rec orderRecord
	err = b.db.Update(ctx, func(txn store.Txn) error {
		rec = orderRecord{} // a retried transaction reads afresh
		found, err := getJSON(txn, []byte(orderPrefix+n), &rec)
		switch {
		case err != nil:
			return err
		case !found:
			return ErrNoOrder
		case rec.Kind != dialog.KindCallback:
			return ErrNotCallback
		case rec.Status != "open":
			return ErrAlreadyClosed
		}
		rec.Status, rec.UpdatedAt = "done", at.Round(0)
		rec.ClosedBy, rec.CloseNote = agent, note
		return setJSON(txn, []byte(orderPrefix+n), rec)
	})
	if err != nil {
		return dialog.WorkOrder{}, fmt.Errorf("close callback %s: %w", n, err)
	}
	o := rec.order()
	o.Sig = b.Sign(o)
	return o, nil
}
