package agent

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A receipt's number and signature confirm it to anyone, without a login,
// showing only the receipt; a tampered signature, another order's
// signature or an unknown number are refused alike.
func TestVerifyReceipt(t *testing.T) {
	srv, orders := newTestAPI(t)
	o := orders[0]
	if o.Sig == "" || orders[1].Sig == "" || o.Sig == orders[1].Sig {
		t.Fatalf("orders without distinct signatures: %q %q", o.Sig, orders[1].Sig)
	}
	resp, body := get(t, srv.URL+"/api/receipts/"+o.Number+"?sig="+url.QueryEscape(o.Sig), "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("genuine receipt: HTTP %d %s", resp.StatusCode, body)
	}
	var got struct {
		Valid   bool           `json:"valid"`
		Receipt map[string]any `json:"receipt"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || !got.Valid || got.Receipt["number"] != o.Number || got.Receipt["refund_cents"] != float64(o.RefundCents) {
		t.Fatalf("genuine receipt: %s", body)
	}
	for _, private := range []string{o.MemberID, o.Conv, o.Reason, `"channel"`, `"member_id"`, `"reason"`} {
		if strings.Contains(body, private) {
			t.Fatalf("verification reveals %q: %s", private, body)
		}
	}
	tampered := []byte(o.Sig)
	tampered[len(tampered)-1] ^= 1
	for _, bad := range []string{
		o.Number + "?sig=" + url.QueryEscape(string(tampered)),
		o.Number + "?sig=" + url.QueryEscape(orders[1].Sig),
		"WO202611240000125?sig=" + url.QueryEscape(o.Sig),
		"WO2026?sig=x",
	} {
		resp, body := get(t, srv.URL+"/api/receipts/"+bad, "", "")
		if resp.StatusCode != http.StatusNotFound || errorOf(t, body) == "" {
			t.Fatalf("%s: HTTP %d %s, want 404", bad, resp.StatusCode, body)
		}
	}
	if resp, body := get(t, srv.URL+"/api/receipts/"+o.Number, "", ""); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("without sig: HTTP %d %s", resp.StatusCode, body)
	}
	// Guessing is slowed down per address.
	for range 20 {
		get(t, srv.URL+"/api/receipts/"+o.Number+"?sig=guess", "", "")
	}
	if resp, _ := get(t, srv.URL+"/api/receipts/"+o.Number+"?sig="+url.QueryEscape(o.Sig), "", ""); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 24 wrong signatures: HTTP %d, want 429 with Retry-After", resp.StatusCode)
	}
}
