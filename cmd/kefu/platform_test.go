package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/platform"
	"github.com/kefu-dev/kefu/platform/platformtest"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kefu.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every flag can come from --config; flags on the command line win; a
// mistake in the file is named.
func TestConfigFile(t *testing.T) {
	path := writeConfig(t, `
members-url = "https://platform.example.com/kefu/v1"
members-token = "tok"
notify-url = "https://sms.example.com/notices"
notify-secret = "a-secret-of-enough-length"
msg-rate = 3
demo = true
reminder-lead = "7d"
`)
	c, err := parseServe([]string{"--config", path, "--msg-rate", "7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MembersURL != "https://platform.example.com/kefu/v1" || c.MembersToken != "tok" || c.NotifyURL == "" ||
		c.NotifySecret != "a-secret-of-enough-length" || !c.Demo || c.MsgRate != 7 || c.ReminderLead != 7*24*time.Hour {
		t.Fatalf("%+v", c)
	}
	for _, tc := range []struct{ file, want string }{
		{`members-urll = "x"`, `unknown setting "members-urll"`},
		{`msg-rate = "fast"`, "msg-rate"},
		{`demo = [1]`, "string, number or true/false"},
		{`= broken`, "--config"},
		{`notify-url = "https://sms.example.com"`, "--notify-secret"},
	} {
		if _, err := parseServe([]string{"--config", writeConfig(t, tc.file)}, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", tc.file, err, tc.want)
		}
	}
	if _, err := parseServe([]string{"--config", filepath.Join(t.TempDir(), "none.toml")}, io.Discard); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// kefu serve with --members-url and --notify-url: a member on the web
// cancels on the platform, gets the code and the receipt through the
// platform's SMS service, and the receipt verifies.
func TestServeOnThePlatform(t *testing.T) {
	now := time.Now()
	api := platformtest.NewMemberAPI(bot.DemoProfiles(now, time.Local), time.Now)
	defer api.Close()
	receiver := platformtest.NewReceiver(func(header string, body []byte) error {
		return platform.VerifySignature(platformtest.Secret, header, body, time.Now(), time.Minute)
	})
	defer receiver.Close()
	m := startMain(t, "--config", writeConfig(t, `
members-url = "`+api.URL+`"
members-token = "`+platformtest.Token+`"
notify-url = "`+receiver.URL+`"
notify-secret = "`+platformtest.Secret+`"
public-url = "https://help.example.com"
`))
	base := "http://" + m.Addr()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+m.Addr()+"/ws", http.Header{"Origin": {base}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	type frame struct {
		Type, From, Text string
		Buttons          []struct{ Label, Value string }
	}
	// send sends a frame and returns the bot's first message after it
	// that has a button with prefix (any message, with "").
	send := func(f map[string]string, prefix string) frame {
		t.Helper()
		if err := ws.WriteJSON(f); err != nil {
			t.Fatal(err)
		}
		for {
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			var got frame
			if err := ws.ReadJSON(&got); err != nil {
				t.Fatalf("after %v: %v", f, err)
			}
			if got.Type == "error" {
				t.Fatalf("error frame after %v: %+v", f, got)
			}
			if got.From == "bot" && prefix == "" {
				return got
			}
			for _, b := range got.Buttons {
				if got.From == "bot" && strings.HasPrefix(b.Value, prefix) {
					return got
				}
			}
		}
	}
	send(map[string]string{"type": "hello", "lang": "en"}, "intent:")
	send(map[string]string{"type": "text", "text": "I want to cancel my membership"}, "")
	// The code goes out at once, handed to the SMS service before the bot
	// says it is sent.
	send(map[string]string{"type": "text", "text": "13800138000"}, "resend")
	var code string
	for _, n := range receiver.Accepted() {
		if n.Kind == bot.NoticeCode {
			code = n.Code
		}
	}
	if code == "" {
		t.Fatal("no code reached the platform's SMS service")
	}
	send(map[string]string{"type": "text", "text": code}, "opt:cancel_now")
	confirm := send(map[string]string{"type": "button", "value": "opt:cancel_now"}, "confirm:")
	var value string
	for _, b := range confirm.Buttons {
		if strings.HasPrefix(b.Value, "confirm:") {
			value = b.Value
		}
	}
	if err := ws.WriteJSON(map[string]string{"type": "button", "value": value}); err != nil {
		t.Fatal(err)
	}
	var number string
	for number == "" {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var got frame
		if err := ws.ReadJSON(&got); err != nil {
			t.Fatalf("waiting for the receipt: %v", err)
		}
		if got.From == "bot" {
			number = regexp.MustCompile(`WO\d{15}`).FindString(got.Text)
		}
	}
	if api.Actions("m-demo") != 1 {
		t.Fatalf("%d platform actions for receipt %s", api.Actions("m-demo"), number)
	}
	// The optional reason question follows the receipt; the order is done
	// whether or not the member answers.
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var reason frame
	if err := ws.ReadJSON(&reason); err != nil {
		t.Fatalf("waiting for the reason question: %v", err)
	}
	if reason.From != "bot" || len(reason.Buttons) == 0 || !strings.HasPrefix(reason.Buttons[0].Value, "reason:") {
		t.Fatalf("after the receipt: %+v, want the reason question", reason)
	}
	// The receipt goes out after the confirmation.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	receipts, err := receiver.Await(ctx, 1, func(n platformtest.Notice) bool {
		return n.Receipt != nil && n.Receipt.Number == number
	})
	if err != nil {
		t.Fatalf("receipt %s: %v", number, err)
	}
	sig := receipts[0].Receipt.Sig
	resp, err := http.Get(base + "/api/receipts/" + number + "?sig=" + url.QueryEscape(sig))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	io.Copy(&body, resp.Body)
	resp.Body.Close()
	var v struct{ Valid bool }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body.Bytes(), &v) != nil || !v.Valid {
		t.Fatalf("receipt %s with its SMS signature: HTTP %d %s", number, resp.StatusCode, body.String())
	}
	tampered := []byte(sig)
	tampered[0] ^= 1
	resp, err = http.Get(base + "/api/receipts/" + number + "?sig=" + url.QueryEscape(string(tampered)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("receipt %s with a tampered signature: HTTP %d, want 404", number, resp.StatusCode)
	}
}
