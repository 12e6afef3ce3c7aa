package kb

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// testFacts are the facts the demo articles are loaded with in tests.
var testFacts = map[string]string{
	"hotline":             "400-820-1234",
	"hotline_hours":       "09:00–21:00",
	"cooling_off_days":    "7",
	"resend_wait_seconds": "60",
	"code_ttl_minutes":    "5",
}

func demo(t testing.TB) *Base {
	t.Helper()
	b, problems := Demo(testFacts)
	for _, p := range problems {
		t.Errorf("demo: %s", p)
	}
	return b
}

// demoIDs are the articles the demo set must have, in both languages.
var demoIDs = []string{
	"anti-fraud", "autorenew-on-again", "cancel-self-service", "cancel-vs-no-renew",
	"card-code-missing", "change-phone", "charged-after-cancel", "code-not-received",
	"frozen-account", "official-contact", "refund-policy", "topup-pending", "work-order-number",
}

func TestDemoHasEveryArticleInBothLanguages(t *testing.T) {
	b := demo(t)
	for _, lang := range []string{LangZH, LangEN} {
		var ids []string
		for _, a := range b.Articles(lang) {
			ids = append(ids, a.ID)
			if a.Lang != lang || a.Title == "" || a.Topic == "" || a.Summary == "" || a.HTML == "" || len(a.Synonyms) == 0 {
				t.Errorf("%s: incomplete: %+v", a.File, a)
			}
			if want := a.ID + "." + lang + ".md"; a.File != want {
				t.Errorf("%s: want the file named %s", a.File, want)
			}
			if strings.Contains(string(a.HTML), "{{") {
				t.Errorf("%s: placeholder left in the HTML", a.File)
			}
			if n := words(a.Summary + " " + string(a.HTML)); n > 400 {
				t.Errorf("%s: %d words, too long for a help article", a.File, n)
			}
		}
		slices.Sort(ids)
		if !slices.Equal(ids, demoIDs) {
			t.Errorf("%s: ids %v, want %v", lang, ids, demoIDs)
		}
		if got := len(b.Topics(lang)); got != 4 {
			t.Errorf("%s: %d topics %v, want 4", lang, got, b.Topics(lang))
		}
	}
}

// words counts English words and Chinese characters.
func words(s string) int {
	n := len(strings.Fields(s))
	for _, r := range s {
		if isHan(r) {
			n++
		}
	}
	return n
}

func TestDemoFillsFacts(t *testing.T) {
	b := demo(t)
	for _, c := range []struct{ id, lang, want string }{
		{"official-contact", LangZH, "400-820-1234，服务时间每天 09:00–21:00"},
		{"official-contact", LangEN, "400-820-1234, every day 09:00–21:00"},
		{"refund-policy", LangZH, "付款后 7 天内取消"},
		{"refund-policy", LangEN, "within 7 days of paying"},
		{"code-not-received", LangZH, "等 60 秒后"},
		{"code-not-received", LangEN, "after 60 seconds"},
	} {
		a, ok := b.Article(c.id, c.lang)
		if !ok || !strings.Contains(a.Summary, c.want) {
			t.Errorf("%s %s: summary %q, want it to contain %q", c.id, c.lang, a.Summary, c.want)
		}
	}
	a, _ := b.Article("code-not-received", LangEN)
	if !strings.Contains(string(a.HTML), "valid for 5 minutes") {
		t.Errorf("code-not-received: HTML %s lacks the code's lifetime", a.HTML)
	}
}

// load loads the given files; name → content.
func load(t *testing.T, files map[string]string, facts map[string]string) (*Base, []string) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	b, problems := Load(fsys, facts)
	var ps []string
	for _, p := range problems {
		ps = append(ps, p.String())
	}
	return b, ps
}

func TestLoadParsesFrontMatter(t *testing.T) {
	b, problems := load(t, map[string]string{
		"a.en.md": `---
# a comment
id: refunds
title: "Refunds: how they work"
lang: en
topic: 'Money'
synonyms: [money back, "refund, please", 'it''s mine']
---
You get your money back.
Within days.

## More

- one
`,
		"sub/a.zh-CN.md": "---\r\nid: refunds\r\ntitle: 退款\r\nlang: zh-CN\r\nsynonyms:\r\n  - 退钱\r\n  - \"退 款\"\r\n---\r\n\r\n退款原路\r\n返回。\r\n",
		"notes.txt":      "not an article",
	}, nil)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	en, ok := b.Article("refunds", LangEN)
	if !ok {
		t.Fatal("refunds in en not loaded")
	}
	if en.Title != "Refunds: how they work" || en.Topic != "Money" || en.File != "a.en.md" {
		t.Errorf("got %+v", en)
	}
	if want := []string{"money back", "refund, please", "it's mine"}; !slices.Equal(en.Synonyms, want) {
		t.Errorf("synonyms %q, want %q", en.Synonyms, want)
	}
	if want := "You get your money back. Within days."; en.Summary != want {
		t.Errorf("summary %q, want %q", en.Summary, want)
	}
	if !strings.Contains(string(en.HTML), "<h2>More</h2>") || !strings.Contains(string(en.HTML), "<li>one</li>") {
		t.Errorf("HTML %s", en.HTML)
	}
	zh, _ := b.Article("refunds", LangZH)
	if want := []string{"退钱", "退 款"}; !slices.Equal(zh.Synonyms, want) {
		t.Errorf("synonyms %q, want %q", zh.Synonyms, want)
	}
	if want := "退款原路返回。"; zh.Summary != want {
		t.Errorf("summary %q, want %q (no space where a Chinese line breaks)", zh.Summary, want)
	}
}

func TestLoadReportsBadArticles(t *testing.T) {
	const good = "---\nid: ok\ntitle: OK\nlang: en\n---\nFine.\n"
	for _, c := range []struct {
		name, src, want string
	}{
		{"no front matter", "# Title\n\nText.\n", "x.md:1: no front matter"},
		{"not closed", "---\nid: a\ntitle: A\nlang: en\nText.\n", "x.md:5: want \"key: value\""},
		{"never closed", "---\nid: a\ntitle: A\nlang: en\n", "x.md:1: front matter not closed"},
		{"no id", "---\ntitle: A\nlang: en\n---\nText.\n", "x.md:1: id is missing"},
		{"no title", "---\nid: a\nlang: en\n---\nText.\n", "x.md:1: title is missing"},
		{"no lang", "---\nid: a\ntitle: A\n---\nText.\n", "x.md:1: lang is missing"},
		{"unknown lang", "---\nid: a\ntitle: A\nlang: fr\n---\nText.\n", `x.md:4: unknown lang "fr"`},
		{"bad id", "---\nid: A b\ntitle: A\nlang: en\n---\nText.\n", `x.md:2: id "A b"`},
		{"unknown key", "---\nid: a\ntitle: A\nlang: en\ntags: x\n---\nText.\n", `x.md:5: unknown key "tags"`},
		{"key twice", "---\nid: a\nid: b\ntitle: A\nlang: en\n---\nText.\n", "x.md:3: id given twice"},
		{"bad list", "---\nid: a\ntitle: A\nlang: en\nsynonyms: x, y\n---\nText.\n", "x.md:5: want a list"},
		{"stray item", "---\nid: a\n- x\ntitle: A\nlang: en\n---\nText.\n", "x.md:3: list item"},
		{"unclosed quote", "---\nid: a\ntitle: \"A\nlang: en\n---\nText.\n", "x.md:3: unclosed quote"},
		{"no summary", "---\nid: a\ntitle: A\nlang: en\n---\n## Only a heading\n", "x.md:6: no summary"},
		{"unknown placeholder", "---\nid: a\ntitle: A\nlang: en\n---\nText.\n\nCall {{hotline}} or {{fax}}.\n", "x.md:8: unknown placeholder {{fax}}"},
		{"malformed placeholder", "---\nid: a\ntitle: A\nlang: en\n---\nText {{ not a name }}.\n", "x.md:6: malformed placeholder"},
		{"placeholder in title", "---\nid: a\ntitle: Call {{fax}}\nlang: en\n---\nText.\n", "x.md:3: unknown placeholder {{fax}}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, problems := load(t, map[string]string{"x.md": c.src, "ok.md": good}, map[string]string{"hotline": "400"})
			if len(problems) != 1 || !strings.HasPrefix(problems[0], c.want) {
				t.Fatalf("problems %q, want one starting %q", problems, c.want)
			}
			if got := len(b.Articles(LangEN)); got != 1 {
				t.Errorf("%d articles loaded, want only the good one", got)
			}
		})
	}
}

func TestLoadReportsDuplicateID(t *testing.T) {
	b, problems := load(t, map[string]string{
		"a.md": "---\nid: a\ntitle: First\nlang: en\n---\nText.\n",
		"b.md": "---\nid: a\ntitle: Second\nlang: en\n---\nText.\n",
		"c.md": "---\nid: a\ntitle: 中文\nlang: zh-CN\n---\n文字。\n",
	}, nil)
	if want := []string{"b.md:1: id a in en is already in a.md"}; !slices.Equal(problems, want) {
		t.Errorf("problems %q, want %q", problems, want)
	}
	if a, _ := b.Article("a", LangEN); a.Title != "First" {
		t.Errorf("got %q, want the first file's article", a.Title)
	}
	if a, _ := b.Article("a", LangZH); a.Title != "中文" {
		t.Errorf("got %q, want the Chinese article: one id may have one per language", a.Title)
	}
}

func TestPlaceholders(t *testing.T) {
	b, problems := load(t, map[string]string{
		"a.md": "---\nid: a\ntitle: Wait {{ secs }} s\nlang: en\n---\nWait {{secs}} seconds, then call {{hotline}}.\n\n`{{secs}}` in code too.\n",
	}, map[string]string{"secs": "60", "hotline": "<b>400</b>"})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	a, _ := b.Article("a", LangEN)
	if a.Title != "Wait 60 s" {
		t.Errorf("title %q", a.Title)
	}
	if want := "Wait 60 seconds, then call 400."; a.Summary != want {
		t.Errorf("summary %q, want %q", a.Summary, want)
	}
	if !strings.Contains(string(a.HTML), "<code>60</code>") {
		t.Errorf("HTML %s: want the placeholder filled in code too", a.HTML)
	}
	if strings.Contains(string(a.HTML), "<b>") {
		t.Errorf("HTML %s: a fact's raw HTML must not be rendered", a.HTML)
	}
}

func TestRawHTMLIsNotRendered(t *testing.T) {
	b, problems := load(t, map[string]string{
		"a.md": `---
id: a
title: <script>alert(1)</script>
lang: en
---
Hello <img src=x onerror=alert(1)> & welcome.

<script>alert(2)</script>

[click](javascript:alert(3)) and 5 < 6.
`,
	}, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	a, _ := b.Article("a", LangEN)
	html := string(a.HTML)
	for _, bad := range []string{"<script", "<img", "onerror", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains %q:\n%s", bad, html)
		}
	}
	if !strings.Contains(html, "&amp; welcome") || !strings.Contains(html, "5 &lt; 6") {
		t.Errorf("HTML not escaped:\n%s", html)
	}
	if want := "Hello & welcome."; a.Summary != want {
		t.Errorf("summary %q, want %q (plain text, without the HTML)", a.Summary, want)
	}
	if a.Title != "<script>alert(1)</script>" {
		t.Errorf("title %q: a title is plain text, escaped by whoever shows it", a.Title)
	}
}

func TestArticleFallsBackToTheOtherLanguage(t *testing.T) {
	b, _ := load(t, map[string]string{
		"a.md": "---\nid: only-en\ntitle: English\nlang: en\n---\nText.\n",
	}, nil)
	if a, ok := b.Article("only-en", LangZH); !ok || a.Lang != LangEN {
		t.Errorf("got %+v, %v; want the English article", a, ok)
	}
	if _, ok := b.Article("missing", LangZH); ok {
		t.Error("found an article that does not exist")
	}
}

func TestArticlesAndTopicsAreOrdered(t *testing.T) {
	b, _ := load(t, map[string]string{
		"1.md": "---\nid: c\ntitle: Zebra\nlang: en\ntopic: Beta\n---\nText.\n",
		"2.md": "---\nid: b\ntitle: Apple\nlang: en\ntopic: Beta\n---\nText.\n",
		"3.md": "---\nid: a\ntitle: Mango\nlang: en\ntopic: Alpha\n---\nText.\n",
	}, nil)
	var titles []string
	for _, a := range b.Articles(LangEN) {
		titles = append(titles, a.Title)
	}
	if want := []string{"Mango", "Apple", "Zebra"}; !slices.Equal(titles, want) {
		t.Errorf("titles %q, want %q", titles, want)
	}
	if want := []string{"Alpha", "Beta"}; !slices.Equal(b.Topics(LangEN), want) {
		t.Errorf("topics %q, want %q", b.Topics(LangEN), want)
	}
	if got := b.Articles(LangZH); len(got) != 0 {
		t.Errorf("zh: %v, want none", got)
	}
}

func TestSearchRanks(t *testing.T) {
	b := demo(t)
	for _, c := range []struct{ query, lang, want string }{
		{"怎么退订会员", LangZH, "cancel-self-service"},
		{"取消后能退多少钱", LangZH, "refund-policy"},
		{"验证码收不到", LangZH, "code-not-received"},
		{"卡密没到", LangZH, "card-code-missing"},
		{"充值没到账", LangZH, "topup-pending"},
		{"换绑手机", LangZH, "change-phone"},
		{"帳號凍結", LangZH, "frozen-account"},          // traditional characters
		{"ＷＯ开头的号码是什么", LangZH, "work-order-number"}, // full-width letters
		{"how do I unsubscribe", LangEN, "cancel-self-service"},
		{"refunds for annual plans", LangEN, "refund-policy"},
		{"cancelled but still charged", LangEN, "charged-after-cancel"},
		{"someone called me, is it a scam?", LangEN, "anti-fraud"},
		{"hotline", LangEN, "official-contact"},
		{"turn auto-renew back on", LangEN, "autorenew-on-again"},
		{"unsubscribe", LangZH, "cancel-self-service"}, // English words among the Chinese synonyms
	} {
		rs := b.Search(c.query, c.lang, 3)
		if len(rs) == 0 || rs[0].ID != c.want {
			t.Errorf("Search(%q, %s) = %v, want %s first", c.query, c.lang, ids(rs), c.want)
			continue
		}
		if rs[0].Lang != c.lang {
			t.Errorf("Search(%q, %s): got the %s article", c.query, c.lang, rs[0].Lang)
		}
		for i := 1; i < len(rs); i++ {
			if rs[i].Score > rs[i-1].Score {
				t.Errorf("Search(%q): results not best first: %v", c.query, rs)
			}
		}
	}
}

func TestSearchFallsBackToTheOtherLanguage(t *testing.T) {
	b, _ := load(t, map[string]string{
		"a.md": "---\nid: a\ntitle: Refunds\nlang: en\n---\nMoney back.\n",
		"b.md": "---\nid: b\ntitle: 充值\nlang: zh-CN\n---\n到账。\n",
	}, nil)
	if rs := b.Search("refunds", LangZH, 5); len(rs) != 1 || rs[0].ID != "a" || rs[0].Lang != LangEN {
		t.Errorf("got %v, want the English article", rs)
	}
	if rs := b.Search("充值", LangZH, 5); len(rs) != 1 || rs[0].ID != "b" {
		t.Errorf("got %v", rs)
	}
	if rs := b.Search("nothing like it", LangZH, 5); len(rs) != 0 {
		t.Errorf("got %v, want nothing", rs)
	}
}

func TestAnswerRefusesUnrelatedQuestions(t *testing.T) {
	b := demo(t)
	for _, c := range []struct{ query, lang string }{
		{"今天天气怎么样", LangZH},
		{"what's the weather", LangEN},
		{"recommend me a game", LangEN},
		{"给我推荐一个游戏", LangZH},
		{"", LangEN},
		{"   ？？ ", LangZH},
		{"the", LangEN},
		// Near misses: another company's service, a bank, a device.
		{"netflix refund", LangEN},
		{"微信怎么改手机号", LangZH},
		{"bank account frozen", LangEN},
		{"电脑死机了", LangZH},
	} {
		if r, ok := b.Answer(c.query, c.lang); ok {
			t.Errorf("Answer(%q) = %s (score %.2f), want none", c.query, r.ID, r.Score)
		}
	}
	for _, c := range []struct{ query, lang, want string }{
		{"自动扣费怎么关", LangZH, "cancel-self-service"},
		{"I never got the verification code", LangEN, "code-not-received"},
	} {
		if r, ok := b.Answer(c.query, c.lang); !ok || r.ID != c.want || r.Summary == "" {
			t.Errorf("Answer(%q) = %+v, %v; want %s", c.query, r, ok, c.want)
		}
	}
}

func TestForeignWordsNamedByTheArticle(t *testing.T) {
	b, _ := load(t, map[string]string{
		"a.md": "---\nid: a\ntitle: Refunds\nlang: en\nsynonyms: [refund to alipay]\n---\nMoney back, to Alipay or your card.\n",
		"b.md": "---\nid: b\ntitle: Top-ups\nlang: en\n---\nTop-ups by Alipay are credited in minutes.\n",
	}, nil)
	if r, ok := b.Answer("alipay refund", LangEN); !ok || r.ID != "a" {
		t.Errorf("Answer(alipay refund) = %+v, %v; want a: the article names Alipay", r, ok)
	}
	if r, ok := b.Answer("alipay top-up", LangEN); ok {
		t.Errorf("Answer(alipay top-up) = %s, want none: the article does not name Alipay", r.ID)
	}
}

func TestConcurrentUse(t *testing.T) {
	b := demo(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				b.Search("取消会员能退多少钱", LangZH, 5)
				b.Answer("charged after cancel", LangEN)
				a, _ := b.Article("refund-policy", LangEN)
				a.Synonyms[0] = "changed by a caller" // a copy: the Base must not change
				b.Articles(LangZH)
			}
		})
	}
	wg.Wait()
	if a, _ := b.Article("refund-policy", LangEN); a.Synonyms[0] == "changed by a caller" {
		t.Error("an Article's synonyms are shared with the Base")
	}
}

func TestTokenize(t *testing.T) {
	for _, c := range []struct {
		in       string
		unigrams bool
		want     string
	}{
		{"Cancelled, cancelling, cancels: CANCEL!", false, "cancel cancel cancel cancel"},
		{"charges charged charging", false, "charg charg charg"},
		{"What's the policy? Don't renew", false, "policy dont renew"},
		{"WO202611240000125", false, "wo 202611240000125"},
		{"ＡＰＰ里的自动续费", false, "app 里 自动 动续 续费"},
		{"怎么退订", false, "退订"},
		{"退订", true, "退订 退 订"},
		{"帳號", false, "账号"},
		{"Frozen VIP autorenewal", false, "freez membership auto renew"},
		{"什么时候到账", false, "到账"},
	} {
		if got := strings.Join(tokenize(c.in, c.unigrams), " "); got != c.want {
			t.Errorf("tokenize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func ids(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		Demo(testFacts)
	}
}

func BenchmarkSearch(b *testing.B) {
	kb, _ := Demo(testFacts)
	for b.Loop() {
		kb.Search("取消会员能退多少钱", LangZH, 5)
		kb.Search("I cancelled but you charged me again", LangEN, 5)
	}
}
