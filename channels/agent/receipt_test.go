package agent

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// receiptOrders records, on e's runtime, a cancellation with a refund whose
// reason is markup, an agent's don't-renew and a call-back request.
func receiptOrders(e *env) (cancel, agentAction, callback dialog.WorkOrder) {
	e.t.Helper()
	var out []dialog.WorkOrder
	for _, req := range []dialog.OrderRequest{
		{Key: "r/1", Kind: dialog.KindCancelNow, MemberID: "m-demo", Channel: "web", Conv: "conv-private-1", Reason: `<script>alert("reason")</script>`, Executor: "bot", At: e.clock.Now()},
		{Key: "r/2", Kind: dialog.KindAgentAction, Action: dialog.KindNoRenew, MemberID: "m-annual", Channel: "telegram", Conv: "conv-private-2", Reason: "agent-typed-reason", Executor: "alice", At: e.clock.Now()},
		{Key: "r/3", Kind: dialog.KindCallback, Channel: "web", Conv: "conv-private-3", Reason: "member-typed-reason", Executor: "bot", At: e.clock.Now()},
	} {
		o, err := e.rt.WorkOrders().Execute(context.Background(), req)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, o)
	}
	if out[0].RefundCents == 0 || out[0].EffectiveAt.IsZero() || out[1].EffectiveAt.IsZero() {
		e.t.Fatalf("orders without a refund or an effective time: %+v", out)
	}
	return out[0], out[1], out[2]
}

// page gets path as a browser would, from client, with Accept-Language
// when acceptLang is not empty.
func (e *env) page(client *http.Client, path, acceptLang string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if acceptLang != "" {
		req.Header.Set("Accept-Language", acceptLang)
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// wantHTML fails unless resp is an HTML page with the receipt page's
// security headers.
func wantHTML(t *testing.T, what string, resp *http.Response, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: HTTP %d, want %d", what, resp.StatusCode, status)
	}
	h := resp.Header
	for name, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": receiptCSP,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	} {
		if got := h.Get(name); got != want {
			t.Fatalf("%s: %s %q, want %q", what, name, got, want)
		}
	}
}

// The receipt page shows a genuine receipt in the member's language, with
// the order's times in the installation's zone, and nothing about the
// member or the conversation.
func TestReceiptPage(t *testing.T) {
	e := newEnv(t, Config{})
	cancel, agentAction, callback := receiptOrders(e)
	refund := fmt.Sprintf("¥%d.%02d", cancel.RefundCents/100, cancel.RefundCents%100)
	at := func(o dialog.WorkOrder) time.Time { return o.CreatedAt.In(shanghai) }

	for _, tc := range []struct {
		name, query, acceptLang string
		want                    []string
	}{
		{"zh by default", "", "", []string{`<html lang="zh-CN">`, "工单回执", "签名已核验", "真实回执", "申请时间", "生效时间",
			at(cancel).Format("2006年1月2日 15:04"), cancel.EffectiveAt.In(shanghai).Format("2006年1月2日 15:04"),
			"立即取消", "已完成", refund, "已关闭", "Asia/Shanghai", "1–2 个月", "打印"}},
		{"en by ?lang", "&lang=en", "zh-CN", []string{`<html lang="en">`, "Work-order receipt", "Signature checked", "genuine",
			"Applied", "Effective", at(cancel).Format("2 Jan 2006, 15:04"), cancel.EffectiveAt.In(shanghai).Format("2 Jan 2006, 15:04"),
			"cancel now", "done", refund, "off", "1–2 months", "Print"}},
		{"en by Accept-Language", "", "en-US,en;q=0.9,zh;q=0.5", []string{`<html lang="en">`, "Signature checked"}},
		{"zh by ?lang", "&lang=zh-CN", "en", []string{`<html lang="zh-CN">`, "签名已核验"}},
	} {
		path := bot.ReceiptPath(cancel.Number, cancel.Sig) + tc.query
		resp, body := e.page(http.DefaultClient, path, tc.acceptLang)
		wantHTML(t, tc.name, resp, http.StatusOK)
		for _, w := range append(tc.want, cancel.Number, cancel.Sig) {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q:\n%s", tc.name, w, body)
			}
		}
		for _, private := range []string{cancel.MemberID, "13800138000", "demo@example.com", cancel.Conv, "reason", "alert(", "<script>alert"} {
			if strings.Contains(body, private) {
				t.Errorf("%s: the page shows %q", tc.name, private)
			}
		}
	}

	// An agent's action shows the action; a call-back request has nothing
	// to refund or renew. Values are HTML-escaped.
	_, body := e.page(http.DefaultClient, bot.ReceiptPath(agentAction.Number, agentAction.Sig)+"&lang=en", "")
	for _, w := range []string{"don&#39;t renew (by an agent)", "no refund", agentAction.EffectiveAt.In(shanghai).Format("2 Jan 2006, 15:04")} {
		if !strings.Contains(body, w) {
			t.Errorf("agent's action: the page lacks %q:\n%s", w, body)
		}
	}
	for _, private := range []string{"alice", "agent-typed-reason", "m-annual", "13900139000", "conv-private"} {
		if strings.Contains(body, private) {
			t.Errorf("agent's action: the page shows %q", private)
		}
	}
	_, body = e.page(http.DefaultClient, bot.ReceiptPath(callback.Number, callback.Sig), "")
	for _, w := range []string{"人工回电", "处理中", at(callback).Format("2006年1月2日 15:04")} {
		if !strings.Contains(body, w) {
			t.Errorf("call-back: the page lacks %q:\n%s", w, body)
		}
	}
	for _, absent := range []string{"退款", "生效时间", "member-typed-reason"} {
		if strings.Contains(body, absent) {
			t.Errorf("call-back: the page shows %q", absent)
		}
	}
}

var (
	inlineStyle  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
)

// The page's inline style and script are the ones its Content-Security-
// Policy allows, so a browser applies them; and nothing else may run.
func TestReceiptPageCSP(t *testing.T) {
	e := newEnv(t, Config{})
	cancel, _, _ := receiptOrders(e)
	resp, body := e.page(http.DefaultClient, bot.ReceiptPath(cancel.Number, cancel.Sig), "")
	wantHTML(t, "genuine", resp, http.StatusOK)
	csp := resp.Header.Get("Content-Security-Policy")
	for what, re := range map[string]*regexp.Regexp{"style-src": inlineStyle, "script-src": inlineScript} {
		m := re.FindAllStringSubmatch(body, -1)
		if len(m) != 1 {
			t.Fatalf("%d inline elements for %s, want 1", len(m), what)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		if want := what + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	for _, w := range []string{`data-kefu="print"`, "window.print()"} {
		if !strings.Contains(body, w) {
			t.Fatalf("the page lacks %q", w)
		}
	}
	if strings.Contains(body, "&lang=en") || !strings.Contains(body, "&amp;lang=en") {
		t.Fatalf("the language links are not escaped as HTML attributes:\n%s", body)
	}
}

// An unknown number, a malformed one and a wrong or missing signature get
// one and the same friendly page, in the member's language, revealing
// nothing of what was asked.
func TestReceiptPageNotFound(t *testing.T) {
	e := newEnv(t, Config{})
	cancel, agentAction, _ := receiptOrders(e)
	tampered := []byte(cancel.Sig)
	tampered[0] ^= 1
	unknown := dialog.FormatNumber(e.clock.Now().In(shanghai), 999999)
	bad := []string{
		bot.ReceiptPath(cancel.Number, string(tampered)),
		bot.ReceiptPath(cancel.Number, agentAction.Sig),
		bot.ReceiptPath(unknown, cancel.Sig),
		bot.ReceiptPath("WO123", cancel.Sig),
		bot.ReceiptPath(`"><script>alert(1)</script>`, `"><img src=x onerror=alert(2)>`),
		"/receipts/" + cancel.Number,
	}
	for i, lang := range []struct{ accept, want string }{{"", "找不到这张回执"}, {"en", "Receipt not found"}} {
		client := clientFrom(fmt.Sprintf("127.0.0.%d", 10+i)) // each language its own address: within the limit
		var first string
		for _, path := range bad {
			resp, body := e.page(client, path, lang.accept)
			wantHTML(t, path, resp, http.StatusNotFound)
			if first == "" {
				first = body
				if !strings.Contains(body, lang.want) {
					t.Fatalf("404 page lacks %q:\n%s", lang.want, body)
				}
			} else if body != first {
				t.Fatalf("%s: a 404 page unlike the first:\n%s\n---\n%s", path, body, first)
			}
			for _, leak := range []string{"WO", "alert", "<img", cancel.Sig[:8], agentAction.Sig[:8]} {
				if strings.Contains(body, leak) {
					t.Fatalf("%s: the 404 page shows %q", path, leak)
				}
			}
		}
	}
}

// Wrong guesses on the page count with the API's against the address: it
// then waits, on both (429 with Retry-After), while other addresses do not;
// after the wait it may try again.
func TestReceiptPageRateLimited(t *testing.T) {
	e := newEnv(t, Config{})
	cancel, _, _ := receiptOrders(e)
	genuine := bot.ReceiptPath(cancel.Number, cancel.Sig)
	guesser := clientFrom("127.0.0.2")
	for range loginBurst + 1 {
		if resp, _ := e.page(guesser, bot.ReceiptPath(cancel.Number, "guess"), ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a wrong guess: HTTP %d, want 404", resp.StatusCode)
		}
	}
	resp, body := e.page(guesser, genuine+"&lang=en", "")
	wantHTML(t, "too many guesses", resp, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many tries") {
		t.Fatalf("too many guesses: Retry-After %q, body:\n%s", resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := e.callWith(guesser, "GET", "/api/receipts/"+cancel.Number+"?sig="+url.QueryEscape(cancel.Sig), "", ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the API after the page's wrong guesses: HTTP %d, want 429", resp.StatusCode)
	}
	if resp, _ := e.page(http.DefaultClient, genuine, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: HTTP %d, want 200", resp.StatusCode)
	}
	e.clock.Advance(loginEvery + time.Second)
	if resp, _ := e.page(guesser, genuine, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the wait: HTTP %d, want 200", resp.StatusCode)
	}
}
