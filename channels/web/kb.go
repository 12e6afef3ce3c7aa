package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/kb"
)

// The help center's articles: GET /help/{id} shows one, GET /api/kb/search
// finds them. Both read the library served now, so a reload shows at once.

var articleTemplate = template.Must(template.ParseFS(files, "templates/parts.html", "templates/article.html"))

// maxQuery bounds a search question, in characters.
const maxQuery = 200

// searchResult is one hit of GET /api/kb/search (DESIGN §5).
type searchResult struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Summary string  `json:"summary"`
	URL     string  `json:"url"`
	Score   float64 `json:"score"`
}

// serveSearch answers GET /api/kb/search?q=…&lang=…: the articles that
// match, best first, in the member's language; none when even the best
// does not answer the question well enough (as in chat).
func (ch *Channel) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case q == "":
		writeJSONError(w, http.StatusBadRequest, "missing q: what to search for")
		return
	case !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxQuery:
		writeJSONError(w, http.StatusBadRequest, "q must be valid text of at most "+strconv.Itoa(maxQuery)+" characters")
		return
	}
	lang := pageLang(r)
	results := []searchResult{}
	if ch.kb != nil {
		if b := ch.kb.Base(); b.Answers(q, string(lang)) {
			for _, h := range b.Search(q, string(lang), 10) {
				results = append(results, searchResult{ID: h.ID, Title: h.Title, Summary: h.Summary, URL: kb.PagePath(h.ID, h.Lang), Score: h.Score})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_ = json.NewEncoder(w).Encode(map[string]any{"results": results})
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// serveArticle renders GET /help/{id} in the language asked for, falling
// back to the other language when the article has none in it.
func (ch *Channel) serveArticle(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r)
	var a kb.Article
	ok := false
	if ch.kb != nil {
		a, ok = ch.kb.Base().Article(r.PathValue("id"), string(lang))
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusNotFound
	}
	var related []kb.Article
	if ok {
		for _, o := range ch.kb.Base().Articles(a.Lang) {
			if o.Topic == a.Topic && o.ID != a.ID {
				related = append(related, o)
			}
		}
	}
	var buf bytes.Buffer
	err := articleTemplate.ExecuteTemplate(&buf, "article.html", struct {
		Lang    dialog.Lang
		T       *pageCopy
		Found   bool
		Article kb.Article
		Related []kb.Article
	}{lang, pageText[lang], ok, a, related})
	if err != nil {
		ch.log.Error("article page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// helpTopic is a topic of the help page with its articles.
type helpTopic struct {
	Name     string
	Anchor   string
	Articles []kb.Article
}

// topics groups the library's articles in lang by topic, in its order.
func (ch *Channel) topics(lang dialog.Lang) []helpTopic {
	if ch.kb == nil {
		return nil
	}
	var out []helpTopic
	for _, a := range ch.kb.Base().Articles(string(lang)) {
		if len(out) == 0 || out[len(out)-1].Name != a.Topic {
			out = append(out, helpTopic{Name: a.Topic, Anchor: "topic-" + strconv.Itoa(len(out)+1)})
		}
		out[len(out)-1].Articles = append(out[len(out)-1].Articles, a)
	}
	return out
}
