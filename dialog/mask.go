package dialog

import (
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
