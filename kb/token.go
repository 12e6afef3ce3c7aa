package kb

import (
	"slices"
	"strings"
	"unicode"
)

// Tokens: English words are lower-cased, stop words dropped and suffixes
// stripped; digits are tokens of their own; Chinese runs become character
// bigrams (and single characters where a run is one character long, or when
// the caller asks for them). Full-width forms and common traditional
// characters are folded first, so 帳號 matches 账号 and ＡＰＰ matches app.

// tokenize returns the terms of s. unigrams adds every Chinese character as
// a term of its own, besides the bigrams.
func tokenize(s string, unigrams bool) []string {
	var terms []string
	var word []rune // the current Latin word or digit run
	var han []rune  // the current Chinese run
	flushWord := func() {
		if len(word) > 0 {
			for t := range strings.FieldsSeq(stem(string(word))) {
				if !stopWords[t] {
					terms = append(terms, t)
				}
			}
			word = word[:0]
		}
	}
	flushHan := func() {
		terms = appendHan(terms, han, unigrams)
		han = han[:0]
	}
	rs := []rune(fold(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			if n := stopHan(rs[i:]); n > 0 {
				flushHan()
				i += n - 1
				continue
			}
			han = append(han, r)
		case isLetter(r) || isDigit(r):
			flushHan()
			if len(word) > 0 && isDigit(word[len(word)-1]) != isDigit(r) {
				flushWord() // "wo2026" is "wo" and "2026"
			}
			word = append(word, r)
		case (r == '\'' || r == '’') && len(word) > 0 && i+1 < len(rs) && isLetter(rs[i+1]):
			// "don't" is one word
		default:
			flushWord()
			flushHan()
		}
	}
	flushWord()
	flushHan()
	return terms
}

func appendHan(terms []string, han []rune, unigrams bool) []string {
	if len(han) == 1 {
		return append(terms, string(han))
	}
	for i := 0; i+1 < len(han); i++ {
		terms = append(terms, string(han[i:i+2]))
	}
	if unigrams {
		for _, r := range han {
			terms = append(terms, string(r))
		}
	}
	return terms
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isDigit(r rune) bool  { return r >= '0' && r <= '9' }

// fold lower-cases s, maps full-width ASCII to ASCII and common traditional
// characters to simplified ones.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			r = r - '！' + '!'
		case r == '\u3000':
			return ' '
		}
		if s, ok := simplified[r]; ok {
			return s
		}
		return unicode.ToLower(r)
	}, s)
}

// stem strips common English suffixes so that "cancelled", "cancelling" and
// "cancels" meet at "cancel", and "charges", "charged" at "charg". It is
// deliberately crude: both the articles and the questions go through it.
func stem(w string) string {
	w = strings.ToLower(strings.NewReplacer("'", "", "’", "").Replace(w))
	if a, ok := aliases[w]; ok {
		return a
	}
	if len(w) <= 3 || isDigit(rune(w[0])) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") || strings.HasSuffix(w, "ied"):
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) >= 6:
		w = w[:len(w)-3]
	case strings.HasSuffix(w, "ed") && len(w) >= 5:
		w = w[:len(w)-2]
	}
	if n := len(w); n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiousz", rune(w[n-1])) {
		w = w[:n-1] // cancell → cancel
	}
	if n := len(w); n > 3 && w[n-1] == 'e' && w[n-2] != 'e' {
		w = w[:n-1] // charge, charged → charg
	}
	return w
}

// aliases are irregular forms and members' words that stand for a word the
// articles use, mapped straight to its stem.
var aliases = map[string]string{
	"froze": "freez", "frozen": "freez", "freezes": "freez", // freeze → freez
	"renewal": "renew", "renewals": "renew",
	"autorenew": "auto renew", "autorenewal": "auto renew", // two terms, as "auto-renew"
	"automatic": "auto", "automatically": "auto",
	"bought": "buy", "purchase": "buy", "purchased": "buy", "buying": "buy",
	"vip": "membership", "premium": "membership", "memberships": "membership",
	"billed": "charg", "bill": "charg", "billing": "charg",
	"ticket": "ticket", "tickets": "ticket",
	"sms": "sms", "texts": "text", "texted": "text",
	"phones": "phon", "mobile": "phon",
	"cannot": "cant", "can't": "cant",
}

// stopWords are dropped from English text after stemming.
var stopWords = stemmedSet(
	"a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
	"can", "could", "did", "do", "does", "for", "from", "get", "got", "had", "has", "have",
	"hello", "hi", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "my",
	"of", "on", "or", "our", "please", "so", "than", "that", "the", "their", "them", "then",
	"there", "this", "thanks", "to", "us", "was", "want", "we", "were", "what", "whats", "when", "where",
	"which", "who", "why", "will", "with", "would", "you", "your", "yunka",
	"re", "guy", "guys", "hey", "ok", "okay", "pls", "plz", "u", "ur", "im", "ive", "id",
	"should", "shall", "may", "might", "must", "also",
)

// stopHanWords lists Chinese function words and question words, removed before
// bigrams are formed (they would otherwise match every article).
var stopHanWords = []string{
	"为什么", "怎么办", "怎么样", "怎么", "怎样", "什么", "如何", "请问", "你好", "您好", "谢谢",
	"一下", "可以", "能不能", "是不是", "有没有", "在哪里", "在哪儿", "在哪", "哪里", "哪儿",
	"我们", "你们", "您", "我", "你", "的", "了", "吗", "呢", "吧", "啊", "呀", "是", "要", "想",
	"什么时候", "已经", "还是", "咋办", "咋", "啥", "这个", "那个", "到底",
	"云卡盟", "云卡",
}

// stopHan returns the length in runes of the stop word rs starts with, or 0.
func stopHan(rs []rune) int {
	for _, w := range stopHanRunes {
		if len(rs) >= len(w) && string(rs[:len(w)]) == string(w) {
			return len(w)
		}
	}
	return 0
}

var stopHanRunes = func() [][]rune {
	out := make([][]rune, len(stopHanWords))
	for i, w := range stopHanWords {
		out[i] = []rune(w)
	}
	// Longest first, so that 什么时候 wins over 什么.
	slices.SortStableFunc(out, func(a, b []rune) int { return len(b) - len(a) })
	return out
}()

// simplified maps traditional characters likely in members' questions.
var simplified = func() map[rune]rune {
	const trad = "帳號碼訂續費會員機換綁凍結驗證簡訊發送審戶資儲值購買單據務關閉開啟設置詐騙電話轉撥時間預約額還銷確認卡該為這們麼錢當舊後來請問點擊頁顯示網絡錯誤辦"
	const simp = "账号码订续费会员机换绑冻结验证简讯发送审户资储值购买单据务关闭开启设置诈骗电话转拨时间预约额还销确认卡该为这们么钱当旧后来请问点击页显示网络错误办"
	t, s := []rune(trad), []rune(simp)
	m := make(map[rune]rune, len(t))
	for i := range t {
		if t[i] != s[i] {
			m[t[i]] = s[i]
		}
	}
	return m
}()

// stemmedSet holds words as stem leaves them, so the list reads as English.
func stemmedSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[stem(w)] = true
	}
	return m
}
