// Package web is kefu's web chat channel: the websocket chat of DESIGN §5,
// the embeddable widget (/widget.js) and the help-center demo page (/) that
// embeds it.
//
// A member's browser keeps a session token (192 random bits, issued by the
// server, kept in localStorage by the widget); the runtime knows the member
// only by a SHA-256 of it, so the store never holds a usable token. Every
// connection of one session (two tabs, a reconnect) sees the same
// conversation: its history first, then every new message live.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/internal/clientip"
	"github.com/kefu-dev/kefu/internal/ratelimit"
	"github.com/kefu-dev/kefu/kb"
)

// ChannelName is the runtime's name for this channel.
const ChannelName = "web"

// Limits (DESIGN §2 and §5).
const (
	MaxFrameBytes = 8 << 10 // larger frames get error frame too_long

	// DefaultMaxConns is Config.MaxConns's default: what the idle
	// connections cost in memory (BenchmarkIdleConnection) stays well
	// inside a small server's.
	DefaultMaxConns = 10000

	hardReadLimit = 64 << 10 // beyond this gorilla closes the connection
	ipBurstFactor = 4        // the per-address burst is this many conversations' bursts
	connBurst     = 20       // connections a client address may open at once
	sendQueue     = 16       // frames queued for a connection before it counts as too slow
	writeWait     = 10 * time.Second
	closeGrace    = time.Second // how long a closing client has to answer the close frame
)

// Config configures a Channel.
type Config struct {
	Runtime Runtime
	Log     *slog.Logger // nil: slog.Default()
	Demo    bool         // the help page tells visitors how to try the demo
	// KB is the help center's articles: the help page's topics and FAQ,
	// /help/{id} and /api/kb/search. nil: none.
	KB *kb.Library

	// AllowedOrigins are the origins ("https://shop.example.com") besides
	// the server's own whose pages may open the websocket. Requests without
	// an Origin header (not from a browser) are allowed.
	AllowedOrigins []string

	// IPRate is member messages a second per client address, with a burst
	// of 4×bot.MsgBurst; 0 means no limit. The per-conversation rate is the
	// runtime's (bot.Config.MsgRate), the same on every channel. When it is not 0 the runtime's
	// verification limits count per client address too (bot.WithSource).
	IPRate float64
	// ConnRate is new websocket connections a second per client address,
	// with a burst of 20; 0 means no limit.
	ConnRate float64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client address the limits count by; nil: the peer's address.
	TrustedProxies []netip.Prefix
	// MaxConns bounds the open websocket connections; beyond it a new one
	// is refused with HTTP 503 and Retry-After. Default DefaultMaxConns.
	MaxConns int

	// PingInterval is how often an idle connection is pinged; a connection
	// silent for two intervals is dropped. Default 25 s.
	PingInterval time.Duration
	// HelloTimeout is how long a new connection may take to say hello.
	// Default 10 s.
	HelloTimeout time.Duration

	Now func() time.Time // the rate limits' clock; nil: time.Now
}

// Channel serves the web chat. Its methods are safe for concurrent use.
type Channel struct {
	rt       Runtime
	log      *slog.Logger
	metrics  *bot.Metrics
	demo     bool
	kb       *kb.Library
	upgrader websocket.Upgrader
	origins  map[string]bool
	proxies  []netip.Prefix

	ipLimit   *ratelimit.Limiter
	connLimit *ratelimit.Limiter
	bySource  bool // verification limits count per client address

	workers *workers
	slots   chan struct{} // one per open connection (MaxConns)

	pingEvery time.Duration
	readWait  time.Duration
	helloWait time.Duration

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	running sync.WaitGroup // connections still running

	pingOnce sync.Once
	stopPing chan struct{} // closed by Shutdown
}

// New returns the channel described by cfg.
func New(cfg Config) *Channel {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	ch := &Channel{
		rt:        cfg.Runtime,
		log:       cfg.Log.With("channel", ChannelName),
		metrics:   cfg.Runtime.Metrics(),
		demo:      cfg.Demo,
		kb:        cfg.KB,
		origins:   map[string]bool{},
		proxies:   cfg.TrustedProxies,
		ipLimit:   ratelimit.New(cfg.IPRate, ipBurstFactor*bot.MsgBurst, cfg.Now),
		connLimit: ratelimit.New(cfg.ConnRate, connBurst, cfg.Now),
		bySource:  cfg.IPRate > 0,
		workers:   newWorkers(),
		slots:     make(chan struct{}, cfg.MaxConns),
		pingEvery: cfg.PingInterval,
		readWait:  2 * cfg.PingInterval,
		helloWait: cfg.HelloTimeout,
		conns:     map[*conn]struct{}{},
		stopPing:  make(chan struct{}),
	}
	for _, o := range cfg.AllowedOrigins {
		ch.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	// Small buffers, a shared write-buffer pool and no compression keep an
	// idle connection small: gorilla's defaults cost half as much again.
	ch.upgrader = websocket.Upgrader{
		ReadBufferSize:  1 << 10,
		WriteBufferSize: 1 << 10,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     ch.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			http.Error(w, http.StatusText(status)+": "+reason.Error(), status)
		},
	}
	return ch
}

// Register adds the channel's routes to mux: GET / (the help-center page),
// GET /widget.js, GET /static/… and GET /ws.
func (ch *Channel) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", ch.servePage)
	mux.HandleFunc("GET /widget.js", serveStatic("widget.js"))
	mux.HandleFunc("GET /static/{name}", func(w http.ResponseWriter, r *http.Request) {
		serveStatic(r.PathValue("name"))(w, r)
	})
	mux.HandleFunc("GET /ws", ch.serveWS)
	mux.HandleFunc("GET /help/{id}", ch.serveArticle)
	mux.HandleFunc("GET /api/kb/search", ch.serveSearch)
}

// Shutdown tells every connected member that the service is restarting
// (error frame "restarting", then close code 1012), refuses new
// connections, and waits until every connection has finished its turn in
// flight and closed, or ctx ends (then it drops the rest). Call it before
// closing the runtime.
func (ch *Channel) Shutdown(ctx context.Context) error {
	ch.mu.Lock()
	if !ch.closing {
		close(ch.stopPing)
	}
	ch.closing = true
	conns := make([]*conn, 0, len(ch.conns))
	for c := range ch.conns {
		conns = append(conns, c)
	}
	ch.mu.Unlock()
	for _, c := range conns {
		c.stop(errorFrames[CodeRestarting], websocket.CloseServiceRestart)
	}
	done := make(chan struct{})
	go func() {
		ch.running.Wait()
		close(done)
	}()
	defer ch.workers.stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.kill()
		}
		<-done
		return ctx.Err()
	}
}

// track registers a connection; false once the channel is shutting down.
func (ch *Channel) track(c *conn) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.closing {
		return false
	}
	ch.conns[c] = struct{}{}
	ch.running.Add(1)
	ch.pingOnce.Do(func() { go ch.pinger() })
	return true
}

// pinger pings every connection each PingInterval, one goroutine and one
// ticker for the whole channel instead of one per connection.
func (ch *Channel) pinger() {
	t := time.NewTicker(ch.pingEvery)
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-ch.stopPing:
			return
		case <-t.C:
		}
		ch.mu.Lock()
		conns = conns[:0]
		for c := range ch.conns {
			conns = append(conns, c)
		}
		ch.mu.Unlock()
		for _, c := range conns {
			c.ping()
		}
		clear(conns) // let ended connections go
	}
}

func (ch *Channel) untrack(c *conn) {
	ch.mu.Lock()
	delete(ch.conns, c)
	ch.mu.Unlock()
	ch.running.Done()
}

// checkOrigin allows requests without an Origin (not from a browser), from
// the server's own origin, and from the configured ones.
func (ch *Channel) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return ch.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// serveWS upgrades to a websocket and runs the connection until it ends.
func (ch *Channel) serveWS(w http.ResponseWriter, r *http.Request) {
	ip := clientip.Of(r, ch.proxies)
	if !ch.connLimit.Allow(ip) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many connections from your address; try again shortly", http.StatusTooManyRequests)
		return
	}
	ch.mu.Lock()
	closing := ch.closing
	ch.mu.Unlock()
	if closing {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "the service is restarting; try again shortly", http.StatusServiceUnavailable)
		return
	}
	select {
	case ch.slots <- struct{}{}:
	default:
		ch.metrics.Errors.WithLabelValues("web_conns_full").Inc()
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the chat is full right now; try again shortly", http.StatusServiceUnavailable)
		return
	}
	bw := &batchWriter{ResponseWriter: w}
	ws, err := ch.upgrader.Upgrade(bw, r, nil)
	if err != nil {
		<-ch.slots
		return // the upgrader has answered
	}
	c := newConn(ch, ws, bw.conn, ip)
	if !ch.track(c) {
		<-ch.slots
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseServiceRestart, "restarting"), time.Now().Add(time.Second))
		ws.Close()
		return
	}
	// The connection runs on a goroutine of its own so that this one
	// returns and net/http lets go of the request's buffers (about 10 KiB).
	go func() {
		defer func() { <-ch.slots }()
		defer ch.untrack(c)
		connections := ch.metrics.Connections.WithLabelValues(ChannelName)
		connections.Inc()
		defer connections.Dec()
		c.serve()
	}()
}

// isClosed tells whether err only says the connection went away.
func isClosed(err error) bool {
	return websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) ||
		errors.Is(err, net.ErrClosed)
}
