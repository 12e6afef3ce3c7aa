package dialog_test

import (
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/dialog"
)

var validSteps = map[dialog.Step]bool{
	dialog.StepIdle: true, dialog.StepIdentify: true, dialog.StepMethod: true, dialog.StepCode: true,
	dialog.StepAmount: true, dialog.StepMonth: true, dialog.StepOptions: true, dialog.StepReason: true,
	dialog.StepConfirm: true, dialog.StepClarify: true, dialog.StepNumber: true,
}

// FuzzTurn feeds the engine random conversations: lines of text, with
// "[value]" lines pressed as buttons. Invariants: no panic, every turn
// answers (a reply or an effect), the state stays valid.
func FuzzTurn(f *testing.F) {
	for _, seed := range []string{
		"我要取消会员\n13800138000\n246810\n[opt:cancel_now]\n[confirm:1]\n[reason:price]",
		"cancel my membership\ndemo@example.com\nemail\n246810\ndon't renew\nskip\nyes",
		"取消会员\n13800138000\n3\n50\n3月\n1\n取消\n[confirm:1]",
		"查工单 WO202611240000128\nwo202611240000017\n\xff\xfe",
		"[confirm:99]\n[opt:bogus]\n[method:fax]\n[lang:xx]\n2\n99",
		"转人工\n算了\nEnglish please\n重新开始",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		h := newHarness(t)
		for _, line := range strings.Split(script, "\n") {
			kind, text := dialog.InputText, line
			if len(line) > 2 && line[0] == '[' && line[len(line)-1] == ']' {
				kind, text = dialog.InputButton, line[1:len(line)-1]
			}
			replies, effects := h.turn(kind, text)
			if len(replies) == 0 && len(effects) == 0 {
				t.Fatalf("%q: no reply and no effect", line)
			}
			st := h.state()
			if !validSteps[st.Step] {
				t.Fatalf("%q: invalid step %q", line, st.Step)
			}
			if st.Lang != dialog.ZH && st.Lang != dialog.EN {
				t.Fatalf("%q: invalid language %q", line, st.Lang)
			}
			for _, r := range replies {
				if _, err := h.catalog.Render(st.Lang, r.ID, r.Data); err != nil {
					t.Fatalf("%q: %v", line, err)
				}
			}
		}
	})
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"WO202611240000127", "wo 20261124-000012-7", "WO2026", "ＷＯ２０２６１１２４００００１２７", "WO20261324000012X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := dialog.ParseNumber(s)
		if err != nil {
			return
		}
		again, err := dialog.ParseNumber(n)
		if err != nil || again != n || len(n) != 17 {
			t.Fatalf("%q canonicalised to %q, which reparses to %q, %v", s, n, again, err)
		}
	})
}

// BenchmarkTurn runs whole cancel flows through the engine alone (ports are
// in-memory fakes) and reports turns per second.
func BenchmarkTurn(b *testing.B) {
	flow := []struct {
		kind dialog.InputKind
		text string
	}{
		{dialog.InputText, "我要取消会员"}, {dialog.InputText, "13800138000"}, {dialog.InputText, testCode},
		{dialog.InputButton, "opt:no_renew"}, {dialog.InputText, "确认"}, {dialog.InputText, "太贵了"},
		{dialog.InputText, "how are you doing"}, {dialog.InputText, "what is the refund policy?"},
	}
	h := newHarness(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step := flow[i%len(flow)]
		h.turn(step.kind, step.text)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
}
