//go:build bleve

package kb

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestCompareBleve logs how Base and BleveBase do on the development set;
// bleve's no-answer threshold is the best one for it on this very set.
func TestCompareBleve(t *testing.T) {
	qs := readQuestions(t, devSet)
	b := demo(t)
	e := evaluate(qs, baseAnswer(b))
	t.Logf("kb BM25F: top-1 %.3f, ranking top-1 %.3f, no-answer precision %.3f recall %.3f, heap %d B",
		e.top1(), rankingTop1(qs, b.Search), e.noAnswerPrecision(), e.noAnswerRecall(),
		heapAfter(func() any { b, _ := Demo(testFacts); return b }))
	for _, scoring := range []string{"", "bm25"} {
		bb, problems, err := LoadBleve(demoFS(), testFacts, scoring)
		if err != nil || len(problems) > 0 {
			t.Fatal(err, problems)
		}
		defer bb.Close()
		best, threshold := evaluation{}, 0.0
		for _, th := range topScores(qs, bb.Search) {
			e := evaluate(qs, thresholdAnswer(bb.Search, th))
			if e.correct > best.correct {
				best, threshold = e, th
			}
		}
		t.Logf("bleve %q: top-1 %.3f at threshold %.3f, ranking top-1 %.3f, no-answer precision %.3f recall %.3f, heap %d B",
			scoring, best.top1(), threshold, rankingTop1(qs, bb.Search), best.noAnswerPrecision(), best.noAnswerRecall(),
			heapAfter(func() any { bb, _, _ := LoadBleve(demoFS(), testFacts, scoring); return bb }))
		// (the measured copy is left open: closing it would free what is measured)
	}
}

type searchFunc func(query, lang string, n int) []Result

// rankingTop1 is the share of answerable questions whose first result is
// right, whatever its score.
func rankingTop1(qs []question, search searchFunc) float64 {
	n, ok := 0, 0
	for _, q := range qs {
		if q.want == "none" {
			continue
		}
		n++
		if rs := search(q.text, q.lang, 1); len(rs) > 0 && rs[0].ID == q.want {
			ok++
		}
	}
	return ratio(ok, n)
}

func topScores(qs []question, search searchFunc) []float64 {
	ths := []float64{0}
	for _, q := range qs {
		if rs := search(q.text, q.lang, 1); len(rs) > 0 {
			ths = append(ths, rs[0].Score)
		}
	}
	slices.Sort(ths)
	return ths
}

func thresholdAnswer(search searchFunc, threshold float64) answerFunc {
	return func(query, lang string) (string, bool) {
		rs := search(query, lang, 1)
		if len(rs) == 0 || rs[0].Score < threshold {
			return "", false
		}
		return rs[0].ID, true
	}
}

// heapAfter is how much more heap is in use once load's result is built.
func heapAfter(load func() any) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := load()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return after.HeapAlloc - before.HeapAlloc
}

func BenchmarkLoadBleve(b *testing.B) {
	for _, scoring := range []string{"tfidf", "bm25"} {
		b.Run(scoring, func(b *testing.B) {
			for b.Loop() {
				bb, _, err := LoadBleve(demoFS(), testFacts, strings.TrimPrefix(scoring, "tfidf"))
				if err != nil {
					b.Fatal(err)
				}
				bb.Close()
			}
		})
	}
}

func BenchmarkSearchBleve(b *testing.B) {
	for _, scoring := range []string{"tfidf", "bm25"} {
		b.Run(scoring, func(b *testing.B) {
			bb, _, err := LoadBleve(demoFS(), testFacts, strings.TrimPrefix(scoring, "tfidf"))
			if err != nil {
				b.Fatal(err)
			}
			defer bb.Close()
			for b.Loop() {
				bb.Search("取消会员能退多少钱", LangZH, 5)
				bb.Search("I cancelled but you charged me again", LangEN, 5)
			}
		})
	}
}
