package bot

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/store"
)

// Part states, as /healthz names them (DESIGN §5). A degraded part never
// stops members from being served: kefu works around it and recovers by
// itself.
const (
	PartOK       = "ok"
	PartDegraded = "degraded"
	PartOff      = "off"
)

// Parts the runtime reports on itself; channels add theirs (Health.Set).
const (
	PartStore    = "store"
	PartMembers  = "members_api"
	PartNotifier = "notifier"
)

// PartHealth is one part's state; Reason says why it is degraded in a few
// words, without secrets or personal data.
type PartHealth struct {
	State  string
	Reason string
}

// OK is the health of a part that works.
var OK = PartHealth{State: PartOK}

// Degraded is the health of a part that does not work now, and why.
func Degraded(reason string) PartHealth { return PartHealth{State: PartDegraded, Reason: reason} }

// HealthReporter is a part that can tell its own state: an optional
// ability of a MemberStore, a Notifier or a channel adapter. Health must be
// cheap and safe for concurrent use.
type HealthReporter interface {
	Health() PartHealth
}

// HealthFunc adapts a function to a HealthReporter.
type HealthFunc func() PartHealth

// Health calls f.
func (f HealthFunc) Health() PartHealth { return f() }

// ErrStoreFull means the data directory is below its free-space floor
// (DiskFloor): Start and Handle refuse new turns and WorkOrderBook.Execute
// new orders until space returns.
var ErrStoreFull = errors.New("data directory below its free-space floor")

// Refusal is the error of a turn the runtime declined without running it:
// nothing was stored and no port was called. Text tells the member, in
// their conversation's language, to try again shortly; channels show it
// as the bot's answer. It wraps the reason (ErrStoreFull).
type Refusal struct {
	Reason error
	Text   string
}

func (e *Refusal) Error() string { return "turn refused: " + e.Reason.Error() }

func (e *Refusal) Unwrap() error { return e.Reason }

// DiskFloor is the embedded store's free-space floor.
type DiskFloor struct {
	// Min is the free space in the data directory below which new turns
	// and work orders are refused; 0: not watched (a PostgreSQL store is
	// never watched: it has no local disk).
	Min uint64
	// Every and Statfs are store.DiskWatchConfig's, for tests.
	Every  time.Duration
	Statfs func(dir string) (free uint64, err error)
}

// Health is the state of kefu's parts, as /healthz and the
// kefu_part_degraded gauge show it: the runtime's own (the store with its
// disk floor, the member system, the notifier) and those channels add
// (Set). Reach it with Runtime.Health. Safe for concurrent use.
type Health struct {
	st    store.Store
	mu    sync.Mutex
	parts map[string]HealthReporter
	disk  *store.DiskWatch // nil: not watched
}

// startHealth registers the runtime's own parts and their gauge, and
// starts watching the data directory's free space when asked.
func (r *Runtime) startHealth(cfg Config, members MemberStore, notifier Notifier) {
	h := &Health{st: r.store}
	r.health = h
	h.parts = map[string]HealthReporter{
		PartStore:    HealthFunc(h.storeHealth),
		PartMembers:  reporterOf(members),
		PartNotifier: reporterOf(notifier),
	}
	r.metrics.Registry.MustRegister(partsCollector{h})
	if cfg.Store != nil || cfg.Disk.Min == 0 {
		return
	}
	floor := cfg.Disk.Min
	h.disk = store.WatchDisk(store.DiskWatchConfig{
		Dir: cfg.DataDir, Floor: floor, Every: cfg.Disk.Every, Statfs: cfg.Disk.Statfs,
		Change: func(low bool, free uint64, err error) {
			switch {
			case err != nil:
				r.log.Warn("cannot read the data directory's free space", "err", err)
			case low:
				r.log.Error("data directory nearly full: refusing new turns and work orders until space returns",
					"free_bytes", free, "floor_bytes", floor)
			default:
				r.log.Info("data directory has room again: taking new turns and work orders", "free_bytes", free)
			}
		},
	})
	r.orders.Full = h.disk.Low
	r.metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kefu_data_free_bytes", Help: "Free space in the embedded store's data directory."},
		func() float64 { return float64(h.disk.Free()) }))
}

// stop stops the disk watch.
func (h *Health) stop() {
	if h.disk != nil {
		h.disk.Stop()
	}
}

// diskLow reports whether the data directory is below its floor.
func (h *Health) diskLow() bool { return h.disk != nil && h.disk.Low() }

func reporterOf(part any) HealthReporter {
	if h, ok := part.(HealthReporter); ok {
		return h
	}
	return HealthFunc(func() PartHealth { return OK }) // embedded: the demo members, the log notifier
}

// storeHealth is the disk floor's side of the store's health; Parts adds
// whether the store answers.
func (h *Health) storeHealth() PartHealth {
	if h.diskLow() {
		return Degraded("data directory below its free-space floor: new turns and work orders refused")
	}
	return OK
}

// Set makes rep report the named part's health (replacing any before),
// for Parts and the kefu_part_degraded gauge.
func (h *Health) Set(name string, rep HealthReporter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.parts[name] = rep
}

// Parts is every part's state; err is not nil when the store cannot
// serve at all.
func (h *Health) Parts() (parts map[string]PartHealth, err error) {
	h.mu.Lock()
	reporters := maps.Clone(h.parts)
	h.mu.Unlock()
	parts = make(map[string]PartHealth, len(reporters))
	for name, rep := range reporters {
		parts[name] = rep.Health()
	}
	if err = h.st.Healthy(); err != nil {
		parts[PartStore] = Degraded("the store does not answer")
	}
	return parts, err
}

// admit refuses a turn while the data directory is below its floor.
func (r *Runtime) admit(ctx context.Context, id string, hint dialog.Lang) error {
	if !r.health.diskLow() {
		return nil
	}
	r.metrics.Errors.WithLabelValues("store_full").Inc()
	lang := hint
	if c, err := r.Conversation(ctx, id); err == nil && c.State.Lang != "" {
		lang = c.State.Lang
	}
	if lang == "" {
		lang = dialog.ZH
	}
	return &Refusal{Reason: ErrStoreFull, Text: r.render(lang, "store_full", nil)}
}

// partsCollector is the kefu_part_degraded gauge: 1 for each part that is
// degraded, 0 for the others.
type partsCollector struct{ h *Health }

var partDegradedDesc = prometheus.NewDesc("kefu_part_degraded",
	"1 while a part (store, telegram, members_api, notifier) is degraded, else 0.", []string{"part"}, nil)

func (c partsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- partDegradedDesc }

func (c partsCollector) Collect(ch chan<- prometheus.Metric) {
	parts, _ := c.h.Parts()
	for name, h := range parts {
		v := 0.0
		if h.State == PartDegraded {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(partDegradedDesc, prometheus.GaugeValue, v, name)
	}
}
