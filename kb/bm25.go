package kb

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// BM25F over three fields of each article: a term found in the title or
// among the synonyms weighs more than one in the body, and each field is
// normalised by its own average length.

type field int

const (
	fieldTitle field = iota
	fieldSynonyms
	fieldBody
	numFields
)

var (
	fieldWeight = [numFields]float64{fieldTitle: 2.5, fieldSynonyms: 3, fieldBody: 1}
	// Titles and synonym lists are short and their length says little about
	// how much of them a term is, so they are barely length-normalised.
	fieldB = [numFields]float64{fieldTitle: 0.3, fieldSynonyms: 0.2, fieldBody: 0.75}
)

const k1 = 1.2

// shortQuery is the most Chinese characters a question may have for its
// single characters to count as terms besides its bigrams.
const shortQuery = 3

// index holds the articles of one language.
type index struct {
	docs     []indexedDoc
	postings map[string][]posting
	avgLen   [numFields]float64
}

type indexedDoc struct {
	article  *Article
	length   [numFields]int
	synonyms []string // folded, for whole-phrase matches
	core     string   // coreText: title and synonyms, folded
}

type posting struct {
	doc int
	tf  [numFields]int
}

func newIndex(articles []*Article, bodies []string) *index {
	ix := &index{postings: map[string][]posting{}}
	var total [numFields]int
	for d, a := range articles {
		texts := [numFields]string{
			fieldTitle:    a.Title,
			fieldSynonyms: strings.Join(a.Synonyms, " \n "),
			fieldBody:     bodies[d],
		}
		doc := indexedDoc{article: a, core: coreText(a)}
		for _, s := range a.Synonyms {
			doc.synonyms = append(doc.synonyms, fold(s))
		}
		tf := map[string]*[numFields]int{}
		var order []string
		for f, text := range texts {
			terms := tokenize(text, true)
			doc.length[f] = len(terms)
			total[f] += len(terms)
			for _, t := range terms {
				if tf[t] == nil {
					tf[t] = new([numFields]int)
					order = append(order, t)
				}
				tf[t][f]++
			}
		}
		for _, t := range order {
			ix.postings[t] = append(ix.postings[t], posting{doc: d, tf: *tf[t]})
		}
		ix.docs = append(ix.docs, doc)
	}
	for f := range numFields {
		if len(articles) > 0 {
			ix.avgLen[f] = max(1, float64(total[f])/float64(len(articles)))
		}
	}
	return ix
}

// hit is one article's score for a question, with the share of the
// question's weight that the article covers.
type hit struct {
	doc      int
	score    float64
	coverage float64
	foreign  bool // the question names a foreign word the article does not
}

// search scores every article against q and returns those with a positive
// score, best first.
func (ix *index) search(q string) []hit {
	if len(ix.docs) == 0 {
		return nil
	}
	terms := ix.weighTerms(queryTerms(q))
	if len(terms) == 0 {
		return nil
	}
	scores := make([]float64, len(ix.docs))
	matched := make([]float64, len(ix.docs)) // weight of the terms each doc has
	var weight float64                       // weight of all the question's terms
	for _, t := range terms {
		ps := ix.postings[t.term]
		w := t.boost * ix.idf(len(ps))
		weight += w
		for _, p := range ps {
			doc := &ix.docs[p.doc]
			var tf float64
			for f := range numFields {
				if p.tf[f] == 0 {
					continue
				}
				norm := 1 - fieldB[f] + fieldB[f]*float64(doc.length[f])/ix.avgLen[f]
				tf += fieldWeight[f] * float64(p.tf[f]) / norm
			}
			scores[p.doc] += w * tf * (k1 + 1) / (k1 + tf)
			matched[p.doc] += w
		}
	}
	folded := fold(q)
	foreign := foreignIn(folded)
	var hits []hit
	for d, s := range scores {
		if s <= 0 {
			continue
		}
		h := hit{doc: d, score: s, coverage: matched[d] / weight}
		for _, w := range foreign {
			if !containsPhrase(ix.docs[d].core, w) {
				h.foreign = true
			}
		}
		// A member's own words, as listed among the synonyms, answer the
		// question whatever else it says.
		for _, syn := range ix.docs[d].synonyms {
			if containsPhrase(folded, syn) {
				h.score += phraseBonus
				h.coverage = max(h.coverage, phraseCoverage)
			}
		}
		// Coordination, as in Lucene's classic similarity: an article that
		// has all of the question's words beats one that has some of them
		// many times.
		h.score *= h.coverage
		hits = append(hits, h)
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	return hits
}

// seamWeight is what a seam bigram's stand-in character counts (see
// weighTerms).
const seamWeight = 0.5

// A question that contains one of an article's synonyms whole gets
// phraseBonus added to that article's score and counts as covered at least
// phraseCoverage.
const (
	phraseBonus    = 3.0
	phraseCoverage = 0.75
)

// containsPhrase reports whether phrase (folded, two runes or more) occurs in
// s (folded); a Latin phrase must start and end at word boundaries.
func containsPhrase(s, phrase string) bool {
	if len([]rune(phrase)) < 2 {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], phrase)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(phrase)
		if !latinAt(s, start-1, phrase[0]) && !latinAt(s, end, phrase[len(phrase)-1]) {
			return true
		}
		i = start + 1
	}
}

// latinAt reports whether s has a letter or digit at i that would glue to
// the neighbouring phrase byte b, which is itself a letter or digit.
func latinAt(s string, i int, b byte) bool {
	alnum := func(c byte) bool { return isLetter(rune(c)) || isDigit(rune(c)) }
	return i >= 0 && i < len(s) && alnum(s[i]) && alnum(b)
}

// idf is the inverse document frequency of a term found in df articles;
// a term that none has gets the most.
func (ix *index) idf(df int) float64 {
	n := float64(len(ix.docs))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// weightedTerm is a question's term with how much it counts.
type weightedTerm struct {
	term  string
	boost float64
}

// weighTerms gives every term of a question a boost of 1, except a Chinese
// bigram that no article has while both its characters are known: that is
// mostly a seam between two words (还扣 in 这个月还扣了钱), so the rarer of
// its characters stands in for it, at seamWeight. Any other term no article
// has stays: it lowers every article's coverage.
func (ix *index) weighTerms(terms []string) []weightedTerm {
	out := make([]weightedTerm, 0, len(terms))
	used := map[string]bool{}
	for _, t := range terms {
		rs := []rune(t)
		if _, seen := ix.postings[t]; !seen && len(rs) == 2 && isHan(rs[0]) && isHan(rs[1]) {
			c0, c1 := string(rs[0]), string(rs[1])
			df0, df1 := len(ix.postings[c0]), len(ix.postings[c1])
			if df0 > 0 && df1 > 0 {
				if df1 < df0 {
					c0 = c1
				}
				if !used[c0] {
					used[c0] = true
					out = append(out, weightedTerm{c0, seamWeight})
				}
				continue
			}
		}
		out = append(out, weightedTerm{t, 1})
	}
	return out
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// queryTerms tokenizes a question, once per term; a short Chinese question
// also counts its single characters.
func queryTerms(q string) []string {
	han := 0
	for _, r := range q {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, t := range tokenize(q, han <= shortQuery) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
