package agent

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/internal/browsertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// In Chromium the receipt page's inline style and script run under its
// Content-Security-Policy, the button prints, and a printed copy has no
// button.
func TestReceiptPageInBrowser(t *testing.T) {
	tab := browsertest.Tab(t, "", 60*time.Second)
	e := newEnv(t, Config{})
	cancel, _, _ := receiptOrders(e)
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	if err := chromedp.Do(tab, chromedp.Navigate(e.srv.URL+bot.ReceiptPath(cancel.Number, cancel.Sig)+"&lang=en")); err != nil {
		t.Fatal(err)
	}
	if got := eval(`getComputedStyle(document.querySelector("[data-kefu=genuine]")).backgroundColor`); got != "rgb(246, 255, 237)" {
		t.Fatalf("the genuine notice's background is %q: the style sheet did not apply", got)
	}
	eval(`window.print = () => { window.printed = true; }, ""`)
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("[data-kefu=print]"))); err != nil {
		t.Fatal(err)
	}
	if got := eval(`String(window.printed === true)`); got != "true" {
		t.Fatal("the print button did not print: the script did not run")
	}
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if got := eval(`String(document.querySelector("[data-kefu=print]").checkVisibility())`); got != "false" {
		t.Fatal("printed, the button shows")
	}
}
