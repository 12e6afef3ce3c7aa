package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// Verifiable receipts. Every work order carries a signature: an HMAC-SHA256
// under a secret of this installation over the receipt's canonical form
// (sigVersion|number|kind|action|effective time|refund|auto-renew|created
// time, times as Unix seconds), its first 16 bytes in unpadded base64url.
// Anyone holding a receipt's number and signature can have it confirmed by
// GET /api/receipts/{number}?sig=… (or as a page, ReceiptPath), which shows
// nothing beyond the receipt.
const sigVersion = "r1"

// Sign returns o's receipt signature; "" without a SignKey.
func (b *WorkOrderBook) Sign(o dialog.WorkOrder) string {
	if len(b.SignKey) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, b.SignKey)
	mac.Write([]byte(strings.Join([]string{
		sigVersion, o.Number, string(o.Kind), string(o.Action), unixSeconds(o.EffectiveAt),
		strconv.FormatInt(o.RefundCents, 10), strconv.FormatBool(o.AutoRenew), unixSeconds(o.CreatedAt),
	}, "|")))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

func unixSeconds(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// Receipt is what a receipt shows, and all that its verification reveals.
type Receipt struct {
	Number      string           `json:"number"`
	Kind        dialog.OrderKind `json:"kind"`
	Action      dialog.OrderKind `json:"action,omitempty"`
	Status      string           `json:"status"`
	EffectiveAt time.Time        `json:"effective_at,omitzero"`
	RefundCents int64            `json:"refund_cents"`
	AutoRenew   bool             `json:"auto_renew"`
	CreatedAt   time.Time        `json:"created_at"`
}

// VerifyReceipt returns the receipt of order number when sig is its
// signature; ok is false for an unknown number and for a wrong signature
// alike, so a guess learns nothing.
func (b *WorkOrderBook) VerifyReceipt(ctx context.Context, number, sig string) (r Receipt, ok bool, err error) {
	if len(b.SignKey) == 0 {
		return r, false, nil
	}
	o, found, err := b.Get(ctx, number)
	if err != nil && !isNumberError(err) {
		return r, false, err
	}
	if !found || !hmac.Equal([]byte(o.Sig), []byte(sig)) {
		return r, false, nil
	}
	return Receipt{
		Number: o.Number, Kind: o.Kind, Action: o.Action, Status: o.Status, EffectiveAt: o.EffectiveAt,
		RefundCents: o.RefundCents, AutoRenew: o.AutoRenew, CreatedAt: o.CreatedAt,
	}, true, nil
}

func isNumberError(err error) bool {
	return errors.Is(err, dialog.ErrNumberFormat) || errors.Is(err, dialog.ErrCheckDigit)
}

// ReceiptPath is the address of the page showing the receipt of order
// number with signature sig, relative to the installation's public address
// (GET /receipts/{number}?sig=…): what a member keeps, prints or saves.
func ReceiptPath(number, sig string) string {
	return "/receipts/" + url.PathEscape(number) + "?sig=" + url.QueryEscape(sig)
}

// receiptLink is the address of o's printable receipt under base, "" when
// there is no base or o is unsigned.
func receiptLink(base string, o dialog.WorkOrder) string {
	if base == "" || o.Sig == "" {
		return ""
	}
	return strings.TrimSuffix(base, "/") + ReceiptPath(o.Number, o.Sig)
}

// signAll signs orders in place.
func (b *WorkOrderBook) signAll(orders []dialog.WorkOrder) []dialog.WorkOrder {
	for i := range orders {
		orders[i].Sig = b.Sign(orders[i])
	}
	return orders
}
