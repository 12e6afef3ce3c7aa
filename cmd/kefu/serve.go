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
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/agent"
	"github.com/kefu-dev/kefu/channels/telegram"
	"github.com/kefu-dev/kefu/channels/web"
	"github.com/kefu-dev/kefu/kb"
	"github.com/kefu-dev/kefu/platform"
	"github.com/kefu-dev/kefu/store"
	"github.com/kefu-dev/kefu/store/pgstore"
)

// Main is a running kefu server: shared by main and the end-to-end tests, so
// tests start the real program.
type Main struct {
	Config  Config
	Log     *slog.Logger
	Runtime *bot.Runtime

	ln       net.Listener
	srv      *http.Server
	prof     *http.Server // --pprof
	profLn   net.Listener
	web      *web.Channel
	agents   *agent.Console
	telegram *telegram.Adapter
	kb       *kb.Library // the help center's articles, reloaded on SIGHUP
	stopHUP  func()

	// Test hooks: the data directory's free space, and how often it is
	// looked at (bot.DiskFloor).
	statfs    func(dir string) (free uint64, err error)
	diskEvery time.Duration
}

// Open opens the runtime, binds the listen address and starts the
// channels; Serve then serves.
func (m *Main) Open(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	members, notifier, err := m.platform()
	if err != nil {
		return err
	}
	lead := m.Config.ReminderLead
	if lead == 0 {
		lead = -1 // no reminders
	}
	var st store.Store
	if m.Config.Store != "" {
		pg, err := pgstore.Open(ctx, m.Config.Store, pgstore.Options{Log: m.Log})
		if err != nil {
			return fmt.Errorf("--store %s: %w", redactURL(m.Config.Store), err)
		}
		st = pg
	}
	m.kb = m.knowledgeBase()
	rt, err := bot.Open(bot.Config{
		Answers:   m.kb,
		Store:     st,
		DataDir:   m.Config.Data,
		Demo:      m.Config.Demo,
		DemoExtra: m.Config.DemoExtra,
		Location:  m.Config.TZ,
		Log:       m.Log,
		Handoff:   bot.HandoffConfig{Hours: m.Config.AgentHours},
		Retention: bot.Retention{Transcripts: m.Config.Retention, Orders: m.Config.OrderRetention},
		Members:   members,
		Notifier:  notifier,
		Reminders: bot.Reminders{Lead: lead},
		Disk:      bot.DiskFloor{Min: m.Config.MinFreeDisk, Every: m.diskEvery, Statfs: m.statfs},
		PublicURL: m.publicURL(),
		MsgRate:   m.Config.MsgRate, // every channel's per-conversation rate
	})
	if err != nil {
		return err
	}
	m.Runtime = rt
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		rt.Close()
		return fmt.Errorf("cannot listen on %s: %w", m.Config.Addr, unwrapOp(err))
	}
	m.ln = ln
	if m.Config.Pprof != "" {
		if err := m.pprofServer(); err != nil {
			ln.Close()
			rt.Close()
			return err
		}
	}
	mux := m.routes()
	m.telegram, err = startTelegram(ctx, m.Config, rt, m.Log, mux)
	if err != nil {
		ln.Close()
		if m.profLn != nil {
			m.profLn.Close()
		}
		rt.Close()
		return err
	}
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m.stopHUP = m.reloadArticlesOnHangup()
	return nil
}

// pprofServer listens for Go's profiles (--pprof) on their own address,
// never the public one.
func (m *Main) pprofServer() error {
	ln, err := net.Listen("tcp", m.Config.Pprof)
	if err != nil {
		return fmt.Errorf("--pprof: cannot listen on %s: %w", m.Config.Pprof, unwrapOp(err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.prof, m.profLn = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln
	return nil
}

// PprofAddr is the address of --pprof; empty when off.
func (m *Main) PprofAddr() string {
	if m.profLn == nil {
		return ""
	}
	return m.profLn.Addr().String()
}

// unwrapOp drops the "listen tcp …:" prefix Go's network errors repeat.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Serve serves until ctx ends, then shuts down gracefully.
func (m *Main) Serve(ctx context.Context) error {
	if m.prof != nil {
		go m.prof.Serve(m.profLn)
		m.Log.Info("profiles", "addr", "http://"+m.profLn.Addr().String()+"/debug/pprof/")
	}
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	m.Log.Info("kefu serving", "addr", "http://"+m.Addr(), "demo", m.Config.Demo)
	select {
	case err := <-errc:
		return errors.Join(err, m.Close())
	case <-ctx.Done():
	}
	return m.Close()
}

// Close stops accepting, tells connected members the service is
// restarting, lets turns in flight finish, stops the channels and closes
// the runtime (releasing work-order sequences and flushing the store).
func (m *Main) Close() error {
	if m.stopHUP != nil {
		m.stopHUP()
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(shutCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	err = errors.Join(err, m.web.Shutdown(shutCtx), m.agents.Shutdown(shutCtx))
	if m.prof != nil {
		m.prof.Close()
		m.profLn.Close() // when Serve never ran
	}
	if m.telegram != nil {
		err = errors.Join(err, m.telegram.Shutdown(shutCtx))
	}
	return errors.Join(err, m.Runtime.Close())
}

func (m *Main) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", m.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Runtime.Metrics().Registry, promhttp.HandlerOpts{}))
	m.web = m.webChannel()
	m.web.Register(mux)
	m.agents = m.agentConsole()
	m.agents.Register(mux)
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
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Serve(ctx)
}

// platform is the platform's member API and SMS/email service when
// configured; nil for each that is not (the demo store; log lines).
func (m *Main) platform() (members bot.MemberStore, notifier bot.Notifier, err error) {
	c := m.Config
	if c.MembersURL != "" {
		api, err := platform.NewMemberAPI(platform.MemberAPIConfig{URL: c.MembersURL, Token: c.MembersToken, Log: m.Log})
		if err != nil {
			return nil, nil, fmt.Errorf("--members-url: %w", err)
		}
		members = api
	}
	if c.NotifyURL != "" {
		n, err := platform.NewNotifier(platform.NotifierConfig{URL: c.NotifyURL, Secret: c.NotifySecret, PublicURL: c.PublicURL})
		if err != nil {
			return nil, nil, fmt.Errorf("--notify-url: %w", err)
		}
		notifier = n
	}
	return members, notifier, nil
}

// publicURL is --public-url, or with --demo the address kefu listens on,
// so a newcomer's receipts link to their page.
func (m *Main) publicURL() string {
	if m.Config.PublicURL != "" || !m.Config.Demo {
		return m.Config.PublicURL
	}
	return "http://" + m.Config.Addr
}
