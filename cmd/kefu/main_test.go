package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestChatCancelsEndToEnd runs `kefu chat --demo` with a typed conversation
// and expects a work-order number at the end.
func TestChatCancelsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	// The demo code is printed in the chat; the script cannot know it in
	// advance, so the first run stops at the code prompt and reads it.
	script := "我要取消会员\n13800138000\n1\n"
	if err := run(context.Background(), []string{"chat", "--demo", "--data", dir}, strings.NewReader(script), &out, &errOut); err != nil {
		t.Fatalf("chat: %v\n%s", err, errOut.String())
	}
	code := regexp.MustCompile(`验证码是 (\d{6})`).FindStringSubmatch(out.String())
	if code == nil {
		t.Fatalf("no demo code in:\n%s", out.String())
	}
	out.Reset()
	// A second run resumes the same conversation at the code prompt.
	script = code[1] + "\n1\n5\n1\n"
	if err := run(context.Background(), []string{"chat", "--demo", "--data", dir}, strings.NewReader(script), &out, &errOut); err != nil {
		t.Fatalf("chat: %v\n%s", err, errOut.String())
	}
	if !regexp.MustCompile(`工单号：WO\d{15}`).MatchString(out.String()) {
		t.Fatalf("no work-order number in:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "1) ") {
		t.Fatalf("buttons are not numbered choices:\n%s", out.String())
	}
}

func TestIntentPrintsIntentAndLanguage(t *testing.T) {
	var out bytes.Buffer
	in := "我要取消会员\nI want to cancel my membership\n取消订单\n"
	if err := run(context.Background(), []string{"intent"}, strings.NewReader(in), &out, &out); err != nil {
		t.Fatal(err)
	}
	want := "cancel_membership\tzh-CN\ncancel_membership\ten\nout_of_scope\tzh-CN\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestBadServeFlagsSayWhy(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tz", "Mars/Olympus"}, "--tz"},
		{[]string{"--agents", "alice"}, "name:token"},
		{[]string{"--agents", "a:1,a:2"}, "twice"},
		{[]string{"--agents", "a:1,b:1"}, "share a token"},
		{[]string{"--msg-rate", "-1"}, "--msg-rate"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"--agent-hours", "9-5"}, "HH:MM-HH:MM"},
		{[]string{"--retention", "forever"}, "days"},
		{[]string{"--trusted-proxies", "lb.example.com"}, "--trusted-proxies"},
	} {
		_, err := parseServe(tc.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error about %s", tc.args, err, tc.want)
		}
	}
	c, err := parseServe([]string{"--demo", "--agents", "alice:s3cret"}, &bytes.Buffer{})
	if err != nil || c.Agents["alice"] != "s3cret" || c.Agents["demo"] != "demo" || c.Addr != "127.0.0.1:8080" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestBackupAndRestoreCommands(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()+"/restored"
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"chat", "--demo", "--data", src}, strings.NewReader("转人工\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	number := regexp.MustCompile(`WO\d{15}`).FindString(out.String())
	if number == "" {
		t.Fatalf("no callback order in:\n%s", out.String())
	}
	var backup bytes.Buffer
	if err := run(context.Background(), []string{"backup", "--data", src}, nil, &backup, &errOut); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	if err := run(context.Background(), []string{"restore", "--data", dst}, &backup, &out, &errOut); err != nil {
		t.Fatalf("restore: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"chat", "--data", dst}, strings.NewReader("转人工\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), number) {
		t.Fatalf("the restored conversation does not know its callback %s:\n%s", number, out.String())
	}
}
