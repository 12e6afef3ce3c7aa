package agent

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/internal/clientip"
)

// verifyReceipt serves GET /api/receipts/{number}?sig=… without a login: a
// member or a regulator holding a receipt learns whether it is genuine and
// sees the receipt again, nothing more (no member, conversation, channel
// or reason). An unknown number and a wrong signature get the same 404;
// an address with too many of them waits, as after wrong agent tokens.
func (c *Console) verifyReceipt(w http.ResponseWriter, r *http.Request) {
	addr, ok := c.receiptGate(w, r)
	if !ok {
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many receipts that could not be verified from this address; try again later")
		return
	}
	number, sig := r.PathValue("number"), r.URL.Query().Get("sig")
	if sig == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "sig is required: the signature printed with the receipt, e.g. /api/receipts/WO202611240000125?sig=…")
		return
	}
	receipt, ok, err := c.checkReceipt(r.Context(), addr, number, sig)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, CodeInternal, "receipts cannot be verified right now")
	case !ok:
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no genuine receipt %q with this signature: check the number and the signature", number))
	default:
		writeJSON(w, http.StatusOK, struct {
			Valid   bool        `json:"valid"`
			Receipt bot.Receipt `json:"receipt"`
		}{true, receipt})
	}
}

// receiptGate lets the client of r have receipts checked unless it has
// had too many that could not be: then ok is false, Retry-After is set on
// w, and the caller answers 429. Every way of checking a receipt (the API,
// the page) goes through it, so they share one limit per address.
func (c *Console) receiptGate(w http.ResponseWriter, r *http.Request) (addr string, ok bool) {
	addr = clientip.Of(r, c.proxies)
	if wait := c.receipts.blocked(addr); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return addr, false
	}
	return addr, true
}

// checkReceipt verifies a receipt for the client at addr, counting one that
// cannot be verified (unknown or malformed number, wrong signature) against
// addr. An error is logged here; the caller only answers.
func (c *Console) checkReceipt(ctx context.Context, addr, number, sig string) (bot.Receipt, bool, error) {
	receipt, ok, err := c.rt.WorkOrders().VerifyReceipt(ctx, number, sig)
	switch {
	case err != nil:
		c.log.Error("verify receipt", "number", number, "err", err)
	case !ok:
		c.receipts.fail(addr)
	}
	return receipt, ok, err
}
