package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kefu-dev/kefu/dialog"
)

// Deliveries that must not be lost (receipts, renewal reminders) are
// written to the synced Ledger in the same transaction as what causes them,
// tried at once, and retried with backoff until every destination accepted
// them, across restarts. A destination that accepted is recorded, so a
// retry sends only what is missing (a receiver may still see a repeat if
// kefu stops between its answer and that record: notices carry an ID for
// deduplication). Verification codes are never stored: they are sent
// inline and die with their conversation's turn.
const deliveryPrefix = "outbox/"

// Kinds of deliveries.
const (
	deliverReceipt  = "receipt"
	deliverReminder = "reminder"
)

// delivery is one pending delivery as stored.
type delivery struct {
	Kind      string      `json:"kind"`
	Number    string      `json:"number,omitempty"` // receipt: the work order
	Member    string      `json:"member,omitempty"`
	PeriodEnd int64       `json:"period_end,omitempty"` // reminder: the renewal, Unix seconds
	Lang      dialog.Lang `json:"lang,omitempty"`
	Conv      string      `json:"conv,omitempty"`
	Chan      string      `json:"chan,omitempty"`
	Done      []string    `json:"done,omitempty"` // destinations that accepted
	Attempts  int         `json:"attempts,omitempty"`
	NextAt    int64       `json:"next_at,omitempty"` // Unix milliseconds; 0: now
}

func (d delivery) key() []byte {
	if d.Kind == deliverReceipt {
		return []byte(deliveryPrefix + deliverReceipt + "/" + d.Number)
	}
	return []byte(fmt.Sprintf("%s%s/%s/%d", deliveryPrefix, d.Kind, d.Member, d.PeriodEnd))
}

// addDelivery records d in txn.
func addDelivery(txn *badger.Txn, d delivery) error {
	return setJSON(txn, d.key(), d)
}

// maxDeliveryBackoff bounds the wait between two tries.
const maxDeliveryBackoff = 10 * time.Minute

// deliveryBackoff is the wait after the n-th failed try: 2 s, 4 s, … up to
// maxDeliveryBackoff.
func deliveryBackoff(n int) time.Duration {
	d := time.Second << min(n, 10)
	return min(d, maxDeliveryBackoff)
}

// finishDelivery records a try of d: gone when err is nil, otherwise its
// progress and when to try again.
func finishDelivery(db *badger.DB, d delivery, now time.Time, err error) error {
	return update(db, func(txn *badger.Txn) error {
		if err == nil {
			return txn.Delete(d.key())
		}
		d.Attempts++
		d.NextAt = now.Add(deliveryBackoff(d.Attempts)).UnixMilli()
		return addDelivery(txn, d)
	})
}

// dueDeliveries lists the deliveries due at now, oldest key first.
func dueDeliveries(db *badger.DB, now time.Time) ([]delivery, error) {
	var out []delivery
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(deliveryPrefix), PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var d delivery
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &d) }); err != nil {
				return err
			}
			if d.NextAt <= now.UnixMilli() {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// notifyEach sends n to the member's phone and email, skipping the
// destinations d already has, and records each that accepts in d.Done.
func notifyEach(ctx context.Context, notifier Notifier, m dialog.Member, n Notice, d *delivery, log *slog.Logger) error {
	var errs []error
	for _, dst := range []struct {
		method dialog.Method
		to     string
	}{{dialog.MethodSMS, m.Phone}, {dialog.MethodEmail, m.Email}} {
		if dst.to == "" || slices.Contains(d.Done, string(dst.method)) {
			continue
		}
		n.Method, n.To = dst.method, dst.to
		if err := notifier.Notify(ctx, n); err != nil {
			log.Warn("notice not delivered", "kind", n.Kind, "method", dst.method, "to", dialog.MaskAccount(dst.to), "try", d.Attempts+1, "err", err)
			errs = append(errs, err)
			continue
		}
		d.Done = append(d.Done, string(dst.method))
	}
	return errors.Join(errs...)
}
