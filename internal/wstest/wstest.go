// Package wstest holds the websocket pieces kefu's benchmarks share: the
// bare echo server they compare against, and a hand-made client that holds
// a connection open with nothing on its side but the socket.
package wstest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// EchoHandler is the baseline server: gorilla/websocket with the buffers
// kefu's web channel uses, one goroutine per connection reading a frame
// and writing it back, nothing else.
func EchoHandler() http.Handler {
	up := websocket.Upgrader{ReadBufferSize: 1 << 10, WriteBufferSize: 1 << 10, WriteBufferPool: &sync.Pool{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			typ, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if err := ws.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
}

// RawHello opens a websocket to addr's /ws by hand and says hello: no
// reader, no goroutine, no buffers on this side, only a socket.
func RawHello(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	br := bufio.NewReaderSize(c, 16)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, "101") {
		c.Close()
		return nil, fmt.Errorf("handshake: %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	hello, _ := json.Marshal(map[string]string{"type": "hello", "lang": "zh-CN"})
	f := append([]byte{0x81, 0x80 | byte(len(hello)), 0, 0, 0, 0}, hello...) // masked with a zero key
	if _, err := c.Write(f); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// AwaitFrames reads n unmasked server frames of under 64 KiB.
func AwaitFrames(c net.Conn, n int) error {
	br := bufio.NewReader(c)
	for range n {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return err
		}
		size := int(h[1] & 0x7f)
		if size == 126 {
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return err
			}
			size = int(ext[0])<<8 | int(ext[1])
		}
		if _, err := br.Discard(size); err != nil {
			return err
		}
	}
	return nil
}
