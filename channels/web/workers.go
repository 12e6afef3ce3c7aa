package web

import (
	"sync"
	"time"
)

// A turn grows the stack it runs on to tens of KiB, and a goroutine parked
// on an idle socket for hours keeps what it grew. So turns do not run on a
// connection's own goroutines but on workers shared by all connections:
// their stacks are paid once, and an idle connection stays small.

// workerIdle is how long a worker waits for work before it ends.
const workerIdle = 30 * time.Second

type workers struct {
	jobs     chan func()
	quit     chan struct{} // closed: idle workers end
	quitOnce sync.Once
}

func newWorkers() *workers {
	return &workers{jobs: make(chan func()), quit: make(chan struct{})}
}

// run runs fn on an idle worker, or on a new one when none is idle, and
// waits for it.
func (w *workers) run(fn func()) {
	done := make(chan struct{})
	job := func() {
		defer close(done)
		fn()
	}
	select {
	case w.jobs <- job:
	default:
		go w.work(job)
	}
	<-done
}

func (w *workers) work(job func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		job()
		idle.Reset(workerIdle)
		select {
		case job = <-w.jobs:
		case <-idle.C:
			return
		case <-w.quit:
			return
		}
	}
}

// stop ends the idle workers; busy ones end when their job is done.
func (w *workers) stop() { w.quitOnce.Do(func() { close(w.quit) }) }
