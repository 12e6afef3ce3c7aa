package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestSearchAPI(t *testing.T) {
	srv := newTestServer(t, nil)
	for _, c := range []struct{ q, lang, id string }{
		{"退款多久能到账", "zh-CN", "refund-policy"},
		{"verification code never arrives", "en", "code-not-received"},
		{"卡密没收到", "zh-CN", "card-code-missing"},
	} {
		status, body := get(t, srv.URL+"/api/kb/search?q="+url.QueryEscape(c.q)+"&lang="+c.lang)
		var got struct {
			Results []searchResult `json:"results"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || status != http.StatusOK {
			t.Fatalf("%q: %d %s (%v)", c.q, status, body, err)
		}
		if len(got.Results) == 0 || got.Results[0].ID != c.id || got.Results[0].URL != "/help/"+c.id+"?lang="+c.lang || got.Results[0].Summary == "" {
			t.Fatalf("%q: %+v, want %s first with its page and summary", c.q, got.Results, c.id)
		}
	}
	for _, q := range []string{"", "   ", strings.Repeat("退", maxQuery+1)} {
		status, body := get(t, srv.URL+"/api/kb/search?q="+url.QueryEscape(q))
		if status != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Fatalf("q=%q: %d %s, want 400 with an error", q, status, body)
		}
	}
	status, body := get(t, srv.URL+"/api/kb/search?q="+url.QueryEscape("今天天气怎么样"))
	if status != http.StatusOK || body != "{\"results\":[]}\n" {
		t.Fatalf("an unrelated question: %d %s, want no results", status, body)
	}
}

func TestArticlePage(t *testing.T) {
	srv := newTestServer(t, nil)
	status, body := get(t, srv.URL+"/help/refund-policy?lang=en")
	if status != http.StatusOK || !strings.Contains(body, "<h1>") || !strings.Contains(body, "7 days") || strings.Contains(body, "{{") {
		t.Fatalf("an article: %d, want its page with the rules' figures filled in:\n%s", status, body)
	}
	status, body = get(t, srv.URL+"/help/refund-policy?lang=zh-CN")
	if status != http.StatusOK || !strings.Contains(body, `lang="zh-CN"`) || !strings.Contains(body, "7 天") {
		t.Fatalf("the article in Chinese: %d\n%s", status, body)
	}
	for _, id := range []string{"no-such-article", "%3Cscript%3E"} {
		status, body = get(t, srv.URL+"/help/"+id)
		if status != http.StatusNotFound || strings.Contains(body, "<script>") {
			t.Fatalf("/help/%s: %d, want 404 without echoing it", id, status)
		}
	}
}

// TestHelpPageFromArticles: the help page's topics and FAQ are the
// articles, and its refund line is the refund-policy article's, so no rule
// is copied into the page.
func TestHelpPageFromArticles(t *testing.T) {
	srv := newTestServer(t, nil)
	_, body := get(t, srv.URL+"/?lang=zh-CN")
	articles := srv.ch.kb.Base().Articles("zh-CN")
	if len(articles) < 10 {
		t.Fatalf("%d demo articles", len(articles))
	}
	for _, a := range articles {
		if !strings.Contains(body, ">"+a.Title+"<") || !strings.Contains(body, `href="/help/`+a.ID+`?lang=zh-CN"`) {
			t.Fatalf("the help page lacks the article %s (%s)", a.ID, a.Title)
		}
	}
	refund, _ := srv.ch.kb.Base().Article("refund-policy", "zh-CN")
	if !strings.Contains(body, "<td>"+refund.Summary+"</td>") {
		t.Fatalf("the comparison's refund is not the refund-policy article's %q", refund.Summary)
	}
	// What the page used to copy from the bot's rules is gone.
	for _, copied := range []string{"付款 7 天内全额退款", "验证码 5 分钟内有效，60 秒后可重新发送"} {
		if strings.Contains(body, copied) {
			t.Fatalf("the page still copies a rule: %q", copied)
		}
	}
}

func hasButton(f frame, value string) bool {
	for _, b := range f.Buttons {
		if b.Value == value {
			return true
		}
	}
	return false
}

// TestArticleVerdictsCounted: 有帮助 / 没帮助 pressed in chat are counted per
// article from the store.
func TestArticleVerdictsCounted(t *testing.T) {
	srv := newTestServer(t, nil)
	c := dial(t, srv.wsURL(), nil)
	c.hello("", "zh-CN", "")
	c.text("卡密买了没收到怎么办")
	c.until("the article", func(f frame) bool { return hasButton(f, "kb:down:card-code-missing") })
	c.button("kb:down:card-code-missing")
	c.until("the apology", func(f frame) bool {
		return f.Type == "message" && f.From == "bot" && hasButton(f, "intent:human_agent") && !hasButton(f, "kb:down:card-code-missing")
	})
	got, err := srv.rt.KBFeedback(t.Context(), time.Time{}, time.Time{})
	if err != nil || got["card-code-missing"] != (bot.ArticleFeedback{NotHelpful: 1}) {
		t.Fatalf("verdicts %+v (%v), want one not helpful for card-code-missing", got, err)
	}
}
