package dialog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var benchTexts = []string{
	"我要取消会员",
	"I want to cancel my membership",
	"不续费了",
	"how do I turn off auto renew",
	"取消订单",
	"会员取消了能退款吗",
	"你好",
	"13800138000",
	"客服你好，最近手头有点紧，会员用得也不多，想把它取消掉，麻烦帮我处理一下",
	"Hey there, I've been a member for a while but honestly I don't use it much these days, so I'd like to cancel my membership please",
	"WO202611240000127",
	"好的",
}

func BenchmarkClassify(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Classify(benchTexts[i%len(benchTexts)])
	}
}

func BenchmarkDetectCommand(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		DetectCommand(benchTexts[i%len(benchTexts)])
	}
}

// BenchmarkTurnNLU is what the engine runs on a typical turn.
func BenchmarkTurnNLU(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := benchTexts[i%len(benchTexts)]
		DetectCommand(t)
		Classify(t)
	}
}

// BenchmarkLexiconBuild is the start-up cost of the classifier's phrases.
func BenchmarkLexiconBuild(b *testing.B) {
	for b.Loop() {
		buildClassifierLexicon()
	}
}

func BenchmarkClassifyLong(b *testing.B) {
	long := strings.Repeat("这个会员我用了很久，但是最近觉得不太值，", 50) + "我要取消会员"
	b.ReportAllocs()
	for b.Loop() {
		Classify(long)
	}
}

func validIntent(in Intent) bool {
	for _, k := range Intents {
		if k == in {
			return true
		}
	}
	return false
}

func fuzzSeeds(f *testing.F) {
	for _, s := range benchTexts {
		f.Add(s)
	}
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "nlu", "utterances.tsv")); err == nil {
		for i, line := range strings.Split(string(b), "\n") {
			if i%10 == 0 {
				text, _, _ := strings.Cut(line, "\t")
				f.Add(text)
			}
		}
	}
	for _, s := range []string{"", "\xff", "取消\x00會員", "ＷＯ２０２６", "+86 138-0013-8000", "¥30.00", "三十块五", "2024年3月", "<script>alert(1)</script>", "a@b.co", "wo wo wo 1", "十万八千", "1,2,3,4,5,6"} {
		f.Add(s)
	}
}

func FuzzClassify(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if in := Classify(s); !validIntent(in) {
			t.Fatalf("Classify(%q) = %q", s, in)
		}
		DetectCommand(s)
		DetectMethod(s)
		if l, ok := DetectLang(s); ok && l != ZH && l != EN {
			t.Fatalf("DetectLang(%q) = %q", s, l)
		}
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if Normalize(n) != n {
			t.Fatalf("Normalize not idempotent on %q: %q → %q", s, n, Normalize(n))
		}
		extractAll(t, s)
	})
}

func FuzzExtract(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) { extractAll(t, s) })
}

func extractAll(t *testing.T, s string) {
	if p, ok := ExtractPhone(s); ok && (len(p) != 11 || p[0] != '1') {
		t.Fatalf("ExtractPhone(%q) = %q", s, p)
	}
	if e, ok := ExtractEmail(s); ok && (!strings.Contains(e, "@") || strings.ToLower(e) != e) {
		t.Fatalf("ExtractEmail(%q) = %q", s, e)
	}
	if c, ok := ExtractCode(s); ok && len(c) != 6 {
		t.Fatalf("ExtractCode(%q) = %q", s, c)
	}
	if n, ok := ExtractNumber(s); ok && !strings.Contains(s, n) {
		t.Fatalf("ExtractNumber(%q) = %q, not in the text", s, n)
	}
	if a, ok := ExtractAmount(s); ok && a < 0 {
		t.Fatalf("ExtractAmount(%q) = %d", s, a)
	}
	if m, ok := ExtractMonth(s); ok && (m < 1 || m > 12) {
		t.Fatalf("ExtractMonth(%q) = %d", s, m)
	}
}
