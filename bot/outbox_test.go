package bot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/store"
)

// receiptEnv is a demo runtime whose notifier runs a test's function for
// receipts and counts every receipt offered to it.
type receiptEnv struct {
	rt    *Runtime
	clock *kefutest.Clock

	mu      sync.Mutex
	offered map[string]int // receipt tries by method
	receipt func(ctx context.Context, n Notice) error
}

func newReceiptEnv(t *testing.T) *receiptEnv {
	t.Helper()
	e := &receiptEnv{clock: kefutest.NewClock(testNow), offered: map[string]int{}}
	notify := func(ctx context.Context, n Notice) error {
		if n.Kind != NoticeReceipt {
			return nil
		}
		e.mu.Lock()
		e.offered[string(n.Method)]++
		f := e.receipt
		e.mu.Unlock()
		if f == nil {
			return nil
		}
		return f(ctx, n)
	}
	rt, err := Open(Config{DataDir: t.TempDir(), Demo: true, Location: shanghai, Log: quietLog, Now: e.clock.Now, Notifier: NotifierFunc(notify)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	e.rt = rt
	return e
}

func (e *receiptEnv) set(f func(ctx context.Context, n Notice) error) {
	e.mu.Lock()
	e.receipt = f
	e.mu.Unlock()
}

func (e *receiptEnv) tries(method dialog.Method) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.offered[string(method)]
}

// execute confirms a cancellation in the background; the channel gets its
// order once Execute returns.
func (e *receiptEnv) execute(t *testing.T) <-chan dialog.WorkOrder {
	done := make(chan dialog.WorkOrder, 1)
	go func() {
		o, err := e.rt.WorkOrders().Execute(context.Background(), cancelRequest("k1", "m-demo", e.clock.Now()))
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	return done
}

// While the receipt's first try is on its way, the courier leaves it
// alone, even when its turn comes.
func TestFirstReceiptTryIsNotRepeatedAlongside(t *testing.T) {
	e := newReceiptEnv(t)
	inFlight, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	e.set(func(ctx context.Context, n Notice) error {
		if first.CompareAndSwap(false, true) {
			close(inFlight)
			<-release
		}
		return nil
	})
	done := e.execute(t)
	<-inFlight
	if err := e.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-done
	e.rt.WorkOrders().WaitReceipts()
	if sms, email := e.tries(dialog.MethodSMS), e.tries(dialog.MethodEmail); sms != 1 || email != 1 {
		t.Fatalf("receipt tries: sms %d, email %d; want 1 each", sms, email)
	}
	e.clock.Advance(time.Hour)
	if err := e.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sms := e.tries(dialog.MethodSMS); sms != 1 {
		t.Fatalf("a delivered receipt was tried again: %d tries", sms)
	}
}

// The member's number does not wait for the SMS/email service: Execute
// returns while the receipt's first try is still on its way; a service
// that does not answer makes the first try give up, and the courier
// delivers the receipt later.
func TestFirstReceiptTryIsBounded(t *testing.T) {
	e := newReceiptEnv(t)
	var returned atomic.Bool
	inFlight := make(chan struct{})
	e.set(func(ctx context.Context, n Notice) error {
		if n.Method == dialog.MethodSMS {
			close(inFlight)
		}
		<-ctx.Done() // silent until the try gives up
		returned.Store(true)
		return ctx.Err()
	})
	o := <-e.execute(t)
	<-inFlight
	if o.Number == "" || returned.Load() {
		t.Fatalf("order %+v returned after the SMS try gave up", o)
	}
	e.rt.WorkOrders().WaitReceipts()
	if e.tries(dialog.MethodSMS) != 1 || !returned.Load() {
		t.Fatalf("first try: %d SMS tries, given up %v", e.tries(dialog.MethodSMS), returned.Load())
	}
	e.set(nil) // the service is back
	e.clock.Advance(time.Minute)
	if err := e.rt.Outbox().DeliverNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sms, email := e.tries(dialog.MethodSMS), e.tries(dialog.MethodEmail); sms != 2 || email < 1 {
		t.Fatalf("after the retry: sms %d, email %d tries", sms, email)
	}
	pending, err := e.rt.outbox.pending.due(context.Background(), e.clock.Now().Add(24*time.Hour))
	if err != nil || len(pending) != 0 {
		t.Fatalf("still pending: %+v %v", pending, err)
	}
}

// A receipt or reminder about an order or member that cannot be found is
// dropped after deliveryGoneAfter tries; one the service refuses is
// retried however long it takes.
func TestUndeliverableDeliveriesAreDropped(t *testing.T) {
	e := newReceiptEnv(t)
	ctx := context.Background()
	e.set(func(context.Context, Notice) error { return errors.New("refused") })
	o := <-e.execute(t)
	gone := []delivery{
		{Kind: deliverReceipt, Number: dialog.FormatNumber(testNow, 999), Member: "m-demo", Attempts: deliveryGoneAfter - 2},
		{Kind: deliverReminder, Member: "m-gone", PeriodEnd: testNow.Unix(), Attempts: deliveryGoneAfter - 2},
	}
	err := e.rt.ledger.Update(ctx, func(txn store.Txn) error {
		for _, d := range append(gone, delivery{Kind: deliverReceipt, Number: o.Number, Member: "m-demo", Attempts: 3 * deliveryGoneAfter}) {
			if err := addDelivery(txn, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pending := func() (keys []string) {
		t.Helper()
		due, err := e.rt.outbox.pending.due(context.Background(), e.clock.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range due {
			keys = append(keys, string(d.key()))
		}
		return keys
	}
	for try, want := range []int{3, 1} {
		e.clock.Advance(time.Hour)
		if err := e.rt.Outbox().DeliverNotices(ctx); err != nil {
			t.Fatal(err)
		}
		if got := pending(); len(got) != want {
			t.Fatalf("after try %d: pending %q, want %d", try+1, got, want)
		}
	}
	if got := pending(); got[0] != "outbox/receipt/"+o.Number {
		t.Fatalf("pending %q, want the refused receipt", got)
	}
}
