package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/store"

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
	Channel   string      `json:"chan,omitempty"`
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
func addDelivery(txn store.Txn, d delivery) error {
	return setJSON(txn, d.key(), d)
}

// deliveryGoneAfter is how many tries a delivery gets whose order or
// member cannot be found (about two hours): retention removed the order,
// or the platform the member. Then it is dropped, with an error logged.
const deliveryGoneAfter = 20

// errDeliveryGone says what a delivery is about cannot be found.
var errDeliveryGone = errors.New("not found")

// givenUp reports whether d, whose try failed with err, is dropped.
func givenUp(d delivery, err error) bool {
	return errors.Is(err, errDeliveryGone) && d.Attempts+1 >= deliveryGoneAfter
}

// maxDeliveryBackoff bounds the wait between two tries.
const maxDeliveryBackoff = 10 * time.Minute

// deliveryBackoff is the wait after the n-th failed try: 2 s, 4 s, … up to
// maxDeliveryBackoff.
func deliveryBackoff(n int) time.Duration {
	d := time.Second << min(n, 10)
	return min(d, maxDeliveryBackoff)
}

// courierWait is how long a new delivery waits before the courier may
// try it. Whoever records a delivery tries it at once (the member's
// confirmation sends the receipt); the courier must not try it alongside,
// and a process stopped during that first try leaves it to the courier
// after that wait.
const courierWait = time.Minute

// deliveries keeps pending deliveries in the ledger. A delivery done is marked
// in the state database, whose writes need no sync, rather than deleted
// from the ledger at once (which would cost every order a second fsync);
// done deliveries leave the ledger in batches (purge). A crash that loses a
// mark only means one more try, which receivers deduplicate by ID.
type deliveries struct {
	ledger, state store.DB
}

func newDeliveries(st store.Store) deliveries {
	return deliveries{ledger: st.Ledger(), state: st.State()}
}

// finish records a try of d: done when err is nil, otherwise its progress
// and when to try again.
func (o deliveries) finish(ctx context.Context, d delivery, now time.Time, err error) error {
	if err == nil {
		return o.state.Update(ctx, func(txn store.Txn) error {
			return txn.Set(append([]byte(deliveredPrefix), d.key()...), nil)
		})
	}
	return o.ledger.Update(ctx, func(txn store.Txn) error {
		d.Attempts++
		d.NextAt = now.Add(deliveryBackoff(d.Attempts)).UnixMilli()
		return addDelivery(txn, d)
	})
}

// due lists the deliveries due at now, oldest key first, and removes those
// done from the ledger.
func (o deliveries) due(ctx context.Context, now time.Time) ([]delivery, error) {
	var out []delivery
	var done [][]byte
	err := o.ledger.View(ctx, func(txn store.Txn) error {
		return txn.Scan([]byte(deliveryPrefix), store.ScanOptions{}, func(k, v []byte) error {
			var d delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			mark := append([]byte(deliveredPrefix), k...)
			err := o.state.View(ctx, func(st store.Txn) error {
				_, err := st.Get(mark)
				return err
			})
			switch {
			case err == nil:
				done = append(done, append([]byte(nil), k...))
			case !errors.Is(err, store.ErrNotFound):
				return err
			case d.NextAt <= now.UnixMilli():
				out = append(out, d)
			}
			return nil
		})
	})
	if err == nil && len(done) > 0 {
		err = o.purge(ctx, done)
	}
	return out, err
}

// purge deletes done deliveries from the ledger, then their marks.
func (o deliveries) purge(ctx context.Context, keys [][]byte) error {
	del := func(prefix string) func(store.Txn) error {
		return func(txn store.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(append([]byte(prefix), k...)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := o.ledger.Update(ctx, del("")); err != nil {
		return err
	}
	return o.state.Update(ctx, del(deliveredPrefix))
}

// Outbox delivers what must not be lost: the receipts of work orders and
// renewal reminders (renewals.go). What it sends is recorded in the Ledger
// before the first try, and retried with backoff until every destination
// accepted it, across restarts. The runtime runs it in the background
// (DeliverNotices every second, RunReminders every Reminders.Every) on the
// instance holding the "courier" lead; tests call both with a controlled
// clock. Reach it with Runtime.Outbox. Safe for concurrent use.
type Outbox struct {
	rt        *Runtime // posts reminders in conversations
	pending   deliveries
	sending   sync.Mutex // one DeliverNotices at a time
	orders    *WorkOrderBook
	members   MemberStore
	notifier  Notifier
	reminders Reminders
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

// DeliverNotices retries the receipts and reminders whose next try is due;
// the runtime calls it every second, tests with a controlled clock. Calls
// run one at a time.
func (o *Outbox) DeliverNotices(ctx context.Context) error {
	o.sending.Lock()
	defer o.sending.Unlock()
	due, err := o.pending.due(ctx, o.rt.now())
	if err != nil {
		return err
	}
	for _, d := range due {
		switch d.Kind {
		case deliverReceipt:
			o.orders.deliverReceipt(ctx, d, nil, nil, o.rt.now())
		case deliverReminder:
			m, found, err := o.members.Get(ctx, d.Member)
			if err == nil && !found {
				err = fmt.Errorf("reminder: member %s: %w", d.Member, errDeliveryGone)
				if givenUp(d, err) {
					o.rt.log.Error("reminder dropped", "member", d.Member, "tries", d.Attempts+1, "err", err)
					err = nil
				}
			}
			if err != nil || !found {
				if ferr := o.pending.finish(ctx, d, o.rt.now(), err); ferr != nil {
					return ferr
				}
				continue
			}
			m.PeriodEnd = time.Unix(d.PeriodEnd, 0) // the renewal reminded of
			o.deliverReminder(ctx, d, m)
		}
	}
	return nil
}

// run retries pending deliveries every second and looks for renewals
// to remind of every Reminders.Every. With several instances on one store,
// the one holding the "courier" lead does, so a delivery is not retried
// by each of them.
func (o *Outbox) run(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	remind := time.NewTicker(o.reminders.Every)
	defer remind.Stop()
	lead := &leader{r: o.rt, name: "courier"}
	defer lead.stop()
	for {
		var err error
		select {
		case <-stop:
			return
		case <-retry.C:
			if lead.held(ctx) {
				err = o.DeliverNotices(ctx)
			}
		case <-remind.C:
			if lead.held(ctx) {
				err = o.RunReminders(ctx)
			}
		}
		if err != nil && ctx.Err() == nil {
			o.rt.log.Warn("deliveries", "err", err)
		}
	}
}
