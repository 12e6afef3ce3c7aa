package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// startMain runs the real program, as `kefu serve --demo` on a free port,
// until the test ends.
func startMain(t *testing.T, args ...string) *Main {
	t.Helper()
	m, stop := serveMain(t, args...)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return m
}

// serveMain runs the real program, as `kefu serve --demo` on a free port,
// until stop, which returns what Serve returned.
func serveMain(t *testing.T, args ...string) (m *Main, stop func() error) {
	t.Helper()
	cfg, err := parseServe(append([]string{"--demo", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m = &Main{Config: cfg, Log: slog.New(slog.DiscardHandler)}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- m.Serve(ctx) }()
	return m, func() error {
		cancel()
		return <-served
	}
}

func TestServeWeb(t *testing.T) {
	m := startMain(t)
	base := "http://" + m.Addr()

	for path, want := range map[string]string{
		"/":                `<script src="/widget.js"`,
		"/?lang=en":        `<html lang="en">`,
		"/widget.js":       "data-kefu",
		"/static/help.css": "--brand",
		"/healthz":         `"ok"`,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: HTTP %d, body without %q", path, resp.StatusCode, want)
		}
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+m.Addr()+"/ws", http.Header{"Origin": {base}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]string{"type": "hello", "lang": "en"}); err != nil {
		t.Fatal(err)
	}
	var welcome, first struct{ Type, Session, Lang, From, Text string }
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Type != "welcome" || welcome.Session == "" || welcome.Lang != "en" {
		t.Fatalf("welcome %+v (%v)", welcome, err)
	}
	if err := ws.ReadJSON(&first); err != nil || first.Type != "message" || first.From != "bot" {
		t.Fatalf("first message %+v (%v), want the bot's welcome", first, err)
	}

	_, resp, err := websocket.DefaultDialer.Dial("ws://"+m.Addr()+"/ws", http.Header{"Origin": {"https://elsewhere.example"}})
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("websocket from another origin: %v, want 403", err)
	}
}

// --demo adds the agent demo:demo; the work-order API wants a token.
func TestServeWorkOrderAPI(t *testing.T) {
	m := startMain(t, "--agents", "alice:wonderland")
	since := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
	for token, want := range map[string]int{"": 401, "nope": 401, "demo": 200, "wonderland": 200} {
		req, _ := http.NewRequest("GET", "http://"+m.Addr()+"/api/workorders?since="+since, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("token %q: HTTP %d, want %d", token, resp.StatusCode, want)
		}
	}
}

// --allowed-origins lets an embedding site's pages open the websocket.
func TestServeAllowedOrigins(t *testing.T) {
	m := startMain(t, "--allowed-origins", "https://shop.example.com, https://m.shop.example.com/")
	for _, origin := range []string{"https://shop.example.com", "https://m.shop.example.com"} {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+m.Addr()+"/ws", http.Header{"Origin": {origin}})
		if err != nil {
			t.Fatalf("origin %s: %v", origin, err)
		}
		ws.Close()
	}
}

// --pprof serves Go's profiles on its own address only.
func TestPprofOnItsOwnAddress(t *testing.T) {
	if addr := startMain(t).PprofAddr(); addr != "" {
		t.Fatalf("profiles on %s without --pprof", addr)
	}
	m := startMain(t, "--pprof", "127.0.0.1:0")
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"http://" + m.PprofAddr() + "/debug/pprof/cmdline", http.StatusOK},
		{"http://" + m.Addr() + "/debug/pprof/cmdline", http.StatusNotFound},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s: HTTP %d, want %d", tc.url, resp.StatusCode, tc.want)
		}
	}
}

// Behind a trusted reverse proxy, limits count by the address the proxy
// saw: one guesser of agent tokens is stopped, an agent behind the same
// proxy is not. Without --trusted-proxies the header is not believed.
func TestTrustedProxiesSeparateClients(t *testing.T) {
	call := func(base, forwardedFor, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/agent/api/me", nil)
		req.Header.Set("X-Forwarded-For", forwardedFor)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	guessUntilStopped := func(base string) {
		t.Helper()
		for i := 0; call(base, "203.0.113.1", fmt.Sprint("guess-", i)) != http.StatusTooManyRequests; i++ {
			if i == 100 {
				t.Fatal("100 wrong tokens were not stopped")
			}
		}
	}
	behind := "http://" + startMain(t, "--trusted-proxies", "127.0.0.0/8").Addr()
	guessUntilStopped(behind)
	if got := call(behind, "203.0.113.2", "demo"); got != http.StatusOK {
		t.Fatalf("an agent at another address behind the proxy: HTTP %d", got)
	}
	if got := call(behind, "203.0.113.1", "demo"); got != http.StatusTooManyRequests {
		t.Fatalf("the guesser with the right token: HTTP %d, want 429", got)
	}
	direct := "http://" + startMain(t).Addr()
	guessUntilStopped(direct)
	if got := call(direct, "203.0.113.2", "demo"); got != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For without a trusted proxy: HTTP %d, want 429", got)
	}
}
