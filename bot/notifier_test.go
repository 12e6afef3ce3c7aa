package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/dialog"
)

func TestLogNotifier(t *testing.T) {
	var buf bytes.Buffer
	n := LogNotifier{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx := context.Background()

	err := n.Notify(ctx, Notice{Kind: NoticeCode, Method: dialog.MethodSMS, To: "13800138000", Code: "482915", Conv: "c1", Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, leak := range []string{"482915", "13800138000"} {
		if strings.Contains(line, leak) {
			t.Errorf("log line reveals %s: %s", leak, line)
		}
	}
	for _, want := range []string{"kind=code", "method=sms", "to=138****8000"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}

	buf.Reset()
	o := dialog.WorkOrder{Number: "WO202611240000127"}
	if err := n.Notify(ctx, Notice{Kind: NoticeReceipt, Method: dialog.MethodEmail, To: "demo@example.com", Order: &o}); err != nil {
		t.Fatal(err)
	}
	line = buf.String()
	for _, want := range []string{"kind=receipt", "method=email", "to=d***@example.com", "order=WO202611240000127"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
	if strings.Contains(line, "demo@example.com") {
		t.Errorf("log line reveals the email: %s", line)
	}
}

func TestNotifierFunc(t *testing.T) {
	var got Notice
	var n Notifier = NotifierFunc(func(_ context.Context, x Notice) error { got = x; return nil })
	if err := n.Notify(context.Background(), Notice{Kind: NoticeCode, Code: "1"}); err != nil || got.Code != "1" {
		t.Errorf("NotifierFunc passed %+v, %v", got, err)
	}
}
