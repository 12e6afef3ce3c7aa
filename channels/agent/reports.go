package agent

import (
	"context"
	"encoding/csv"
	"fmt"
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
// records (work orders, the runtime's tallies, article verdicts), so they
// survive restarts and agree across instances. GET /agent/api/reports?from=YYYY-MM-DD&to=YYYY-MM-DD
// (days in the console's time zone, both included; default the last 7 days),
// JSON or, with Accept: text/csv, the days as CSV.

// reportDay is one day's counts.
type reportDay struct {
	Date      string `json:"date"`
	CancelNow int    `json:"cancel_now"`
	NoRenew   int    `json:"no_renew"`
	Kept      int    `json:"kept"`     // reached the options, kept the membership
	Handoffs  int    `json:"handoffs"` // began waiting for a person
	Callbacks int    `json:"callbacks"`
	CSATUp    int    `json:"csat_up"`
	CSATDown  int    `json:"csat_down"`
}

// report is the answer of GET /agent/api/reports.
type report struct {
	From    string         `json:"from"`
	To      string         `json:"to"`
	Days    []reportDay    `json:"days"`
	Reasons map[string]int `json:"reasons"` // by reason code; free text counts as "other"
	// Seconds from asking for a person to an agent's claim, over the
	// members claimed in the range (nearest rank); null when none was.
	WaitP50 *float64 `json:"handoff_wait_p50_s"`
	WaitP90 *float64 `json:"handoff_wait_p90_s"`
	// The member's own actions from the opener to the work order, over
	// flows finished in the chat (agents' orders are not theirs); null
	// when none was.
	MedianActions       *float64                       `json:"median_member_actions"`
	MedianActionsByFlow map[string]float64             `json:"median_member_actions_by_flow"` // cancel_now, no_renew
	KB                  map[string]bot.ArticleFeedback `json:"kb"`                            // verdicts per help-center article
}

// maxReportDays bounds a report's range.
const maxReportDays = 366

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
	if n := daysBetween(from, to) + 1; n < 1 || n > maxReportDays {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "from must not be after to, and a report covers at most 366 days")
		return
	}
	rep, err := c.report(r.Context(), from, to)
	if err != nil {
		c.log.Error("reports", "agent", agent, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "the reports cannot be read right now")
		return
	}
	if !wantsCSV(r) {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "kefu-report-" + rep.From + "-" + rep.To + ".csv"}))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"date", "cancel_now", "no_renew", "kept", "handoffs", "callbacks", "csat_up", "csat_down"})
	for _, d := range rep.Days {
		_ = cw.Write([]string{d.Date, strconv.Itoa(d.CancelNow), strconv.Itoa(d.NoRenew), strconv.Itoa(d.Kept),
			strconv.Itoa(d.Handoffs), strconv.Itoa(d.Callbacks), strconv.Itoa(d.CSATUp), strconv.Itoa(d.CSATDown)})
	}
	cw.Flush()
}

// report counts the days from through to (midnights in the console's
// zone, both included) from the stored work orders, tallies and verdicts.
func (c *Console) report(ctx context.Context, from, to time.Time) (report, error) {
	n := daysBetween(from, to) + 1
	rep := report{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Days: make([]reportDay, n), Reasons: map[string]int{}, MedianActionsByFlow: map[string]float64{}}
	for i := range rep.Days {
		rep.Days[i].Date = from.AddDate(0, 0, i).Format(time.DateOnly)
	}
	dayOf := func(t time.Time) *reportDay { // nil outside the range
		if i := daysBetween(from, day(t, c.loc)); i >= 0 && i < n {
			return &rep.Days[i]
		}
		return nil
	}

	orders, err := c.rt.WorkOrders().Since(ctx, from)
	if err != nil {
		return rep, fmt.Errorf("work orders: %w", err)
	}
	for _, o := range orders {
		d := dayOf(o.CreatedAt)
		if d == nil {
			continue
		}
		switch o.ActionKind() {
		case dialog.KindCancelNow:
			d.CancelNow++
		case dialog.KindNoRenew:
			d.NoRenew++
		case dialog.KindCallback:
			d.Callbacks++
			continue // its reason is the system's, not the member's
		}
		if o.Reason != "" {
			rep.Reasons[dialog.ReasonCode(o.Reason)]++ // what a member typed is never shown
		}
	}

	var waits, actions []float64
	byFlow := map[string][]float64{}
	err = c.rt.Tallies(ctx, from, to, func(at time.Time, t bot.Tally) {
		d := dayOf(at)
		if d == nil {
			return
		}
		switch t.Kind {
		case bot.TallyKept:
			d.Kept++
		case bot.TallyHandoff:
			d.Handoffs++
		case bot.TallyClaimed:
			waits = append(waits, t.Seconds)
		case bot.TallyCSAT:
			if t.Up {
				d.CSATUp++
			} else {
				d.CSATDown++
			}
		case bot.TallyCompleted:
			actions = append(actions, float64(t.Actions))
			byFlow[t.Flow] = append(byFlow[t.Flow], float64(t.Actions))
		}
	})
	if err != nil {
		return rep, fmt.Errorf("tallies: %w", err)
	}
	rep.WaitP50, rep.WaitP90 = rank(waits, 0.5), rank(waits, 0.9)
	rep.MedianActions = median(actions)
	for flow, xs := range byFlow {
		rep.MedianActionsByFlow[flow] = *median(xs)
	}

	if rep.KB, err = c.rt.KBFeedback(ctx, from, to.AddDate(0, 0, 1)); err != nil {
		return rep, fmt.Errorf("article verdicts: %w", err)
	}
	return rep, nil
}

// rank is the nearest-rank q-quantile of xs, rounded to the second; nil
// for none.
func rank(xs []float64, q float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	v := math.Round(xs[int(math.Ceil(q*float64(len(xs))))-1])
	return &v
}

// median is the middle of xs (the mean of the middle two for an even
// count); nil for none.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	m := len(xs) / 2
	v := xs[m]
	if len(xs)%2 == 0 {
		v = (xs[m-1] + xs[m]) / 2
	}
	return &v
}

// daysBetween counts the days from midnight a to midnight b (a day is 23
// or 25 hours across a clock change).
func daysBetween(a, b time.Time) int { return int(math.Round(b.Sub(a).Hours() / 24)) }

// day is the midnight in loc that starts t's day.
func day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
