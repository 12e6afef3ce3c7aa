package jsonw

import (
	"encoding/json"
	"testing"
	"time"
)

func TestStringAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "您好，会员", `q"b\s`, "<a&b>", "\x00\x1f\n\r\t\b\f", "\u2028\u2029", "bad\xffutf8\xc3", "emoji 😀",
		"会"[:2], "x会"[:3], "\xed\xa0\x80", "\xe0\x80\x80", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xe1\x80", "\xe2\x80\xa8会"} {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("您好<\x00>\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestTimeAndFields(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 1, 2, 30_000_000, time.FixedZone("CST", 8*3600))
	want, _ := json.Marshal(struct {
		A string    `json:"a"`
		N int64     `json:"n"`
		T time.Time `json:"t"`
	}{"x", -7, at})
	b := append([]byte(nil), '{')
	b = Field(b, "a")
	b = String(b, "x")
	b = Field(b, "n")
	b = Int(b, -7)
	b = Field(b, "t")
	b = Time(b, at)
	b = append(b, '}')
	if string(b) != string(want) {
		t.Fatalf("got %s, want %s", b, want)
	}
}

func BenchmarkStringCJK(b *testing.B) {
	s := "您好！我可以帮您取消会员、关闭自动续费、查询退款规则或工单进度。请选择："
	var dst []byte
	for b.Loop() {
		dst = String(dst[:0], s)
	}
}
