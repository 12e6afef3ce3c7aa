package bot

import "sync"

// watchers are the functions told of each new T (Handoffs.Watch,
// Handoffs.WatchNotes). They are called outside the lock, so one may
// unwatch from within; none may block. The zero value is ready.
type watchers[T any] struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(T)
}

// add registers fn until remove is called.
func (w *watchers[T]) add(fn func(T)) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fns == nil {
		w.fns = map[int]func(T){}
	}
	k := w.next
	w.next++
	w.fns[k] = fn
	return func() {
		w.mu.Lock()
		delete(w.fns, k)
		w.mu.Unlock()
	}
}

// tell calls every function registered now with v.
func (w *watchers[T]) tell(v T) {
	w.mu.Lock()
	fns := make([]func(T), 0, len(w.fns))
	for _, fn := range w.fns {
		fns = append(fns, fn)
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn(v)
	}
}
