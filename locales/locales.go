// Package locales turns the engine's message IDs into words: one message
// file in TOML per language (zh-CN.toml, en.toml), embedded, rendered
// through go-i18n. The list of languages is the list of files: every place
// that offers or lists languages reads Langs. A conversation can be in a
// language the engine reads (dialog.ParseLang); a test holds every file to
// that, so a file for a language the engine cannot read fails loudly
// instead of half working.
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.toml
var files embed.FS

// Catalog renders messages. It is safe for concurrent use.
type Catalog struct {
	loc        *time.Location
	localizers map[dialog.Lang]*i18n.Localizer
	ids        map[dialog.Lang]map[string]bool
	// fixed holds the messages without template actions, rendered once:
	// most replies and every button label are fixed strings.
	fixed map[dialog.Lang]map[string]string
}

// Langs are the languages with a message file, the engine's default
// (dialog.ZH) first, then in the order of their names.
var Langs = discover()

// discover lists the embedded message files' languages.
func discover() []dialog.Lang {
	names, err := fs.Glob(files, "*.toml")
	if err != nil {
		panic(err) // only a malformed pattern fails
	}
	langs := make([]dialog.Lang, 0, len(names))
	for _, n := range names {
		langs = append(langs, dialog.Lang(strings.TrimSuffix(n, ".toml")))
	}
	slices.SortStableFunc(langs, func(a, b dialog.Lang) int {
		switch {
		case a == b:
			return 0
		case a == dialog.ZH:
			return -1
		case b == dialog.ZH:
			return 1
		}
		return strings.Compare(string(a), string(b))
	})
	return langs
}

// New loads the embedded message files; times render in loc.
func New(loc *time.Location) (*Catalog, error) {
	bundle := i18n.NewBundle(language.SimplifiedChinese)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{loc: loc, localizers: map[dialog.Lang]*i18n.Localizer{}, ids: map[dialog.Lang]map[string]bool{}, fixed: map[dialog.Lang]map[string]string{}}
	for _, l := range Langs {
		mf, err := bundle.LoadMessageFileFS(files, string(l)+".toml")
		if err != nil {
			return nil, fmt.Errorf("locale %s: %w", l, err)
		}
		c.localizers[l] = i18n.NewLocalizer(bundle, string(l))
		c.ids[l] = map[string]bool{}
		c.fixed[l] = map[string]string{}
		for _, m := range mf.Messages {
			c.ids[l][m.ID] = true
			if strings.Contains(m.Other, "{{") || m.One != "" || m.Few != "" || m.Many != "" {
				continue
			}
			s, err := c.localizers[l].Localize(&i18n.LocalizeConfig{MessageID: m.ID})
			if err != nil {
				return nil, fmt.Errorf("locale %s: %s: %w", l, m.ID, err)
			}
			c.fixed[l][m.ID] = s
		}
	}
	return c, nil
}

// IDs returns the message IDs of a language's file.
func (c *Catalog) IDs(l dialog.Lang) map[string]bool { return c.ids[l] }

// Render renders message id in lang with data. Values of the dialog types
// Money, Msg and Masked, and time.Time, are formatted for lang first. An
// unknown id or language is an error; the text is then the ID itself.
func (c *Catalog) Render(lang dialog.Lang, id string, data map[string]any) (string, error) {
	lz, ok := c.localizers[lang]
	if !ok {
		lz, lang = c.localizers[Langs[0]], Langs[0]
	}
	if s, ok := c.fixed[lang][id]; ok && len(data) == 0 {
		return s, nil
	}
	if !c.ids[lang][id] {
		return id, fmt.Errorf("locale %s: no message %q", lang, id)
	}
	var td map[string]string
	if len(data) > 0 {
		td = make(map[string]string, len(data))
		for k, v := range data {
			s, err := c.format(lang, v)
			if err != nil {
				return id, err
			}
			td[k] = s
		}
	}
	return lz.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: td})
}

// MustRender is Render for callers that have checked their IDs in tests.
func (c *Catalog) MustRender(lang dialog.Lang, id string, data map[string]any) string {
	s, _ := c.Render(lang, id, data)
	return s
}

func (c *Catalog) format(lang dialog.Lang, v any) (string, error) {
	switch v := v.(type) {
	case dialog.Money:
		return fmt.Sprintf("¥%d.%02d", v/100, v%100), nil
	case dialog.Msg:
		return c.Render(lang, string(v), nil)
	case dialog.Masked:
		return string(v), nil
	case time.Time:
		if v.IsZero() {
			return "—", nil
		}
		return v.In(c.loc).Format(c.timeLayout(lang)), nil
	case string:
		return v, nil
	default:
		return strings.TrimSpace(fmt.Sprint(v)), nil
	}
}

// timeLayout is how lang writes a date and time: the Go layout its file
// gives as time_layout.
func (c *Catalog) timeLayout(lang dialog.Lang) string {
	if l, ok := c.fixed[lang]["time_layout"]; ok {
		return l
	}
	return c.fixed[Langs[0]]["time_layout"]
}
