package dialog

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// No package but dialog spells a button value: channels, the runtime and
// the commands use the exported vocabulary (vocab.go), so a value changes
// in one place. The test reads the module's non-test sources, test-support
// packages aside.
func TestOnlyDialogSpellsButtonValues(t *testing.T) {
	exact := []string{btnAbort, btnBack, btnResend, btnMethods, btnContinue}
	prefixes := []string{btnIntent, btnMethod, btnOption, btnReason, btnConfirm, btnLang, btnOrder}
	forged := func(s string) bool {
		for _, v := range exact {
			if s == v {
				return true
			}
		}
		for _, p := range prefixes {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}
	root := ".."
	fset := gotoken.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Test-support packages (channeltest, telegramtest, …) play the
			// member on the wire, as a black-box test does.
			if n := d.Name(); n == "dialog" || n == "bench" || n == "testdata" || strings.HasSuffix(n, "test") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != gotoken.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && forged(s) {
				t.Errorf("%s: %s spells a button value of the engine; use dialog's vocabulary (IntentValue, LangValue, ValueAbort, …)", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("read %d source files; want the whole module", checked)
	}
}
