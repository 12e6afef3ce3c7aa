package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// verifyWith takes the member through identification with account and
// the demo code sent to it.
func (m *member) verifyWith(account string) {
	m.e.t.Helper()
	m.say("我要取消会员")
	var code string
	for _, msg := range m.say(account) {
		if c := sixDigits.FindStringSubmatch(msg.Text); msg.From == bot.FromSystem && c != nil {
			code = c[1]
		}
	}
	if code == "" {
		m.e.t.Fatalf("no demo code for %s", account)
	}
	for _, msg := range m.say(code) {
		if msg.From == bot.FromBot && hasButton(msg, "opt:cancel_now") {
			return
		}
	}
	m.e.t.Fatalf("%s: no options after the code", account)
}

// ids are the conversations' IDs in order.
func ids(list []Summary) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

func TestReplies(t *testing.T) {
	replies := []Reply{{Shortcut: "/refund", ZH: "退款<b>规则</b>", EN: "Refund rules"}}
	e := newEnv(t, Config{Replies: replies})
	var got struct{ Replies []Reply }
	e.ok("GET", "/agent/api/replies", alice, "", &got)
	if !slices.Equal(got.Replies, replies) {
		t.Fatalf("replies %+v, want %+v", got.Replies, replies)
	}
	e.fails("GET", "/agent/api/replies", "", "", 401, CodeUnauthorized)
	e.fails("GET", "/agent/api/replies", "Bearer nope", "", 401, CodeUnauthorized)

	none := newEnv(t, Config{})
	_, body := none.call("GET", "/agent/api/replies", alice, "")
	if strings.TrimSpace(string(body)) != `{"replies":[]}` {
		t.Fatalf("without replies: %s", body)
	}
}

func TestCheckReplies(t *testing.T) {
	if err := CheckReplies(DemoReplies()); err != nil {
		t.Fatalf("demo replies: %v", err)
	}
	long := strings.Repeat("长", dialog.DefaultMaxLen+1)
	for _, tc := range []struct {
		replies []Reply
		want    string // in the error
	}{
		{[]Reply{{Shortcut: "refund", ZH: "a", EN: "b"}}, `reply "refund": the shortcut must be /`},
		{[]Reply{{Shortcut: "/", ZH: "a", EN: "b"}}, `reply "/": the shortcut`},
		{[]Reply{{Shortcut: "/re fund", ZH: "a", EN: "b"}}, `reply "/re fund": the shortcut`},
		{[]Reply{{Shortcut: "/a", ZH: "a", EN: "b"}, {ZH: "a", EN: "b"}}, "reply number 2 has no shortcut"},
		{[]Reply{{Shortcut: "/x", ZH: " ", EN: "b"}}, "reply /x: zh is missing"},
		{[]Reply{{Shortcut: "/x", ZH: "a"}}, "reply /x: en is missing"},
		{[]Reply{{Shortcut: "/x", ZH: long, EN: "b"}}, "reply /x: zh has 2001 characters"},
		{[]Reply{{Shortcut: "/x", ZH: "a", EN: "b"}, {Shortcut: "/X", ZH: "c", EN: "d"}}, "reply /X is given twice"},
	} {
		err := CheckReplies(tc.replies)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckReplies(%+v) = %v, want %q", tc.replies, err, tc.want)
		}
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t, Config{})
	byPhone := e.member("web", "by-phone")
	byPhone.verifyWith("13800138000")
	e.clock.Advance(bot.DefaultVerificationRules().ResendAfter) // codes to one member are spaced
	byEmail := e.member("telegram", "by-email")                 // verified as m-demo through the email
	byEmail.verifyWith("demo@example.com")
	gave := e.member("web", "gave-only") // gave an account, never verified
	gave.say("我要取消会员")
	gave.say("13900139000")
	other := e.member("web", "other")
	other.say("你好")
	cancel, err := e.rt.WorkOrders().Execute(context.Background(), dialog.OrderRequest{
		Key: "s/1", Kind: dialog.KindCancelNow, MemberID: "m-renewoff", Channel: "web", Conv: other.id, At: e.clock.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}

	search := func(q string) []Summary {
		t.Helper()
		var got struct{ Conversations []Summary }
		resp, body := e.call("GET", "/agent/api/conversations?q="+url.QueryEscape(q), alice, "")
		if resp.StatusCode != 200 {
			t.Fatalf("q=%s: HTTP %d %s", q, resp.StatusCode, body)
		}
		for _, secret := range []string{"13800138000", "13900139000", "demo@example.com", "DEMO@"} {
			if strings.Contains(string(body), secret) {
				t.Fatalf("q=%s: %s in the list %s", q, secret, body)
			}
		}
		if err := json.Unmarshal(body, &got); err != nil || got.Conversations == nil {
			t.Fatalf("q=%s: %s: %v", q, body, err)
		}
		return got.Conversations
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"13800138000", sorted(byPhone.id, byEmail.id)},   // the account given, and the member verified by email
		{"138 0013 8000", sorted(byPhone.id, byEmail.id)}, // as members type it
		{"8000", sorted(byPhone.id, byEmail.id)},          // the last 4 digits, verified by email too
		{"9000", []string{gave.id}},                       // the account given, unverified
		{"demo@example.com", sorted(byPhone.id, byEmail.id)},
		{"DEMO@example.com", sorted(byPhone.id, byEmail.id)},
		{"13900139000", []string{gave.id}},
		{"annual@example.com", []string{}},
		{"1234", []string{}},
		{strings.ToLower(cancel.Number), []string{other.id}},
		{dialog.FormatNumber(e.clock.Now().In(shanghai), 999), []string{}}, // valid, unknown
	} {
		got := ids(search(tc.q))
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("q=%s: %v, want %v", tc.q, got, tc.want)
		}
	}
	// Most recently changed first.
	e.clock.Advance(time.Minute)
	byPhone.say("还在吗")
	if got := ids(search("8000")); got[0] != byPhone.id {
		t.Fatalf("q=8000: %v, want %s first", got, byPhone.id)
	}
	// With a status, only those.
	byEmail.say("转人工")
	var waiting struct{ Conversations []Summary }
	e.ok("GET", "/agent/api/conversations?status=waiting&q=8000", alice, "", &waiting)
	if got := ids(waiting.Conversations); !slices.Equal(got, []string{byEmail.id}) {
		t.Fatalf("waiting and 8000: %v", got)
	}

	wrong := []byte(cancel.Number)
	wrong[len(wrong)-1] = '0' + (wrong[len(wrong)-1]-'0'+1)%10
	e.fails("GET", "/agent/api/conversations?q="+string(wrong), alice, "", 400, CodeCheckDigit)
	e.fails("GET", "/agent/api/conversations?q=WO123", alice, "", 400, CodeBadNumber)
	for _, q := range []string{"", "12", "123456", "hello", "a@b"} {
		e.fails("GET", "/agent/api/conversations?q="+url.QueryEscape(q), alice, "", 400, CodeBadRequest)
	}
	e.fails("GET", "/agent/api/conversations?q=8000", "", "", 401, CodeUnauthorized)
}

// callback makes the member ask for a person while no agent is online and
// returns the callback order's number.
func (e *env) callback(m *member) string {
	e.t.Helper()
	m.say("转人工")
	d := e.detail(m.id)
	if d.Callback == "" {
		e.t.Fatalf("no callback order for %s: %+v", m.id, d.Summary)
	}
	return d.Callback
}

func TestCallbacksClose(t *testing.T) {
	e := newEnv(t, Config{})
	first := e.member("web", "first")
	n1 := e.callback(first)
	e.clock.Advance(time.Minute)
	second := e.member("telegram", "second")
	n2 := e.callback(second)

	list := func(query string) []dialog.WorkOrder {
		t.Helper()
		var got struct{ Callbacks []dialog.WorkOrder }
		e.ok("GET", "/agent/api/callbacks"+query, alice, "", &got)
		if got.Callbacks == nil {
			t.Fatalf("callbacks%s: no array", query)
		}
		return got.Callbacks
	}
	numbers := func(os []dialog.WorkOrder) []string {
		out := []string{}
		for _, o := range os {
			out = append(out, o.Number)
		}
		return out
	}
	open := list("")
	if got := numbers(open); !slices.Equal(got, []string{n2, n1}) {
		t.Fatalf("open callbacks %v, want newest first %v", got, []string{n2, n1})
	}
	if open[0].Conv != second.id || open[0].Kind != dialog.KindCallback || open[0].Status != "open" {
		t.Fatalf("callback %+v", open[0])
	}
	if got := numbers(list("?status=done")); len(got) != 0 {
		t.Fatalf("done callbacks before any closed: %v", got)
	}

	e.clock.Advance(time.Minute)
	note := strings.Repeat("回", bot.MaxCloseNote)
	var closed dialog.WorkOrder
	e.ok("POST", "/agent/api/workorders/"+strings.ToLower(n1)+"/close", alice, fmt.Sprintf(`{"note":%q}`, note), &closed)
	if closed.Number != n1 || closed.Status != "done" || closed.ClosedBy != "alice" || closed.CloseNote != note || !closed.UpdatedAt.Equal(e.clock.Now().Round(0)) {
		t.Fatalf("closed %+v", closed)
	}
	var stored dialog.WorkOrder
	e.ok("GET", "/api/workorders/"+n1, bob, "", &stored)
	if stored.Status != "done" || stored.ClosedBy != "alice" || stored.CloseNote != note {
		t.Fatalf("stored %+v", stored)
	}
	if got := numbers(list("?status=open")); !slices.Equal(got, []string{n2}) {
		t.Fatalf("open after closing %s: %v", n1, got)
	}
	if got := numbers(list("?status=done")); !slices.Equal(got, []string{n1}) {
		t.Fatalf("done after closing %s: %v", n1, got)
	}

	e.fails("POST", "/agent/api/workorders/"+n1+"/close", bob, `{"note":"again"}`, 409, CodeClosed)
	order, err := e.rt.WorkOrders().Execute(context.Background(), dialog.OrderRequest{
		Key: "c/1", Kind: dialog.KindNoRenew, MemberID: "m-demo", Channel: "web", Conv: first.id, At: e.clock.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.fails("POST", "/agent/api/workorders/"+order.Number+"/close", alice, `{"note":"x"}`, 409, CodeNotCallback)
	e.fails("POST", "/agent/api/workorders/"+dialog.FormatNumber(e.clock.Now().In(shanghai), 999)+"/close", alice, `{"note":"x"}`, 404, CodeNotFound)
	wrong := []byte(n2)
	wrong[len(wrong)-1] = '0' + (wrong[len(wrong)-1]-'0'+1)%10
	e.fails("POST", "/agent/api/workorders/"+string(wrong)+"/close", alice, `{"note":"x"}`, 400, CodeCheckDigit)
	e.fails("POST", "/agent/api/workorders/WO2026/close", alice, `{"note":"x"}`, 400, CodeBadNumber)
	for _, body := range []string{`{}`, `{"note":"  "}`, fmt.Sprintf(`{"note":%q}`, note+"回")} {
		e.fails("POST", "/agent/api/workorders/"+n2+"/close", alice, body, 400, CodeBadRequest)
	}
	e.fails("POST", "/agent/api/workorders/"+n2+"/close", alice, `{"note":1}`, 400, CodeBadJSON)
	e.fails("POST", "/agent/api/workorders/"+n2+"/close", alice, ``, 400, CodeBadJSON)
	e.fails("POST", "/agent/api/workorders/"+n2+"/close", "", `{"note":"x"}`, 401, CodeUnauthorized)
	e.fails("GET", "/agent/api/callbacks", "", "", 401, CodeUnauthorized)
	e.fails("GET", "/agent/api/callbacks?status=closed", alice, "", 400, CodeBadRequest)
	if got := numbers(list("")); !slices.Equal(got, []string{n2}) {
		t.Fatalf("refused closes changed the open callbacks: %v", got)
	}
}
