// Package kb is kefu's help-center knowledge base: articles written in
// Markdown, one file per article and language, loaded into an immutable Base
// that lists them by topic and finds the article that answers a member's
// question, or says that none does.
//
// # Article files
//
// Every *.md file under the directory given to Load is an article. It starts
// with a front matter between two "---" lines, then the body in CommonMark:
//
//	---
//	id: cancel-self-service
//	title: 怎样自己取消会员或关闭自动续费
//	lang: zh-CN
//	topic: 会员与续费
//	synonyms: [退订, 解约, 不想续费, unsubscribe]
//	---
//	First paragraph: the summary the chat shows.
//
//	More paragraphs, lists, links…
//
// The front matter is a small subset of YAML: one "key: value" per line,
// values plain or quoted ("…" or '…'), lines starting with "#" ignored. The
// keys are id (lower-case letters, digits and "-"; it is part of the
// article's address), title, lang (zh-CN or en), topic and synonyms. id,
// title and lang are required. synonyms is a list, either on one line as
// [a, b, "c, d"] or one "- item" per line under "synonyms:"; they are the
// members' own words for what the article is about, in any language, and
// weigh more than the body when searching. The convention is to name the
// file <id>.<lang>.md; one id may have one article per language.
//
// The body's first paragraph is the article's summary, what the chat shows
// in reply to a question. Raw HTML in the body is not rendered. {{name}} in
// the title or body is replaced by facts[name] from the facts given to Load,
// so that a rule the bot computes (a waiting time, a number of days) is
// written in one place; an unknown name is a problem.
//
// An article with any problem (bad front matter, a required key missing, an
// unknown language or key, an id given twice in one language, an unknown
// placeholder) is reported by Load and left out; the others load.
//
// # Search
//
// Search ranks articles with BM25F over title, synonyms and body, in the
// member's language first. Answer returns the best article only when it
// covers enough of the question (see Answer); otherwise the caller should
// say it does not know rather than guess.
package kb

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The languages articles may be written in.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

// Article is one help-center article in one language.
type Article struct {
	ID       string
	Lang     string
	Title    string
	Topic    string
	Synonyms []string
	Summary  string        // the body's first paragraph, as plain text
	HTML     template.HTML // the whole body; raw HTML in the source is left out
	File     string        // the path it was loaded from
}

// Result is an article found by Search or Answer.
type Result struct {
	ID      string
	Lang    string
	Title   string
	Summary string
	Score   float64 // higher is better; comparable only within one search
}

// Problem is something wrong with an article file; the article it is in was
// not loaded.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Base is a loaded set of articles. It never changes after Load, so any
// number of goroutines may use it at once; to reload, build a new Base and
// swap it in.
type Base struct {
	articles map[string][]*Article // by language, ordered by topic, title
	indexes  map[string]*index     // by language
}

//go:embed articles/*.md
var demoFiles embed.FS

// Demo returns the built-in articles for YunKa (云卡盟), with facts filling
// their placeholders. Problems are a bug in the demo set; the tests keep
// them at none.
func Demo(facts map[string]string) (*Base, []Problem) {
	return Load(demoFS(), facts)
}

func demoFS() fs.FS {
	sub, err := fs.Sub(demoFiles, "articles")
	if err != nil {
		panic(err) // the directory is compiled in
	}
	return sub
}

// Load reads every *.md file in fsys, at any depth, as an article. It
// returns the articles that load and a problem for each one that does not,
// ordered by file and line.
func Load(fsys fs.FS, facts map[string]string) (*Base, []Problem) {
	loaded, bodies, problems := parseFiles(fsys, facts)
	b := &Base{articles: map[string][]*Article{}, indexes: map[string]*index{}}
	for _, a := range loaded {
		b.articles[a.Lang] = append(b.articles[a.Lang], a)
	}
	for lang, as := range b.articles {
		slices.SortFunc(as, func(x, y *Article) int {
			return cmp.Or(cmp.Compare(x.Topic, y.Topic), cmp.Compare(x.Title, y.Title), cmp.Compare(x.ID, y.ID))
		})
		texts := make([]string, len(as))
		for i, a := range as {
			texts[i] = bodies[a]
		}
		b.indexes[lang] = newIndex(as, texts)
	}
	return b, problems
}

// parseFiles parses the articles in fsys and returns those that load, each
// with its body as plain text, and the problems, ordered by file and line.
func parseFiles(fsys fs.FS, facts map[string]string) ([]*Article, map[*Article]string, []Problem) {
	var problems []Problem
	var loaded []*Article
	bodies := map[*Article]string{}
	seen := map[string]string{} // lang + "/" + id → file
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, Problem{File: p, Msg: err.Error()})
			return nil
		}
		if d.IsDir() || path.Ext(p) != ".md" {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			problems = append(problems, Problem{File: p, Msg: err.Error()})
			return nil
		}
		a, text, errs := parseArticle(string(src), facts)
		for _, e := range errs {
			problems = append(problems, Problem{File: p, Line: e.line, Msg: e.msg})
		}
		if len(errs) > 0 {
			return nil
		}
		key := a.Lang + "/" + a.ID
		if first, dup := seen[key]; dup {
			problems = append(problems, Problem{File: p, Line: 1, Msg: fmt.Sprintf("id %s in %s is already in %s", a.ID, a.Lang, first)})
			return nil
		}
		seen[key] = p
		a.File = p
		loaded = append(loaded, a)
		bodies[a] = text
		return nil
	})
	if err != nil {
		problems = append(problems, Problem{File: ".", Msg: err.Error()})
	}
	slices.SortStableFunc(problems, func(x, y Problem) int {
		return cmp.Or(cmp.Compare(x.File, y.File), cmp.Compare(x.Line, y.Line))
	})
	return loaded, bodies, problems
}

// parseArticle returns the article in src and its body as plain text, or
// what is wrong with it.
func parseArticle(src string, facts map[string]string) (*Article, string, []*parseError) {
	fm, body, bodyLine, err := splitFrontMatter(src)
	if err != nil {
		return nil, "", []*parseError{err.(*parseError)}
	}
	var errs []*parseError
	line := func(key string) int {
		if n, ok := fm.lines[key]; ok {
			return n
		}
		return 1
	}
	for _, req := range []struct{ key, value string }{{"id", fm.id}, {"title", fm.title}, {"lang", fm.lang}} {
		if req.value == "" {
			errs = append(errs, &parseError{line(req.key), req.key + " is missing"})
		}
	}
	if fm.id != "" && !validID(fm.id) {
		errs = append(errs, &parseError{line("id"), fmt.Sprintf("id %q: want lower-case letters, digits and -", fm.id)})
	}
	if fm.lang != "" && fm.lang != LangZH && fm.lang != LangEN {
		errs = append(errs, &parseError{line("lang"), fmt.Sprintf("unknown lang %q (want %s or %s)", fm.lang, LangZH, LangEN)})
	}
	title, titleErrs := fillPlaceholders(fm.title, line("title"), facts)
	errs = append(errs, titleErrs...)
	body, bodyErrs := fillPlaceholders(body, bodyLine, facts)
	errs = append(errs, bodyErrs...)
	if len(errs) > 0 {
		return nil, "", errs
	}
	r, rerr := render(body)
	if rerr != nil {
		return nil, "", []*parseError{{bodyLine, rerr.Error()}}
	}
	if r.summary == "" {
		return nil, "", []*parseError{{bodyLine, "no summary: the body must start with a paragraph"}}
	}
	return &Article{
		ID:       fm.id,
		Lang:     fm.lang,
		Title:    title,
		Topic:    fm.topic,
		Synonyms: fm.synonyms,
		Summary:  r.summary,
		HTML:     r.html,
	}, r.text, nil
}

func validID(id string) bool {
	for _, r := range id {
		if !(r == '-' || r >= 'a' && r <= 'z' || isDigit(r)) {
			return false
		}
	}
	return !strings.HasPrefix(id, "-") && !strings.HasSuffix(id, "-")
}

// otherLang is the language to fall back to from lang.
func otherLang(lang string) string {
	if lang == LangEN {
		return LangZH
	}
	return LangEN
}

// Article returns the article id in lang, or in the other language when it
// has none in lang.
func (b *Base) Article(id, lang string) (Article, bool) {
	for _, l := range []string{lang, otherLang(lang)} {
		for _, a := range b.articles[l] {
			if a.ID == id {
				return a.clone(), true
			}
		}
	}
	return Article{}, false
}

// Articles returns the articles in lang, ordered by topic, then title.
func (b *Base) Articles(lang string) []Article {
	out := make([]Article, len(b.articles[lang]))
	for i, a := range b.articles[lang] {
		out[i] = a.clone()
	}
	return out
}

// Topics returns the topics of the articles in lang, in order, each once;
// articles without a topic add none.
func (b *Base) Topics(lang string) []string {
	var out []string
	for _, a := range b.articles[lang] {
		if a.Topic != "" && (len(out) == 0 || out[len(out)-1] != a.Topic) {
			out = append(out, a.Topic)
		}
	}
	return out
}

func (a *Article) clone() Article {
	c := *a
	c.Synonyms = slices.Clone(a.Synonyms)
	return c
}

// Search returns up to n articles that match query, best first: those in
// lang, or, when none there matches at all, those in the other language.
func (b *Base) Search(query, lang string, n int) []Result {
	hits, ix := b.search(query, lang)
	out := make([]Result, 0, min(n, len(hits)))
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, result(ix, h))
	}
	return out
}

func (b *Base) search(query, lang string) ([]hit, *index) {
	for _, l := range []string{lang, otherLang(lang)} {
		if ix := b.indexes[l]; ix != nil {
			if hits := ix.search(query); len(hits) > 0 {
				return hits, ix
			}
		}
	}
	return nil, nil
}

func result(ix *index, h hit) Result {
	a := ix.docs[h.doc].article
	return Result{ID: a.ID, Lang: a.Lang, Title: a.Title, Summary: a.Summary, Score: h.score}
}

// MinCoverage is how much of a question the best article must cover for
// Answer to return it: the share of the question's terms, each weighted by
// how rare it is among the articles, that the article contains. Words that
// no article has weigh most, so "what's the weather" covers nothing and
// "how do I reset my password" too little, though "password" is found.
const MinCoverage = 0.45

// Answers reports whether some article answers query well enough.
func (b *Base) Answers(query, lang string) bool {
	_, ok := b.Answer(query, lang)
	return ok
}

// Answer returns the article that answers query, if one covers at least
// MinCoverage of it; ok is false when none does, and the caller should say
// so instead of guessing.
func (b *Base) Answer(query, lang string) (r Result, ok bool) {
	hits, ix := b.search(query, lang)
	if len(hits) == 0 || hits[0].coverage < MinCoverage || hits[0].foreign {
		return Result{}, false
	}
	return result(ix, hits[0]), true
}
