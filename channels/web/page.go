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
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

//go:embed static templates
var files embed.FS

var pageTemplate = template.Must(template.ParseFS(files, "templates/help.html"))

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
	err := pageTemplate.Execute(&buf, struct {
		Lang dialog.Lang
		T    *pageCopy
		Demo bool
	}{lang, pageText[lang], ch.demo})
	if err != nil {
		ch.log.Error("help page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageSecurity)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Vary", "Accept-Language")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
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
	Categories                                     []link
	CompareTitle, CompareLead, NowHead, RenewHead  string
	Compare                                        []compareRow
	CompareNote, FAQTitle, NoHit                   string
	FAQ                                            []faq
	ContactTitle, ContactText, ContactGo, Footer   string
	FooterLinks                                    []string
}

type link struct {
	Label   string
	Count   int
	Current bool
}

type compareRow struct{ Label, Now, Renew string }

type faq struct{ Q, A string }

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
		Categories: []link{{Label: "会员服务", Count: 12, Current: true}, {Label: "订单与发货", Count: 18},
			{Label: "充值与卡密", Count: 15}, {Label: "退款与售后", Count: 9}, {Label: "账号与安全", Count: 11},
			{Label: "商家入驻", Count: 7}},
		CompareTitle: "立即取消与到期不续费",
		CompareLead:  "两种方式都会关闭自动续费，办理前助手会把生效时间和退款金额逐项告诉您，由您确认。",
		NowHead:      "立即取消",
		RenewHead:    "到期不续费",
		Compare: []compareRow{
			{"会员权益", "立即结束", "保留到当期结束"},
			{"退款", "按套餐规则：月度 VIP 按未使用天数退款（当天算作未使用）（付款 7 天内全额退款）；年度 VIP 不退款", "不退款"},
			{"自动续费", "关闭，不再扣费", "关闭，不再扣费"},
			{"办理凭证", "工单号，同时发送到手机和邮箱", "工单号，同时发送到手机和邮箱"},
		},
		CompareNote: "约 1 分钟办完，无需填写原因。",
		FAQTitle:    "会员常见问题",
		NoHit:       "没有找到相关问题，试试直接问在线客服。",
		FAQ: []faq{
			{"如何取消会员？", "点击本页「取消会员」，或在在线客服中说「我要取消会员」。助手会找到您的账号，通过短信验证码、邮箱验证码或安全问题验证身份，说明两种方式的区别，您确认后立即办理并给出工单号。"},
			{"立即取消和到期不续费有什么区别？", "立即取消：会员权益马上结束，按套餐规则退款。到期不续费：权益保留到当期结束，不退款，之后也不会再扣费。两种方式都会关闭自动续费。"},
			{"取消后会退款吗？", "月度 VIP 立即取消时，按未使用天数退款（当天算作未使用），付款后 7 天内取消全额退款；年度 VIP 提前取消不退款。退款原路返回。"},
			{"只想关闭自动续费怎么办？", "选择「到期不续费」即可：权益保留到期末，之后不再扣费。也可以点击本页「关闭自动续费」。"},
			{"工单号有什么用？", "工单号（例如 WO202611240000127）是办理凭证，会同时发送到您的手机和邮箱。请保留 1–2 个月，之后如有疑问，可凭工单号查询或联系人工客服。"},
			{"收不到验证码怎么办？", "验证码 5 分钟内有效，60 秒后可重新发送；也可以改用邮箱验证码，或回答安全问题验证身份。客服任何时候都不会向您索要登录凭证或支付信息。"},
			{"会员到期后还会扣费吗？", "自动续费开启时，到期会自动扣费续期；关闭后不会再扣费。可以在在线客服中查询当前的会员状态和自动续费状态。"},
		},
		ContactTitle: "没有找到答案？",
		ContactText:  "在线客服 7×24 小时为您服务，会员问题通常几秒内即可办结。",
		ContactGo:    "咨询在线客服",
		Footer:       "© 2026 云卡盟 · 数字商品交易平台　本站为 kefu 演示页面",
		FooterLinks:  []string{"服务条款", "隐私政策", "会员服务协议", "联系我们"},
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
		Categories: []link{{Label: "Membership", Count: 12, Current: true}, {Label: "Orders & delivery", Count: 18},
			{Label: "Top-ups & card codes", Count: 15}, {Label: "Refunds & after-sales", Count: 9},
			{Label: "Account & security", Count: 11}, {Label: "Selling on YunKa", Count: 7}},
		CompareTitle: "Cancel now or don’t renew",
		CompareLead:  "Both turn auto-renew off. Before you confirm, the assistant shows you the exact effective time and refund of each.",
		NowHead:      "Cancel now",
		RenewHead:    "Don’t renew",
		Compare: []compareRow{
			{"Benefits", "End immediately", "Continue until the period ends"},
			{"Refund", "Per plan: Monthly VIP refunds the unused days (today counts as unused) (in full within 7 days of paying); Annual VIP has no refund", "No refund"},
			{"Auto-renew", "Off, no further charge", "Off, no further charge"},
			{"Proof", "Work-order number, also sent to your phone and email", "Work-order number, also sent to your phone and email"},
		},
		CompareNote: "Takes about a minute. No reason required.",
		FAQTitle:    "Membership FAQ",
		NoHit:       "Nothing matches. Try asking the support chat.",
		FAQ: []faq{
			{"How do I cancel my membership?", "Click “Cancel membership” on this page, or tell the support chat “I want to cancel my membership”. The assistant finds your account, verifies it’s you by SMS code, email code or security questions, explains both options, and once you confirm it’s done — with a work-order number."},
			{"What is the difference between cancel now and don’t renew?", "Cancel now: benefits end immediately, refund per your plan. Don’t renew: benefits continue until the period ends, no refund and no further charge. Both turn auto-renew off."},
			{"Will I get a refund?", "Monthly VIP cancelled now refunds the unused days (today counts as unused), in full within 7 days of paying. Annual VIP has no refund for early cancellation. Refunds go back to the original payment method."},
			{"I only want to stop auto-renew.", "Choose “Don’t renew”: you keep your benefits until the period ends and are not charged again. Or click “Turn off auto-renew” on this page."},
			{"What is the work-order number for?", "The work-order number (e.g. WO202611240000127) is your proof; it is also sent to your phone and email. Keep it for 1–2 months and use it to check the request or when talking to an agent."},
			{"I didn’t get the verification code.", "Codes are valid for 5 minutes and can be resent after 60 seconds. You can also use an email code or answer security questions. Our support never asks for your login credentials or payment details."},
			{"Will I be charged when my membership ends?", "With auto-renew on, the next period is charged when the current one ends; with it off, nothing more is charged. The support chat can show your current status."},
		},
		ContactTitle: "Still need help?",
		ContactText:  "Our support chat is open 24/7; most membership requests are done in seconds.",
		ContactGo:    "Start a chat",
		Footer:       "© 2026 YunKa · digital goods marketplace — a kefu demo page",
		FooterLinks:  []string{"Terms", "Privacy", "Membership agreement", "Contact"},
	},
}
