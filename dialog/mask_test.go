package dialog

import "testing"

func TestMaskText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"13800138000", "138****8000"},
		{"我的手机是13800138000，谢谢", "我的手机是138****8000，谢谢"},
		{"138 0013 8000", "138****8000"},
		{"138-0013-8000", "138****8000"},
		{"+86 13800138000", "+86 138****8000"},
		{"+8613800138000", "+86138****8000"},
		{"13800138000 13900139000", "138****8000 139****9000"},
		{"Demo@Example.com please", "D***@Example.com please"},
		{"WO202611240000125", "WO202611240000125"},                       // a work-order number is not a phone
		{"order 123456 and 12345678901", "order 123456 and 12345678901"}, // not a mobile number
		{"转人工", "转人工"},
	} {
		if got := MaskText(tc.in); got != tc.want {
			t.Errorf("MaskText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
