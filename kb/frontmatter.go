package kb

import (
	"fmt"
	"strings"
)

// frontMatter is an article's header, as written.
type frontMatter struct {
	id, title, lang, topic string
	synonyms               []string
	// line of each key, for problems about its value.
	lines map[string]int
}

// parseError is a problem found at a line of the file.
type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

// splitFrontMatter parses the header of src and returns it with the body and
// the body's first line number. The header is the YAML subset described in
// the package comment.
func splitFrontMatter(src string) (fm frontMatter, body string, bodyLine int, err error) {
	lines := strings.SplitAfter(src, "\n")
	if len(lines) == 0 || strings.TrimRight(lines[0], " \t\r\n") != "---" {
		return fm, "", 0, &parseError{1, `no front matter: the file must start with a "---" line`}
	}
	fm.lines = map[string]int{}
	listKey := "" // the key whose "- item" lines follow
	for i := 1; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimRight(lines[i], " \t\r\n")
		trimmed := strings.TrimSpace(line)
		switch {
		case line == "---":
			return fm, strings.Join(lines[i+1:], ""), n + 1, nil
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(trimmed, "- ") || trimmed == "-":
			if listKey == "" {
				return fm, "", 0, &parseError{n, `list item "- …" outside a list`}
			}
			item, err := scalar(strings.TrimSpace(strings.TrimPrefix(trimmed, "-")))
			if err != nil {
				return fm, "", 0, &parseError{n, err.Error()}
			}
			if item != "" {
				fm.synonyms = append(fm.synonyms, item)
			}
			continue
		}
		if line != trimmed {
			return fm, "", 0, &parseError{n, fmt.Sprintf("unexpected indentation: %q", trimmed)}
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return fm, "", 0, &parseError{n, fmt.Sprintf(`want "key: value", got %q`, line)}
		}
		if _, dup := fm.lines[key]; dup {
			return fm, "", 0, &parseError{n, fmt.Sprintf("%s given twice", key)}
		}
		fm.lines[key] = n
		value = strings.TrimSpace(value)
		listKey = ""
		switch key {
		case "id", "title", "lang", "topic":
			s, err := scalar(value)
			if err != nil {
				return fm, "", 0, &parseError{n, err.Error()}
			}
			switch key {
			case "id":
				fm.id = s
			case "title":
				fm.title = s
			case "lang":
				fm.lang = s
			case "topic":
				fm.topic = s
			}
		case "synonyms":
			if value == "" {
				listKey = key
				continue
			}
			items, err := flowList(value)
			if err != nil {
				return fm, "", 0, &parseError{n, err.Error()}
			}
			fm.synonyms = append(fm.synonyms, items...)
		default:
			return fm, "", 0, &parseError{n, fmt.Sprintf("unknown key %q (want id, title, lang, topic, synonyms)", key)}
		}
	}
	return fm, "", 0, &parseError{1, `front matter not closed by a "---" line`}
}

// scalar unquotes a value: plain, "double quoted" (with \" and \\) or 'single
// quoted' (with ” for a quote).
func scalar(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '"', '\'':
		if len(v) < 2 || v[len(v)-1] != q {
			return "", fmt.Errorf("unclosed quote in %s", v)
		}
		inner := v[1 : len(v)-1]
		if q == '\'' {
			return strings.ReplaceAll(inner, "''", "'"), nil
		}
		return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(inner), nil
	case '[', '{', '|', '>', '&', '*', '!':
		return "", fmt.Errorf("unsupported value %s (quote it)", v)
	}
	return v, nil
}

// flowList parses "[a, b, "c, d"]".
func flowList(v string) ([]string, error) {
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return nil, fmt.Errorf("want a list [a, b] or one \"- item\" per line, got %s", v)
	}
	inner := v[1 : len(v)-1]
	var items []string
	for len(strings.TrimSpace(inner)) > 0 {
		inner = strings.TrimSpace(inner)
		var item string
		if q := inner[0]; q == '"' || q == '\'' {
			end := closingQuote(inner)
			if end < 0 {
				return nil, fmt.Errorf("unclosed quote in %s", v)
			}
			var err error
			if item, err = scalar(inner[:end+1]); err != nil {
				return nil, err
			}
			inner = strings.TrimSpace(inner[end+1:])
			if inner != "" && !strings.HasPrefix(inner, ",") {
				return nil, fmt.Errorf("want a comma after %q in %s", item, v)
			}
			inner = strings.TrimPrefix(inner, ",")
		} else {
			var ok bool
			item, inner, ok = strings.Cut(inner, ",")
			item = strings.TrimSpace(item)
			if item == "" && ok {
				return nil, fmt.Errorf("empty item in %s", v)
			}
		}
		if item != "" {
			items = append(items, item)
		}
	}
	return items, nil
}

// closingQuote returns the index of the quote that closes the one s starts
// with, or -1.
func closingQuote(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}
