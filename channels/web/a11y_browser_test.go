package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-dev/kefu/channels/channeltest"
	"github.com/kefu-dev/kefu/internal/browsertest"
)

// axe-core finds no critical or serious violation on the help page (and
// its search results), an article page, nor in the widget: opened by its launcher, closed with a reply unread, and at
// each stage of a cancel (the demo code, the receipt with its work-order
// number).
func TestBrowserAccessible(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			p := newPage(t)
			p.do(chromedp.Navigate(p.srv.URL+"/?lang="+lang), chromedp.WaitVisible(widget("[data-kefu=launcher]")))
			browsertest.RequireAccessible(t, p.ctx, "the help page")

			p.do(chromedp.Click(widget("[data-kefu=launcher]")), chromedp.WaitVisible(widget("[data-kefu=input]")))
			p.waitJS("the welcome", shadow+`.querySelector('[data-kefu=message][data-from=bot] [data-kefu=button]')`)
			browsertest.RequireAccessible(t, p.ctx, "the open widget")

			// A reply that comes after the member closed the chat is counted
			// on the launcher.
			p.do(chromedp.Evaluate[chromedp.Void](`(() => {
				` + shadow + `.querySelector('[data-kefu=input]').value = 'hello';
				` + shadow + `.querySelector('[data-kefu=send]').click();
				Kefu.close();
			})()`))
			p.waitJS("the unread badge", `!`+shadow+`.querySelector('.badge').hidden`)
			browsertest.RequireAccessible(t, p.ctx, "the launcher with a reply unread")
			p.do(chromedp.Click(widget("[data-kefu=launcher]")), chromedp.WaitVisible(widget("[data-kefu=input]")))

			p.press(p.waitButton("intent:cancel_membership"))
			p.say(channeltest.DemoPhone)
			code := p.demoCode()
			p.waitButton("method:questions")
			browsertest.RequireAccessible(t, p.ctx, "the widget with a demo code")

			p.say(code)
			p.press(p.waitButton("opt:cancel_now"))
			p.press(p.waitButton("confirm:"))
			p.receipt()
			browsertest.RequireAccessible(t, p.ctx, "the widget with a receipt")

			// An article page, and the help page's search box listing what it found.
			p.do(chromedp.Navigate(p.srv.URL+"/help/refund-policy?lang="+lang), chromedp.WaitVisible("article h1"))
			browsertest.RequireAccessible(t, p.ctx, "an article page")
			p.do(chromedp.Navigate(p.srv.URL+"/?lang="+lang), chromedp.WaitVisible("#faq-search"))
			p.do(chromedp.SendKeys("#faq-search", "refund"))
			p.waitJS("search results", `document.querySelector('#search-list a[href^="/help/"]') !== null`)
			browsertest.RequireAccessible(t, p.ctx, "the help page's search results")
		})
	}
}
