package store

import (
	"context"
	"sync"
)

// localBus delivers published payloads within the process, in order per
// listener, each listener on a goroutine of its own while it has work.
type localBus struct {
	mu     sync.Mutex
	topics map[string]map[int]*listener
	next   int
}

type listener struct {
	fn      func([]byte)
	mu      sync.Mutex
	queue   [][]byte
	running bool
}

func (b *localBus) listen(topic string, fn func([]byte)) (stop func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.topics[topic] == nil {
		b.topics[topic] = map[int]*listener{}
	}
	n := b.next
	b.next++
	b.topics[topic][n] = &listener{fn: fn}
	return func() {
		b.mu.Lock()
		delete(b.topics[topic], n)
		b.mu.Unlock()
	}
}

func (b *localBus) publish(topic string, payload []byte) {
	b.mu.Lock()
	ls := make([]*listener, 0, len(b.topics[topic]))
	for _, l := range b.topics[topic] {
		ls = append(ls, l)
	}
	b.mu.Unlock()
	p := append([]byte(nil), payload...)
	for _, l := range ls {
		l.mu.Lock()
		l.queue = append(l.queue, p)
		if !l.running {
			l.running = true
			go l.run()
		}
		l.mu.Unlock()
	}
}

func (l *listener) run() {
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		p := l.queue[0]
		l.queue = l.queue[1:]
		l.mu.Unlock()
		l.fn(p)
	}
}

// localLocks are named locks within the process.
type localLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when released
}

func (l *localLocks) lock(ctx context.Context, name string) (func(), error) {
	for {
		release, ok := l.tryLock(name)
		if ok {
			return release, nil
		}
		l.mu.Lock()
		ch := l.held[name]
		l.mu.Unlock()
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *localLocks) tryLock(name string) (func(), bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, busy := l.held[name]; busy {
		return nil, false
	}
	ch := make(chan struct{})
	l.held[name] = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.held, name)
			l.mu.Unlock()
			close(ch)
		})
	}, true
}
