package agent

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// TestReports: a scripted day of flows (a don't-renew with a reason and a
// 👍, a member who keeps the membership, one handed to a person who waits
// 90 s and rates the agent 👎, a cancel-now with the reason skipped, a
// verdict on an article) shows in the report's counts; nothing personal
// does, and a restart changes nothing.
func TestReports(t *testing.T) {
	e := newEnv(t, Config{})
	now := e.clock.Now().In(shanghai)
	e.clock.Set(time.Date(now.Year(), now.Month(), now.Day()+1, 10, 0, 0, 0, shanghai)) // one day, whatever the hour now
	today := e.clock.Now().In(shanghai).Format("2006-01-02")
	next := func() { e.clock.Advance(2 * time.Minute) } // the demo account's next code

	leaver := e.member("test", "r1")
	leaver.verify()
	leaver.send(dialog.InputButton, "opt:no_renew")
	leaver.send(dialog.InputButton, "confirm:1")
	leaver.send(dialog.InputButton, "reason:price")
	leaver.send(dialog.InputButton, "csat:up")
	leaver.send(dialog.InputButton, "csat:up") // again: counted once
	leaver.send(dialog.InputButton, "kb:up:refund-policy")

	next()
	keeper := e.member("test", "r2")
	keeper.verify()
	keeper.say("算了，不取消了")

	next()
	waiter := e.member("test", "r3")
	waiter.say("转人工")
	e.clock.Advance(90 * time.Second)
	var s Summary
	e.ok("POST", "/agent/api/conversations/"+waiter.id+"/claim", alice, "", &s)
	e.ok("POST", "/agent/api/conversations/"+waiter.id+"/close", alice, "", &s)
	waiter.send(dialog.InputButton, "csat:down")

	next()
	canceller := e.member("test", "r4")
	canceller.verify()
	canceller.send(dialog.InputButton, "opt:cancel_now")
	canceller.send(dialog.InputButton, "confirm:1")
	canceller.say("不想说")

	check := func(e *env, when string) {
		t.Helper()
		var rep report
		_, body := e.call("GET", "/agent/api/reports?from="+today+"&to="+today, alice, "")
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatalf("%s: %s: %v", when, body, err)
		}
		t.Logf("%s: %s", when, body) // the scripted day's figures, for the record
		want := reportDay{Date: today, CancelNow: 1, NoRenew: 1, Kept: 1, Handoffs: 1, Callbacks: 1, CSATUp: 1, CSATDown: 1}
		if len(rep.Days) != 1 || rep.Days[0] != want {
			t.Fatalf("%s: days %+v, want %+v", when, rep.Days, want)
		}
		if rep.Reasons["price"] != 1 || len(rep.Reasons) != 1 {
			t.Fatalf("%s: reasons %v, want price once", when, rep.Reasons)
		}
		if rep.WaitP50 == nil || *rep.WaitP50 != 90 || rep.WaitP90 == nil || *rep.WaitP90 != 90 {
			t.Fatalf("%s: waits p50 %v p90 %v, want 90 s", when, rep.WaitP50, rep.WaitP90)
		}
		if rep.MedianActions == nil || *rep.MedianActions != 5 || rep.MedianActionsByFlow["cancel_now"] != 5 || rep.MedianActionsByFlow["no_renew"] != 5 {
			t.Fatalf("%s: member actions %v %v, want 5 for each flow", when, rep.MedianActions, rep.MedianActionsByFlow)
		}
		if rep.KB["refund-policy"] != (bot.ArticleFeedback{Helpful: 1}) {
			t.Fatalf("%s: kb %v, want one helpful verdict on refund-policy", when, rep.KB)
		}
	}
	check(e, "today")

	var week report
	e.ok("GET", "/agent/api/reports", alice, "", &week)
	if len(week.Days) != 7 || week.Days[6].Date != today || week.Days[6].NoRenew != 1 || week.Days[6].Kept != 1 || week.Days[5].Kept != 0 {
		t.Fatalf("the default range %+v, want the last 7 days ending today", week.Days)
	}
	var empty report
	e.ok("GET", "/agent/api/reports?from=2020-01-01&to=2020-01-02", alice, "", &empty)
	if empty.WaitP50 != nil || empty.MedianActions != nil || len(empty.Days) != 2 || empty.Days[0].Handoffs != 0 || len(empty.KB) != 0 {
		t.Fatalf("a range with nothing: %+v", empty)
	}

	req, _ := http.NewRequest("GET", e.srv.URL+"/agent/api/reports?from="+today+"&to="+today, nil)
	req.Header.Set("Authorization", alice)
	req.Header.Set("Accept", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	res.Body.Close()
	if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != "date,cancel_now,no_renew,kept,handoffs,callbacks,csat_up,csat_down" ||
		strings.Join(rows[1], ",") != today+",1,1,1,1,1,1,1" {
		t.Fatalf("csv %v (%v), want a header and today's counts", rows, err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if strings.Contains(cell, "138") || strings.Contains(cell, "@") {
				t.Fatalf("personal data in the csv: %v", rows)
			}
		}
	}

	e.fails("GET", "/agent/api/reports", "", "", http.StatusUnauthorized, CodeUnauthorized)
	e.fails("GET", "/agent/api/reports?from=yesterday", alice, "", http.StatusBadRequest, CodeBadRequest)
	e.fails("GET", "/agent/api/reports?from=2026-12-02&to=2026-12-01", alice, "", http.StatusBadRequest, CodeBadRequest)

	check(e.reopen(), "after a restart")
}
