package kb

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// markdown renders CommonMark without raw HTML: an article's <script> or
// <img onerror> comes out as an HTML comment, and javascript: links are
// dropped (goldmark's defaults, kept on purpose).
var markdown = goldmark.New()

// fillPlaceholders replaces every {{name}} in s with facts[name]. line is
// the line number of s's first line, for problems.
func fillPlaceholders(s string, line int, facts map[string]string) (string, []*parseError) {
	var b strings.Builder
	var errs []*parseError
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), errs
		}
		b.WriteString(s[:i])
		line += strings.Count(s[:i], "\n")
		rest := s[i+2:]
		j := strings.Index(rest, "}}")
		name := ""
		if j >= 0 {
			name = strings.TrimSpace(rest[:j])
		}
		if !validName(name) {
			errs = append(errs, &parseError{line, `malformed placeholder: want {{name}} with letters, digits and "_"`})
			b.WriteString("{{")
			s = rest
			continue
		}
		value, ok := facts[name]
		if !ok {
			errs = append(errs, &parseError{line, fmt.Sprintf("unknown placeholder {{%s}}", name)})
		}
		b.WriteString(value)
		s = rest[j+2:]
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || isLetter(r) || isDigit(r)) {
			return false
		}
	}
	return true
}

// rendered is an article body turned into what Article and the index need.
type rendered struct {
	html    template.HTML
	summary string // the first paragraph, plain text
	text    string // all of the body's text, for the index
}

func render(body string) (rendered, error) {
	src := []byte(body)
	doc := markdown.Parser().Parse(text.NewReader(src))
	var html bytes.Buffer
	if err := markdown.Renderer().Render(&html, src, doc); err != nil {
		return rendered{}, fmt.Errorf("render: %w", err)
	}
	var r rendered
	r.html = template.HTML(html.String()) // goldmark escapes text and omits raw HTML
	var all strings.Builder
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		t := plainText(n, src)
		if r.summary == "" && n.Kind() == ast.KindParagraph {
			r.summary = t
		}
		all.WriteString(t)
		all.WriteString("\n")
	}
	r.text = all.String()
	return r, nil
}

// plainText is n's text without markup; raw HTML is left out.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock {
				b.WriteString("\n")
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			b.Write(n.Segment.Value(src))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteString("\n")
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.AutoLink:
			b.Write(n.Label(src))
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := n.Lines()
			for i := range lines.Len() {
				seg := lines.At(i)
				b.Write(seg.Value(src))
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return joinLines(b.String())
}

// joinLines turns line breaks into spaces, or into nothing between two
// Chinese characters, and collapses runs of blanks.
func joinLines(s string) string {
	var b strings.Builder
	var last rune
	space, newline := false, false
	for _, r := range s {
		switch {
		case r == '\n':
			newline = true
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if last != 0 && (space || newline && !(wide(last) && wide(r))) {
			b.WriteByte(' ')
		}
		space, newline = false, false
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// wide reports whether r is a character that Chinese text sets without
// spaces around it.
func wide(r rune) bool {
	return r >= utf8.RuneSelf && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.P) || r >= 0xFF00)
}
