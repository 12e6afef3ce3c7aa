package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

// The event stream, GET /agent/api/events, is a console's live view
// (Server-Sent Events). While it is open its agent counts as online
// (bot.Handoffs.AgentOnline). It sends, in order:
//
//	event: ready         {"agent":"alice","stream":"<id>"}  once, first
//	event: conversation  a Summary, whenever a conversation's handoff
//	                     state changes or it gets a message while waiting
//	                     or held
//	event: message       {"conversation":"<id>","message":{…}} for every
//	                     new message of the conversations the console has
//	                     open (PUT /agent/api/events/<stream>)
//	event: note          {"conversation":"<id>","note":{…}} for each new
//	                     internal note on one of those
//	: keep-alive         a comment when idle
//
// A console that falls behind (streamBuffer events unsent) is dropped; it
// reconnects and reloads what it shows, as after any reconnect.

const (
	streamBuffer = 256              // events queued for a slow console before its stream is dropped
	maxOpen      = 20               // conversations one stream may follow
	writeWait    = 10 * time.Second // a write that takes longer drops the stream
	retryMillis  = 2000             // the reconnection delay EventSource is told
)

// streams are the open event streams.
type streams struct {
	mu      sync.Mutex
	byID    map[string]*stream
	closing bool
	quit    chan struct{} // closed by Shutdown
	running sync.WaitGroup
	servers map[*http.Server]bool // told to call Shutdown when they shut down
	changed chan struct{}         // closed and replaced whenever a stream starts or ends
}

func newStreams() streams {
	return streams{byID: map[string]*stream{}, quit: make(chan struct{}), servers: map[*http.Server]bool{}, changed: make(chan struct{})}
}

// changedLocked wakes whoever waits for the set of streams to change.
func (ss *streams) changedLocked() {
	close(ss.changed)
	ss.changed = make(chan struct{})
}

// stream is one console's event stream.
type stream struct {
	id, agent string
	events    chan event
	full      chan struct{} // closed when events overflowed
	fullOnce  sync.Once

	mu     sync.Mutex
	open   map[string]func() // conversation → unsubscribe
	closed bool
}

// event is a conversation that changed (msg and note nil), or a message
// or an agent's note of one.
type event struct {
	conv bot.Conversation
	id   string
	msg  *bot.Message
	note *bot.Note
}

// push queues e without ever blocking the runtime.
func (s *stream) push(e event) {
	select {
	case s.events <- e:
	default:
		s.fullOnce.Do(func() { close(s.full) })
	}
}

// follow makes the stream carry the messages of exactly the conversations
// ids.
func (s *stream) follow(rt Runtime, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStreamGone
	}
	next := map[string]func(){}
	for _, id := range ids {
		if unsub, ok := s.open[id]; ok {
			next[id] = unsub
			continue
		}
		unsub, err := rt.Subscribe(id, func(m bot.Message) { s.push(event{id: id, msg: &m}) })
		if err != nil {
			for id, unsub := range next {
				if _, kept := s.open[id]; !kept {
					unsub()
				}
			}
			return fmt.Errorf("conversation %q: %w", id, err)
		}
		next[id] = unsub
	}
	for id, unsub := range s.open {
		if _, kept := next[id]; !kept {
			unsub()
		}
	}
	s.open = next
	return nil
}

// follows tells whether the stream carries conversation id's messages.
func (s *stream) follows(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.open[id]
	return ok
}

// stop ends the stream's subscriptions.
func (s *stream) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, unsub := range s.open {
		unsub()
	}
	s.open = nil
}

var errStreamGone = errors.New("the event stream has ended")

// track registers s; false once the console is shutting down. The first
// stream served by an http.Server makes the server end all streams when it
// shuts down: Shutdown waits for open requests, and a stream never ends by
// itself.
func (c *Console) track(s *stream, r *http.Request) bool {
	c.streams.mu.Lock()
	defer c.streams.mu.Unlock()
	if c.streams.closing {
		return false
	}
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && !c.streams.servers[srv] {
		c.streams.servers[srv] = true
		srv.RegisterOnShutdown(func() { _ = c.Shutdown(context.Background()) })
	}
	c.streams.byID[s.id] = s
	c.streams.running.Add(1)
	c.streams.changedLocked()
	return true
}

func (c *Console) untrack(s *stream) {
	s.stop()
	c.streams.mu.Lock()
	delete(c.streams.byID, s.id)
	c.streams.changedLocked()
	c.streams.mu.Unlock()
	c.streams.running.Done()
}

// Shutdown ends every event stream (consoles reconnect, to this server
// when it comes back), refuses new ones, and waits until their handlers
// have returned or ctx ends. The http.Server that serves the streams calls
// it when it shuts down.
func (c *Console) Shutdown(ctx context.Context) error {
	c.streams.mu.Lock()
	if !c.streams.closing {
		c.streams.closing = true
		close(c.streams.quit)
	}
	c.streams.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.streams.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newStreamID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serveEvents serves GET /agent/api/events.
func (c *Console) serveEvents(w http.ResponseWriter, r *http.Request, agent string) {
	s := &stream{id: newStreamID(), agent: agent, events: make(chan event, streamBuffer), full: make(chan struct{}), open: map[string]func(){}}
	if !c.track(s, r) {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the server is shutting down: reconnect in a moment")
		return
	}
	defer c.untrack(s)
	offline := c.ho.AgentOnline(agent)
	defer offline()
	unwatch := c.ho.Watch(func(conv bot.Conversation) { s.push(event{conv: conv}) })
	defer unwatch()
	unwatchNotes := c.ho.WatchNotes(func(conv string, n bot.Note) {
		if s.follows(conv) {
			s.push(event{id: conv, note: &n})
		}
	})
	defer unwatchNotes()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events through at once
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "retry: %d\n\n", retryMillis)
	writeEvent(&buf, "ready", map[string]string{"agent": agent, "stream": s.id})
	send := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeWait))
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err == nil && rc.Flush() == nil
	}
	if !send() {
		return
	}
	keepAlive := time.NewTicker(c.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.streams.quit:
			return
		case <-s.full:
			c.log.Warn("event stream dropped: the console is too slow", "agent", agent)
			return
		case <-keepAlive.C:
			buf.WriteString(": keep-alive\n\n")
		case e := <-s.events:
			c.writeEvent(&buf, e)
			for more := true; more && buf.Len() < 32<<10; { // what is queued goes in one write
				select {
				case e := <-s.events:
					c.writeEvent(&buf, e)
				default:
					more = false
				}
			}
		}
		if !send() {
			return
		}
	}
}

func (c *Console) writeEvent(buf *bytes.Buffer, e event) {
	if e.note != nil {
		writeEvent(buf, "note", struct {
			Conversation string   `json:"conversation"`
			Note         bot.Note `json:"note"`
		}{e.id, *e.note})
		return
	}
	if e.msg != nil {
		writeEvent(buf, "message", struct {
			Conversation string  `json:"conversation"`
			Message      Message `json:"message"`
		}{e.id, messageOf(*e.msg)})
		return
	}
	writeEvent(buf, "conversation", c.summary(e.conv))
}

// writeEvent appends one event; JSON has no raw newlines, so data is one
// line.
func writeEvent(buf *bytes.Buffer, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed, marshalable types reach here
	}
	buf.WriteString("event: ")
	buf.WriteString(name)
	buf.WriteString("\ndata: ")
	buf.Write(b)
	buf.WriteString("\n\n")
}

// openConversations serves PUT /agent/api/events/{stream} {"open":["<id>",…]}:
// the stream carries the new messages of exactly these conversations from
// now on (the console's open ones). Load a conversation's transcript after
// opening it, so no message falls in between; messages in both carry the
// same id.
func (c *Console) openConversations(w http.ResponseWriter, r *http.Request, agent string) {
	c.streams.mu.Lock()
	s := c.streams.byID[r.PathValue("stream")]
	c.streams.mu.Unlock()
	if s == nil || s.agent != agent {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such event stream: it has ended, so reconnect to /agent/api/events")
		return
	}
	var body struct {
		Open []string `json:"open"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadJSON, `want {"open":["<conversation id>",…]}`)
		return
	}
	slices.Sort(body.Open)
	body.Open = slices.Compact(body.Open)
	if len(body.Open) > maxOpen {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("a console may follow at most %d conversations at once", maxOpen))
		return
	}
	switch err := s.follow(c.rt, body.Open); {
	case errors.Is(err, bot.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	case errors.Is(err, errStreamGone):
		writeError(w, http.StatusNotFound, CodeNotFound, "no such event stream: it has ended, so reconnect to /agent/api/events")
		return
	case err != nil:
		c.internal(w, "follow conversations", agent, err)
		return
	}
	if body.Open == nil {
		body.Open = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"open": body.Open})
}
