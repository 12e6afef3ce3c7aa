package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// waiting → active → released, and waiting → active → closed, as seen
// through the list, the detail and by the members.
func TestClaimReplyReleaseClose(t *testing.T) {
	e := newEnv(t, Config{})
	ev := e.events("/agent/api/events", alice) // alice is online: no call-back orders
	_ = ev
	a := e.member("web", "member-a")
	b := e.member("telegram", "member-b")
	a.say("转人工")
	b.say("I want to talk to a person")

	waiting := e.list("?status=waiting")
	if len(waiting) != 2 || waiting[0].ID != a.id || waiting[1].ID != b.id {
		t.Fatalf("waiting %+v, want a then b", waiting)
	}
	wa, wb := waiting[0], waiting[1]
	if wa.Status != "waiting" || wa.Position != 1 || wb.Position != 2 || wa.WaitingSince == nil || wa.Channel != "web" || wb.Channel != "telegram" || wb.Lang != "en" || wa.Lang != "zh-CN" || wa.Agent != "" || wa.Callback != "" {
		t.Fatalf("waiting summaries %+v %+v", wa, wb)
	}
	if wa.Preview != "转人工" {
		t.Fatalf("preview %q", wa.Preview)
	}
	if got := e.list("?status=active"); len(got) != 0 {
		t.Fatalf("active before any claim: %+v", got)
	}

	var claimed Summary
	e.ok("POST", "/agent/api/conversations/"+a.id+"/claim", alice, fmt.Sprintf(`{"version":%d}`, wa.Version), &claimed)
	if claimed.Status != "active" || claimed.Agent != "alice" || claimed.Version == wa.Version || claimed.WaitingSince != nil || claimed.Position != 0 {
		t.Fatalf("claimed %+v", claimed)
	}
	a.await("that alice joined", func(m bot.Message) bool { return m.From == bot.FromSystem && strings.Contains(m.Text, "alice") })
	// Claiming again is harmless.
	var again Summary
	e.ok("POST", "/agent/api/conversations/"+a.id+"/claim", alice, "", &again)
	if again.Version != claimed.Version {
		t.Fatalf("claiming twice changed the version: %d → %d", claimed.Version, again.Version)
	}
	if got := e.list(""); len(got) != 2 || got[0].ID != b.id || got[0].Position != 1 || got[1].ID != a.id || got[1].Status != "active" {
		t.Fatalf("default list %+v, want b waiting first at place 1, then a active", got)
	}

	e.ok("POST", "/agent/api/conversations/"+a.id+"/messages", alice, fmt.Sprintf(`{"text":"  您好，我是客服 Alice  ","version":%d}`, claimed.Version), nil)
	if got := a.await("the agent's reply", func(m bot.Message) bool { return m.From == bot.FromAgent }); got.Text != "您好，我是客服 Alice" {
		t.Fatalf("the member heard %q from the agent", got.Text)
	}
	// While held, the member's messages reach the agent only.
	if got := a.say("我想立即取消会员"); len(got) != 0 {
		t.Fatalf("someone answered a held conversation: %+v", got)
	}
	d := e.detail(a.id)
	last := d.Messages[len(d.Messages)-1]
	if last.Type != "message" || last.From != "member" || last.Text != "我想立即取消会员" || last.ID == "" || last.At.IsZero() {
		t.Fatalf("last message %+v", last)
	}
	if d.Status != "active" || d.Agent != "alice" || d.Member.Verified {
		t.Fatalf("detail %+v", d.Summary)
	}

	var released Summary
	e.ok("POST", "/agent/api/conversations/"+a.id+"/release", alice, fmt.Sprintf(`{"version":%d}`, claimed.Version), &released)
	if released.Status != "bot" || released.Agent != "" || released.Version == claimed.Version {
		t.Fatalf("released %+v", released)
	}
	a.await("the bot again", func(m bot.Message) bool { return m.From == bot.FromBot })
	a.drain()
	if got := a.say("13800138000"); len(got) == 0 || got[0].From != bot.FromBot {
		t.Fatalf("after release the bot said %+v", got)
	}
	if got := e.list("?status=all"); len(got) != 2 || got[0].ID != b.id || got[1].ID != a.id || got[1].Status != "bot" {
		t.Fatalf("all %+v", got)
	}

	var heldB Summary
	e.ok("POST", "/agent/api/conversations/"+b.id+"/claim", bob, "", &heldB)
	var closed Summary
	e.ok("POST", "/agent/api/conversations/"+b.id+"/close", bob, "{}", &closed)
	if closed.Status != "closed" || closed.Agent != "" {
		t.Fatalf("closed %+v", closed)
	}
	if got := e.list(""); len(got) != 0 {
		t.Fatalf("after release and close the console lists %+v", got)
	}
	e.fails("POST", "/agent/api/conversations/"+b.id+"/messages", bob, `{"text":"still there?"}`, http.StatusConflict, CodeNotHeld)
	b.drain()
	if got := b.say("hello again"); len(got) == 0 || got[0].From != bot.FromBot {
		t.Fatalf("after close the bot said %+v", got)
	}
}

// A member who says 算了 while waiting leaves the queue, and the console
// hears of it.
func TestWithdrawLeavesTheQueue(t *testing.T) {
	e := newEnv(t, Config{})
	ev := e.events("/agent/api/events", alice)
	m := e.member("web", "m")
	m.say("转人工")
	ev.conversation(m.id, "the member waiting", func(s Summary) bool { return s.Status == "waiting" && s.Position == 1 })
	m.say("算了")
	ev.conversation(m.id, "the member withdrawn", func(s Summary) bool { return s.Status == "bot" && s.WaitingSince == nil })
	if got := e.list("?status=waiting"); len(got) != 0 {
		t.Fatalf("still waiting after 算了: %+v", got)
	}
	if p := e.rt.Handoffs().QueuePosition(m.id); p != 0 {
		t.Fatalf("queue position %d after withdrawing", p)
	}
}

func TestConflictsAndBadRequests(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "m")
	m.say("转人工")
	conv := "/agent/api/conversations/" + m.id

	// Acting before anyone claims it.
	e.fails("POST", conv+"/messages", alice, `{"text":"hi"}`, http.StatusConflict, CodeNotHeld)
	e.fails("POST", conv+"/release", alice, "", http.StatusConflict, CodeNotHeld)
	e.fails("POST", conv+"/close", alice, "", http.StatusConflict, CodeNotHeld)
	e.fails("POST", conv+"/actions", alice, `{"action":"cancel_now"}`, http.StatusConflict, CodeNotHeld)

	var s Summary
	e.ok("POST", conv+"/claim", alice, "", &s)
	// A second agent is refused, and told who holds it.
	got := e.fails("POST", conv+"/claim", bob, "", http.StatusConflict, CodeHeld)
	if got.Conversation == nil || got.Conversation.Agent != "alice" || got.Conversation.Version != s.Version || !strings.Contains(got.Error, "alice") {
		t.Fatalf("409 for bob: %+v", got)
	}
	for _, action := range []string{"/messages", "/release", "/close", "/actions"} {
		e.fails("POST", conv+action, bob, `{"text":"hi","action":"no_renew"}`, http.StatusConflict, CodeHeld)
	}
	// A console that saw an older version cannot act.
	stale := fmt.Sprintf(`{"text":"hi","action":"no_renew","version":%d}`, s.Version+1)
	for _, action := range []string{"/messages", "/release", "/close", "/actions"} {
		got := e.fails("POST", conv+action, alice, stale, http.StatusConflict, CodeStale)
		if got.Conversation == nil || got.Conversation.Version != s.Version {
			t.Fatalf("409 stale on %s: %+v", action, got)
		}
	}
	e.fails("POST", conv+"/claim", bob, fmt.Sprintf(`{"version":%d}`, s.Version+5), http.StatusConflict, CodeHeld)
	// An unverified member: no actions, with a clear reason.
	got = e.fails("POST", conv+"/actions", alice, fmt.Sprintf(`{"action":"cancel_now","version":%d}`, s.Version), http.StatusConflict, CodeNotVerified)
	if !strings.Contains(got.Error, "verified") {
		t.Fatalf("not verified: %q", got.Error)
	}

	for _, tc := range []struct{ path, body, code string }{
		{"/messages", `{"text":`, CodeBadJSON},
		{"/messages", `["hi"]`, CodeBadJSON},
		{"/messages", `{"text":42}`, CodeBadJSON},
		{"/messages", `{"text":"hi","version":"7"}`, CodeBadJSON},
		{"/messages", ``, CodeBadJSON},
		{"/messages", `{"text":"   "}`, CodeBadRequest},
		{"/messages", `{"text":"` + strings.Repeat("长", dialog.DefaultMaxLen+1) + `"}`, CodeBadRequest},
		{"/messages", `{"text":"hi","version":-1}`, CodeBadRequest},
		{"/claim", `{"version":`, CodeBadJSON},
		{"/actions", `{"action":"refund_everything"}`, CodeBadRequest},
		{"/actions", `{}`, CodeBadRequest},
	} {
		e.fails("POST", conv+tc.path, alice, tc.body, http.StatusBadRequest, tc.code)
	}
	resp, body := e.call("POST", conv+"/messages", alice, "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a message without a body: HTTP %d %s", resp.StatusCode, body)
	}
	e.fails("GET", "/agent/api/conversations?status=everything", alice, "", http.StatusBadRequest, CodeBadRequest)

	// Unknown conversations.
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/agent/api/conversations/nope", ""},
		{"POST", "/agent/api/conversations/nope/claim", ""},
		{"POST", "/agent/api/conversations/nope/messages", `{"text":"hi"}`},
		{"POST", "/agent/api/conversations/nope/release", ""},
		{"POST", "/agent/api/conversations/nope/close", ""},
		{"POST", "/agent/api/conversations/nope/actions", `{"action":"no_renew"}`},
		{"GET", "/agent/api/nothing-here", ""},
	} {
		e.fails(tc.method, tc.path, alice, tc.body, http.StatusNotFound, CodeNotFound)
	}
	// Nothing above changed the conversation.
	if d := e.detail(m.id); d.Version != s.Version || d.Agent != "alice" || d.Status != "active" {
		t.Fatalf("after the refusals: %+v", d.Summary)
	}
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "m")
	m.say("转人工")
	for i, auth := range []string{"", "Bearer wrong", "Basic alice-token", "alice-token"} {
		client := clientFrom(fmt.Sprintf("127.0.1.%d", i+1)) // each within its failed-login allowance
		for _, tc := range []struct{ method, path string }{
			{"GET", "/agent/api/me"},
			{"GET", "/agent/api/conversations"},
			{"GET", "/agent/api/conversations/" + m.id},
			{"POST", "/agent/api/conversations/" + m.id + "/claim"},
			{"GET", "/agent/api/events"},
			{"GET", "/agent/api/events?token=wrong"},
			{"GET", "/agent/api/backup"},
			{"GET", "/api/workorders?since=2026-01-01T00:00:00Z"},
		} {
			resp, _ := e.callWith(client, tc.method, tc.path, auth, "")
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s %s with %q: HTTP %d, want 401", tc.method, tc.path, auth, resp.StatusCode)
			}
		}
	}
	// Only the event stream takes the token in the URL.
	e.fails("GET", "/agent/api/conversations?token=alice-token", "", "", http.StatusUnauthorized, CodeUnauthorized)
	if got := e.list(""); len(got) != 1 || got[0].Agent != "" {
		t.Fatalf("the refused requests changed something: %+v", got)
	}
	var me map[string]string
	e.ok("GET", "/agent/api/me", "bearer bob-token", "", &me)
	if me["name"] != "bob" || me["tz"] != "Asia/Shanghai" {
		t.Fatalf("me: %v", me)
	}
}

// Wrong tokens from one address are limited; another address is not
// affected, and after a while the first may try again.
func TestFailedLoginsAreRateLimited(t *testing.T) {
	e := newEnv(t, Config{})
	guesser, other := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	for i := range loginBurst {
		if resp, _ := e.callWith(guesser, "GET", "/agent/api/me", fmt.Sprintf("Bearer guess-%d", i), ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: HTTP %d, want 401", i, resp.StatusCode)
		}
	}
	resp, body := e.callWith(guesser, "GET", "/agent/api/me", "Bearer one-more", "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "6" || !strings.Contains(string(body), `"code":"rate_limited"`) {
		t.Fatalf("guess beyond the limit: HTTP %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Even the right token waits: a lucky guess must not get through.
	for _, path := range []string{"/agent/api/me", "/agent/api/events?token=alice-token"} {
		auth := alice
		if strings.Contains(path, "token=") {
			auth = ""
		}
		if resp, _ := e.callWith(guesser, "GET", path, auth, ""); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right token while limited, %s: HTTP %d, want 429", path, resp.StatusCode)
		}
	}
	if resp, _ := e.callWith(other, "GET", "/agent/api/me", alice, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: HTTP %d", resp.StatusCode)
	}
	// Requests without a token are no guesses.
	if resp, _ := e.callWith(other, "GET", "/agent/api/me", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: HTTP %d", resp.StatusCode)
	}

	e.clock.Advance(loginEvery + time.Second)
	if resp, _ := e.callWith(guesser, "GET", "/agent/api/me", bob, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("right token after waiting: HTTP %d", resp.StatusCode)
	}
	// One more try has been earned, not a new burst.
	if resp, _ := e.callWith(guesser, "GET", "/agent/api/me", "Bearer again", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("first guess after waiting: HTTP %d, want 401", resp.StatusCode)
	}
	if resp, _ := e.callWith(guesser, "GET", "/agent/api/me", "Bearer and-again", ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second guess after waiting: HTTP %d, want 429", resp.StatusCode)
	}
}

// An agent acts for a verified member: an agent_action order, executed as
// the agent, the member gets the receipt; repeating it gives the same order.
func TestAgentActsForVerifiedMember(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("telegram", "4242")
	m.verify()
	m.say("转人工")

	d := e.detail(m.id)
	if !d.Member.Verified || d.Member.Phone == "" || strings.Contains(d.Member.Phone, "13800138000") || !strings.Contains(d.Member.Phone, "*") ||
		d.Member.Plan == "" || d.Member.Status != "active" || d.Member.PeriodEnd.IsZero() || !d.Member.AutoRenew || d.Member.VerifiedUntil.IsZero() {
		t.Fatalf("member summary %+v", d.Member)
	}
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+m.id+"/claim", alice, "", &s)
	body := fmt.Sprintf(`{"action":"no_renew","version":%d}`, s.Version)
	var o dialog.WorkOrder
	e.ok("POST", "/agent/api/conversations/"+m.id+"/actions", alice, body, &o)
	if o.Kind != dialog.KindAgentAction || o.Action != dialog.KindNoRenew || o.Executor != "alice" || o.Conv != m.id || o.Channel != "telegram" || o.Number == "" {
		t.Fatalf("order %+v", o)
	}
	m.await("the receipt", func(msg bot.Message) bool { return msg.From == bot.FromAgent && strings.Contains(msg.Text, o.Number) })
	var again dialog.WorkOrder
	e.ok("POST", "/agent/api/conversations/"+m.id+"/actions", alice, body, &again)
	if again.Number != o.Number {
		t.Fatalf("repeated action: %s, want %s", again.Number, o.Number)
	}
	var looked dialog.WorkOrder
	e.ok("GET", "/api/workorders/"+o.Number, alice, "", &looked)
	if looked.Number != o.Number || looked.Executor != "alice" {
		t.Fatalf("lookup %+v", looked)
	}
	if d := e.detail(m.id); d.Member.AutoRenew {
		t.Fatalf("auto-renew still on after no_renew: %+v", d.Member)
	}
}

// The console is a page with the contract's hooks, its assets, and nothing
// from elsewhere.
func TestConsolePage(t *testing.T) {
	e := newEnv(t, Config{})
	resp, body := e.call("GET", "/agent/", "", "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /agent/: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, hook := range []string{"agent-name", "agent-token", "agent-login", "claim", "release", "close", "input", "send"} {
		if !strings.Contains(string(body), `data-kefu="`+hook+`"`) {
			t.Errorf("the console has no [data-kefu=%s]", hook)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, asset := range []string{"console.js", "console.css"} {
		resp, body := e.call("GET", "/agent/static/"+asset, "", "")
		if resp.StatusCode != http.StatusOK || len(body) < 1000 {
			t.Errorf("GET %s: HTTP %d, %d bytes", asset, resp.StatusCode, len(body))
		}
		if strings.Contains(string(body), "innerHTML") || strings.Contains(string(body), "http://") || strings.Contains(string(body), "https://") {
			t.Errorf("%s uses innerHTML or names another site", asset)
		}
	}
	for _, path := range []string{"/agent/static/nope.js", "/agent/static/index.html"} {
		if resp, _ := e.call("GET", path, "", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: HTTP %d, want 404", path, resp.StatusCode)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, _ := e.callWith(noRedirect, "GET", "/agent", "", ""); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/agent/" {
		t.Errorf("GET /agent: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// The backup is a tar that kefu restore reads, with the conversations in it.
func TestBackupDownload(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("web", "m")
	m.say("转人工")
	resp, body := e.call("GET", "/agent/api/backup", alice, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-tar" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=kefu-backup-") {
		t.Fatalf("backup: HTTP %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	tr := tar.NewReader(bytes.NewReader(body))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "ledger.badger,state.badger" {
		t.Fatalf("backup holds %v", names)
	}
	dir := t.TempDir() + "/restored"
	if err := bot.Restore(dir, bytes.NewReader(body), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	rt, err := bot.Open(bot.Config{DataDir: dir, Location: shanghai, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if c, err := rt.Conversation(context.Background(), m.id); err != nil || c.Status != bot.ConvWaiting {
		t.Fatalf("restored conversation: %+v %v", c, err)
	}
}

func TestErrorBodiesCarryCodes(t *testing.T) {
	e := newEnv(t, Config{})
	resp, body := e.call("GET", "/api/workorders/WO123", alice, "")
	var got apiError
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusBadRequest || got.Code != CodeBadNumber || got.Error == "" {
		t.Fatalf("work-order error: HTTP %d %s", resp.StatusCode, body)
	}
}
