package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// A persisted session is what one web member leaves behind: a conversation
// opened by a hello (the bot's welcome) and one exchange (the member's
// greeting and the bot's answer), so three transcript messages. It is
// created through the runtime, as the web channel creates it: the member is
// known by the SHA-256 of a session token.

// sessionToken is the i-th benchmark member's session token, in the web
// channel's format (24 bytes, base64url).
func sessionToken(i int) string {
	sum := sha256.Sum256([]byte("kefu-bench/" + strconv.Itoa(i)))
	return base64.RawURLEncoding.EncodeToString(sum[:24])
}

// sessionUser is the web channel's runtime key for a token.
func sessionUser(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// addSessions creates sessions lo…hi-1 in rt, on a few goroutines.
func addSessions(rt *bot.Runtime, lo, hi int) error {
	ctx := context.Background()
	var next atomic.Int64
	next.Store(int64(lo))
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < hi; i = int(next.Add(1) - 1) {
				id, _, err := rt.Resolve(ctx, "web", sessionUser(sessionToken(i)))
				if err == nil {
					err = rt.Start(ctx, id, dialog.ZH, "")
				}
				if err == nil {
					err = rt.Handle(ctx, id, dialog.InputText, "你好", dialog.ZH)
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func openRuntime(dir string) (*bot.Runtime, error) {
	return bot.Open(bot.Config{DataDir: dir, Demo: true, Location: shanghai, Log: slog.New(slog.DiscardHandler)})
}

// buildSessions is the helper process of BenchmarkRestart: sessions
// from…to-1 added to the store in dir, which is then closed, or with crash
// left open as the process ends, as kill -9 would leave it (Badger's
// memtables are in its write-ahead log only).
func buildSessions(dir string, from, to int, crash bool) error {
	rt, err := openRuntime(dir)
	if err != nil {
		return err
	}
	if err := addSessions(rt, from, to); err != nil || crash {
		return err
	}
	return rt.Close()
}

// BenchmarkSessionBytes measures what a persisted idle session costs on
// disk: sessionsOnDisk sessions (each a welcome and one exchange) are
// created through the runtime, the runtime is closed (Badger flushes its
// memtables into tables and truncates its value log), and the state
// database's files are summed; the same is done with no sessions, and the
// difference is divided by the number of sessions. The logical size (keys
// plus values as stored, by key prefix) is reported beside it.
func BenchmarkSessionBytes(b *testing.B) {
	const n = 20000
	for range b.N {
		empty, _ := sessionStore(b, 0)
		full, logical := sessionStore(b, n)
		b.ReportMetric(float64(full-empty)/n, "disk-B/session")
		var total int64
		for prefix, size := range logical {
			b.ReportMetric(float64(size)/n, prefix+"-B/session")
			total += size
		}
		b.ReportMetric(float64(total)/n, "logical-B/session")
		b.ReportMetric(0, "ns/op")
	}
}

// sessionStore creates n sessions in a new data directory and returns the
// bytes of its state database's files and the logical bytes by key prefix.
func sessionStore(b *testing.B, n int) (disk int64, logical map[string]int64) {
	dir := b.TempDir()
	rt, err := openRuntime(dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := addSessions(rt, 0, n); err != nil {
		b.Fatal(err)
	}
	if err := rt.Close(); err != nil {
		b.Fatal(err)
	}
	state := filepath.Join(dir, "state") // README: the state database
	disk = dirBytes(b, state)
	logical = map[string]int64{}
	db, err := badger.Open(badger.DefaultOptions(state).WithReadOnly(true).WithLogger(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			prefix, _, _ := bytes.Cut(item.Key(), []byte("/"))
			logical[string(prefix)] += int64(len(item.Key())) + item.ValueSize()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return disk, logical
}

// dirBytes sums the sizes of the regular files under dir.
func dirBytes(b *testing.B, dir string) int64 {
	var sum int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil && info.Mode().IsRegular() {
			sum += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return sum
}

// BenchmarkRestart measures the time from starting `kefu serve --demo` on a
// data directory with 100 000 persisted sessions to its first
// healthy answer on GET /healthz (process start, store open and recovery,
// listening), twice:
//
//   - after a graceful shutdown: the 100 000 sessions are written by a
//     helper process through the runtime, which then closes the store;
//   - after a crash: a second helper opens the same store, adds
//     crashSessions more sessions (about 60 MiB of writes, most of one of
//     the State database's 64 MiB memtables, so nothing is flushed: the
//     most a crash leaves to replay) and ends without
//     closing it, as kill -9 would; the restart replays that write-ahead
//     log.
//
// It also times the first resume of an old session over the websocket
// (conversations are loaded lazily, on demand) and bot.Open alone on the
// same directory.
func BenchmarkRestart(b *testing.B) {
	const n, crashSessions = 100000, 20000
	for range b.N {
		dir := b.TempDir()
		began := time.Now()
		helper(b, dir, 0, n, false)
		b.Logf("%d sessions built in %v", n, time.Since(began).Round(time.Millisecond))
		b.ReportMetric(float64(n)/time.Since(began).Seconds(), "sessions-built/s")

		clean := restart(b, dir)
		b.ReportMetric(clean.healthy.Seconds(), "s-healthy-after-stop")
		b.ReportMetric(ms(clean.resume), "ms-first-resume")

		helper(b, dir, n, n+crashSessions, true)
		crashed := restart(b, dir)
		b.ReportMetric(crashed.healthy.Seconds(), "s-healthy-after-kill")
		b.ReportMetric(max(crashed.healthy, clean.healthy).Seconds(), "s-healthy")

		t0 := time.Now()
		rt, err := openRuntime(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ms(time.Since(t0)), "ms-bot.Open")
		if err := rt.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(0, "ns/op")
	}
}

// helper runs buildSessions in a process of its own.
func helper(b *testing.B, dir string, from, to int, crash bool) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envStore+"="+dir, envFrom+"="+strconv.Itoa(from), envN+"="+strconv.Itoa(to))
	if crash {
		cmd.Env = append(cmd.Env, envCrash+"=1")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("adding sessions %d…%d: %v\n%s", from, to, err, out)
	}
}

type restarted struct {
	healthy, resume time.Duration
}

// restart starts kefu on dir, times it to healthy and a first resume, and
// stops it gracefully.
func restart(b *testing.B, dir string) restarted {
	b.Helper()
	addr := kefutest.FreeAddr(b)
	cmd := exec.Command(kefuBinary(b), "serve", "--demo", "--addr", addr, "--data", dir)
	t0 := time.Now()
	p, out := start(b, cmd, addr)
	if _, err := awaitHealthy(p, 2*time.Minute); err != nil {
		b.Fatalf("kefu serve: %v\n%s", err, out)
	}
	r := restarted{healthy: time.Since(t0)}
	var err error
	if r.resume, err = resume(addr, sessionToken(4242)); err != nil {
		b.Fatalf("resume: %v\n%s", err, out)
	}
	if err := p.stop(); err != nil {
		b.Fatalf("kefu serve did not stop cleanly: %v\n%s", err, out)
	}
	return r
}

// resume reconnects an old session and times it to the end of its
// history (the bot's answer to the greeting, the third message).
func resume(addr, token string) (time.Duration, error) {
	t0 := time.Now()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		return 0, err
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	hello, _ := json.Marshal(map[string]string{"type": "hello", "session": token, "lang": "zh-CN"})
	if err := ws.WriteMessage(websocket.TextMessage, hello); err != nil {
		return 0, err
	}
	var welcome struct{ Type, Session string }
	if err := ws.ReadJSON(&welcome); err != nil {
		return 0, err
	}
	if welcome.Type != "welcome" || welcome.Session != token {
		return 0, fmt.Errorf("hello with an old session: %+v, not resumed", welcome)
	}
	for i := 0; i < 3; i++ {
		var m struct{ Type, ID string }
		if err := ws.ReadJSON(&m); err != nil {
			return 0, fmt.Errorf("history message %d: %w", i+1, err)
		}
		if m.Type != "message" {
			return 0, fmt.Errorf("history: %+v", m)
		}
	}
	return time.Since(t0), nil
}
