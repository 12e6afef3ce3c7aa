package web

import (
	"sync"
	"time"
)

// A hello (resolving the session, replaying the history, a first turn)
// grows the stack it runs on to tens of KiB. It runs on workers shared by
// all connections, so a connection that says hello and then idles keeps a
// small stack from the start; member messages run on the connection's
// reader (see conn.handle).

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
