package dialog

import (
	"strings"
	"unicode/utf8"
)

// Extractors. All scan the raw text by hand (no regular expressions), fold
// full-width digits and letters, and never panic on any input.

// foldRune maps full-width ASCII forms to ASCII and the ideographic space to
// a space.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	case r == 0x2014 || r == 0x2013 || r == 0x2212: // — – −
		return '-'
	}
	return r
}

// decodeAt decodes the (folded) rune at s[i].
func decodeAt(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return foldRune(r), n
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isDigitRune(r rune) bool   { return r >= '0' && r <= '9' }

// digitRun is a run of digits in groups, as a member may type a phone or a
// code: "138 0013 8000", "+86-138-0013-8000", "１２３ ４５６".
type digitRun struct {
	digits     [48]byte
	n          int     // digits kept (at most len(digits))
	total      int     // digits seen
	groups     [16]int // end index (in digits) of each group
	ng         int
	start, end int  // byte span in the text
	afterWO    bool // the run follows "WO": a work-order number
	letterNext bool // an ASCII letter touches either end
}

// runSep reports whether r may separate groups of one number.
func runSep(r rune) bool {
	return r == ' ' || r == '-' || r == '.' || r == '\t' || r == '(' || r == ')' || r == '/' || r == '_'
}

// nextRun finds the next digit run at or after byte i; ok is false at the
// end of the text.
func nextRun(s string, i int, run *digitRun) (next int, ok bool) {
	// find a digit
	for i < len(s) {
		r, n := decodeAt(s, i)
		if isDigitRune(r) {
			break
		}
		i += n
	}
	if i >= len(s) {
		return len(s), false
	}
	*run = digitRun{start: i}
	run.afterWO = precededByWO(s, i)
	if r, _ := lastRuneBefore(s, i); isASCIILetter(r) {
		run.letterNext = true
	}
	end := i
	for i < len(s) {
		r, n := decodeAt(s, i)
		if isDigitRune(r) {
			if run.n < len(run.digits) {
				run.digits[run.n] = byte(r)
				run.n++
			}
			run.total++
			i += n
			end = i
			continue
		}
		// up to three separators, then a digit, continue the run in a new group
		j, seps := i, 0
		for j < len(s) && seps < 3 {
			r2, n2 := decodeAt(s, j)
			if !runSep(r2) {
				break
			}
			j += n2
			seps++
		}
		if seps == 0 || j >= len(s) {
			break
		}
		if r2, _ := decodeAt(s, j); !isDigitRune(r2) {
			break
		}
		if run.ng < len(run.groups) {
			run.groups[run.ng] = run.n
			run.ng++
		}
		i = j
	}
	if run.ng < len(run.groups) {
		run.groups[run.ng] = run.n
		run.ng++
	} else {
		run.groups[len(run.groups)-1] = run.n
	}
	run.end = end
	if end < len(s) {
		if r, _ := decodeAt(s, end); isASCIILetter(r) {
			run.letterNext = true
		}
	}
	return end, true
}

// group returns the digits of groups a..b inclusive.
func (run *digitRun) group(a, b int) []byte {
	from := 0
	if a > 0 {
		from = run.groups[a-1]
	}
	return run.digits[from:run.groups[b]]
}

func lastRuneBefore(s string, i int) (rune, int) {
	if i <= 0 {
		return 0, 0
	}
	r, n := utf8.DecodeLastRuneInString(s[:i])
	return foldRune(r), n
}

// precededByWO tells whether "WO" (any case, full-width too), possibly
// followed by separators, ends right before byte i.
func precededByWO(s string, i int) bool {
	j := i
	for k := 0; k < 3 && j > 0; k++ {
		r, n := lastRuneBefore(s, j)
		if !runSep(r) && r != ':' && r != '#' {
			break
		}
		j -= n
	}
	r1, n1 := lastRuneBefore(s, j)
	if r1 != 'o' && r1 != 'O' {
		return false
	}
	r2, n2 := lastRuneBefore(s, j-n1)
	if r2 != 'w' && r2 != 'W' {
		return false
	}
	r3, _ := lastRuneBefore(s, j-n1-n2)
	return !isASCIILetter(r3)
}

// phoneIn returns the 11 digits of a mainland mobile number written as the
// digits d (with an optional 86 / 0086 country prefix).
func phoneIn(d []byte) (string, bool) {
	switch {
	case len(d) == 13 && d[0] == '8' && d[1] == '6':
		d = d[2:]
	case len(d) == 15 && d[0] == '0' && d[1] == '0' && d[2] == '8' && d[3] == '6':
		d = d[4:]
	}
	if len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' {
		return string(d), true
	}
	return "", false
}

// runPhone finds a phone in a run, made of whole groups.
func runPhone(run *digitRun) (string, bool) {
	if run.afterWO || run.total > len(run.digits) {
		return "", false
	}
	if p, ok := phoneIn(run.digits[:run.n]); ok {
		return p, true
	}
	for a := 0; a < run.ng; a++ {
		for b := a; b < run.ng; b++ {
			g := run.group(a, b)
			if len(g) > 15 {
				break
			}
			if p, ok := phoneIn(g); ok {
				return p, true
			}
		}
	}
	return "", false
}

func extractPhone(text string) (string, bool) {
	var run digitRun
	for i := 0; ; {
		next, ok := nextRun(text, i, &run)
		if !ok {
			return "", false
		}
		if p, ok := runPhone(&run); ok {
			return p, true
		}
		i = next
	}
}

func extractCode(text string) (string, bool) {
	var run digitRun
	for i := 0; ; {
		next, ok := nextRun(text, i, &run)
		if !ok {
			return "", false
		}
		i = next
		if run.afterWO || run.total > len(run.digits) {
			continue
		}
		if _, phone := phoneIn(run.digits[:run.n]); phone {
			continue
		}
		if run.total == 6 && !run.letterNext {
			return string(run.digits[:6]), true
		}
		for g := 0; g < run.ng; g++ {
			if d := run.group(g, g); len(d) == 6 {
				return string(d), true
			}
		}
	}
}

func extractNumber(text string) (string, bool) {
	for i := 0; i < len(text); {
		r, n := decodeAt(text, i)
		if r != 'w' && r != 'W' {
			i += n
			continue
		}
		start := i
		if p, _ := lastRuneBefore(text, i); isASCIILetter(p) {
			i += n
			continue
		}
		j := i + n
		if j >= len(text) {
			break
		}
		r2, n2 := decodeAt(text, j)
		if r2 != 'o' && r2 != 'O' {
			i += n
			continue
		}
		j += n2
		// separators, then digits with separators inside
		end, digits := j, 0
		for k := j; k < len(text); {
			r3, n3 := decodeAt(text, k)
			switch {
			case isDigitRune(r3):
				digits++
				k += n3
				end = k
				continue
			case r3 == ' ' || r3 == '-' || r3 == '\t' || r3 == '_' || (r3 == ':' || r3 == '#') && digits == 0:
				k += n3
				continue
			}
			break
		}
		if digits >= 4 {
			if end < len(text) {
				if r4, _ := decodeAt(text, end); isASCIILetter(r4) {
					i = end
					continue
				}
			}
			return text[start:end], true
		}
		i = j
	}
	return "", false
}

func extractEmail(text string) (string, bool) {
	if !strings.ContainsRune(text, '@') && !strings.ContainsRune(text, '＠') {
		return "", false
	}
	s := text
	if strings.ContainsFunc(text, func(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E }) {
		s = strings.Map(foldRune, text)
	}
	local := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
	}
	domain := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
	}
	for at := strings.IndexByte(s, '@'); at >= 0; {
		a := at
		for a > 0 && local(s[a-1]) {
			a--
		}
		for a < at && s[a] == '.' {
			a++
		}
		b := at + 1
		for b < len(s) && domain(s[b]) {
			b++
		}
		for b > at+1 && (s[b-1] == '.' || s[b-1] == '-') {
			b--
		}
		if a < at && validDomain(s[at+1:b]) {
			return strings.ToLower(s[a:b]), true
		}
		next := strings.IndexByte(s[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
	return "", false
}

func validDomain(d string) bool {
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 || strings.Contains(d, "..") || d[0] == '-' {
		return false
	}
	tld := d[dot+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !(tld[i] >= 'a' && tld[i] <= 'z' || tld[i] >= 'A' && tld[i] <= 'Z') {
			return false
		}
	}
	return true
}

// ---- money ----

// cnDigit is the value of a Chinese numeral digit, -1 for none.
func cnDigit(r rune) int {
	switch r {
	case '零', '〇':
		return 0
	case '一', '壹':
		return 1
	case '二', '两', '贰', '兩':
		return 2
	case '三', '叁':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆', '陸':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

func cnUnit(r rune) int64 {
	switch r {
	case '十', '拾':
		return 10
	case '百', '佰':
		return 100
	case '千', '仟':
		return 1000
	case '万', '萬':
		return 10000
	}
	return 0
}

func isCNNumeral(r rune) bool { return cnDigit(r) >= 0 || cnUnit(r) > 0 }

// parseCN reads a Chinese integer (三十, 一百零五, 两千, 十二, 三万五千) at the
// start of rs; n is how many runes it used.
func parseCN(rs []rune) (v int64, n int, ok bool) {
	var total, section, digit int64 = 0, 0, -1
	for n < len(rs) && n < 16 {
		r := rs[n]
		if d := cnDigit(r); d >= 0 {
			if digit >= 0 && d != 0 { // 三五: not a number we read
				break
			}
			digit = int64(d)
			n++
			continue
		}
		u := cnUnit(r)
		if u == 0 {
			break
		}
		if digit < 0 {
			digit = 1 // 十二 = 一十二
		}
		if u == 10000 {
			section += digit
			total += section * u
			section, digit = 0, -1
		} else {
			section += digit * u
			digit = -1
		}
		n++
	}
	if n == 0 {
		return 0, 0, false
	}
	if digit > 0 {
		section += digit
	}
	return total + section, n, true
}

type amountCand struct {
	fen      int64
	currency bool
}

// extractAmount finds a money amount: the first one marked as money (¥30,
// 30元, 50块, $30, 三十元, 30 yuan), else the first plain number that is not
// a date, a phone or a code.
func extractAmount(text string) (int64, bool) {
	if len(text) > 4000 {
		text = text[:4000]
	}
	var first amountCand
	found := false
	var rb [256]rune
	rs := rb[:0]
	for _, r := range text {
		rs = append(rs, foldRune(r))
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isDigitRune(r):
			if i > 0 && (isASCIILetter(rs[i-1]) || rs[i-1] == '.' && i > 1 && isDigitRune(rs[i-2])) {
				i = skipNumber(rs, i)
				continue
			}
			var intPart, frac int64
			intDigits, fracDigits := 0, 0
			j := i
			for j < len(rs) && (isDigitRune(rs[j]) || thousandsSep(rs, j)) {
				if rs[j] != ',' {
					if intDigits < 13 {
						intPart = intPart*10 + int64(rs[j]-'0')
					}
					intDigits++
				}
				j++
			}
			if j+1 < len(rs) && rs[j] == '.' && isDigitRune(rs[j+1]) {
				j++
				for j < len(rs) && isDigitRune(rs[j]) {
					if fracDigits < 2 {
						frac = frac*10 + int64(rs[j]-'0')
					}
					fracDigits++
					j++
				}
				if fracDigits == 1 {
					frac *= 10
				}
			}
			cur := currencyBefore(rs, i)
			k := skipSpaces(rs, j)
			after, alen := currencyAfter(rs, k)
			if after {
				cur = true
				// 30块5: five jiao
				if d := k + alen; d < len(rs) && isDigitRune(rs[d]) && (d+1 >= len(rs) || !isDigitRune(rs[d+1])) && fracDigits == 0 {
					frac = int64(rs[d]-'0') * 10
					j = d + 1
				}
			}
			plain := intDigits <= 7 && !dateUnitAt(rs, k) && !(j < len(rs) && (rs[j] == '-' || rs[j] == '/' || rs[j] == ':') && j+1 < len(rs) && isDigitRune(rs[j+1])) && !(i > 0 && (rs[i-1] == '-' || rs[i-1] == '/' || rs[i-1] == ':'))
			if intDigits <= 9 && (cur || plain) {
				c := amountCand{fen: intPart*100 + frac, currency: cur}
				if cur {
					return c.fen, true
				}
				if !found {
					first, found = c, true
				}
			}
			i = j
		case isCNNumeral(r) || r == '半':
			v, n, ok := parseCN(rs[i:])
			if r == '半' {
				i++
				continue
			}
			if !ok {
				i++
				continue
			}
			j := i + n
			var frac int64
			if j+1 < len(rs) && rs[j] == '点' && cnDigit(rs[j+1]) >= 0 {
				frac = int64(cnDigit(rs[j+1])) * 10
				j += 2
				if j < len(rs) && cnDigit(rs[j]) >= 0 {
					frac += int64(cnDigit(rs[j]))
					j++
				}
			}
			after, alen := currencyAfter(rs, j)
			if after {
				j += alen
				// 三十块五 / 三十元五角 / 二十八块八毛
				if j < len(rs) && cnDigit(rs[j]) > 0 && frac == 0 {
					frac = int64(cnDigit(rs[j])) * 10
					j++
					if j < len(rs) && (rs[j] == '角' || rs[j] == '毛') {
						j++
					}
				}
				return v*100 + frac, true
			}
			if currencyBefore(rs, i) {
				return v*100 + frac, true
			}
			// a bare Chinese number counts when it is not a month, a count or
			// part of a word (一下, 一个)
			if !found && n >= 2 && !dateUnitAt(rs, j) && !(j < len(rs) && (rs[j] == '个' || rs[j] == '次' || rs[j] == '天')) {
				first, found = amountCand{fen: v*100 + frac}, true
			}
			i = j
		default:
			i++
		}
	}
	if found {
		return first.fen, true
	}
	return 0, false
}

// thousandsSep: a comma followed by exactly three digits (1,280).
func thousandsSep(rs []rune, j int) bool {
	return rs[j] == ',' && j > 0 && isDigitRune(rs[j-1]) && j+4 <= len(rs) && allDigits(rs[j+1:j+4]) && (j+4 == len(rs) || !isDigitRune(rs[j+4]))
}

func allDigits(rs []rune) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs {
		if !isDigitRune(r) {
			return false
		}
	}
	return true
}

func skipNumber(rs []rune, i int) int {
	for i < len(rs) && (isDigitRune(rs[i]) || rs[i] == '.' || rs[i] == ',') {
		i++
	}
	return i
}

func skipSpaces(rs []rune, i int) int {
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	return i
}

// currencyBefore: ¥ ￥ $ RMB CNY USD before the number (spaces allowed).
func currencyBefore(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && rs[j] == ' ' {
		j--
	}
	if j < 0 {
		return false
	}
	switch rs[j] {
	case '¥', '￥', '$', '＄', '￡', '£':
		return true
	}
	if j >= 2 {
		w := strings.ToLower(string(rs[j-2 : j+1]))
		if (w == "rmb" || w == "cny" || w == "usd") && (j < 3 || !isASCIILetter(rs[j-3])) {
			return true
		}
	}
	return false
}

// currencyAfter: 元 块 圆 (块钱, 人民币), yuan, rmb, dollars, bucks after the
// number; n is its length in runes.
func currencyAfter(rs []rune, i int) (bool, int) {
	if i >= len(rs) {
		return false, 0
	}
	switch rs[i] {
	case '元', '块', '圆', '塊':
		if i+1 < len(rs) && rs[i+1] == '钱' {
			return true, 2
		}
		return true, 1
	}
	for _, w := range [...]string{"人民币", "yuan", "rmb", "cny", "dollars", "dollar", "bucks", "usd", "kuai"} {
		wr := []rune(w)
		if i+len(wr) <= len(rs) && strings.EqualFold(string(rs[i:i+len(wr)]), w) && (i+len(wr) == len(rs) || !isASCIILetter(rs[i+len(wr)])) {
			return true, len(wr)
		}
	}
	return false, 0
}

// dateUnitAt: 年 月 日 号 % after a number make it not money.
func dateUnitAt(rs []rune, i int) bool {
	if i >= len(rs) {
		return false
	}
	switch rs[i] {
	case '年', '月', '日', '号', '%', '號', '点', '时', '分', '秒', '岁', '位':
		return true
	}
	return false
}

// ---- months ----

var monthNames = [...]struct {
	name string
	m    int
}{
	{"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6},
	{"july", 7}, {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11}, {"december", 12},
	{"sept", 9}, {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"jun", 6}, {"jul", 7},
	{"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
}

// extractMonth: 3月 / 三月 / 十二月 first, then an English month name, then
// YYYY-MM (or MM/YYYY), then a bare number 1–12.
func extractMonth(text string) (int, bool) {
	if len(text) > 4000 {
		text = text[:4000]
	}
	var rb [256]rune
	rs := rb[:0]
	for _, r := range text {
		rs = append(rs, foldRune(r))
	}
	// N月
	for i, r := range rs {
		if r != '月' {
			continue
		}
		j := i - 1
		for j >= 0 && rs[j] == ' ' {
			j--
		}
		k := j
		for k >= 0 && isDigitRune(rs[k]) {
			k--
		}
		if k < j {
			if j-k <= 2 {
				if m := atoiRunes(rs[k+1 : j+1]); m >= 1 && m <= 12 {
					return m, true
				}
			}
			continue
		}
		k = j
		for k >= 0 && isCNNumeral(rs[k]) {
			k--
		}
		if k < j {
			if v, n, ok := parseCN(rs[k+1 : j+1]); ok && n == j-k && v >= 1 && v <= 12 {
				return int(v), true
			}
		}
	}
	// month names
	for i := 0; i < len(rs); i++ {
		if !isASCIILetter(rs[i]) || i > 0 && isASCIILetter(rs[i-1]) {
			continue
		}
		j := i
		for j < len(rs) && isASCIILetter(rs[j]) {
			j++
		}
		w := strings.ToLower(string(rs[i:j]))
		for _, mn := range monthNames {
			if w == mn.name {
				return mn.m, true
			}
		}
		i = j
	}
	// YYYY-MM, YYYY/MM, YYYY.MM, YYYY年MM; MM/YYYY
	for i := 0; i+5 < len(rs); i++ {
		if i > 0 && isDigitRune(rs[i-1]) || !allDigits(rs[i:i+4]) {
			continue
		}
		if sep := rs[i+4]; sep == '-' || sep == '/' || sep == '.' || sep == '年' {
			k := i + 5
			for k < len(rs) && isDigitRune(rs[k]) {
				k++
			}
			if k-(i+5) >= 1 && k-(i+5) <= 2 {
				if m := atoiRunes(rs[i+5 : k]); m >= 1 && m <= 12 {
					return m, true
				}
			}
		}
	}
	for i := 0; i+2 < len(rs); i++ {
		if i > 0 && isDigitRune(rs[i-1]) || !isDigitRune(rs[i]) {
			continue
		}
		k := i
		for k < len(rs) && isDigitRune(rs[k]) {
			k++
		}
		if k-i <= 2 && k+5 <= len(rs) && (rs[k] == '/' || rs[k] == '-') && allDigits(rs[k+1:k+5]) && (k+5 == len(rs) || !isDigitRune(rs[k+5])) {
			if m := atoiRunes(rs[i:k]); m >= 1 && m <= 12 {
				return m, true
			}
		}
	}
	// a bare number
	for i := 0; i < len(rs); i++ {
		if !isDigitRune(rs[i]) {
			continue
		}
		k := i
		for k < len(rs) && isDigitRune(rs[k]) {
			k++
		}
		bounded := (i == 0 || !isASCIILetter(rs[i-1]) && rs[i-1] != '.') && (k == len(rs) || !isASCIILetter(rs[k]) && rs[k] != '.')
		if k-i <= 2 && bounded && !dateUnitAt(rs, skipSpaces(rs, k)) {
			if after, _ := currencyAfter(rs, skipSpaces(rs, k)); !after {
				if m := atoiRunes(rs[i:k]); m >= 1 && m <= 12 {
					return m, true
				}
			}
		}
		i = k
	}
	// a bare Chinese number (三, 十二)
	for i := 0; i < len(rs); i++ {
		if !isCNNumeral(rs[i]) {
			continue
		}
		v, n, _ := parseCN(rs[i:])
		if (i == 0 || !isHan(rs[i-1])) && (i+n == len(rs) || !isHan(rs[i+n])) && v >= 1 && v <= 12 {
			return int(v), true
		}
		i += n - 1
	}
	return 0, false
}

func atoiRunes(rs []rune) int {
	v := 0
	for _, r := range rs {
		v = v*10 + int(r-'0')
		if v > 1000 {
			return v
		}
	}
	return v
}
