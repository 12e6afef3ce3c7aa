package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

//go:embed static templates
var files embed.FS

var pageTemplate = template.Must(template.ParseFS(files, "templates/parts.html", "templates/help.html"))

// staticFile is an embedded file as served, with its ETag.
type staticFile struct {
	data  []byte
	etag  string
	ctype string
}

var staticFiles = func() map[string]staticFile {
	out := map[string]staticFile{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[path.Base(p)] = staticFile{data: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}()

// serveStatic serves an embedded file. Browsers revalidate it every few
// minutes, so a new widget reaches embedders quickly.
func serveStatic(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, ok := staticFiles[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
	}
}

// pageSecurity keeps the help-center page to its own origin: nothing on it
// loads from elsewhere, and no inline script runs.
const pageSecurity = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// servePage renders the help-center demo page in the language asked for
// (?lang=), else the browser's, else Chinese.
func (ch *Channel) servePage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r)
	var buf bytes.Buffer
	err := pageTemplate.ExecuteTemplate(&buf, "help.html", struct {
		Lang    dialog.Lang
		T       *pageCopy
		Demo    bool
		Topics  []helpTopic
		Compare []compareRow
	}{lang, pageText[lang], ch.demo, ch.topics(lang), ch.compare(lang)})
	if err != nil {
		ch.log.Error("help page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	_, _ = w.Write(buf.Bytes())
}

// pageHeaders are the help center pages' headers.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageSecurity)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Vary", "Accept-Language")
	h.Set("Cache-Control", "no-cache")
}

func pageLang(r *http.Request) dialog.Lang {
	return locales.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
}

// pageCopy is the help-center page's text in one language.
type pageCopy struct {
	Title, Skip, Brand, NavLabel, LangLabel, Login string
	Nav                                            []link
	Home, HelpCenter, HeroTitle, HeroSub           string
	SearchPlaceholder, SearchLabel, Hot            string
	HotTags                                        []string
	DemoTitle, Demo, QuickTitle                    string
	CancelTitle, CancelText, CancelGo              string
	RenewTitle, RenewText, RenewGo                 string
	OrderTitle, OrderText, OrderGo                 string
	AgentTitle, AgentText, AgentGo                 string
	Topics, TopicsLabel                            string
	CompareTitle, CompareLead, NowHead, RenewHead  string
	Compare                                        []compareRow
	CompareNote, FAQTitle, NoHit, ReadMore         string
	RefundFallback                                 string
	Back, NotFound, NotFoundText, Related          string
	ContactTitle, ContactText, ContactGo, Footer   string
	FooterLinks                                    []string
}

type link struct {
	Label   string
	Current bool
}

type compareRow struct{ Label, Now, Renew string }

// refundCell stands in the comparison for what cancelling now refunds: the
// refund-policy article's summary, which states the rules the bot computes
// (cooling-off days and all), so the page never copies them.
const refundCell = "\x00refund"

// compare is the page's comparison in lang, the refund from the articles.
func (ch *Channel) compare(lang dialog.Lang) []compareRow {
	rows := slices.Clone(pageText[lang].Compare)
	for i, r := range rows {
		if r.Now != refundCell {
			continue
		}
		rows[i].Now = pageText[lang].RefundFallback
		if ch.kb != nil {
			if a, ok := ch.kb.Base().Article("refund-policy", string(lang)); ok {
				rows[i].Now = a.Summary
			}
		}
	}
	return rows
}

var pageText = map[dialog.Lang]*pageCopy{
	dialog.ZH: {
		Title:     "会员服务 - 帮助中心 - 云卡盟",
		Skip:      "跳到正文",
		Brand:     "云卡盟",
		NavLabel:  "主导航",
		LangLabel: "语言",
		Login:     "登录 / 注册",
		Nav: []link{{Label: "首页"}, {Label: "全部商品"}, {Label: "我的订单"}, {Label: "会员中心"},
			{Label: "帮助中心", Current: true}},
		Home:              "首页",
		HelpCenter:        "帮助中心",
		HeroTitle:         "您好，有什么可以帮您？",
		HeroSub:           "搜索常见问题，或直接咨询在线客服，7×24 小时为您服务。",
		SearchPlaceholder: "搜索问题，例如：取消会员、退款、自动续费",
		SearchLabel:       "搜索帮助",
		Hot:               "热门：",
		HotTags:           []string{"取消会员", "自动续费", "退款", "工单号"},
		DemoTitle:         "演示环境",
		Demo:              "可用演示账号 13800138000 办理取消会员，验证码会以「【演示】」消息显示在对话中。",
		QuickTitle:        "快捷办理",
		CancelTitle:       "取消会员",
		CancelText:        "立即取消或到期不续费，办理完成即得工单号",
		CancelGo:          "立即办理",
		RenewTitle:        "关闭自动续费",
		RenewText:         "到期后不再扣费，会员权益保留到期末",
		RenewGo:           "去关闭",
		OrderTitle:        "查询工单",
		OrderText:         "凭工单号查询办理结果和退款进度",
		OrderGo:           "去查询",
		AgentTitle:        "人工客服",
		AgentText:         "复杂问题由人工客服一对一处理",
		AgentGo:           "联系客服",
		Topics:            "问题分类",
		TopicsLabel:       "问题分类",
		CompareTitle:      "立即取消与到期不续费",
		CompareLead:       "两种方式都会关闭自动续费，办理前助手会把生效时间和退款金额逐项告诉您，由您确认。",
		NowHead:           "立即取消",
		RenewHead:         "到期不续费",
		Compare: []compareRow{
			{"会员权益", "立即结束", "保留到当期结束"},
			{"退款", refundCell, "不退款"},
			{"自动续费", "关闭，不再扣费", "关闭，不再扣费"},
			{"办理凭证", "工单号，同时发送到手机和邮箱", "工单号，同时发送到手机和邮箱"},
		},
		CompareNote:    "约 1 分钟办完，无需填写原因。",
		FAQTitle:       "常见问题",
		NoHit:          "没有找到相关问题，试试直接问在线客服。",
		ReadMore:       "阅读全文 →",
		RefundFallback: "按套餐的退款规则，办理前助手会告诉您具体金额",
		Back:           "← 返回帮助中心",
		NotFound:       "没有找到这篇文章",
		NotFoundText:   "文章可能已更新或移除。可以回到帮助中心搜索，或直接问在线客服。",
		Related:        "相关问题",
		ContactTitle:   "没有找到答案？",
		ContactText:    "在线客服 7×24 小时为您服务，会员问题通常几秒内即可办结。",
		ContactGo:      "咨询在线客服",
		Footer:         "© 2026 云卡盟 · 数字商品交易平台　本站为 kefu 演示页面",
		FooterLinks:    []string{"服务条款", "隐私政策", "会员服务协议", "联系我们"},
	},
	dialog.EN: {
		Title:     "Membership - Help Center - YunKa",
		Skip:      "Skip to content",
		Brand:     "YunKa",
		NavLabel:  "Main",
		LangLabel: "Language",
		Login:     "Sign in",
		Nav: []link{{Label: "Home"}, {Label: "Shop"}, {Label: "My orders"}, {Label: "Membership"},
			{Label: "Help Center", Current: true}},
		Home:              "Home",
		HelpCenter:        "Help Center",
		HeroTitle:         "Hi, how can we help?",
		HeroSub:           "Search the FAQ, or ask our support chat, available 24/7.",
		SearchPlaceholder: "Search, e.g. cancel membership, refund, auto-renew",
		SearchLabel:       "Search help",
		Hot:               "Popular:",
		HotTags:           []string{"Cancel", "Auto-renew", "Refund", "Work order"},
		DemoTitle:         "Demo",
		Demo:              "Cancel with the demo account 13800138000; the verification code appears in the chat as a “[Demo]” message.",
		QuickTitle:        "Quick actions",
		CancelTitle:       "Cancel membership",
		CancelText:        "Cancel now or don’t renew — you get a work-order number as proof",
		CancelGo:          "Start now",
		RenewTitle:        "Turn off auto-renew",
		RenewText:         "No further charges; benefits stay until the period ends",
		RenewGo:           "Turn it off",
		OrderTitle:        "Check a work order",
		OrderText:         "Look up a request and its refund by work-order number",
		OrderGo:           "Look it up",
		AgentTitle:        "Talk to a person",
		AgentText:         "An agent takes over when it gets complicated",
		AgentGo:           "Contact us",
		Topics:            "Topics",
		TopicsLabel:       "Help topics",
		CompareTitle:      "Cancel now or don’t renew",
		CompareLead:       "Both turn auto-renew off. Before you confirm, the assistant shows you the exact effective time and refund of each.",
		NowHead:           "Cancel now",
		RenewHead:         "Don’t renew",
		Compare: []compareRow{
			{"Benefits", "End immediately", "Continue until the period ends"},
			{"Refund", refundCell, "No refund"},
			{"Auto-renew", "Off, no further charge", "Off, no further charge"},
			{"Proof", "Work-order number, also sent to your phone and email", "Work-order number, also sent to your phone and email"},
		},
		CompareNote:    "Takes about a minute. No reason required.",
		FAQTitle:       "Frequently asked questions",
		NoHit:          "Nothing matches. Try asking the support chat.",
		ReadMore:       "Read the article →",
		RefundFallback: "Per your plan's refund rules; the assistant tells you the amount before you confirm",
		Back:           "← Back to the Help Center",
		NotFound:       "Article not found",
		NotFoundText:   "It may have been updated or removed. Search the Help Center, or ask the support chat.",
		Related:        "Related questions",
		ContactTitle:   "Still need help?",
		ContactText:    "Our support chat is open 24/7; most membership requests are done in seconds.",
		ContactGo:      "Start a chat",
		Footer:         "© 2026 YunKa · digital goods marketplace — a kefu demo page",
		FooterLinks:    []string{"Terms", "Privacy", "Membership agreement", "Contact"},
	},
}
