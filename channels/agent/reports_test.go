package agent

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// TestReports: a member's don't-renew with a reason and a verdict on an
// article show in the report's counts; nothing personal does.
func TestReports(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.member("test", "r1")
	m.verify()
	confirmed := false
	for _, msg := range m.send(dialog.InputButton, "opt:no_renew") {
		confirmed = confirmed || hasButton(msg, "confirm:1")
	}
	if !confirmed {
		t.Fatal("no confirmation after don't renew")
	}
	m.send(dialog.InputButton, "confirm:1")
	m.send(dialog.InputButton, "reason:price")
	m.send(dialog.InputButton, "kb:up:refund-policy")

	today := e.clock.Now().In(shanghai).Format("2006-01-02")
	var rep report
	e.ok("GET", "/agent/api/reports?from="+today+"&to="+today, alice, "", &rep)
	if len(rep.Days) != 1 || rep.Days[0] != (reportDay{Date: today, NoRenew: 1}) {
		t.Fatalf("days %+v, want one don't-renew today", rep.Days)
	}
	if rep.Reasons["price"] != 1 || len(rep.Reasons) != 1 {
		t.Fatalf("reasons %v, want price once", rep.Reasons)
	}
	if rep.KB["refund-policy"] != (bot.ArticleFeedback{Helpful: 1}) {
		t.Fatalf("kb %v, want one helpful verdict on refund-policy", rep.KB)
	}

	var week report
	e.ok("GET", "/agent/api/reports", alice, "", &week)
	if len(week.Days) != 7 || week.Days[6].Date != today || week.Days[6].NoRenew != 1 {
		t.Fatalf("the default range %+v, want the last 7 days ending today", week.Days)
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
	if err != nil || len(rows) != 2 || strings.Join(rows[1], ",") != today+",0,1,0" {
		t.Fatalf("csv %v (%v), want a header and today's counts", rows, err)
	}

	e.fails("GET", "/agent/api/reports", "", "", http.StatusUnauthorized, CodeUnauthorized)
	e.fails("GET", "/agent/api/reports?from=yesterday", alice, "", http.StatusBadRequest, CodeBadRequest)
	e.fails("GET", "/agent/api/reports?from=2026-12-02&to=2026-12-01", alice, "", http.StatusBadRequest, CodeBadRequest)
}
