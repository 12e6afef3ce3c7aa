package platformtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Secret is the signing secret the fake receiver checks.
const Secret = "platform-test-notify-secret"

// Notice is a notice as the receiver got it (README "Notifications").
type Notice struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Method  string `json:"method"`
	To      string `json:"to"`
	Lang    string `json:"lang"`
	Code    string `json:"code"`
	Receipt *struct {
		Number      string    `json:"number"`
		Kind        string    `json:"kind"`
		EffectiveAt time.Time `json:"effective_at"`
		RefundCents int64     `json:"refund_cents"`
		AutoRenew   bool      `json:"auto_renew"`
		Sig         string    `json:"sig"`
		VerifyURL   string    `json:"verify_url"`
	} `json:"receipt"`
	Renewal *struct {
		Plan       string    `json:"plan"`
		PriceCents int64     `json:"price_cents"`
		RenewsAt   time.Time `json:"renews_at"`
	} `json:"renewal"`
}

// Receiver is a fake SMS/email service: it checks each request's signature
// with Verify, keeps the notices it accepted (once per ID, as a receiver
// deduplicates) and fails on demand.
type Receiver struct {
	*httptest.Server

	mu       sync.Mutex
	accepted []Notice
	seen     map[string]int // tries per notice ID
	fail     int
	bad      int           // requests refused for their signature
	changed  chan struct{} // closed and replaced when a notice is accepted
}

// NewReceiver starts a receiver; verify checks a request's signature
// header against its body (platform.VerifySignature with Secret).
func NewReceiver(verify func(header string, body []byte) error) *Receiver {
	rc := &Receiver{seen: map[string]int{}, changed: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verify(r.Header.Get("X-Kefu-Signature"), body); err != nil {
			rc.mu.Lock()
			rc.bad++
			rc.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var n Notice
		if err := json.Unmarshal(body, &n); err != nil || n.ID == "" || r.Header.Get("Idempotency-Key") != n.ID {
			http.Error(w, "bad notice", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.seen[n.ID]++
		if rc.fail > 0 {
			rc.fail--
			rc.mu.Unlock()
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		if !rc.has(n.ID) {
			rc.accepted = append(rc.accepted, n)
			close(rc.changed)
			rc.changed = make(chan struct{})
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	return rc
}

func (rc *Receiver) has(id string) bool {
	for _, n := range rc.accepted {
		if n.ID == id {
			return true
		}
	}
	return false
}

// Fail makes the next n notices answer 503.
func (rc *Receiver) Fail(n int) { rc.mu.Lock(); rc.fail = n; rc.mu.Unlock() }

// Accepted returns the notices accepted so far, each once.
func (rc *Receiver) Accepted() []Notice {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Notice(nil), rc.accepted...)
}

// Await waits until n notices matching match have been accepted and
// returns them; receipts go out after the confirmation, so a test awaits
// them.
func (rc *Receiver) Await(ctx context.Context, n int, match func(Notice) bool) ([]Notice, error) {
	for {
		rc.mu.Lock()
		var got []Notice
		for _, a := range rc.accepted {
			if match(a) {
				got = append(got, a)
			}
		}
		changed := rc.changed
		rc.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

// Tries is how many requests came for a notice ID.
func (rc *Receiver) Tries(id string) int { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.seen[id] }

// BadSignatures is how many requests were refused for their signature.
func (rc *Receiver) BadSignatures() int { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.bad }
