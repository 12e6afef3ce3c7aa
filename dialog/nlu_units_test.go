package dialog

import (
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"  Hello,   World!! ", "hello world"},
		{"ＣＡＮＣＥＬ　ｍｙ　ＶＩＰ", "cancel my vip"},
		{"取消會員", "取消会员"},
		{"自動續費怎麼關閉？", "自动续费怎么关闭"},
		{"I don't want it", "i dont want it"},
		{"I don’t want it", "i dont want it"},
		{"auto-renew", "auto renew"},
		{"我想cancel会员", "我想cancel会员"},
		{"取消 会员", "取消 会员"},
		{"取消  ，  会员!", "取消 会员"},
		{"取消，会员", "取消 会员"},
		{"😀😀 hi 😀", "hi"},
		{"１２３４５６", "123456"},
		{"WO2026-1124", "wo2026 1124"},
		{"Ça va", "ça va"},
		{"a\x00b\xffc", "a b c"},
		{"\u200b取消\u200d会员\ufe0f", "取消会员"},
		{"客服你好，我要 取消会员", "客服你好 我要 取消会员"},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDetectLang(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"我要取消会员", ZH, true},
		{"我想cancel会员", ZH, true},
		{"取消會員", ZH, true},
		{"I want to cancel my membership", EN, true},
		{"cancel", EN, true},
		{"ok", EN, true},
		{"ＣＡＮＣＥＬ", EN, true},
		{"13800138000", "", false},
		{"138 0013 8000", "", false},
		{"123456", "", false},
		{"WO202611240000127", "", false},
		{"demo@example.com", "", false},
		{"😀😀😀", "", false},
		{"?!...", "", false},
		{"", "", false},
		{"my email is demo@example.com", EN, true},
		{"WO202611240000127 是我的工单", ZH, true},
	} {
		got, ok := DetectLang(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("DetectLang(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestDetectCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Command
	}{
		// abort
		{"算了", CmdAbort}, {"算了吧", CmdAbort}, {"不取消了", CmdAbort}, {"不要取消", CmdAbort},
		{"先不了", CmdAbort}, {"不用了", CmdLeave}, {"不需要了", CmdLeave}, {"不要了，取消吧", CmdLeaveCancel}, {"我不想要这个会员了", CmdLeave}, {"我不取消了", CmdAbort}, {"那就算了，谢谢", CmdAbort},
		{"never mind", CmdAbort}, {"Forget it", CmdAbort}, {"stop", CmdAbort}, {"I changed my mind", CmdAbort},
		{"keep my membership", CmdAbort}, {"no, don't cancel", CmdAbort}, {"我再想想", CmdAbort},
		{"保留会员", CmdAbort}, {"nvm", CmdAbort}, {"我不想取消会员了", CmdAbort}, {"I don't want to cancel my membership", CmdAbort},
		{"算了，取消吧", CmdBareCancel}, {"never mind, cancel it", CmdBareCancel}, {"quit", CmdAbort}, {"放弃", CmdAbort},
		// restart
		{"重新开始", CmdRestart}, {"从头来", CmdRestart}, {"start over", CmdRestart}, {"restart", CmdRestart},
		{"算了，重新开始吧", CmdRestart},
		// languages
		{"说中文", CmdLangZH}, {"中文", CmdLangZH}, {"切换中文", CmdLangZH}, {"Chinese please", CmdLangZH},
		{"English", CmdLangEN}, {"English please", CmdLangEN}, {"说英文", CmdLangEN}, {"用英语", CmdLangEN},
		{"can you speak English?", CmdLangEN},
		// yes / no
		{"是", CmdYes}, {"是的", CmdYes}, {"对", CmdYes}, {"确认", CmdYes}, {"确定", CmdYes}, {"好的", CmdYes},
		{"好", CmdYes}, {"没问题", CmdYes}, {"yes", CmdYes}, {"Y", CmdYes}, {"ok", CmdYes}, {"OK!", CmdYes},
		{"confirm", CmdYes}, {"sure", CmdYes}, {"yep", CmdYes}, {"确认取消", CmdYes}, {"是的，取消吧", CmdYes},
		{"yes, cancel it", CmdYes}, {"嗯嗯 好的", CmdYes}, {"Yes please", CmdYes},
		{"不是", CmdNo}, {"不", CmdNo}, {"否", CmdNo}, {"no", CmdNo}, {"nope", CmdNo}, {"n", CmdNo},
		{"不对", CmdNo},
		// skip
		{"跳过", CmdSkip}, {"不想说", CmdSkip}, {"没有原因", CmdSkip}, {"skip", CmdSkip}, {"no reason", CmdSkip},
		{"rather not say", CmdSkip}, {"I'd rather not say", CmdSkip},
		// resend
		{"重发", CmdResend}, {"再发一次", CmdResend}, {"没收到", CmdResend}, {"收不到验证码", CmdResend},
		{"resend", CmdResend}, {"send again", CmdResend}, {"didn't get the code", CmdResend},
		{"I didn't receive the code", CmdResend},
		// cancel now / don't renew
		{"立即取消", CmdCancelNow}, {"马上取消", CmdCancelNow}, {"现在就取消", CmdCancelNow}, {"立刻退", CmdCancelNow},
		{"cancel now", CmdCancelNow}, {"cancel immediately", CmdCancelNow}, {"end it now", CmdCancelNow},
		{"立即取消吧", CmdCancelNow}, {"确认立即取消", CmdCancelNow}, {"cancel it right now please", CmdCancelNow},
		{"到期不续费", CmdNoRenew}, {"不续费", CmdNoRenew}, {"只关自动续费", CmdNoRenew}, {"关闭自动续费", CmdNoRenew},
		{"don't renew", CmdNoRenew}, {"do not renew", CmdNoRenew}, {"turn off auto-renew only", CmdNoRenew},
		{"let it expire", CmdNoRenew}, {"stop auto renew", CmdNoRenew}, {"不续费就行", CmdNoRenew},
		// bare cancel
		{"取消", CmdBareCancel}, {"取消吧", CmdBareCancel}, {"cancel", CmdBareCancel}, {"cancel it", CmdBareCancel},
		{"Cancel.", CmdBareCancel},
		// not commands
		{"", CmdNone}, {"取消会员", CmdNone}, {"我要取消会员", CmdNone}, {"stop charging me", CmdNone},
		{"stop my membership", CmdNone}, {"quit VIP", CmdNone}, {"停止会员", CmdNone}, {"13800138000", CmdNone}, {"no, my number is 13900139000", CmdNone},
		{"是吗？", CmdNone}, {"因为太贵了", CmdNone}, {"how do I cancel", CmdNone}, {"123456", CmdNone},
		{"yes no", CmdNone}, {"cancel my order", CmdNone}, {"我的邮箱是 demo@example.com", CmdNone},
		{"立即取消还是到期不续费有什么区别", CmdNone}, {"what", CmdNone}, {"wait", CmdNone},
		{strings.Repeat("好", 300), CmdNone},
	} {
		if got := DetectCommand(c.in); got != c.want {
			t.Errorf("DetectCommand(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDetectMethod(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Method
		ok   bool
	}{
		{"短信", MethodSMS, true}, {"手机验证码", MethodSMS, true}, {"发短信吧", MethodSMS, true},
		{"text me", MethodSMS, true}, {"SMS", MethodSMS, true}, {"phone", MethodSMS, true},
		{"邮箱", MethodEmail, true}, {"发邮件", MethodEmail, true}, {"email", MethodEmail, true},
		{"E-mail please", MethodEmail, true}, {"mail", MethodEmail, true},
		{"安全问题", MethodQuestions, true}, {"密保问题", MethodQuestions, true}, {"回答问题", MethodQuestions, true},
		{"security questions", MethodQuestions, true}, {"questions", MethodQuestions, true},
		{"手机丢了，用邮箱吧", MethodEmail, true}, {"不要短信，发邮件", MethodEmail, true},
		{"no sms, email please", MethodEmail, true}, {"I don't have my phone, can I answer questions?", MethodQuestions, true},
		{"我没有手机", "", false}, {"", "", false}, {"好的", "", false}, {"123456", "", false},
	} {
		got, ok := DetectMethod(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("DetectMethod(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestExtractPhone(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"13800138000", "13800138000", true},
		{"my number is 138 0013 8000", "13800138000", true},
		{"138-0013-8000", "13800138000", true},
		{"+86 138 0013 8000", "13800138000", true},
		{"+8613800138000", "13800138000", true},
		{"8613800138000", "13800138000", true},
		{"0086 13800138000", "13800138000", true},
		{"(+86) 139-0013-9000", "13900139000", true},
		{"手机号是１３８００１３８０００", "13800138000", true},
		{"我的手机13700137000，谢谢", "13700137000", true},
		{"13800138000 123456", "13800138000", true},
		{"code 123456 phone 15000000003", "15000000003", true},
		{"WO202611240000127", "", false},
		{"wo 20261124-000012-7", "", false},
		{"工单号WO202611241380013", "", false},
		{"123456", "", false},
		{"12800138000", "", false}, // 12x is not a mobile prefix
		{"138001380001", "", false},
		{"", "", false},
		{"1380013800", "", false},
	} {
		got, ok := ExtractPhone(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ExtractPhone(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestExtractEmail(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"demo@example.com", "demo@example.com", true},
		{"我的邮箱是 Demo@Example.COM，谢谢", "demo@example.com", true},
		{"mail: first.last+tag@mail.example.co.uk.", "first.last+tag@mail.example.co.uk", true},
		{"ｄｅｍｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "demo@example.com", true},
		{"m3@example.com and m4@example.com", "m3@example.com", true},
		{"@example.com", "", false},
		{"demo@localhost", "", false},
		{"demo@", "", false},
		{"a@b.c", "", false},
		{"no email here", "", false},
	} {
		got, ok := ExtractEmail(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ExtractEmail(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestExtractCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"123456", "123456", true},
		{"123 456", "123456", true},
		{"验证码是 654321", "654321", true},
		{"１２３４５６", "123456", true},
		{"code: 12-34-56", "123456", true},
		{"13800138000 123456", "123456", true},
		{"13800138000", "", false},
		{"1234567", "", false},
		{"12345", "", false},
		{"WO202611240000127", "", false},
		{"wo 123456", "", false},
		{"", "", false},
	} {
		got, ok := ExtractCode(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ExtractCode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestExtractNumber(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"WO202611240000127", "WO202611240000127", true},
		{"工单号 WO202611240000127", "WO202611240000127", true},
		{"status of wo202611240000127?", "wo202611240000127", true},
		{"wo 20261124-000012-7", "wo 20261124-000012-7", true},
		{"ＷＯ２０２６１１２４００００１２７", "ＷＯ２０２６１１２４００００１２７", true},
		{"WO20261124000012", "WO20261124000012", true}, // wrong length: ParseNumber says malformed
		{"my number: WO-2026-1124-0000-127 thanks", "WO-2026-1124-0000-127", true},
		{"two 2026", "", false},
		{"I woke up", "", false},
		{"13800138000", "", false},
		{"", "", false},
	} {
		got, ok := ExtractNumber(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ExtractNumber(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// what it returns, ParseNumber reads
	want := FormatNumber(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), 12)
	typed := "wo " + want[2:10] + "-" + want[10:16] + "-" + want[16:]
	raw, ok := ExtractNumber("我的工单是 " + typed + " 谢谢")
	if n, err := ParseNumber(raw); !ok || err != nil || n != want {
		t.Errorf("ParseNumber(ExtractNumber(%q)) = %q, %v; want %q", typed, n, err, want)
	}
}

func TestExtractAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"30", 3000, true},
		{"30元", 3000, true},
		{"¥30.00", 3000, true},
		{"￥ 30", 3000, true},
		{"30.5", 3050, true},
		{"三十元", 3000, true},
		{"50块", 5000, true},
		{"$30", 3000, true},
		{"RMB 45.9", 4590, true},
		{"30 yuan", 3000, true},
		{"大概是二十八块八毛", 2880, true},
		{"三十块五", 3050, true},
		{"一百二十八元", 12800, true},
		{"两百块钱", 20000, true},
		{"1,280.00", 128000, true},
		{"2024年3月买的，30元", 3000, true},
		{"最近一笔是 9.9", 990, true},
		{"30块5", 3050, true},
		{"三十", 3000, true},
		{"0.99元", 99, true},
		{"没有", 0, false},
		{"", 0, false},
		{"2024年3月", 0, false},
		{"13800138000", 0, false},
	} {
		got, ok := ExtractAmount(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ExtractAmount(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestExtractMonth(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"3月", 3, true},
		{"三月", 3, true},
		{"十二月", 12, true},
		{"十一月份", 11, true},
		{"March", 3, true},
		{"mar", 3, true},
		{"I signed up in Sept", 9, true},
		{"2024-03", 3, true},
		{"2024/11", 11, true},
		{"2024年3月", 3, true},
		{"2024年03月15日", 3, true},
		{"2023-12-01", 12, true},
		{"03/2024", 3, true},
		{"3", 3, true},
		{"12", 12, true},
		{"３月", 3, true},
		{"大概是五月份吧", 5, true},
		{"13", 0, false},
		{"2024", 0, false},
		{"", 0, false},
		{"不记得了", 0, false},
		{"30元", 0, false},
	} {
		got, ok := ExtractMonth(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ExtractMonth(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// Classify's spot checks: the negatives the product names, and the traps.
func TestClassifyCases(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Intent
	}{
		{"我要取消会员", IntentCancelMembership},
		{"我不想取消会员", IntentOutOfScope},
		{"取消订单", IntentOutOfScope},
		{"cancel my order", IntentOutOfScope},
		{"如何开通自动续费", IntentOutOfScope},
		{"会员取消了能退款吗", IntentRefundPolicy},
		{"不续费了", IntentTurnOffAutoRenew},
		{"不要会员了", IntentCancelMembership},
		{"我的取消申请处理了吗", IntentWorkOrderStatus},
		{"WO202611240000127", IntentWorkOrderStatus},
		{"", IntentOutOfScope},
		{"😀", IntentOutOfScope},
		{strings.Repeat("取消会员", 600), IntentCancelMembership},
		{strings.Repeat("a", 10000), IntentOutOfScope},
		{"\xff\xfe取消\x00会员", IntentCancelMembership},
	} {
		if got := Classify(c.in); got != c.want {
			t.Errorf("Classify(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
