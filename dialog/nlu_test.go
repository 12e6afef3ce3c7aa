package dialog

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type utterance struct {
	line   int
	text   string
	intent Intent
	lang   Lang
}

func readUtterances(t *testing.T, name string) []utterance {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "nlu", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var us []utterance
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("%s:%d: want text<TAB>intent<TAB>lang, got %q", name, n, line)
		}
		in := Intent(parts[1])
		known := false
		for _, k := range Intents {
			known = known || k == in
		}
		if !known {
			t.Fatalf("%s:%d: unknown intent %q", name, n, in)
		}
		if parts[2] != string(ZH) && parts[2] != string(EN) {
			t.Fatalf("%s:%d: unknown lang %q", name, n, parts[2])
		}
		us = append(us, utterance{n, parts[0], in, Lang(parts[2])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return us
}

func isCancelType(in Intent) bool {
	return in == IntentCancelMembership || in == IntentTurnOffAutoRenew
}

// cliLang is what `kefu intent` prints as the language.
func cliLang(text string) Lang {
	if l, ok := DetectLang(text); ok {
		return l
	}
	return ZH
}

// evalSet scores a test set: accuracy, false-cancel rate (non-cancel
// sentences read as cancel_membership or turn_off_autorenew), language
// accuracy; it logs per-intent accuracy and the failures.
func evalSet(t *testing.T, name string) (acc, falseCancel, langAcc float64) {
	us := readUtterances(t, name)
	type stat struct{ n, ok int }
	per := map[Intent]*stat{}
	confusion := map[string][]string{}
	right, nonCancel, fc, langOK := 0, 0, 0, 0
	for _, u := range us {
		got := Classify(u.text)
		s := per[u.intent]
		if s == nil {
			s = &stat{}
			per[u.intent] = s
		}
		s.n++
		if got == u.intent {
			right++
			s.ok++
		} else {
			k := fmt.Sprintf("%s → %s", u.intent, got)
			confusion[k] = append(confusion[k], fmt.Sprintf("%d:%q", u.line, u.text))
		}
		if !isCancelType(u.intent) {
			nonCancel++
			if isCancelType(got) {
				fc++
			}
		}
		if cliLang(u.text) == u.lang {
			langOK++
		} else {
			t.Logf("%s:%d: lang %s, want %s: %q", name, u.line, cliLang(u.text), u.lang, u.text)
		}
	}
	acc = float64(right) / float64(len(us))
	langAcc = float64(langOK) / float64(len(us))
	if nonCancel > 0 {
		falseCancel = float64(fc) / float64(nonCancel)
	}
	t.Logf("%s: %d utterances, accuracy %.3f, false-cancel %d/%d = %.4f, language %.3f",
		name, len(us), acc, fc, nonCancel, falseCancel, langAcc)
	for _, in := range Intents {
		if s := per[in]; s != nil {
			t.Logf("  %-20s %3d/%3d %.3f", in, s.ok, s.n, float64(s.ok)/float64(s.n))
		}
	}
	keys := make([]string, 0, len(confusion))
	for k := range confusion {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %s (%d): %s", k, len(confusion[k]), strings.Join(confusion[k], " "))
	}
	return acc, falseCancel, langAcc
}

func TestNLUTestSet(t *testing.T) {
	for _, c := range []struct {
		file   string
		minAcc float64
	}{
		{"utterances.tsv", 0.93},
		{"heldout.tsv", 0.90},
	} {
		t.Run(strings.TrimSuffix(c.file, ".tsv"), func(t *testing.T) {
			acc, fc, langAcc := evalSet(t, c.file)
			if acc < c.minAcc {
				t.Errorf("%s: accuracy %.3f < %.2f", c.file, acc, c.minAcc)
			}
			if fc > 0.02 {
				t.Errorf("%s: false-cancel rate %.4f > 0.02", c.file, fc)
			}
			if langAcc < 0.99 {
				t.Errorf("%s: language accuracy %.3f < 0.99", c.file, langAcc)
			}
		})
	}
}

func TestNLULexicon(t *testing.T) {
	for _, lx := range []*lexicon{clsLex, cmdLex, methodLex} {
		if len(lx.dupes) > 0 {
			t.Errorf("phrases listed under two concepts: %q", lx.dupes)
		}
	}
}
