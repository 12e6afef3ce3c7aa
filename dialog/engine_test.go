package dialog_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

var update = flag.Bool("update", false, "rewrite golden transcripts")

// harness drives the engine the way the runtime does, one state per
// conversation, with a controllable clock.
type harness struct {
	t       testing.TB
	engine  *dialog.Engine
	members *members
	verify  *verifier
	orders  *orders
	catalog *locales.Catalog
	now     time.Time
	conv    string
	states  map[string]dialog.State
	hint    dialog.Lang
}

func newHarness(t testing.TB) *harness {
	ms := fakeMembers(t0)
	v := &verifier{members: ms, tries: map[string]int{}}
	o := &orders{members: ms, byKey: map[string]dialog.WorkOrder{}, byNum: map[string]dialog.WorkOrder{}}
	cat, err := locales.New(t0.Location())
	if err != nil {
		t.Fatal(err)
	}
	return &harness{
		t: t, members: ms, verify: v, orders: o, catalog: cat, now: t0, conv: "c1",
		engine: &dialog.Engine{Members: ms, Verifier: v, Orders: o, Answers: answers{}},
		states: map[string]dialog.State{},
	}
}

// turn runs one input and returns the replies and effects.
func (h *harness) turn(kind dialog.InputKind, text string) ([]dialog.Reply, []dialog.Effect) {
	h.now = h.now.Add(time.Second)
	st, replies, effects := h.engine.Turn(context.Background(), h.states[h.conv],
		dialog.Input{Kind: kind, Text: text, At: h.now, Hint: h.hint, Conv: h.conv, Channel: "test"})
	h.states[h.conv] = st
	return replies, effects
}

func (h *harness) say(text string) ([]dialog.Reply, []dialog.Effect) {
	return h.turn(dialog.InputText, text)
}

func (h *harness) state() dialog.State { return h.states[h.conv] }

func ids(rs []dialog.Reply) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// render renders a reply and checks it exists in every language and never
// speaks of passwords.
func (h *harness) render(lang dialog.Lang, r dialog.Reply) string {
	h.t.Helper()
	for _, l := range locales.Langs {
		s, err := h.catalog.Render(l, r.ID, r.Data)
		if err != nil {
			h.t.Fatalf("reply %s in %s: %v", r.ID, l, err)
		}
		if forbidden.MatchString(s) {
			h.t.Fatalf("reply %s in %s mentions a password: %q", r.ID, l, s)
		}
		for _, b := range r.Buttons {
			if _, err := h.catalog.Render(l, b.Label, b.Data); err != nil {
				h.t.Fatalf("button %s in %s: %v", b.Label, l, err)
			}
		}
	}
	return h.catalog.MustRender(lang, r.ID, r.Data)
}

var forbidden = regexp.MustCompile(`(?i)密码|password|passcode`)

// TestConversations replays every script in testdata/conversations and
// compares the rendered transcript with its golden file (-update rewrites).
// Script lines: text is typed; [value] presses a button; "start payload"
// opens the conversation; "lang xx" sets the channel's hint; "conv name"
// switches conversation; "@+10m" advances the clock; "# …" is a comment.
func TestConversations(t *testing.T) {
	scripts, err := filepath.Glob("testdata/conversations/*.script")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".script")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			got := replay(t, string(src))
			golden := strings.TrimSuffix(script, ".script") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dialog -run TestConversations -update)", err)
			}
			if got != string(want) {
				t.Errorf("transcript differs from %s (rerun with -update after checking):\n%s", golden, diff(string(want), got))
			}
		})
	}
}

func replay(t *testing.T, src string) string {
	h := newHarness(t)
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "lang "):
			l, _ := dialog.ParseLang(strings.TrimPrefix(line, "lang "))
			h.hint = l
			continue
		case strings.HasPrefix(line, "conv "):
			h.conv = strings.TrimPrefix(line, "conv ")
			fmt.Fprintf(&b, "== conversation %s\n", h.conv)
			continue
		case line == "members down" || line == "members up":
			h.members.mu.Lock()
			h.members.down = line == "members down"
			h.members.mu.Unlock()
			fmt.Fprintf(&b, "== %s\n", line)
			continue
		case strings.HasPrefix(line, "@+"):
			d, err := time.ParseDuration(line[2:])
			if err != nil {
				t.Fatalf("bad clock step %q", line)
			}
			h.now = h.now.Add(d)
			fmt.Fprintf(&b, "== %s later\n", line[2:])
			continue
		}
		kind, text := dialog.InputText, unescape(line)
		switch {
		case line == "start" || strings.HasPrefix(line, "start "):
			kind, text = dialog.InputStart, strings.TrimSpace(strings.TrimPrefix(line, "start"))
			fmt.Fprintf(&b, "> (start %s)\n", text)
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			kind, text = dialog.InputButton, line[1:len(line)-1]
			fmt.Fprintf(&b, "> [%s]\n", text)
		default:
			fmt.Fprintf(&b, "> %s\n", abbreviate(text))
		}
		replies, effects := h.turn(kind, text)
		st := h.state()
		if len(replies) == 0 && len(effects) == 0 {
			t.Fatalf("input %q gave neither a reply nor an effect", line)
		}
		for _, r := range replies {
			text := h.render(st.Lang, r)
			fmt.Fprintf(&b, "< %s: %s\n", r.ID, strings.ReplaceAll(text, "\n", "\n    "))
			for i, btn := range r.Buttons {
				fmt.Fprintf(&b, "    %d) %s = %s\n", i+1, h.catalog.MustRender(st.Lang, btn.Label, btn.Data), btn.Value)
			}
		}
		for _, e := range effects {
			fmt.Fprintf(&b, "! %T%+v\n", e, e)
		}
		fmt.Fprintf(&b, "  [lang=%s step=%q goal=%q verified=%q]\n", st.Lang, st.Step, st.Goal, st.Verified)
	}
	return b.String()
}

// unescape lets scripts hold inputs a text file cannot: \xFF bytes, \n, and
// {x*N} for N copies of x.
func unescape(s string) string {
	rep := regexp.MustCompile(`\{(.)\*(\d+)\}`)
	s = rep.ReplaceAllStringFunc(s, func(m string) string {
		sub := rep.FindStringSubmatch(m)
		var n int
		fmt.Sscan(sub[2], &n)
		return strings.Repeat(sub[1], n)
	})
	s = strings.ReplaceAll(s, `\xFF`, "\xff")
	s = strings.ReplaceAll(s, `\xFE`, "\xfe")
	return strings.ReplaceAll(s, `\n`, "\n")
}

func abbreviate(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return fmt.Sprintf("%s… (%d characters)", string(r[:40]), len(r))
	}
	return fmt.Sprintf("%q", s)[1 : len(fmt.Sprintf("%q", s))-1]
}

func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, a, b)
		}
	}
	return ""
}

// sortedKeys is used by tests that print maps.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
