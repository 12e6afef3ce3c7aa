package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
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
