package web

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/internal/kefutest"
)

// Connections beyond MaxConns are refused with 503 and a sentence, before
// the upgrade, whether the ones holding the places said hello or not; a
// place frees when its connection ends.
func TestConnectionCap(t *testing.T) {
	srv := newTestServer(t, func(c *Config) { c.MaxConns = 3 })
	a := dial(t, srv.wsURL(), nil)
	a.hello("", "en", "")
	b := dial(t, srv.wsURL(), nil)
	b.hello("", "en", "")
	dial(t, srv.wsURL(), nil) // silent: holds a place until its hello times out

	ws, resp, err := websocket.DefaultDialer.Dial(srv.wsURL(), nil)
	if err == nil {
		ws.Close()
		t.Fatal("a fourth connection was accepted with MaxConns 3")
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "full") {
		t.Fatalf("refused with HTTP %d, Retry-After %q, %q; want 503 saying the chat is full", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}

	a.close()
	kefutest.Eventually(t, 10*time.Second, "a place to free after a connection ended", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(srv.wsURL(), nil)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})
}

// A flood of short sessions leaves no goroutine behind.
func TestSessionFloodLeavesNoGoroutines(t *testing.T) {
	srv := newTestServer(t, nil)
	before := runtime.NumGoroutine()
	for range 200 {
		c := dial(t, srv.wsURL(), nil)
		c.hello("", "zh-CN", "")
		c.botReply()
		c.close()
	}
	// Workers idle out after workerIdle; connections end at once.
	kefutest.Eventually(t, 10*time.Second, fmt.Sprintf("no connection tracked and fewer than %d goroutines", before+20), func() bool {
		srv.ch.mu.Lock()
		open := len(srv.ch.conns)
		srv.ch.mu.Unlock()
		return open == 0 && runtime.NumGoroutine() < before+20
	})
}
