package dialog

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaskPhone shows the first 3 and last 4 digits of a phone: 138****8000.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}

// MaskEmail keeps the first letter of the local part and the domain:
// d***@example.com.
func MaskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 1 {
		return "***"
	}
	_, first := utf8.DecodeRuneInString(e)
	return e[:first] + "***" + e[at:]
}

// MaskAccount masks a phone or an email, whichever it is.
func MaskAccount(a string) string {
	if strings.Contains(a, "@") {
		return MaskEmail(a)
	}
	return MaskPhone(a)
}

// Phones (a mainland mobile, 11 digits, spaces or dashes allowed between
// groups) and emails inside free text.
var (
	phoneInText = regexp.MustCompile(`(^|[^0-9])((?:\+?86[ -]?)?1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})($|[^0-9])`)
	emailInText = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
)

// MaskText masks every phone and email in text a member typed, for places
// that list conversations without opening them.
func MaskText(text string) string {
	text = emailInText.ReplaceAllStringFunc(text, MaskEmail)
	for { // adjacent phones share a separator: repeat until none is left
		masked := phoneInText.ReplaceAllString(text, "${1}${2}****${4}${5}")
		if masked == text {
			return text
		}
		text = masked
	}
}
