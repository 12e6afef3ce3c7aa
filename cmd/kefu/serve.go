package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

// Main is a running kefu server: shared by main and the end-to-end tests, so
// tests start the real program.
type Main struct {
	Config  Config
	Log     *slog.Logger
	Runtime *bot.Runtime
	ln      net.Listener
	srv     *http.Server
}

// Open opens the runtime and binds the listen address; Serve then serves.
func (m *Main) Open() error {
	if m.Log == nil {
		m.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	rt, err := bot.Open(bot.Config{
		DataDir:   m.Config.Data,
		Demo:      m.Config.Demo,
		DemoExtra: m.Config.DemoExtra,
		Location:  m.Config.TZ,
		Log:       m.Log,
	})
	if err != nil {
		return err
	}
	m.Runtime = rt
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		rt.Close()
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	m.srv = &http.Server{Handler: m.routes(), ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Serve serves until ctx ends, then shuts down gracefully.
func (m *Main) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	m.Log.Info("kefu serving", "addr", "http://"+m.Addr(), "demo", m.Config.Demo)
	select {
	case err := <-errc:
		m.Runtime.Close()
		return err
	case <-ctx.Done():
	}
	return m.Close()
}

// Close stops the server, waiting briefly for requests in flight, and closes
// the runtime.
func (m *Main) Close() error {
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(shutCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, m.Runtime.Close())
}

func (m *Main) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Runtime.Healthy(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "store": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "store": "ok"})
	})
	m.webChannel().Register(mux)
	m.agentConsole().Register(mux)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(stderr, nil))}
	if err := m.Open(); err != nil {
		return err
	}
	return m.Serve(ctx)
}
