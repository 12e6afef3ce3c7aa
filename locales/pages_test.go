package locales_test

import (
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		asked, accept string
		want          dialog.Lang
	}{
		{"", "", dialog.ZH},
		{"en", "zh-CN", dialog.EN},
		{"zh-CN", "en-US", dialog.ZH},
		{"fr", "de-DE, en-GB;q=0.8, zh;q=0.5", dialog.EN},
		{`"><b>`, "fr", dialog.ZH},
	} {
		if got := locales.Negotiate(tc.asked, tc.accept); got != tc.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tc.asked, tc.accept, got, tc.want)
		}
	}
}

func TestValue(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip(err)
	}
	c, err := locales.New(shanghai)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 2, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang dialog.Lang
		v    any
		want string
	}{
		{dialog.ZH, at, "2026年11月24日 10:05"},
		{dialog.EN, at, "24 Nov 2026, 10:05"},
		{dialog.EN, dialog.Money(1250), "¥12.50"},
		{dialog.ZH, dialog.Msg("refund_none"), "不退款"},
		{dialog.EN, dialog.Msg("no_such_message"), "no_such_message"},
	} {
		if got := c.Value(tc.lang, tc.v); got != tc.want {
			t.Errorf("Value(%s, %v) = %q, want %q", tc.lang, tc.v, got, tc.want)
		}
	}
}
