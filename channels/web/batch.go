package web

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// A turn publishes several messages at once (the member's echo, the bot's
// replies, a demo notice), and a reconnect replays the whole history.
// batchConn lets them go out in one system call instead of one each.

// batchConn is a hijacked connection whose writes can be held and flushed.
// It is safe for concurrent use, as gorilla's control frames (pongs) may be
// written from the reader while the writer holds.
type batchConn struct {
	net.Conn
	mu   sync.Mutex
	hold bool
	buf  *[]byte // while holding, from batchBuffers
}

var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hold {
		*b.buf = append(*b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// holdWrites collects writes until flush.
func (b *batchConn) holdWrites() {
	b.mu.Lock()
	b.hold = true
	b.buf = batchBuffers.Get().(*[]byte)
	b.mu.Unlock()
}

// flush writes what was held and stops holding.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.hold {
		return nil
	}
	b.hold = false
	_, err := b.Conn.Write(*b.buf)
	if cap(*b.buf) <= 64<<10 {
		*b.buf = (*b.buf)[:0]
		batchBuffers.Put(b.buf)
	}
	b.buf = nil
	return err
}

// batchWriter makes the upgrader's hijack return a batchConn.
type batchWriter struct {
	http.ResponseWriter
	conn *batchConn
}

func (w *batchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: c}
	return w.conn, brw, nil
}
