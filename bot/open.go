package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/ratelimit"
	"github.com/kefu-dev/kefu/locales"
	"github.com/kefu-dev/kefu/store"
)

// Config is what Open needs to assemble a runtime.
type Config struct {
	DataDir   string      // the embedded store's directory, when Store is nil
	Store     store.Store // nil: the embedded Badger store in DataDir; Close closes it either way
	Demo      bool        // seed demo members into an empty store; codes and receipts also shown in chat
	DemoExtra int         // with Demo: synthetic members 15000000000+i
	Location  *time.Location
	Log       *slog.Logger
	Now       func() time.Time // default time.Now
	Notifier  Notifier         // delivery outside the chat; default: a log line
	Rules     VerificationRules
	MaxLen    int // longest member message; default dialog.DefaultMaxLen
	// MsgRate is member messages a second per conversation, with a burst
	// of MsgBurst, on every channel; 0 means no limit.
	MsgRate   float64
	Handoff   HandoffConfig
	Retention Retention
	// Members is the platform's member system; nil: the embedded demo
	// store (seeded with Demo).
	Members   MemberStore
	Reminders Reminders
	Disk      DiskFloor // the embedded store's free-space floor
	// PublicURL is kefu's public base URL: receipts in chat link to their
	// printable page under it. Empty: receipts carry no link.
	PublicURL string
	// Answers is the help center's knowledge base the chat answers
	// questions from; nil: none (questions off the flows get "I don't know").
	Answers dialog.Answers
}

// Retention is how long records are kept; zero keeps them forever.
type Retention struct {
	Transcripts time.Duration // after a conversation's last message
	Orders      time.Duration // after a work order's creation
}

// Open opens the store under cfg.DataDir, seeds demo members when asked and
// the store is empty, and assembles the runtime. Close releases it all.
func Open(cfg Config) (*Runtime, error) {
	ctx := context.Background() // start-up: nobody to cancel it but a failure
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Rules == (VerificationRules{}) {
		cfg.Rules = DefaultVerificationRules()
	}
	if cfg.MaxLen <= 0 {
		cfg.MaxLen = dialog.DefaultMaxLen
	}
	if cfg.Handoff.Grace <= 0 {
		cfg.Handoff.Grace = 2 * time.Minute
	}
	if cfg.Handoff.HandleTime <= 0 {
		cfg.Handoff.HandleTime = 3 * time.Minute
	}
	catalog, err := locales.New(cfg.Location)
	if err != nil {
		return nil, err
	}
	st := cfg.Store
	if st == nil {
		if st, err = store.OpenBadger(cfg.DataDir, cfg.Log); err != nil {
			return nil, err
		}
	}
	demo := NewDemoMembers(st.Ledger())
	members := cfg.Members
	if members == nil {
		members = demo
	}
	if cfg.Demo {
		seeded, err := demo.Seed(ctx, cfg.Now(), cfg.Location, cfg.DemoExtra)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("seed demo members: %w", err)
		}
		if seeded {
			cfg.Log.Info("seeded demo members", "extra", cfg.DemoExtra)
		}
	}
	verifyKey, err := secret(ctx, st.Ledger(), "verification")
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("verification secret: %w", err)
	}
	signKey, err := secret(ctx, st.Ledger(), "receipts")
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("receipt secret: %w", err)
	}
	if cfg.Reminders.Lead == 0 {
		cfg.Reminders.Lead = DefaultReminderLead
	}
	if cfg.Reminders.Every <= 0 {
		cfg.Reminders.Every = time.Minute
	}
	r := &Runtime{
		store:    st,
		state:    st.State(),
		ledger:   st.Ledger(),
		catalog:  catalog,
		log:      cfg.Log,
		now:      cfg.Now,
		loc:      cfg.Location,
		maxLen:   cfg.MaxLen,
		msgLimit: ratelimit.New(cfg.MsgRate, MsgBurst, cfg.Now),
		live:     map[string]*liveConv{},
		notes:    map[string][]Message{},
		stop:     make(chan struct{}),
		channels: NewChannelState(st.State()),
	}
	r.ho = &Handoffs{rt: r, cfg: cfg.Handoff, loc: cfg.Location, started: cfg.Now(),
		online: map[string]*presence{}, told: map[string]int{}}
	notifier := cfg.Notifier
	if notifier == nil {
		notifier = LogNotifier{Log: cfg.Log}
	}
	if cfg.Demo {
		notifier = demoNotifier{next: notifier, r: r}
	}
	r.metrics = newMetrics(r.liveCount, func() float64 { return float64(len(r.ho.queueSnapshot())) })
	r.orders = NewWorkOrderBook(st, members, notifier, cfg.Location)
	r.outbox = &Outbox{rt: r, pending: newDeliveries(st), orders: r.orders, members: members, notifier: notifier, reminders: cfg.Reminders}
	r.orders.Log, r.orders.SignKey = cfg.Log, signKey
	r.startHealth(cfg, members, cfg.Notifier)
	r.verification = NewVerification(st.State(), members, notifier, cfg.Rules, verifyKey, cfg.Location, cfg.Now)
	r.engine = &dialog.Engine{
		Members:  members,
		Verifier: countedVerifier{r.verification, r.metrics},
		Orders:   countedOrders{r.orders, r.metrics},
		MaxLen:   cfg.MaxLen,
		CodeTTL:  cfg.Rules.CodeTTL,
		Answers:  cfg.Answers,
		ReceiptLink: func(o dialog.WorkOrder) string {
			return receiptLink(cfg.PublicURL, o)
		},
	}
	r.cluster.join(st, map[string]func([]byte){convTopic: r.remoteChange, noteTopic: r.ho.remoteNote})
	if err := r.ho.load(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("load handoff queue: %w", err)
	}
	r.wg.Add(2)
	go r.janitor()
	go func() {
		defer r.wg.Done()
		r.outbox.run(r.stop)
	}()
	r.keepFor(cfg.Retention)
	return r, nil
}

// janitor expires agents' leases now and then.
func (r *Runtime) janitor() {
	ctx := context.Background() // runs until Close, which it watches itself
	defer r.wg.Done()
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.ho.sharePresence(ctx)
			r.ho.ExpireLeases(ctx)
			r.evictIdle()
		}
	}
}

// Close stops background work, releases the work-order sequences and closes
// the store.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() { close(r.stop) })
	r.wg.Wait()
	r.health.stop()
	r.cluster.leave()
	return errors.Join(r.orders.Close(), r.store.Close())
}

// Metrics are the runtime's Prometheus metrics; channels add theirs.
func (r *Runtime) Metrics() *Metrics { return r.metrics }

// Handoffs is the handoff queue and what agents do.
func (r *Runtime) Handoffs() *Handoffs { return r.ho }

// Outbox delivers receipts and renewal reminders.
func (r *Runtime) Outbox() *Outbox { return r.outbox }

// Health is the state of kefu's parts, for /healthz; channels add theirs.
func (r *Runtime) Health() *Health { return r.health }

// ChannelState is where channel adapters keep their cursors and handled
// events.
func (r *Runtime) ChannelState() *ChannelState { return r.channels }

// Healthy reports whether the store works.
func (r *Runtime) Healthy() error { return r.store.Healthy() }

// WorkOrders is the work-order book, for channels that show orders.
func (r *Runtime) WorkOrders() *WorkOrderBook { return r.orders }

// Members is the member system the runtime verifies and acts on, for
// surfaces that find members (an agent's search).
func (r *Runtime) Members() MemberStore { return r.orders.members }

// Catalog is the message catalogue, for channels that render their own
// words (a Telegram command list, say).
func (r *Runtime) Catalog() *locales.Catalog { return r.catalog }

// demoNotifier also shows codes and receipts in the member's conversation as
// system messages marked as a demo, so a newcomer can finish a flow without
// a phone.
type demoNotifier struct {
	next Notifier
	r    *Runtime
}

func (d demoNotifier) Notify(ctx context.Context, n Notice) error {
	err := d.next.Notify(ctx, n)
	if n.Conv == "" {
		return err
	}
	to := dialog.Masked(dialog.MaskAccount(n.To))
	switch n.Kind {
	case "code": // sent during the member's turn, which shows it
		text := d.r.render(n.Lang, "demo_code_"+string(n.Method), map[string]any{"Code": n.Code, "To": to})
		d.r.note(n.Conv, Message{From: FromSystem, Text: text})
	case "receipt": // sent after the turn that made the order
		text := d.r.render(n.Lang, "demo_receipt_"+string(n.Method), map[string]any{"Number": n.Order.Number, "To": to, "Agent": n.Order.Agent()})
		if _, cerr := d.r.change(ctx, n.Conv, func(e *edit) error {
			e.add(FromSystem, text, nil)
			return nil
		}); cerr != nil {
			d.r.log.Warn("demo receipt message", "conv", n.Conv, "err", cerr)
		}
	}
	return err
}

// countedVerifier counts verification outcomes.
type countedVerifier struct {
	dialog.Verifier
	m *Metrics
}

func (v countedVerifier) SendCode(ctx context.Context, req dialog.CodeRequest) (dialog.SendResult, error) {
	res, err := v.Verifier.SendCode(ctx, req)
	if err == nil {
		v.m.Verifications.WithLabelValues(string(res.Status)).Inc()
	}
	return res, err
}

func (v countedVerifier) CheckCode(ctx context.Context, account, code string) (dialog.CheckResult, error) {
	res, err := v.Verifier.CheckCode(ctx, account, code)
	if err == nil {
		v.m.Verifications.WithLabelValues(string(res.Status)).Inc()
	}
	return res, err
}

func (v countedVerifier) CheckAnswers(ctx context.Context, account string, amount int64, month int) (dialog.CheckResult, error) {
	res, err := v.Verifier.CheckAnswers(ctx, account, amount, month)
	if err == nil {
		v.m.Verifications.WithLabelValues(string(res.Status)).Inc()
	}
	return res, err
}

// countedOrders counts work orders issued by kind.
type countedOrders struct {
	*WorkOrderBook
	m *Metrics
}

func (o countedOrders) Execute(ctx context.Context, req dialog.OrderRequest) (dialog.WorkOrder, error) {
	w, err := o.WorkOrderBook.Execute(ctx, req)
	if err == nil && w.Key == req.Key && w.CreatedAt.Equal(req.At) {
		o.m.WorkOrders.WithLabelValues(string(w.Kind)).Inc()
	}
	return w, err
}
