package pgstore

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"

	"github.com/kefu-dev/kefu/store"
)

// busChannel is the one NOTIFY channel of the bus: a notification's
// payload is its topic, a newline and the payload in base64.
const busChannel = "kefu_bus"

// listener holds one connection LISTENing to the bus, reconnecting when it
// breaks, and hands payloads to the Listen functions of their topic.
type listener struct {
	s *Store

	ctx    context.Context // cancelled by close: the session ends
	cancel context.CancelFunc

	mu     sync.Mutex
	topics map[string]map[int]*store.Sequencer
	next   int
	ready  chan struct{} // closed once the first session listens
	once   sync.Once
}

func newListener(s *Store) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	return &listener{s: s, ctx: ctx, cancel: cancel, topics: map[string]map[int]*store.Sequencer{}, ready: make(chan struct{})}
}

// add registers fn for topic; it returns once the bus listens (or after a
// few seconds when the database does not answer: later payloads still come).
func (l *listener) add(topic string, fn func([]byte)) (stop func()) {
	l.mu.Lock()
	if l.topics[topic] == nil {
		l.topics[topic] = map[int]*store.Sequencer{}
	}
	n := l.next
	l.next++
	l.topics[topic][n] = store.NewSequencer(fn)
	l.mu.Unlock()
	select {
	case <-l.ready:
	case <-l.s.stop:
	case <-time.After(5 * time.Second):
	}
	return func() {
		l.mu.Lock()
		delete(l.topics[topic], n)
		l.mu.Unlock()
	}
}

func (l *listener) close() { l.cancel() }

func (l *listener) stopped() bool {
	select {
	case <-l.s.stop:
		return true
	default:
		return false
	}
}

// run keeps a listening session until the store closes, reconnecting
// after a break with backoff: 50 ms doubling to 5 s.
func (l *listener) run() {
	defer l.s.wg.Done()
	pause := &backoff.ExponentialBackOff{InitialInterval: 50 * time.Millisecond, Multiplier: 2, MaxInterval: 5 * time.Second}
	_, _ = backoff.Retry(l.ctx, func() (struct{}, error) {
		err := l.session()
		if l.stopped() {
			return struct{}{}, nil
		}
		return struct{}{}, err
	}, backoff.WithBackOff(pause), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, _ time.Duration) {
		l.s.opts.Log.Warn("store bus: reconnecting", "err", err)
	}))
}

// session listens on one connection until it breaks or the store closes.
func (l *listener) session() error {
	cfg, err := pgx.ParseConfig(l.s.url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = l.s.opts.AppName
	ctx := l.ctx
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+busChannel); err != nil {
		return err
	}
	l.once.Do(func() { close(l.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		topic, enc, ok := strings.Cut(n.Payload, "\n")
		payload, err := base64.StdEncoding.DecodeString(enc)
		if ok && err == nil {
			l.deliver(topic, payload)
		}
	}
}

func (l *listener) deliver(topic string, payload []byte) {
	l.mu.Lock()
	sinks := make([]*store.Sequencer, 0, len(l.topics[topic]))
	for _, s := range l.topics[topic] {
		sinks = append(sinks, s)
	}
	l.mu.Unlock()
	for _, s := range sinks {
		s.Push(payload)
	}
}
