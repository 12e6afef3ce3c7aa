package dialog

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Work-order numbers (DESIGN §4): "WO" + YYYYMMDD + 6-digit daily sequence +
// one Luhn check digit over the 14 digits before it.

// MaxDailySequence is the largest sequence number a day can hold.
const MaxDailySequence = 999999

// Errors from ParseNumber.
var (
	ErrNumberFormat = errors.New("work-order number: malformed")
	ErrCheckDigit   = errors.New("work-order number: wrong check digit")
)

// FormatNumber builds the number of the seq-th order created on day (a date
// in the work-order time zone).
func FormatNumber(day time.Time, seq int) string {
	digits := fmt.Sprintf("%s%06d", day.Format("20060102"), seq)
	return "WO" + digits + string(rune('0'+luhnDigit(digits)))
}

// ParseNumber canonicalises a number as a member or an agent may type it
// (any case, spaces and dashes ignored) and checks its check digit.
func ParseNumber(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		case r >= 'ａ' && r <= 'ｚ', r >= 'Ａ' && r <= 'Ｚ', r >= '０' && r <= '９':
			b.WriteRune(r - 0xFEE0) // full-width to ASCII
		default:
			b.WriteRune(r)
		}
	}
	n := strings.ToUpper(b.String())
	if len(n) != 17 || !strings.HasPrefix(n, "WO") {
		return "", ErrNumberFormat
	}
	for _, c := range n[2:] {
		if c < '0' || c > '9' {
			return "", ErrNumberFormat
		}
	}
	if _, err := time.Parse("20060102", n[2:10]); err != nil {
		return "", ErrNumberFormat
	}
	if int(n[16]-'0') != luhnDigit(n[2:16]) {
		return "", ErrCheckDigit
	}
	return n, nil
}

// luhnDigit is the Luhn check digit for a string of ASCII digits.
func luhnDigit(digits string) int {
	sum := 0
	double := true // the rightmost payload digit is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}
