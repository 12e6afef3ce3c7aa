package dialog

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// A lexicon is a set of phrases, each naming a small concept (a uint8 whose
// meaning belongs to the lexicon's user), compiled once into a rune trie.
// Scanning normalised text from left to right takes the longest phrase that
// starts at each position (forward maximum matching, as Chinese word
// segmenters do); English phrases only start and end at word boundaries, and
// a phrase written with a trailing * also matches longer words ("cancel*"
// matches "cancelled", "cancellation"). Text between phrases becomes gaps.

// lexPhrase is what a phrase stands for.
type lexPhrase struct {
	c        uint8
	question bool // the phrase also marks a question (吗, 能不能)
	prefix   bool // may be followed by more letters of the same word
	wordEnd  bool // ends with an ASCII letter or digit: needs a word boundary
}

type trieNode struct {
	first, n int32 // edges[first : first+n], sorted by rune
	phrase   int32 // index in phrases, -1 when no phrase ends here
}

type trieEdge struct {
	r  rune
	to int32
}

type lexicon struct {
	rootASCII [128]int32
	rootHan   []int32 // by r-hanLo
	rootOther map[rune]int32
	nodes     []trieNode
	edges     []trieEdge
	phrases   []lexPhrase
	// woConcept, when not 0, is emitted for a word that looks like a
	// work-order number (WO + digits, or a bare 15-digit number from 20xx).
	woConcept uint8
	dupes     []string // phrases given twice with different concepts (a lexicon bug; tested)
}

// lexBuilder collects phrases before compiling them.
type lexBuilder struct {
	kids    map[uint64]int32 // parent<<32 | rune → child
	phrase  []int32          // by node
	phrases []lexPhrase
	texts   map[string]int32
	dupes   []string
}

func newLexBuilder() *lexBuilder {
	return &lexBuilder{kids: map[uint64]int32{}, phrase: []int32{-1}, texts: map[string]int32{}}
}

// add adds the comma-separated phrases of list under concept c. A leading ?
// marks a question phrase, a trailing * a prefix phrase.
func (b *lexBuilder) add(c uint8, list string) {
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		ph := lexPhrase{c: c}
		if strings.HasPrefix(p, "?") && len(p) > 1 {
			ph.question = true
			p = p[1:]
		}
		if strings.HasSuffix(p, "*") {
			ph.prefix = true
			p = p[:len(p)-1]
		}
		noteEnglish(p)
		b.insert(p, ph, false)
	}
}

// insert adds one phrase; with soft, a phrase already present is kept as it
// is (used for generated spelling variants).
func (b *lexBuilder) insert(p string, ph lexPhrase, soft bool) {
	nb, _ := normalizeTo(nil, p, false)
	key := string(nb)
	if key == "" {
		return
	}
	ph.wordEnd = isWordByte(nb[len(nb)-1])
	if old, ok := b.texts[key]; ok {
		if !soft && (b.phrases[old].c != ph.c || b.phrases[old].prefix != ph.prefix) {
			b.dupes = append(b.dupes, key)
		}
		if !soft {
			b.phrases[old] = ph
		}
		return
	}
	node := int32(0)
	for _, r := range key {
		k := uint64(node)<<32 | uint64(uint32(r))
		next, ok := b.kids[k]
		if !ok {
			next = int32(len(b.phrase))
			b.phrase = append(b.phrase, -1)
			b.kids[k] = next
		}
		node = next
	}
	id := int32(len(b.phrases))
	b.phrases = append(b.phrases, ph)
	b.phrase[node] = id
	b.texts[key] = id
}

// covers tells whether p is a phrase already or a word that a prefix phrase
// matches ("reactivate" is covered by "reactivat*").
func (b *lexBuilder) covers(p string) bool {
	nb, _ := normalizeTo(nil, p, false)
	if _, ok := b.texts[string(nb)]; ok {
		return true
	}
	node := int32(0)
	for _, r := range string(nb) {
		next, ok := b.kids[uint64(node)<<32|uint64(uint32(r))]
		if !ok {
			return false
		}
		node = next
		if id := b.phrase[node]; id >= 0 && b.phrases[id].prefix {
			return true
		}
	}
	return false
}

// build compiles the trie into flat arrays.
func (b *lexBuilder) build() *lexicon {
	lx := &lexicon{
		rootHan:   make([]int32, hanHi-hanLo+1),
		rootOther: map[rune]int32{},
		nodes:     make([]trieNode, len(b.phrase)),
		edges:     make([]trieEdge, 0, len(b.kids)),
		phrases:   b.phrases,
		dupes:     b.dupes,
	}
	keys := make([]uint64, 0, len(b.kids))
	for k := range b.kids {
		keys = append(keys, k)
	}
	slices.Sort(keys) // by parent, then rune
	for i := range lx.nodes {
		lx.nodes[i].phrase = b.phrase[i]
	}
	for _, k := range keys {
		parent := int32(k >> 32)
		nd := &lx.nodes[parent]
		if nd.n == 0 {
			nd.first = int32(len(lx.edges))
		}
		nd.n++
		lx.edges = append(lx.edges, trieEdge{rune(uint32(k)), b.kids[k]})
	}
	for _, k := range keys {
		if k>>32 != 0 {
			break
		}
		r, to := rune(uint32(k)), b.kids[k]
		switch {
		case r < 128:
			lx.rootASCII[r] = to
		case r >= hanLo && r <= hanHi:
			lx.rootHan[r-hanLo] = to
		default:
			lx.rootOther[r] = to
		}
	}
	return lx
}

func (lx *lexicon) child(node int32, r rune) int32 {
	nd := &lx.nodes[node]
	es := lx.edges[nd.first : nd.first+nd.n]
	if len(es) <= 8 {
		for _, e := range es {
			if e.r == r {
				return e.to
			}
		}
		return 0
	}
	lo, hi := 0, len(es)
	for lo < hi {
		m := (lo + hi) / 2
		if es[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].r == r {
		return es[lo].to
	}
	return 0
}

// match finds the longest phrase starting at s[i]; end is where it stops.
func (lx *lexicon) match(s []byte, i int) (end int, phrase int32) {
	phrase = -1
	var node int32
	if c := s[i]; c < utf8.RuneSelf {
		node = lx.rootASCII[c]
		i++
	} else {
		r, n := utf8.DecodeRune(s[i:])
		i += n
		if r >= hanLo && r <= hanHi {
			node = lx.rootHan[r-hanLo]
		} else {
			node = lx.rootOther[r]
		}
	}
	for node != 0 {
		nd := &lx.nodes[node]
		if nd.phrase >= 0 {
			ph := &lx.phrases[nd.phrase]
			if !ph.wordEnd || ph.prefix || i >= len(s) || !isWordByte(s[i]) {
				end, phrase = i, nd.phrase
			}
		}
		if nd.n == 0 || i >= len(s) {
			break
		}
		var r rune
		if c := s[i]; c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var n int
			r, n = utf8.DecodeRune(s[i:])
			i += n
		}
		node = lx.child(node, r)
	}
	return end, phrase
}

// token is one phrase found in a text, or a clause boundary.
type token struct {
	c   uint8
	q   bool
	pos int32 // position: phrases, unknown words and unknown characters each count 1
}

// scanStats describes what a scan did not recognise.
type scanStats struct {
	gaps      int // unknown words and characters
	gapWords  int // unknown ASCII words
	digitRuns int // unknown words made only of digits
	positions int32
}

// tokClause is the concept of a clause boundary in every lexicon.
const tokClause uint8 = 255

// scan tokenises normalised text (with clause marks) into toks.
func (lx *lexicon) scan(s []byte, toks []token) ([]token, scanStats) {
	var st scanStats
	pos := int32(0)
	for i := 0; i < len(s); {
		b := s[i]
		if b == ' ' {
			i++
			continue
		}
		if b == clauseMark {
			if n := len(toks); n == 0 || toks[n-1].c != tokClause {
				toks = append(toks, token{c: tokClause, pos: pos})
				pos++
			}
			i++
			continue
		}
		if end, ph := lx.match(s, i); ph >= 0 {
			p := &lx.phrases[ph]
			toks = append(toks, token{c: p.c, q: p.question, pos: pos})
			pos++
			i = end
			if p.prefix {
				for i < len(s) && isWordByte(s[i]) {
					i++
				}
			}
			continue
		}
		if isWordByte(b) {
			j := i
			digits := true
			for j < len(s) && isWordByte(s[j]) {
				if s[j] > '9' {
					digits = false
				}
				j++
			}
			if lx.woConcept != 0 && lx.looksLikeNumber(s, i, j, digits) {
				toks = append(toks, token{c: lx.woConcept, pos: pos})
			} else {
				st.gaps++
				st.gapWords++
				if digits {
					st.digitRuns++
				}
			}
			pos++
			i = j
			continue
		}
		_, n := utf8.DecodeRune(s[i:])
		i += n
		st.gaps++
		pos++
	}
	st.positions = pos
	return toks, st
}

// looksLikeNumber tells whether the word s[i:j] starts a work-order number:
// "wo" + at least 6 digits, "wo" followed by a digit word, or a bare
// 15-digit number that starts with 20.
func (lx *lexicon) looksLikeNumber(s []byte, i, j int, digits bool) bool {
	w := s[i:j]
	if digits {
		return len(w) == 15 && w[0] == '2' && w[1] == '0'
	}
	if len(w) < 2 || w[0] != 'w' || w[1] != 'o' {
		return false
	}
	rest := w[2:]
	if len(rest) == 0 {
		return j+1 < len(s) && s[j] == ' ' && s[j+1] >= '0' && s[j+1] <= '9'
	}
	if len(rest) < 6 {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
