package locales_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

func catalog(t *testing.T) *locales.Catalog {
	t.Helper()
	c, err := locales.New(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSameIDsEverywhere fails when a message ID is missing from a language.
func TestSameIDsEverywhere(t *testing.T) {
	c := catalog(t)
	all := map[string]bool{}
	for _, l := range locales.Langs {
		for id := range c.IDs(l) {
			all[id] = true
		}
	}
	for _, l := range locales.Langs {
		for id := range all {
			if !c.IDs(l)[id] {
				t.Errorf("%s.toml lacks %q", l, id)
			}
		}
	}
}

// codeIDs finds the message IDs the code uses: string literals passed to
// the functions that take message IDs, and prefixes joined to a value
// ("intro_" + goal). Both are read from the source, so a new reply cannot
// be forgotten here.
func codeIDs(t *testing.T) (exact map[string]bool, prefixes []string, literals map[string]bool) {
	exact, literals = map[string]bool{}, map[string]bool{}
	takesID := map[string]int{"say": 0, "btn": 0, "Msg": 0, "text": 1, "render": 1, "Render": 1, "MustRender": 1}
	fset := token.NewFileSet()
	for _, dir := range []string{"../dialog", "../bot", "../channels", "."} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if s, ok := n.(ast.Expr); ok {
					if lit, ok := literal(s); ok {
						literals[lit] = true
					}
				}
				switch n := n.(type) {
				case *ast.CallExpr:
					name := ""
					switch fn := n.Fun.(type) {
					case *ast.Ident:
						name = fn.Name
					case *ast.SelectorExpr:
						name = fn.Sel.Name
					}
					if i, ok := takesID[name]; ok && i < len(n.Args) {
						if s, ok := literal(n.Args[i]); ok {
							exact[s] = true
						}
					}
				case *ast.BinaryExpr:
					if s, ok := literal(n.X); ok && n.Op == token.ADD && idPrefix.MatchString(s) {
						prefixes = append(prefixes, s)
					}
				case *ast.CompositeLit: // dialog.Button{Label: "…"}, []dialog.Button{{Label: "…"}}
					if _, list := n.Type.(*ast.ArrayType); list && isButtonType(n.Type) {
						for _, el := range n.Elts {
							if lit, ok := el.(*ast.CompositeLit); ok {
								buttonLabel(lit, exact)
							}
						}
					} else if isButtonType(n.Type) {
						buttonLabel(n, exact)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return exact, prefixes, literals
}

func buttonLabel(lit *ast.CompositeLit, ids map[string]bool) {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Label" {
				if s, ok := literal(kv.Value); ok {
					ids[s] = true
				}
			}
		}
	}
}

func isButtonType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "Button"
	case *ast.Ident:
		return e.Name == "Button"
	case *ast.ArrayType:
		return isButtonType(e.Elt)
	}
	return false
}

var idPrefix = regexp.MustCompile(`^[a-z]+(_[a-z]+)*_$`)

func literal(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// TestUsedIDsExist fails when the code uses a message ID a language lacks.
func TestUsedIDsExist(t *testing.T) {
	c := catalog(t)
	exact, prefixes, _ := codeIDs(t)
	if len(exact) < 50 {
		t.Fatalf("found only %d message IDs in the code: the scan is broken", len(exact))
	}
	for _, l := range locales.Langs {
		for id := range exact {
			if !c.IDs(l)[id] {
				t.Errorf("the code uses %q, missing from %s.toml", id, l)
			}
		}
		for _, p := range prefixes {
			found := false
			for id := range c.IDs(l) {
				found = found || strings.HasPrefix(id, p)
			}
			if !found {
				t.Errorf("the code builds IDs from %q, none in %s.toml", p, l)
			}
		}
	}
}

// TestNoUnusedIDs fails when a language has an ID the code never names
// (as a string literal, or through a prefix it builds IDs from).
func TestNoUnusedIDs(t *testing.T) {
	c := catalog(t)
	_, prefixes, literals := codeIDs(t)
	var unused []string
	for id := range c.IDs(locales.Langs[0]) {
		used := literals[id]
		for _, p := range prefixes {
			used = used || strings.HasPrefix(id, p)
		}
		if !used {
			unused = append(unused, id)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("message IDs no code uses: %v", unused)
	}
}

// TestNeverPassword: the bot never speaks of passwords, in any language.
func TestNeverPassword(t *testing.T) {
	c := catalog(t)
	bad := regexp.MustCompile(`(?i)密码|password|passcode`)
	for _, l := range locales.Langs {
		for id := range c.IDs(l) {
			s, err := c.Render(l, id, map[string]any{})
			if err != nil {
				t.Fatalf("%s %s: %v", l, id, err)
			}
			if bad.MatchString(s) {
				t.Errorf("%s %s mentions a password: %q", l, id, s)
			}
		}
	}
}

func TestRenderFormatsData(t *testing.T) {
	c := catalog(t)
	at := time.Date(2026, 12, 14, 2, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang dialog.Lang
		want []string
	}{
		{dialog.ZH, []string{"¥20.00", "2026年12月14日 02:05", "月度 VIP"}},
		{dialog.EN, []string{"¥20.00", "14 Dec 2026, 02:05", "Monthly VIP"}},
	} {
		s, err := c.Render(tc.lang, "confirm_cancel_now", map[string]any{
			"Plan": dialog.Msg("plan_monthly_vip"), "Effective": at, "Refund": dialog.Money(2000)})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: %q lacks %q", tc.lang, s, w)
			}
		}
	}
	if _, err := c.Render(dialog.EN, "no_such_message", nil); err == nil {
		t.Error("an unknown ID rendered without an error")
	}
}

// Langs is the list of message files, the default first: adding a
// language's words is adding a file, and every list of languages follows.
func TestLangsAreTheFiles(t *testing.T) {
	files, err := filepath.Glob("*.toml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, strings.TrimSuffix(f, ".toml"))
	}
	var got []string
	for _, l := range locales.Langs {
		got = append(got, string(l))
	}
	sort.Strings(want)
	sorted := slices.Sorted(slices.Values(got))
	if !slices.Equal(sorted, want) || got[0] != string(dialog.ZH) {
		t.Fatalf("Langs = %v; want the files %v, %s first", got, want, dialog.ZH)
	}
}

// A conversation can only be in a language the engine reads (it detects
// and switches between them): a file for another one would be offered but
// never spoken. Teach dialog (ParseLang, DetectLang) the language first.
func TestEveryLanguageIsOneTheEngineReads(t *testing.T) {
	for _, l := range locales.Langs {
		if got, ok := dialog.ParseLang(string(l)); !ok || got != l {
			t.Errorf("%s.toml: dialog.ParseLang(%q) = %q, %v; the engine does not read this language", l, l, got, ok)
		}
	}
}
