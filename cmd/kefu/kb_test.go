package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/internal/kefutest"
)

// syncBuffer is a log other goroutines write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func article(id, title, body string) string {
	return "---\nid: " + id + "\ntitle: " + title + "\nlang: zh-CN\ntopic: 配送\n---\n" + body + "\n"
}

func status(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestOwnArticlesReloadOnHangup: --kb serves an operator's articles, a bad
// one is reported by file and line and left out, and SIGHUP reads them
// again.
func TestOwnArticlesReloadOnHangup(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shipping.zh-CN.md", article("shipping", "实物卡多久发货", "实物卡付款后 48 小时内发货。"))
	write("broken.zh-CN.md", "---\nid: broken\nlang: zh-CN\n---\n没有标题。\n")
	logs := &syncBuffer{}
	m := startMainWith(t, func(m *Main) { m.Log = slog.New(slog.NewTextHandler(logs, nil)) }, "--kb", dir)
	base := "http://" + m.Addr()
	if got := status(t, base+"/help/shipping"); got != http.StatusOK {
		t.Fatalf("the operator's article: %d", got)
	}
	if got := status(t, base+"/help/refund-policy"); got != http.StatusNotFound {
		t.Fatalf("a demo article with --kb: %d, want 404", got)
	}
	if !strings.Contains(logs.String(), "broken.zh-CN.md:") {
		t.Fatalf("the bad article is not reported by file and line:\n%s", logs.String())
	}

	write("returns.zh-CN.md", article("returns", "怎么申请退货", "数字商品售出不退，卡密未使用可联系人工。"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	kefutest.Eventually(t, 10*time.Second, "the new article after SIGHUP", func() bool {
		return status(t, base+"/help/returns") == http.StatusOK
	})
}

func TestKBFlagMustBeADirectory(t *testing.T) {
	_, err := parseServe([]string{"--kb", filepath.Join(t.TempDir(), "missing")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--kb") {
		t.Fatalf("a missing --kb directory: %v, want an error naming --kb", err)
	}
}
