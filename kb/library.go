package kb

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/kefu-dev/kefu/dialog"
)

// Library is the knowledge base a running kefu serves: one Base at a time,
// replaced whole by Set (a reload), safe for concurrent use. It answers the
// chat's questions as dialog.Answers.
type Library struct {
	// PublicURL prefixes the article links the chat shows ("" leaves them
	// relative). Set it before the first Answer.
	PublicURL string

	base atomic.Pointer[Base]
}

var _ dialog.Answers = (*Library)(nil)

// NewLibrary returns a library serving b.
func NewLibrary(b *Base) *Library {
	l := &Library{}
	l.Set(b)
	return l
}

// Set makes b the library's articles.
func (l *Library) Set(b *Base) { l.base.Store(b) }

// Base returns the articles served now.
func (l *Library) Base() *Base { return l.base.Load() }

// Answer is Base.Answer for the chat, with the article's page as its URL.
func (l *Library) Answer(ctx context.Context, question string, lang dialog.Lang) (dialog.Article, bool) {
	r, ok := l.Base().Answer(question, string(lang))
	if !ok {
		return dialog.Article{}, false
	}
	return dialog.Article{ID: r.ID, Title: r.Title, Summary: r.Summary, URL: strings.TrimSuffix(l.PublicURL, "/") + PagePath(r.ID, r.Lang)}, true
}

// PagePath is the help center's address of an article in a language.
func PagePath(id, lang string) string {
	return "/help/" + url.PathEscape(id) + "?lang=" + url.QueryEscape(lang)
}
