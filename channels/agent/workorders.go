package agent

import (
	"encoding/csv"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// workOrder serves GET /api/workorders/{number}: one order as JSON (or a
// one-row CSV). A malformed number or a wrong check digit is refused with
// 400 without a lookup; an unknown one is 404.
func (c *Console) workOrder(w http.ResponseWriter, r *http.Request, agent string) {
	raw := r.PathValue("number")
	o, found, err := c.rt.WorkOrders().Get(r.Context(), raw)
	switch {
	case badNumber(w, raw, err):
		return
	case err != nil:
		c.log.Error("work order", "number", raw, "agent", agent, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "the work orders cannot be read right now")
		return
	case !found:
		n, _ := dialog.ParseNumber(raw)
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no work order %s", n))
		return
	}
	if wantsCSV(r) {
		c.writeCSV(w, "workorder-"+o.Number+".csv", []dialog.WorkOrder{o})
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// badNumber answers 400 when err says raw is not a work-order number
// (dialog.ErrNumberFormat) or its check digit is wrong (dialog.ErrCheckDigit),
// and reports whether it did.
func badNumber(w http.ResponseWriter, raw string, err error) bool {
	switch {
	case errors.Is(err, dialog.ErrCheckDigit):
		writeError(w, http.StatusBadRequest, CodeCheckDigit, fmt.Sprintf("%q is not a valid work-order number: its check digit does not match, so a digit is probably mistyped", raw))
	case errors.Is(err, dialog.ErrNumberFormat):
		writeError(w, http.StatusBadRequest, CodeBadNumber, fmt.Sprintf("%q is not a work-order number: want WO followed by 15 digits, e.g. WO202611240000127", raw))
	default:
		return false
	}
	return true
}

// workOrdersSince serves GET /api/workorders?since=RFC3339: the orders
// created at or after since, in number order, as {"work_orders":[…]} or
// CSV.
func (c *Console) workOrdersSince(w http.ResponseWriter, r *http.Request, agent string) {
	s := r.URL.Query().Get("since")
	if s == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "since is required: an RFC 3339 time, e.g. ?since=2026-11-24T00:00:00%2B08:00")
		return
	}
	since, err := time.Parse(time.RFC3339, s)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("since %q is not an RFC 3339 time such as 2026-11-24T00:00:00+08:00 (write + as %%2B in a URL)", s))
		return
	}
	orders, err := c.rt.WorkOrders().Since(r.Context(), since)
	if err != nil {
		c.log.Error("work orders since", "since", since, "agent", agent, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "the work orders cannot be read right now")
		return
	}
	if wantsCSV(r) {
		c.writeCSV(w, "workorders-since-"+since.In(c.loc).Format("20060102T150405")+".csv", orders)
		return
	}
	if orders == nil {
		orders = []dialog.WorkOrder{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"work_orders": orders})
}

// wantsCSV tells whether the client asks for CSV (Accept: text/csv).
func wantsCSV(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

var csvHeader = []string{
	"number", "kind", "action", "status", "member_id", "channel", "conversation", "reason",
	"effective_at", "refund_cents", "auto_renew", "executor", "created_at", "updated_at",
}

// writeCSV writes orders as CSV, one row each, times in RFC 3339 in the
// console's time zone.
func (c *Console) writeCSV(w http.ResponseWriter, filename string, orders []dialog.WorkOrder) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for _, o := range orders {
		_ = cw.Write([]string{
			o.Number, string(o.Kind), string(o.Action), o.Status, o.MemberID, o.Channel, o.Conv, cell(o.Reason),
			c.csvTime(o.EffectiveAt), strconv.FormatInt(o.RefundCents, 10), strconv.FormatBool(o.AutoRenew),
			cell(o.Executor), c.csvTime(o.CreatedAt), c.csvTime(o.UpdatedAt),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		c.log.Warn("csv export", "err", err)
	}
}

func (c *Console) csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(time.RFC3339)
}

// cell defuses text a member typed (a cancellation reason) so a spreadsheet
// opening the export does not run it as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
