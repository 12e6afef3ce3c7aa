// Package browsertest gives a test binary one shared headless Chromium
// (Debian's package, which `make browser` installs) and a tab per test or
// actor, saving a screenshot of each tab of a failed test under
// testdata/failures. Without a browser, tests skip, unless CI is set: there
// they must run.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var browser struct {
	once   sync.Once
	ctx    context.Context // nil: none
	err    error           // why not
	cancel func()
}

// FailuresDir is where screenshots of failed tests go, relative to the
// package under test.
var FailuresDir = filepath.Join("testdata", "failures")

// Close stops the browser, if one was started; call it from TestMain after
// m.Run.
func Close() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// Browser returns the shared browser, starting it on first use.
func Browser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(start)
	if browser.ctx == nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, so browser tests must run: %v", browser.err)
		}
		t.Skipf("browser tests skipped: %v", browser.err)
	}
	return browser.ctx
}

// Tab opens a tab for the rest of the test, with a deadline; name tells
// the tabs of one test apart in screenshot names ("" for a lone tab).
func Tab(t *testing.T, name string, timeout time.Duration) context.Context {
	t.Helper()
	tab, closeTab := chromedp.NewContext(Browser(t))
	// Open the tab on its own context: chromedp ties a tab to the context
	// of its first Run, and the deadline below must not close it before a
	// failing test's screenshot.
	if err := chromedp.Do(tab); err != nil {
		closeTab()
		t.Fatalf("open a tab: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, tab, name)
		}
		closeTab()
	})
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(cancel)
	return ctx
}

func start() {
	path := find()
	if path == "" {
		browser.err = errors.New("no Chromium installed (make browser installs it)")
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI containers run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	browser.cancel = func() { cancel(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		browser.err = fmt.Errorf("start %s: %w", path, err)
		return
	}
	browser.ctx = ctx
}

func find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func screenshot(t *testing.T, tab context.Context, name string) {
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		file := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
		if name != "" {
			file += "_" + name
		}
		file = filepath.Join(FailuresDir, file+".png")
		if err = os.MkdirAll(FailuresDir, 0o755); err == nil {
			if err = os.WriteFile(file, shot, 0o644); err == nil {
				t.Logf("screenshot: %s", file)
				return
			}
		}
	}
	t.Logf("no failure screenshot of tab %q: %v", name, err)
}
