package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// conn is one websocket connection. Its reader goroutine lives as long as
// the connection and writes too until the history is sent; from then on a
// writer goroutine, started when frames are queued and gone when the queue
// is empty, is the only one that writes frames (gorilla allows one writer
// at a time). An idle member costs one goroutine; the channel's pinger
// sends every connection's pings. Turns run on the channel's workers.
type conn struct {
	ch  *Channel
	ws  *websocket.Conn
	net *batchConn // under ws
	ip  string
	out chan outFrame // to the writer; never closed
	// drained is signalled by the writer after each write, for a reader
	// waiting for the queue to shrink.
	drained chan struct{}

	wmu     sync.Mutex
	ready   bool // the history is sent: writers may start
	writing bool // a writer runs
	ended   bool // the last writer has finished: written is closed

	mu        sync.Mutex // guards greeted
	greeted   bool       // hello came: stop leaves the socket to the writer
	stopOnce  sync.Once
	done      chan struct{} // closed by stop or kill: the writer ends
	final     []byte        // written by the writer after done, then a close frame…
	closeCode int           // …with this code; set before done is closed
	written   chan struct{} // closed when the last writer has ended

	// Set by hello, before the writer starts.
	conv     string
	hint     dialog.Lang
	replayed uint64 // the last message ID sent with the history
}

// outFrame is a frame for the writer. Message frames carry their ID so the
// writer can drop those the history already had.
type outFrame struct {
	id   uint64
	data []byte
}

func newConn(ch *Channel, ws *websocket.Conn, nc *batchConn, ip string) *conn {
	return &conn{
		ch: ch, ws: ws, net: nc, ip: ip,
		out:     make(chan outFrame, sendQueue),
		drained: make(chan struct{}, 1),
		done:    make(chan struct{}),
		written: make(chan struct{}),
	}
}

// serve runs the connection: hello, history, then member messages until
// the connection ends.
func (c *conn) serve() {
	defer c.ws.Close()
	c.ws.SetReadLimit(hardReadLimit)
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(c.ch.readWait))
	})
	ctx := context.Background() // turns finish even when the member leaves mid-turn
	if c.ch.bySource {
		ctx = bot.WithSource(ctx, "ip:"+c.ip)
	}

	hello, ok := c.awaitHello()
	if !ok {
		return
	}
	var unsubscribe func()
	var err error
	c.ch.workers.run(func() { unsubscribe, err = c.greet(ctx, hello) })
	if err != nil {
		if !isClosed(err) {
			c.ch.log.Error("websocket hello", "conv", c.conv, "err", err)
			c.ch.metrics.Errors.WithLabelValues(ChannelName).Inc()
			_ = c.writeNow(errorFrames[CodeUnavailable])
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "unavailable"), time.Now().Add(time.Second))
		}
		return
	}
	defer unsubscribe()
	c.wmu.Lock()
	c.ready = true
	c.wmu.Unlock()
	c.kick() // live messages that came during the history
	defer func() {
		c.kill()
		<-c.written
	}()
	for {
		if !c.backpressure() {
			return
		}
		data, code, err := c.read()
		if err != nil {
			if !isClosed(err) && !errors.Is(err, websocket.ErrReadLimit) {
				c.ch.log.Debug("websocket read", "conv", c.conv, "err", err)
			}
			return
		}
		if code == "" {
			code = c.handle(ctx, data)
		}
		if code != "" {
			c.refuse(code)
		}
	}
}

// awaitHello reads frames until the hello, answering anything else with an
// error frame; false when the connection ends first or hello takes too long.
func (c *conn) awaitHello() (hello clientFrame, ok bool) {
	deadline := time.Now().Add(c.ch.helloWait)
	for {
		if err := c.ws.SetReadDeadline(deadline); err != nil {
			return hello, false
		}
		data, code, err := c.read()
		if err != nil {
			return hello, false
		}
		if code == "" {
			if err := json.Unmarshal(data, &hello); err != nil || hello.Type == "" {
				code = CodeBadFrame
			} else if hello.Type == typeText || hello.Type == typeButton {
				code = CodeHelloRequired
			} else if hello.Type != typeHello {
				code = CodeUnknownType
			}
		}
		if code == "" {
			break
		}
		if err := c.writeNow(errorFrames[code]); err != nil {
			return hello, false
		}
	}
	c.mu.Lock()
	c.greeted = true
	c.mu.Unlock()
	return hello, c.ws.SetReadDeadline(time.Now().Add(c.ch.readWait)) == nil
}

// greet resumes or starts the conversation of a hello: welcome, the
// history, and a subscription for what follows. Until the writer starts,
// it is the only writer.
func (c *conn) greet(ctx context.Context, hello clientFrame) (unsubscribe func(), err error) {
	rt := c.ch.rt
	c.hint, _ = dialog.ParseLang(hello.Lang)
	token, created, err := c.resolve(ctx, hello.Session)
	if err != nil {
		return nil, err
	}
	unsubscribe, err = rt.Subscribe(c.conv, c.deliver)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unsubscribe()
		}
	}()
	// Subscribed before the history is read, so nothing falls between the
	// two; the writer drops live messages the history already had.
	start := startIntent(hello.Start)
	switch {
	case created:
		err = rt.Start(ctx, c.conv, c.hint, start)
	case start != "":
		// As if the member pressed the menu's button for it.
		err = rt.Handle(ctx, c.conv, dialog.InputButton, dialog.IntentValue(dialog.Intent(start)), c.hint)
	}
	var refused *bot.Refusal
	limited := errors.Is(err, bot.ErrRateLimited)
	if errors.As(err, &refused) || limited {
		err = nil // the conversation is there; the member is told after its history
	}
	if err != nil {
		return nil, err
	}
	history, err := rt.History(ctx, c.conv)
	if err != nil {
		return nil, err
	}
	conv, err := rt.Conversation(ctx, c.conv)
	if err != nil {
		return nil, err
	}
	c.net.holdWrites() // welcome and history in as few writes as they fit
	err = c.writeNow(mustMarshal(welcomeFrame{Type: typeWelcome, Session: token, Lang: string(conv.Lang())}))
	for _, m := range history {
		if err != nil {
			break
		}
		err = c.writeNow(encodeMessage(m))
		c.replayed = max(c.replayed, messageID(m))
	}
	if err == nil && refused != nil {
		err = c.writeNow(tryLaterFrame(refused.Text))
	}
	if err == nil && limited {
		err = c.writeNow(errorFrames[CodeRateLimited])
	}
	if ferr := c.net.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	return unsubscribe, nil
}

// resolve finds the conversation of a session token, or issues a new token
// (empty, malformed or unknown ones) with a new conversation.
func (c *conn) resolve(ctx context.Context, token string) (string, bool, error) {
	if wellFormedToken(token) {
		id, found, err := c.ch.rt.Lookup(ctx, ChannelName, sessionUser(token))
		if err != nil {
			return "", false, err
		}
		if found {
			c.conv = id
			return token, false, nil
		}
		// A token this store never issued (another server's, or a wiped
		// data directory): the member gets a fresh one.
	}
	token = newToken()
	id, _, err := c.ch.rt.Resolve(ctx, ChannelName, sessionUser(token))
	c.conv = id
	return token, true, err
}

// handle runs one frame after hello; it returns an error code when the
// frame is refused.
func (c *conn) handle(ctx context.Context, data []byte) string {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
		return CodeBadFrame
	}
	var kind dialog.InputKind
	var text string
	switch f.Type {
	case typeText:
		kind, text = dialog.InputText, f.Text
	case typeButton:
		if f.Value == "" {
			return CodeBadFrame
		}
		kind, text = dialog.InputButton, f.Value
	case typeHello:
		return CodeBadFrame // one hello per connection
	default:
		return CodeUnknownType
	}
	if !c.ch.ipLimit.Allow(c.ip) {
		return CodeRateLimited
	}
	// The turn runs on the reader: a hand-off to a worker and back costs a
	// noticeable share of a round trip's CPU (bench/README.md). The stack
	// it grows is shrunk back by the garbage collector while the
	// connection idles.
	err := c.ch.rt.Handle(ctx, c.conv, kind, text, c.hint)
	var refused *bot.Refusal
	switch {
	case errors.As(err, &refused):
		c.enqueue(outFrame{data: tryLaterFrame(refused.Text)})
		return ""
	case errors.Is(err, bot.ErrRateLimited):
		// A message its conversation's rate refused does not count
		// against the address: one flooding tab does not silence the
		// member's others.
		c.ch.ipLimit.Refund(c.ip)
		return CodeRateLimited
	case errors.Is(err, bot.ErrTooLong):
		return "" // the bot's reply in the conversation asked for a shorter one
	}
	if err != nil {
		c.ch.log.Error("turn", "conv", c.conv, "err", err)
		c.ch.metrics.Errors.WithLabelValues(ChannelName).Inc()
		return CodeUnavailable
	}
	return ""
}

// read returns the next frame's bytes, or an error code for a frame that
// cannot be one of ours; err means the connection is gone.
func (c *conn) read() (data []byte, code string, err error) {
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return nil, "", err
	}
	if err := c.ws.SetReadDeadline(time.Now().Add(c.ch.readWait)); err != nil {
		return nil, "", err
	}
	data, err = io.ReadAll(io.LimitReader(r, MaxFrameBytes+1))
	if err != nil {
		return nil, "", err
	}
	switch {
	case len(data) > MaxFrameBytes:
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, "", err
		}
		return nil, CodeTooLong, nil
	case typ != websocket.TextMessage || !utf8.Valid(data):
		return nil, CodeBadFrame, nil
	}
	return data, "", nil
}

// backpressure waits until the connection's queue is at most half full
// before the next frame is read, so a member sending faster than they read
// is slowed down instead of dropped (a turn queues a few frames at most);
// false when the connection ends meanwhile.
func (c *conn) backpressure() bool {
	for len(c.out) > sendQueue/2 {
		select {
		case <-c.drained:
		case <-c.done:
			return false
		}
	}
	return true
}

// refuse answers a frame with an error frame.
func (c *conn) refuse(code string) {
	c.enqueue(outFrame{data: errorFrames[code]})
}

// deliver is the runtime subscription: it must not block, so a connection
// whose queue is full (the member's own frames are held back at half full:
// only a socket that stopped taking writes gets here) is dropped; the
// widget reconnects and catches up from the history.
func (c *conn) deliver(m bot.Message) {
	c.enqueue(outFrame{id: messageID(m), data: encodeMessage(m)})
}

func (c *conn) enqueue(f outFrame) {
	select {
	case c.out <- f:
		c.kick()
	default:
		c.ch.log.Warn("websocket client too slow, dropped", "conv", c.conv)
		c.kill()
	}
}

// kick starts a writer when there is none and the history is sent.
func (c *conn) kick() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ready && !c.writing && !c.ended {
		c.writing = true
		go c.writeLoop()
	}
}

// writeLoop writes queued frames until the queue is empty, then ends; after
// stop it writes the final frames and closes written.
func (c *conn) writeLoop() {
	for {
		select {
		case <-c.done:
			c.finish()
			return
		default:
		}
		select {
		case f := <-c.out:
			if err := c.writeQueued(f); err != nil {
				c.kill()
			}
			select {
			case c.drained <- struct{}{}:
			default:
			}
			continue
		default:
		}
		c.wmu.Lock()
		if len(c.out) == 0 && !c.stopped() { // enqueue's kick starts the next writer
			c.writing = false
			c.wmu.Unlock()
			return
		}
		c.wmu.Unlock()
	}
}

func (c *conn) stopped() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// finish writes the final frame and the close frame of stop, as the last
// writer.
func (c *conn) finish() {
	c.wmu.Lock()
	c.ended = true
	c.wmu.Unlock()
	defer close(c.written)
	if c.final != nil {
		_ = c.writeNow(c.final)
	}
	if c.closeCode != 0 {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, ""), time.Now().Add(writeWait))
		// The member's client answers the close frame and the reader
		// ends; one that does not is cut off.
		time.AfterFunc(closeGrace, func() { c.ws.NetConn().Close() })
	}
}

// ping sends a ping from the channel's pinger, once the history is sent;
// gorilla lets control frames be written alongside the writer.
func (c *conn) ping() {
	c.wmu.Lock()
	ready := c.ready && !c.ended
	c.wmu.Unlock()
	if ready && c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
		c.kill()
	}
}

// writeQueued writes f and the frames queued behind it in one write.
func (c *conn) writeQueued(f outFrame) error {
	c.net.holdWrites()
	err := c.writeFrame(f)
	for more := len(c.out); err == nil && more > 0; more-- {
		err = c.writeFrame(<-c.out)
	}
	if ferr := c.net.flush(); err == nil {
		err = ferr
	}
	return err
}

// writeFrame writes f unless the history had it already.
func (c *conn) writeFrame(f outFrame) error {
	if f.id != 0 && f.id <= c.replayed {
		return nil
	}
	return c.writeNow(f.data)
}

func (c *conn) writeNow(b []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// stop ends the connection gracefully: the writer sends final (if any) and
// a close frame with code (if not 0). A connection still waiting for hello
// has no conversation to keep: it is cut off.
func (c *conn) stop(final []byte, code int) {
	c.stopOnce.Do(func() {
		c.final, c.closeCode = final, code
		close(c.done)
	})
	c.kick() // the writer writes the final frames
	c.mu.Lock()
	greeted := c.greeted
	c.mu.Unlock()
	if !greeted {
		c.ws.NetConn().Close()
	}
}

// kill ends the connection at once.
func (c *conn) kill() {
	c.stop(nil, 0)
	c.ws.NetConn().Close()
}

func messageID(m bot.Message) uint64 {
	id, _ := strconv.ParseUint(m.ID, 10, 64)
	return id
}

// startIntent accepts a hello's start value: an intent to open straight
// away, as the help page's cancel entry asks.
func startIntent(s string) string {
	if slices.Contains(dialog.Intents, dialog.Intent(s)) {
		return s
	}
	return ""
}

// Session tokens: 24 random bytes, base64url.
const tokenBytes = 24

func newToken() string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedToken accepts what newToken makes (and longer tokens of at
// least 128 bits from older versions).
func wellFormedToken(t string) bool {
	if len(t) < 22 || len(t) > 86 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

// sessionUser is the runtime's key for a session: a hash, so the store never
// holds a token that would open the conversation.
func sessionUser(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
