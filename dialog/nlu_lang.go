package dialog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// detectLang: Chinese when the text has a Han character (mixed "我想cancel会员"
// included), English when it has Latin letters outside words that carry
// digits or an @ (work-order numbers, emails, codes), no answer otherwise.
func detectLang(text string) (Lang, bool) {
	latin := false
	wordLatin := false // the current word has Latin letters
	wordOther := false // the current word has a digit or an @
	flush := func() {
		if wordLatin && !wordOther {
			latin = true
		}
		wordLatin, wordOther = false, false
	}
	for i := 0; i < len(text); {
		c := text[i]
		r, n := rune(c), 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
			if r >= 0xFF01 && r <= 0xFF5E {
				r -= 0xFEE0
			}
		}
		i += n
		switch {
		case isHan(r):
			return ZH, true
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			wordLatin = true
		case r >= '0' && r <= '9' || r == '@' || r == '_' || r == '.' && wordOther:
			wordOther = true
		case r == '-' || r == '.' || r == '\'' || r == 0x2019:
			// inside a word
		case r < utf8.RuneSelf || unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
			flush()
		case unicode.In(r, unicode.Latin):
			wordLatin = true
		}
	}
	flush()
	if latin {
		return EN, true
	}
	return "", false
}

// englishKnown holds the English words of every lexicon and the commonest
// words of English: what a member writing English would use.
var englishKnown = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(commonEnglish) {
		m[w] = true
	}
	return m
}()

const commonEnglish = `a about after again all also am an and any are as at back be because been
before being but by can come could day did do does doing done dont for from get give go going good got
had has have having he hello her here hi him his how i if im in into is it its just know last let like
look make many me more most much my need new no not now of off ok on one only or other our out over
please really right said say see she should so some still take tell than thank thanks that the their
them then there these they thing think this those time to today too try up us use very want was way we
well were what when where which who why will with would yes yet you your`

// noteEnglish records the English words of a lexicon phrase.
func noteEnglish(phrase string) {
	for _, w := range strings.Fields(phrase) {
		if w[0] >= 'a' && w[0] <= 'z' {
			englishKnown[w] = true
		}
	}
}

// englishWords counts the words of text that are English words kefu knows.
// It runs on a turn's path, so it reads the text in place (apostrophes
// dropped, "don't" is "dont", as Normalize writes it) and allocates nothing.
func englishWords(text string) int {
	var w [24]byte
	n, count := 0, 0
	flush := func() {
		if n > 0 && n <= len(w) && englishKnown[string(w[:n])] {
			count++
		}
		n = 0
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z':
			if n < len(w) {
				w[n] = c
			}
			n++
		case c == '\'':
		default:
			flush()
		}
	}
	flush()
	return count
}
