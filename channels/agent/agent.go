// Package agent is kefu's surface for human agents (DESIGN §5): the console
// at /agent/, the conversation API under /agent/api/, its live event stream,
// the work-order API (GET /api/workorders…), and the receipts a member may
// have confirmed without a login (GET /api/receipts/…, GET /receipts/…).
//
// Every API request carries an agent's token, "Authorization: Bearer
// <token>" (the event stream also takes ?token=, since a browser's
// EventSource cannot set headers), checked against the configured agents in
// constant time; a missing or wrong token gets 401, and a client address
// that keeps sending wrong tokens gets 429 for a while. Errors are JSON,
// {"error":"…","code":"…"}: error is a sentence for people, code a stable
// word for programs.
package agent

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/internal/clientip"
	"github.com/kefu-dev/kefu/internal/ratelimit"
)

// Error codes of the API's error bodies.
const (
	CodeUnauthorized = "unauthorized"   // 401: no token, or not an agent's
	CodeRateLimited  = "rate_limited"   // 429: too many wrong tokens from this address
	CodeNotFound     = "not_found"      // 404: no such conversation, work order, event stream or endpoint
	CodeBadJSON      = "bad_json"       // 400: the body is not the JSON object expected
	CodeBadRequest   = "bad_request"    // 400: a parameter is missing or wrong
	CodeBadNumber    = "bad_number"     // 400: not a work-order number
	CodeCheckDigit   = "check_digit"    // 400: a work-order number whose check digit does not match
	CodeHeld         = "held"           // 409: another agent holds the conversation
	CodeStale        = "stale"          // 409: the version sent is not the conversation's
	CodeNotHeld      = "not_held"       // 409: claim the conversation first
	CodeNotVerified  = "not_verified"   // 409: the member has not verified their identity
	CodeNotCallback  = "not_callback"   // 409: the work order is not a callback
	CodeClosed       = "already_closed" // 409: the callback is done already
	CodeUnavailable  = "unavailable"    // 503: the server is shutting down
	CodeInternal     = "internal"       // 500: logged; try again
)

// Failed logins: a client address may send loginBurst wrong tokens, then
// one every loginEvery; beyond that every request it makes with a token,
// right or wrong, gets 429 until it may try again, so guessing gets no
// faster by ignoring the 429s.
const (
	loginBurst = 10
	loginEvery = 6 * time.Second
)

// Config configures a Console.
type Config struct {
	Runtime  Runtime
	Agents   map[string]string // name → token
	Location *time.Location    // time zone of times shown and in CSV exports; nil: UTC
	Log      *slog.Logger      // nil: slog.Default()

	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client address failed logins count by; nil: the peer's address.
	TrustedProxies []netip.Prefix

	// KeepAlive is how often an idle event stream gets a comment, so
	// proxies keep it open; default 20 s.
	KeepAlive time.Duration
	// Replies are the canned replies agents insert by shortcut; see
	// CheckReplies.
	Replies []Reply

	// Now is the clock of the failed-login limit and of reports' default
	// range; nil: time.Now.
	Now func() time.Time
}

// Console serves the agents' console and API. It is safe for concurrent
// use.
type Console struct {
	rt        Runtime
	ho        *bot.Handoffs // rt.Handoffs()
	agents    []credential  // sorted by name, so a shared token always names the same agent
	now       func() time.Time
	loc       *time.Location
	log       *slog.Logger
	logins    *loginGuard
	receipts  *loginGuard // receipts that could not be verified, per address
	keepAlive time.Duration
	proxies   []netip.Prefix
	streams   streams

	cannedReplies []Reply
}

// credential is an agent's token as compared: its SHA-256, so every
// comparison takes the same time whatever the tokens' lengths.
type credential struct {
	name string
	sum  [sha256.Size]byte
}

// New returns the console described by cfg.
func New(cfg Config) *Console {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 20 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{
		rt:        cfg.Runtime,
		ho:        cfg.Runtime.Handoffs(),
		loc:       cfg.Location,
		log:       cfg.Log.With("surface", "agent"),
		logins:    newLoginGuard(cfg.Now),
		receipts:  newLoginGuard(cfg.Now),
		keepAlive: cfg.KeepAlive,
		proxies:   cfg.TrustedProxies,
		streams:   newStreams(),
		now:       cfg.Now,

		cannedReplies: append([]Reply{}, cfg.Replies...),
	}
	for name, token := range cfg.Agents {
		c.agents = append(c.agents, credential{name: name, sum: sha256.Sum256([]byte(token))})
	}
	sort.Slice(c.agents, func(i, j int) bool { return c.agents[i].name < c.agents[j].name })
	return c
}

// Register adds the console's routes to mux: the console page (GET /agent/),
// the agent API (/agent/api/…), the work-order API (GET /api/workorders…)
// and the receipts anyone holding one may check (GET /api/receipts/…, and
// as a page GET /receipts/…).
func (c *Console) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/workorders/{number}", c.authorized(c.workOrder))
	mux.Handle("GET /api/workorders", c.authorized(c.workOrdersSince))
	mux.HandleFunc("GET /api/receipts/{number}", c.verifyReceipt)
	mux.HandleFunc("GET /receipts/{number}", c.receiptPage)

	mux.HandleFunc("GET /agent", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/agent/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /agent/{$}", c.servePage)
	mux.HandleFunc("GET /agent/static/{name}", c.serveAsset)

	mux.Handle("GET /agent/api/me", c.authorized(c.me))
	mux.Handle("GET /agent/api/conversations", c.authorized(c.list))
	mux.Handle("GET /agent/api/conversations/{id}", c.authorized(c.detail))
	mux.Handle("POST /agent/api/conversations/{id}/claim", c.authorized(c.ownerChange(c.ho.Claim)))
	mux.Handle("POST /agent/api/conversations/{id}/messages", c.authorized(c.reply))
	mux.Handle("POST /agent/api/conversations/{id}/release", c.authorized(c.ownerChange(c.ho.Release)))
	mux.Handle("POST /agent/api/conversations/{id}/close", c.authorized(c.ownerChange(c.ho.CloseConversation)))
	mux.Handle("POST /agent/api/conversations/{id}/actions", c.authorized(c.act))
	mux.Handle("POST /agent/api/conversations/{id}/verify", c.authorized(c.verifyMember))
	mux.Handle("POST /agent/api/conversations/{id}/notes", c.authorized(c.addNote))
	mux.Handle("GET /agent/api/conversations/{id}/notes", c.authorized(c.notes))
	mux.Handle("GET /agent/api/events", c.authenticated(c.serveEvents, true))
	mux.Handle("PUT /agent/api/events/{stream}", c.authorized(c.openConversations))
	mux.Handle("GET /agent/api/backup", c.authorized(c.backup))
	mux.Handle("GET /agent/api/reports", c.authorized(c.reports))
	mux.Handle("GET /agent/api/replies", c.authorized(c.replies))
	mux.Handle("GET /agent/api/callbacks", c.authorized(c.callbacks))
	mux.Handle("POST /agent/api/workorders/{number}/close", c.authorized(c.closeCallback))
	mux.HandleFunc("/agent/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}

// me serves GET /agent/api/me: who the token belongs to, and the time zone
// the console shows times in.
func (c *Console) me(w http.ResponseWriter, r *http.Request, agent string) {
	writeJSON(w, http.StatusOK, map[string]string{"name": agent, "tz": c.loc.String()})
}

type agentHandler func(w http.ResponseWriter, r *http.Request, agent string)

// authorized lets requests with a known agent's token in the Authorization
// header through to h, with the agent's name.
func (c *Console) authorized(h agentHandler) http.Handler { return c.authenticated(h, false) }

// authenticated is authorized that, with inQuery, also takes the token
// from ?token=.
func (c *Console) authenticated(h agentHandler, inQuery bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, given := bearer(r)
		if !given && inQuery {
			token = strings.TrimSpace(r.URL.Query().Get("token"))
			given = token != ""
		}
		addr := clientip.Of(r, c.proxies)
		if given {
			if wait := c.logins.blocked(addr); wait > 0 {
				tooMany(w, wait)
				return
			}
		}
		name, ok := c.authenticate(token)
		if !ok {
			if given {
				if wait := c.logins.fail(addr); wait > 0 {
					c.log.Warn("failed agent logins rate-limited", "addr", addr)
					tooMany(w, wait)
					return
				}
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="kefu"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing or wrong agent token: send Authorization: Bearer <token>")
			return
		}
		h(w, r, name)
	})
}

func tooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many wrong agent tokens from this address: wait a moment before trying again")
}

// bearer reads the token of an "Authorization: Bearer <token>" header;
// given is false when the request carries none.
func bearer(r *http.Request) (token string, given bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authenticate finds the agent whose token this is. It compares against
// every agent, so the time taken does not tell which one matched.
func (c *Console) authenticate(token string) (name string, ok bool) {
	if token == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	for _, a := range c.agents {
		if subtle.ConstantTimeCompare(sum[:], a.sum[:]) == 1 && !ok {
			name, ok = a.name, true
		}
	}
	return name, ok
}

// loginGuard limits wrong tokens per client address.
type loginGuard struct {
	limit *ratelimit.Limiter
	now   func() time.Time

	mu    sync.Mutex
	until map[string]time.Time // addresses refused until then
}

func newLoginGuard(now func() time.Time) *loginGuard {
	return &loginGuard{
		limit: ratelimit.New(float64(time.Second)/float64(loginEvery), loginBurst, now),
		now:   now,
		until: map[string]time.Time{},
	}
}

// blocked returns how long addr must still wait; 0 when it may try.
func (g *loginGuard) blocked(addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.until[addr]
	if !ok {
		return 0
	}
	if wait := until.Sub(g.now()); wait > 0 {
		return wait
	}
	delete(g.until, addr)
	return 0
}

// fail records a wrong token from addr; when addr has used up its tries it
// returns how long it must now wait.
func (g *loginGuard) fail(addr string) time.Duration {
	if g.limit.Allow(addr) {
		return 0
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for a, until := range g.until { // few entries, each short-lived
		if !until.After(now) {
			delete(g.until, a)
		}
	}
	g.until[addr] = now.Add(loginEvery)
	return loginEvery
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	// Conversation is the conversation as it is now, with a 409, so a
	// console can show what changed.
	Conversation *Summary `json:"conversation,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: msg, Code: code})
}
