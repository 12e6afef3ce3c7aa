package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
)

// ErrBookClosed is returned by Execute after Close.
var ErrBookClosed = errors.New("work-order book closed")

// WorkOrderBook executes confirmed choices on the member store and records
// them as numbered work orders (DESIGN §4) in the synced Ledger database: an
// order is on stable storage before Execute returns it. It is safe for
// concurrent use; the embedded store lets concurrent Executes share fsyncs.
type WorkOrderBook struct {
	// Log receives notifier failures; nil means slog.Default(). Set it
	// before the first Execute.
	Log *slog.Logger
	// SignKey signs receipts (Sign); nil leaves them unsigned. Set it
	// before the first Execute.
	SignKey []byte
	// Full, when set and true, refuses new orders with ErrStoreFull before
	// the member store is called or a number exists. Set it before the
	// first Execute.
	Full func() bool

	db       store.DB
	pending  deliveries
	members  MemberStore
	notifier Notifier
	loc      *time.Location
	keys     keyedMutex

	mu     sync.Mutex
	closed bool
	tries  sync.WaitGroup // first receipt tries under way
}

var _ dialog.WorkOrders = (*WorkOrderBook)(nil)

// orderRecord is a work order as stored, with its idempotency key.
type orderRecord struct {
	dialog.WorkOrder
	Key string `json:"key"`
}

// NewWorkOrderBook returns the book kept in st's Ledger, executing on
// members and sending receipts through notifier; numbers are dated in loc.
func NewWorkOrderBook(st store.Store, members MemberStore, notifier Notifier, loc *time.Location) *WorkOrderBook {
	if loc == nil {
		loc = time.UTC
	}
	return &WorkOrderBook{db: st.Ledger(), pending: newDeliveries(st), members: members, notifier: notifier, loc: loc}
}

// Execute carries out req and returns its work order. The same req.Key
// always yields the same order, unchanged, however often and however
// concurrently it is repeated. For cancel_now, no_renew and agent_action the
// member store applies the action first (errors from it, such as
// ErrNotActive, are returned wrapped and no order is written). A receipt
// goes to the member's phone and email once the order is durable, in the
// background, so the member's confirmation does not wait for the SMS or
// email service; one not accepted is logged and retried by the runtime's
// courier (Outbox.DeliverNotices) until it is.
func (b *WorkOrderBook) Execute(ctx context.Context, req dialog.OrderRequest) (dialog.WorkOrder, error) {
	if err := ctx.Err(); err != nil {
		return dialog.WorkOrder{}, err
	}
	action, err := checkOrderRequest(req)
	if err != nil {
		return dialog.WorkOrder{}, err
	}
	if req.At.IsZero() {
		req.At = time.Now()
	}
	req.At = req.At.Round(0) // as it reads back from storage
	o, m, created, err := b.execute(ctx, req, action)
	if err != nil {
		return dialog.WorkOrder{}, fmt.Errorf("work order %s for %s: %w", req.Kind, req.MemberID, err)
	}
	o.Sig = b.Sign(o)
	if created && b.receipts(o) {
		b.firstReceipt(ctx, o, m, req)
	}
	return o, nil
}

// checkOrderRequest validates req and returns the member action it implies
// (empty for a callback).
func checkOrderRequest(req dialog.OrderRequest) (dialog.OrderKind, error) {
	if req.Key == "" {
		return "", errors.New("work order: empty idempotency key")
	}
	var action dialog.OrderKind
	switch req.Kind {
	case dialog.KindCallback:
		return "", nil
	case dialog.KindCancelNow, dialog.KindNoRenew:
		action = req.Kind
	case dialog.KindAgentAction:
		if req.Action != dialog.KindCancelNow && req.Action != dialog.KindNoRenew {
			return "", fmt.Errorf("work order: agent action %q is not cancel_now or no_renew", req.Action)
		}
		action = req.Action
	default:
		return "", fmt.Errorf("work order: unknown kind %q", req.Kind)
	}
	if req.MemberID == "" {
		return "", fmt.Errorf("work order: %s without a member", req.Kind)
	}
	return action, nil
}

// execute does the work of Execute under the key's lock; created is false
// when the key already had an order. m is the member after the change when
// the change was made in the order's transaction (nil otherwise).
func (b *WorkOrderBook) execute(ctx context.Context, req dialog.OrderRequest, action dialog.OrderKind) (o dialog.WorkOrder, m *dialog.Member, created bool, err error) {
	defer b.keys.lock(req.Key)()

	if o, found, err := b.byKey(ctx, req.Key); err != nil || found {
		return o, nil, false, err
	}
	if b.Full != nil && b.Full() {
		return o, nil, false, ErrStoreFull
	}
	executor := req.Executor
	if executor == "" {
		executor = "bot"
	}
	o = dialog.WorkOrder{
		Kind: req.Kind, MemberID: req.MemberID, Channel: req.Channel, Conv: req.Conv,
		Reason: req.Reason, Executor: executor, CreatedAt: req.At, UpdatedAt: req.At,
		Key: req.Key,
	}
	if req.Kind == dialog.KindAgentAction {
		o.Action = action
	}
	if action == "" {
		o.Status = "open"
		if req.MemberID != "" {
			// A callback is what is left when things fail: record it even
			// when the member system does not answer.
			m, found, err := b.members.Get(ctx, req.MemberID)
			if err != nil {
				b.log().Warn("callback: member", "member", req.MemberID, "err", err)
			}
			o.AutoRenew = found && m.AutoRenew
		}
	}
	// A member store in this database applies the action inside the
	// order's transaction: the change and its order commit together, with
	// one sync. Any other store applies first; Apply is idempotent per key,
	// so a crash between the two is repaired by the member retrying: same
	// outcome, one order.
	local, inTxn := b.members.(txnApplier)
	inTxn = inTxn && action != "" && local.sameDB(b.db)
	if action != "" && !inTxn {
		out, err := b.members.Apply(ctx, req.MemberID, action, req.Key, req.At)
		if err != nil {
			return o, nil, false, err
		}
		setOutcome(&o, out)
	}
	if o.Number, err = b.nextNumber(ctx, req.At); err != nil {
		return o, nil, false, err
	}
	var existing orderRecord
	err = b.db.Update(ctx, func(txn store.Txn) error {
		// The key lock makes this a formality within the process; it keeps
		// the index authoritative should anything else ever write orders.
		found, err := lookupByKey(txn, req.Key, &existing)
		if err != nil || found {
			created = false
			return err
		}
		if inTxn {
			var out dialog.Outcome
			out, m, err = local.applyTxn(txn, req.MemberID, action, req.Key, req.At)
			if err != nil {
				return fmt.Errorf("apply %s to member %s: %w", action, req.MemberID, err)
			}
			setOutcome(&o, out)
		}
		created = true
		if action != "" {
			// The callback this request stood in for is done: by its key
			// (the same request, retried) or named by the conversation.
			for _, cb := range []func() (string, error){
				func() (string, error) { return closeCallback(txn, dialog.CallbackKey(req.Key), req.At) },
				func() (string, error) { return closeCallbackNumber(txn, req.Closes, req.MemberID, req.At) },
			} {
				n, err := cb()
				if err != nil {
					return err
				}
				if n != "" && o.Closes == "" {
					o.Closes = n
				}
			}
		}
		if err := setJSON(txn, []byte(orderPrefix+o.Number), orderRecord{WorkOrder: o, Key: o.Key}); err != nil {
			return err
		}
		if b.receipts(o) { // durable with the order: retried until delivered
			if err := addDelivery(txn, receiptDelivery(o, req)); err != nil {
				return err
			}
		}
		if err := txn.Set([]byte(orderKeyPrefix+req.Key), []byte(o.Number)); err != nil {
			return err
		}
		if o.MemberID != "" {
			if err := txn.Set([]byte(orderMemberPrefix+o.MemberID+"/"+o.Number), nil); err != nil {
				return err
			}
		}
		return txn.Set(orderTimeKey(o.CreatedAt, o.Number), nil)
	})
	if err == nil && !created {
		o, m = existing.order(), nil
	}
	return o, m, created, err
}

// closeCallback marks the open callback order under key done: the request it
// stood in for has now been carried out, so nobody needs to call back. It
// returns the number it closed, or "".
func closeCallback(txn store.Txn, key string, at time.Time) (string, error) {
	var rec orderRecord
	found, err := lookupByKey(txn, key, &rec)
	if err != nil || !found {
		return "", err
	}
	return closeOpenCallback(txn, rec, "", at)
}

// closeCallbackNumber closes the open callback order number, when it is
// one and is the member's or nobody's (a member who asked for a person
// before verifying).
func closeCallbackNumber(txn store.Txn, number, memberID string, at time.Time) (string, error) {
	if number == "" {
		return "", nil
	}
	var rec orderRecord
	if found, err := getJSON(txn, []byte(orderPrefix+number), &rec); err != nil || !found {
		return "", err
	}
	return closeOpenCallback(txn, rec, memberID, at)
}

func closeOpenCallback(txn store.Txn, rec orderRecord, memberID string, at time.Time) (string, error) {
	if rec.Kind != dialog.KindCallback || rec.Status != "open" || rec.MemberID != "" && memberID != "" && rec.MemberID != memberID {
		return "", nil
	}
	rec.Status, rec.UpdatedAt = "done", at
	return rec.Number, setJSON(txn, []byte(orderPrefix+rec.Number), rec)
}

// SetReason records the member's reason on an issued order.
func (b *WorkOrderBook) SetReason(ctx context.Context, number, reason string) error {
	return b.db.Update(ctx, func(txn store.Txn) error {
		var rec orderRecord
		found, err := getJSON(txn, []byte(orderPrefix+number), &rec)
		if err != nil || !found {
			return fmt.Errorf("order %s: found=%v: %w", number, found, err)
		}
		rec.Reason = reason
		return setJSON(txn, []byte(orderPrefix+number), rec)
	})
}

// txnApplier is a member store that can apply an action inside another
// transaction on its own database.
type txnApplier interface {
	applyTxn(txn store.Txn, memberID string, kind dialog.OrderKind, key string, now time.Time) (dialog.Outcome, *dialog.Member, error)
	sameDB(db store.DB) bool
}

// setOutcome records an executed action's outcome on the order.
func setOutcome(o *dialog.WorkOrder, out dialog.Outcome) {
	o.Status = "done"
	o.EffectiveAt, o.RefundCents, o.AutoRenew = out.EffectiveAt, out.RefundCents, out.AutoRenew
}

func (r orderRecord) order() dialog.WorkOrder {
	o := r.WorkOrder
	o.Key = r.Key
	return o
}

func orderTimeKey(t time.Time, number string) []byte {
	return []byte(orderTimePrefix + t.UTC().Format(orderTimeLayout) + "/" + number)
}

// nextNumber allocates the next number of at's day in b.loc from the
// store's sequence for the day: unique across restarts, crashes and
// processes sharing the store (a crash may skip numbers); the first of a
// day is 1.
func (b *WorkOrderBook) nextNumber(ctx context.Context, at time.Time) (string, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return "", ErrBookClosed
	}
	day := at.In(b.loc)
	d := day.Format("20060102")
	n, err := b.db.Next(ctx, orderSeqName+d)
	if err != nil {
		return "", fmt.Errorf("work-order sequence %s: %w", d, err)
	}
	if n > dialog.MaxDailySequence {
		return "", fmt.Errorf("work-order sequence %s: more than %d orders in a day", d, dialog.MaxDailySequence)
	}
	return dialog.FormatNumber(day, int(n)), nil
}

// WaitReceipts waits for the receipts' first tries started so far (each at
// most firstReceiptWait); call it when no Execute is under way.
func (b *WorkOrderBook) WaitReceipts() { b.tries.Wait() }

// Close makes Execute fail from now on and waits for the receipts' first
// tries (at most firstReceiptWait); call it before the store closes.
func (b *WorkOrderBook) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.WaitReceipts()
	return nil
}

// receipts reports whether o gets a receipt outside the chat.
func (b *WorkOrderBook) receipts(o dialog.WorkOrder) bool {
	return o.MemberID != "" && b.notifier != nil
}

// receiptDelivery is o's pending receipt, recorded with o; the courier
// leaves it to firstReceipt for courierWait.
func receiptDelivery(o dialog.WorkOrder, req dialog.OrderRequest) delivery {
	return delivery{Kind: deliverReceipt, Number: o.Number, Member: o.MemberID, Lang: req.Lang, Conv: req.Conv, Channel: req.Channel,
		NextAt: req.At.Add(courierWait).UnixMilli()}
}

// firstReceiptWait bounds the receipt's first try (and so Close); a slower
// SMS/email service gets the receipt from the courier's retries.
const firstReceiptWait = 3 * time.Second

// firstReceipt starts the first try of o's receipt, just recorded, in the
// background; the caller's cancellation does not stop it, Close waits for
// it. After Close the courier sends the receipt once that wait is over.
func (b *WorkOrderBook) firstReceipt(ctx context.Context, o dialog.WorkOrder, m *dialog.Member, req dialog.OrderRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.tries.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), firstReceiptWait)
	go func() {
		defer b.tries.Done()
		defer cancel()
		b.deliverReceipt(ctx, receiptDelivery(o, req), &o, m, req.At)
	}()
}

// deliverReceipt sends a receipt to the member's phone and email, those
// that have not accepted it yet, and records the try; o and m are the
// order and the member when the caller has them (nil: read them).
func (b *WorkOrderBook) deliverReceipt(ctx context.Context, d delivery, o *dialog.WorkOrder, m *dialog.Member, now time.Time) {
	err := b.tryReceipt(ctx, &d, o, m)
	if givenUp(d, err) {
		b.log().Error("receipt dropped", "order", d.Number, "tries", d.Attempts+1, "err", err)
		err = nil
	}
	if ferr := b.pending.finish(ctx, d, now, err); ferr != nil {
		b.log().Error("record receipt delivery", "order", d.Number, "err", ferr)
	}
}

func (b *WorkOrderBook) tryReceipt(ctx context.Context, d *delivery, known *dialog.WorkOrder, member *dialog.Member) error {
	var o dialog.WorkOrder
	if known != nil {
		o = *known
	} else {
		var found bool
		var err error
		if o, found, err = b.Get(ctx, d.Number); err != nil {
			return fmt.Errorf("receipt for order %s: %w", d.Number, err)
		} else if !found {
			return fmt.Errorf("receipt for order %s: order %w", d.Number, errDeliveryGone)
		}
	}
	var m dialog.Member
	var found bool
	var err error
	if member != nil {
		m, found = *member, true
	} else {
		m, found, err = b.members.Get(ctx, o.MemberID)
	}
	if err == nil && !found {
		err = errDeliveryGone
	}
	if err != nil {
		b.log().Warn("receipt: member", "order", o.Number, "member", o.MemberID, "err", err)
		return fmt.Errorf("receipt for order %s: member %s: %w", o.Number, o.MemberID, err)
	}
	n := Notice{Kind: NoticeReceipt, Order: &o, Lang: d.Lang, Conv: d.Conv, Channel: d.Channel}
	return notifyEach(ctx, b.notifier, m, n, d, b.log())
}

func (b *WorkOrderBook) log() *slog.Logger {
	if b.Log != nil {
		return b.Log
	}
	return slog.Default()
}

// byKey finds the order recorded under an idempotency key.
func (b *WorkOrderBook) byKey(ctx context.Context, key string) (o dialog.WorkOrder, found bool, err error) {
	err = b.db.View(ctx, func(txn store.Txn) error {
		var rec orderRecord
		found, err = lookupByKey(txn, key, &rec)
		o = rec.order()
		return err
	})
	return o, found, err
}

func lookupByKey(txn store.Txn, key string, rec *orderRecord) (bool, error) {
	number, err := txn.Get([]byte(orderKeyPrefix + key))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	found, err := getJSON(txn, []byte(orderPrefix+string(number)), rec)
	if err == nil && !found {
		err = fmt.Errorf("work order %s indexed under its key but missing", number)
	}
	return found, err
}

// Get finds an order by number, as ParseNumber accepts it; a malformed
// number or a wrong check digit is an error (dialog.ErrNumberFormat,
// dialog.ErrCheckDigit).
func (b *WorkOrderBook) Get(ctx context.Context, number string) (o dialog.WorkOrder, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return o, false, err
	}
	n, err := dialog.ParseNumber(number)
	if err != nil {
		return o, false, err
	}
	err = b.db.View(ctx, func(txn store.Txn) error {
		var rec orderRecord
		found, err = getJSON(txn, []byte(orderPrefix+n), &rec)
		o = rec.order()
		return err
	})
	if err != nil || !found {
		return dialog.WorkOrder{}, false, err
	}
	o.Sig = b.Sign(o)
	return o, true, nil
}

// Since returns the orders created at or after t, in number order.
func (b *WorkOrderBook) Since(ctx context.Context, t time.Time) ([]dialog.WorkOrder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var numbers []string
	var orders []dialog.WorkOrder
	err := b.db.View(ctx, func(txn store.Txn) error {
		err := txn.Scan([]byte(orderTimePrefix), store.ScanOptions{KeysOnly: true, From: orderTimeKey(t, "")}, func(k, _ []byte) error {
			numbers = append(numbers, string(k[len(k)-17:]))
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(numbers)
		orders, err = getOrders(txn, numbers)
		b.signAll(orders)
		return err
	})
	return orders, err
}

// ByMember returns the member's orders in number order.
func (b *WorkOrderBook) ByMember(ctx context.Context, memberID string) ([]dialog.WorkOrder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix := []byte(orderMemberPrefix + memberID + "/")
	var orders []dialog.WorkOrder
	err := b.db.View(ctx, func(txn store.Txn) error {
		var numbers []string
		err := txn.Scan(prefix, store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			numbers = append(numbers, string(k[len(prefix):]))
			return nil
		})
		if err != nil {
			return err
		}
		orders, err = getOrders(txn, numbers)
		b.signAll(orders)
		return err
	})
	return orders, err
}

func getOrders(txn store.Txn, numbers []string) ([]dialog.WorkOrder, error) {
	orders := make([]dialog.WorkOrder, 0, len(numbers))
	for _, n := range numbers {
		var rec orderRecord
		found, err := getJSON(txn, []byte(orderPrefix+n), &rec)
		if err != nil {
			return nil, err
		}
		if found {
			orders = append(orders, rec.order())
		}
	}
	return orders, nil
}

// keyedMutex serialises work on one key while other keys proceed.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
