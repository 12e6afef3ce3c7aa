package dialog

import (
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
