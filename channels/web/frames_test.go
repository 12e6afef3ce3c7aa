package web

import (
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
)

// encodeMessage writes exactly what json.Marshal writes for a message frame.
func TestEncodeMessageAsJSON(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 1, 2, 345_000_000, time.UTC)
	for _, m := range []bot.Message{
		{ID: "1", From: bot.FromBot, Text: "您好 <b>&\"\n", At: at,
			Buttons: []bot.MessageButton{{Label: "取消会员", Value: "intent:cancel_membership"}, {Label: "x", Value: "y"}}, Expect: bot.ExpectAccount},
		{ID: "22", From: bot.FromMember, Text: "", At: at.In(time.FixedZone("CST", 8*3600))},
		{ID: "3", From: bot.FromSystem, Text: "bad\xff\u2028"},
	} {
		want := mustMarshal(messageFrame{Type: typeMessage, Message: m})
		if got := encodeMessage(m); string(got) != string(want) {
			t.Errorf("encodeMessage:\n got %s\nwant %s", got, want)
		}
	}
}
