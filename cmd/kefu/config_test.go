package main

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/channels/agent"
)

// The command line wins over the file, even with a flag's default value;
// the file wins over the environment; the file itself may come from
// KEFU_CONFIG.
func TestConfigFilePrecedence(t *testing.T) {
	t.Setenv("KEFU_MSG_RATE", "9")
	t.Setenv("KEFU_TZ", "UTC")
	t.Setenv("KEFU_ADDR", "127.0.0.1:7000")
	path := writeConfig(t, `
msg-rate = 3
tz = "Asia/Tokyo"
demo = true
`)
	c, err := parseServe([]string{"--config", path, "--tz", "Europe/Paris", "--demo=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MsgRate != 3 || c.TZ.String() != "Europe/Paris" || c.Demo || c.Addr != "127.0.0.1:7000" {
		t.Fatalf("msg-rate %v (want the file's 3), tz %v (want the flag's), demo %v (want the flag's false), addr %s (want the environment's)", c.MsgRate, c.TZ, c.Demo, c.Addr)
	}
	t.Setenv("KEFU_CONFIG", path)
	if c, err := parseServe(nil, io.Discard); err != nil || c.MsgRate != 3 || !c.Demo {
		t.Fatalf("KEFU_CONFIG: %+v %v", c, err)
	}
}

// Lists may be TOML arrays; other arrays, tables and dates are refused
// with the key's name.
func TestConfigFileValues(t *testing.T) {
	c, err := parseServe([]string{"--config", writeConfig(t, `
agents = ["alice:token-a", "bob:token-b"]
allowed-origins = ["https://shop.example.com/", "https://m.example.com"]
`)}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Agents["alice"] != "token-a" || c.Agents["bob"] != "token-b" || len(c.AllowedOrigins) != 2 || c.AllowedOrigins[0] != "https://shop.example.com" {
		t.Fatalf("agents %v, origins %v", c.Agents, c.AllowedOrigins)
	}
	for _, tc := range []struct{ file, want string }{
		{`addr = ["127.0.0.1:1", "127.0.0.1:2"]`, "addr must be a string, number or true/false"},
		{`agents = ["alice:a", 3]`, "agents: each item must be a string without commas"},
		{`agents = ["alice:a,bob:b"]`, "agents: each item must be a string without commas"},
		{`agents = {alice = "a"}`, "agents must be a string or an array of strings"},
		{"[platform]\nurl = \"https://x\"", `unknown setting "platform"`},
		{`retention = 1979-05-27`, "retention must be a string"},
		{`config = "other.toml"`, `unknown setting "config"`},
		{`demo-extra = 1.5`, "demo-extra"},
		{`retention = 180`, "--retention"},
	} {
		if _, err := parseServe([]string{"--config", writeConfig(t, tc.file)}, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.file, err, tc.want)
		}
	}
}

// Secrets from the file reach the configuration and no message: neither
// the usage text nor a start-up error.
func TestConfigFileSecretsStayQuiet(t *testing.T) {
	path := writeConfig(t, `
members-url = "https://platform.example.com/kefu/v1"
members-token = "members-token-secret"
notify-url = "https://sms.example.com/notices"
notify-secret = "notify-secret-secret-secret"
tz = "Nowhere/Atlantis"
`)
	var stderr bytes.Buffer
	_, err := parseServe([]string{"--config", path}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--tz") {
		t.Fatalf("err = %v, want one about --tz", err)
	}
	if out := err.Error() + stderr.String(); strings.Contains(out, "-secret") {
		t.Fatalf("a secret in the output: %s", out)
	}
}

// Canned replies come from the config file as [[replies]] or an array of
// inline tables; the real server lists them to agents. --demo adds its own
// only when the file has none.
func TestConfigFileReplies(t *testing.T) {
	path := writeConfig(t, `
tz = "Asia/Shanghai"

[[replies]]
shortcut = "/refund"
zh = "退款规则：……"
en = "Refund rules: …"

[[replies]]
shortcut = "/late"
zh = "抱歉久等了。"
en = "Sorry for the wait."
`)
	want := []agent.Reply{{Shortcut: "/refund", ZH: "退款规则：……", EN: "Refund rules: …"}, {Shortcut: "/late", ZH: "抱歉久等了。", EN: "Sorry for the wait."}}
	m := startMain(t, "--config", path)
	if !slices.Equal(m.Config.Replies, want) {
		t.Fatalf("replies %+v, want %+v", m.Config.Replies, want)
	}
	api := &agentAPI{t: t, base: "http://" + m.Addr(), auth: "Bearer demo"}
	var got struct{ Replies []agent.Reply }
	api.ok("GET", "/agent/api/replies", "", &got)
	if !slices.Equal(got.Replies, want) {
		t.Fatalf("GET /agent/api/replies: %+v, want %+v", got.Replies, want)
	}
	if status := (&agentAPI{t: t, base: api.base, auth: "Bearer wrong"}).do("GET", "/agent/api/replies", "", nil); status != http.StatusUnauthorized {
		t.Fatalf("a wrong token: HTTP %d", status)
	}

	inline, err := parseServe([]string{"--config", writeConfig(t, `replies = [{shortcut = "/hi", zh = "你好", en = "Hi"}]`)}, io.Discard)
	if err != nil || !slices.Equal(inline.Replies, []agent.Reply{{Shortcut: "/hi", ZH: "你好", EN: "Hi"}}) {
		t.Fatalf("inline tables: %+v %v", inline.Replies, err)
	}
	demo, err := parseServe([]string{"--demo"}, io.Discard)
	if err != nil || !slices.Equal(demo.Replies, agent.DemoReplies()) {
		t.Fatalf("--demo without replies: %+v %v", demo.Replies, err)
	}
	if none, err := parseServe(nil, io.Discard); err != nil || len(none.Replies) != 0 {
		t.Fatalf("no config, no demo: %+v %v", none.Replies, err)
	}
}

// A bad reply ends start-up with one sentence naming it.
func TestConfigFileBadReplies(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"[[replies]]\nshortcut = \"refund\"\nzh = \"a\"\nen = \"b\"", `reply "refund": the shortcut must be /`},
		{"[[replies]]\nshortcut = \"/refund\"\nzh = \"a\"", "reply /refund: en is missing"},
		{"[[replies]]\nzh = \"a\"\nen = \"b\"", "reply number 1 has no shortcut"},
		{"[[replies]]\nshortcut = \"/a\"\nzh = \"a\"\nen = \"b\"\n[[replies]]\nshortcut = \"/A\"\nzh = \"a\"\nen = \"b\"", "reply /A is given twice"},
		{"[[replies]]\nshortcut = \"/a\"\nzh = \"a\"\nen = \"b\"\nfr = \"c\"", `replies: unknown field "fr"`},
		{"[[replies]]\nshortcut = \"/a\"\nzh = 1\nen = \"b\"", "replies must be tables with shortcut, zh and en"},
		{`replies = "/a"`, "replies must be tables with shortcut, zh and en"},
	} {
		_, err := parseServe([]string{"--config", writeConfig(t, tc.file)}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--config ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", tc.file, err, tc.want)
		}
	}
}
