package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeFile is where `make axe` installs axe-core, relative to the module's
// root.
var AxeFile = filepath.Join("internal", "browsertest", "axe", "node_modules", "axe-core", "axe.min.js")

var axeScript struct {
	once sync.Once
	text string
	err  error
}

// Violation is one axe-core rule that failed on the page.
type Violation struct {
	ID      string `json:"id"`     // the rule, e.g. "color-contrast"
	Impact  string `json:"impact"` // "critical", "serious", "moderate" or "minor"
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Count   int    `json:"count"` // elements that fail it
	Nodes   []Node `json:"nodes"` // the first few of them
}

// Node is an element that fails a rule.
type Node struct {
	Target  string `json:"target"`  // a selector; " >> " crosses into a shadow root
	Summary string `json:"summary"` // why it fails, e.g. the colours and their contrast
}

// Serious reports whether the violation fails an accessibility check:
// impact critical or serious.
func (v Violation) Serious() bool { return v.Impact == "critical" || v.Impact == "serious" }

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] %s (%d element(s))", v.ID, v.Impact, v.Help, v.Count)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n\t\t%s: %s", n.Target, n.Summary)
	}
	if more := v.Count - len(v.Nodes); more > 0 {
		fmt.Fprintf(&b, "\n\t\t… and %d more", more)
	}
	return b.String()
}

// runAxe is awaited in the page: axe's violations over the whole document,
// open shadow roots included, reduced to what a failure message needs.
const runAxe = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl, count: v.nodes.length,
	nodes: v.nodes.slice(0, 8).map(n => ({
		target: n.target.map(t => Array.isArray(t) ? t.join(' >> ') : t).join(' >> '),
		summary: (n.failureSummary || '').replace(/^Fix (any|all) of the following:\s*/, '').replace(/\s*\n\s*/g, '; '),
	})),
})))`

// Axe runs axe-core (which `make axe` installs) over the tab's current
// page and returns every violation it finds, whatever its impact. Without
// axe-core the test skips, unless CI is set: there it fails.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	axeScript.once.Do(loadAxe)
	if axeScript.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, so accessibility checks must run: %v", axeScript.err)
		}
		t.Skipf("accessibility checks skipped: %v", axeScript.err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === 'object'`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeScript.text))
	}
	if err != nil {
		t.Fatalf("loading axe-core into the page: %v", err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](runAxe, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	return vs
}

// RequireAccessible fails the test when axe-core finds a critical or
// serious violation on the tab's current page, listing each; what names
// the page in the failure. Lesser violations are only logged.
func RequireAccessible(t testing.TB, ctx context.Context, what string) {
	t.Helper()
	var serious, lesser []string
	for _, v := range Axe(t, ctx) {
		if v.Serious() {
			serious = append(serious, "\t"+v.String())
		} else {
			lesser = append(lesser, "\t"+v.String())
		}
	}
	if len(lesser) > 0 {
		t.Logf("axe-core on %s, moderate or minor:\n%s", what, strings.Join(lesser, "\n"))
	}
	if len(serious) > 0 {
		t.Errorf("axe-core on %s finds %d critical or serious violation(s):\n%s", what, len(serious), strings.Join(serious, "\n"))
	}
}

func loadAxe() {
	root, err := moduleRoot()
	if err != nil {
		axeScript.err = err
		return
	}
	b, err := os.ReadFile(filepath.Join(root, AxeFile))
	if err != nil {
		axeScript.err = fmt.Errorf("no axe-core (make axe installs it): %w", err)
		return
	}
	axeScript.text = string(b)
}

// moduleRoot is the nearest directory above the test's working directory
// (its package) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
