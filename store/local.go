package store

import (
	"context"
	"sync"
)

// localBus delivers published payloads within the process, in order per
// listener.
type localBus struct {
	mu     sync.Mutex
	topics map[string]map[int]*Sequencer
	next   int
}

func (b *localBus) listen(topic string, fn func([]byte)) (stop func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.topics[topic] == nil {
		b.topics[topic] = map[int]*Sequencer{}
	}
	n := b.next
	b.next++
	b.topics[topic][n] = NewSequencer(fn)
	return func() {
		b.mu.Lock()
		delete(b.topics[topic], n)
		b.mu.Unlock()
	}
}

func (b *localBus) publish(topic string, payload []byte) {
	b.mu.Lock()
	ls := make([]*Sequencer, 0, len(b.topics[topic]))
	for _, l := range b.topics[topic] {
		ls = append(ls, l)
	}
	b.mu.Unlock()
	p := append([]byte(nil), payload...)
	for _, l := range ls {
		l.Push(p)
	}
}

// Sequencer hands payloads to a function one at a time, in the order they
// were pushed, on a goroutine of its own while it has work: a bus
// listener that is slow delays only itself.
type Sequencer struct {
	fn      func([]byte)
	mu      sync.Mutex
	queue   [][]byte
	running bool
}

// NewSequencer returns a Sequencer calling fn.
func NewSequencer(fn func([]byte)) *Sequencer { return &Sequencer{fn: fn} }

// Push queues p for the function.
func (s *Sequencer) Push(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, p)
	if !s.running {
		s.running = true
		go s.run()
	}
}

func (s *Sequencer) run() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		p := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.fn(p)
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
