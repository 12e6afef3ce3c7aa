package agent

import (
	"encoding/csv"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// Reports: what the service did, in counts only, computed from stored
// records (work orders, article verdicts), so they survive restarts and
// agree across instances. GET /agent/api/reports?from=YYYY-MM-DD&to=YYYY-MM-DD
// (days in the console's time zone, both included; default the last 7 days),
// JSON or, with Accept: text/csv, the days as CSV.

// reportDay is one day's counts.
type reportDay struct {
	Date      string `json:"date"`
	CancelNow int    `json:"cancel_now"`
	NoRenew   int    `json:"no_renew"`
	Callbacks int    `json:"callbacks"`
}

// report is the answer of GET /agent/api/reports.
type report struct {
	From    string                         `json:"from"`
	To      string                         `json:"to"`
	Days    []reportDay                    `json:"days"`
	Reasons map[string]int                 `json:"reasons"` // by reason code; free text counts as "other"
	KB      map[string]bot.ArticleFeedback `json:"kb"`      // verdicts per help-center article
}

// maxReportDays bounds a report's range.
const maxReportDays = 366

// knownReasons are the reason codes the chat offers; anything a member
// typed instead is counted as "other", never shown.
var knownReasons = []string{"price", "unused", "switching", "other"}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, agent string) {
	today := c.now().In(c.loc)
	from, to := today.AddDate(0, 0, -6), today
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		if v := r.URL.Query().Get(name); v != "" {
			d, err := time.ParseInLocation(time.DateOnly, v, c.loc)
			if err != nil {
				writeError(w, http.StatusBadRequest, CodeBadRequest, name+" must be a date such as 2026-11-24")
				return
			}
			*dst = d
		}
	}
	from, to = day(from, c.loc), day(to, c.loc)
	n := daysBetween(from, to) + 1
	if n < 1 || n > maxReportDays {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "from must not be after to, and a report covers at most 366 days")
		return
	}
	orders, err := c.rt.WorkOrders().Since(r.Context(), from)
	if err != nil {
		c.log.Error("reports: work orders", "agent", agent, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "the reports cannot be read right now")
		return
	}
	kb, err := c.rt.KBFeedback(r.Context())
	if err != nil {
		c.log.Error("reports: article verdicts", "agent", agent, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "the reports cannot be read right now")
		return
	}
	rep := report{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Days: make([]reportDay, n), Reasons: map[string]int{}, KB: kb}
	for i := range rep.Days {
		rep.Days[i].Date = from.AddDate(0, 0, i).Format(time.DateOnly)
	}
	for _, o := range orders {
		i := daysBetween(from, day(o.CreatedAt, c.loc))
		if i < 0 || i >= n {
			continue
		}
		switch kind := orderAction(o); kind {
		case dialog.KindCancelNow:
			rep.Days[i].CancelNow++
		case dialog.KindNoRenew:
			rep.Days[i].NoRenew++
		case dialog.KindCallback:
			rep.Days[i].Callbacks++
			continue // its reason is the system's, not the member's
		}
		if o.Reason != "" {
			reason := o.Reason
			if !slices.Contains(knownReasons, reason) {
				reason = "other"
			}
			rep.Reasons[reason]++
		}
	}
	if wantsCSV(r) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "kefu-report-" + rep.From + "-" + rep.To + ".csv"}))
		w.Header().Set("Cache-Control", "no-store")
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"date", "cancel_now", "no_renew", "callbacks"})
		for _, d := range rep.Days {
			_ = cw.Write([]string{d.Date, strconv.Itoa(d.CancelNow), strconv.Itoa(d.NoRenew), strconv.Itoa(d.Callbacks)})
		}
		cw.Flush()
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// daysBetween counts the days from midnight a to midnight b (a day is 23
// or 25 hours across a clock change).
func daysBetween(a, b time.Time) int { return int(math.Round(b.Sub(a).Hours() / 24)) }

// day is the midnight in loc that starts t's day.
func day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// orderAction is what an order did to the membership (the action of an
// agent's order), or its kind.
func orderAction(o dialog.WorkOrder) dialog.OrderKind {
	if o.Kind == dialog.KindAgentAction {
		return o.Action
	}
	return o.Kind
}
