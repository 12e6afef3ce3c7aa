package locales

import (
	"strings"

	"github.com/kefu-dev/kefu/dialog"
)

// Value renders v as a message's data is rendered (Money, Msg, Masked and
// time.Time formatted for lang, times in the catalog's zone), for pages
// that lay values out themselves. An unknown message renders as its ID.
func (c *Catalog) Value(lang dialog.Lang, v any) string {
	s, _ := c.format(lang, v)
	return s
}

// Negotiate picks a page's language: the one asked for (?lang=), else the
// first of the browser's (an Accept-Language header) that has a file, else
// the default.
func Negotiate(asked, acceptLanguage string) dialog.Lang {
	if l, ok := dialog.ParseLang(asked); ok {
		return l
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if l, ok := dialog.ParseLang(tag); ok {
			return l
		}
	}
	return Langs[0]
}
