//go:build bleve

package kb

import (
	"fmt"
	"io/fs"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk" // registers the "cjk" analyzer
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
)

// BleveBase holds the same articles as Base, indexed in memory by bleve
// with its CJK analyzer. It exists only to measure Base against (go test -tags bleve);
// see bench/README.md.
type BleveBase struct {
	indexes  map[string]bleve.Index // by language
	articles map[string]*Article    // by lang + "/" + id
}

type bleveDoc struct {
	Title    string `json:"title"`
	Synonyms string `json:"synonyms"`
	Body     string `json:"body"`
}

// LoadBleve is Load for BleveBase; scoring is "" (bleve's TF-IDF, in its
// in-memory upside-down index) or "bm25" (in an in-memory scorch index).
func LoadBleve(fsys fs.FS, facts map[string]string, scoring string) (*BleveBase, []Problem, error) {
	loaded, bodies, problems := parseFiles(fsys, facts)
	text := mapping.NewTextFieldMapping()
	text.Analyzer = "cjk"
	doc := mapping.NewDocumentMapping()
	doc.AddFieldMappingsAt("title", text)
	doc.AddFieldMappingsAt("synonyms", text)
	doc.AddFieldMappingsAt("body", text)
	m := mapping.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = "cjk"
	m.ScoringModel = scoring
	b := &BleveBase{indexes: map[string]bleve.Index{}, articles: map[string]*Article{}}
	for _, a := range loaded {
		ix := b.indexes[a.Lang]
		if ix == nil {
			var err error
			if scoring == "" {
				ix, err = bleve.NewMemOnly(m) // upside-down over a treap
			} else {
				ix, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil) // the only one that knows BM25
			}
			if err != nil {
				return nil, nil, fmt.Errorf("bleve: %w", err)
			}
			b.indexes[a.Lang] = ix
		}
		syn := ""
		for _, s := range a.Synonyms {
			syn += s + "\n"
		}
		if err := ix.Index(a.ID, bleveDoc{Title: a.Title, Synonyms: syn, Body: bodies[a]}); err != nil {
			return nil, nil, fmt.Errorf("bleve: index %s: %w", a.File, err)
		}
		b.articles[a.Lang+"/"+a.ID] = a
	}
	return b, problems, nil
}

// Search is Base.Search on bleve: title boosted 2.5, synonyms 3, body 1.
func (b *BleveBase) Search(question, lang string, n int) []Result {
	for _, l := range []string{lang, otherLang(lang)} {
		ix := b.indexes[l]
		if ix == nil {
			continue
		}
		var qs []query.Query
		for _, f := range []struct {
			name  string
			boost float64
		}{{"title", fieldWeight[fieldTitle]}, {"synonyms", fieldWeight[fieldSynonyms]}, {"body", fieldWeight[fieldBody]}} {
			q := bleve.NewMatchQuery(question)
			q.SetField(f.name)
			q.SetBoost(f.boost)
			qs = append(qs, q)
		}
		res, err := ix.Search(bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(qs...), n, 0, false))
		if err != nil || len(res.Hits) == 0 {
			continue
		}
		out := make([]Result, 0, len(res.Hits))
		for _, h := range res.Hits {
			a := b.articles[l+"/"+h.ID]
			out = append(out, Result{ID: a.ID, Lang: a.Lang, Title: a.Title, Summary: a.Summary, Score: h.Score})
		}
		return out
	}
	return nil
}

// Close releases the indexes.
func (b *BleveBase) Close() {
	for _, ix := range b.indexes {
		ix.Close()
	}
}
