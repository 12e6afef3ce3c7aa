package store

import "sync"

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
