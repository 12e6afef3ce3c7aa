// Package agent is kefu's surface for human agents: the work-order API
// (GET /api/workorders…) for now; the console and the conversation API of
// DESIGN §5 join it here.
//
// Every request carries an agent's token, "Authorization: Bearer <token>",
// checked against the configured agents in constant time; a missing or
// wrong token gets 401. Errors are JSON, {"error":"…"}.
package agent

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

// Config configures a Console.
type Config struct {
	Runtime  *bot.Runtime
	Agents   map[string]string // name → token
	Location *time.Location    // time zone of times in CSV exports; nil: UTC
	Log      *slog.Logger      // nil: slog.Default()
}

// Console serves the agents' API. It is safe for concurrent use.
type Console struct {
	rt     *bot.Runtime
	agents []credential // sorted by name, so a shared token always names the same agent
	loc    *time.Location
	log    *slog.Logger
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
	c := &Console{rt: cfg.Runtime, loc: cfg.Location, log: cfg.Log.With("surface", "agent")}
	for name, token := range cfg.Agents {
		c.agents = append(c.agents, credential{name: name, sum: sha256.Sum256([]byte(token))})
	}
	sort.Slice(c.agents, func(i, j int) bool { return c.agents[i].name < c.agents[j].name })
	return c
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/workorders/{number}", c.authorized(c.workOrder))
	mux.Handle("GET /api/workorders", c.authorized(c.workOrdersSince))
}

// authorized lets requests with a known agent's token through to h, with
// the agent's name.
func (c *Console) authorized(h func(w http.ResponseWriter, r *http.Request, agent string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := c.authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kefu"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong agent token: send Authorization: Bearer <token>")
			return
		}
		h(w, r, name)
	})
}

// authenticate finds the agent whose token the request carries. It compares
// against every agent, so the time taken does not tell which one matched.
func (c *Console) authenticate(r *http.Request) (name string, ok bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
