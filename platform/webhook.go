package platform

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	URL    string // where notices are POSTed
	Secret string // signs every request (X-Kefu-Signature)
	// PublicURL is kefu's public base URL; with it, receipts carry a link
	// to their verification (GET /api/receipts/{number}?sig=…).
	PublicURL string
	Timeout   time.Duration // per Notify, tries included; default 5 s
	// A verification code is tried up to CodeAttempts times (default 3),
	// CodeBackoff apart (default 200 ms, doubling), within Timeout: it is
	// not stored and expires in minutes, so it is retried now or never.
	// Receipts and reminders are tried once per Notify; kefu's outbox
	// retries them until accepted.
	CodeAttempts int
	CodeBackoff  time.Duration
	// DegradedAfter is how many notices in a row must fail before Health
	// says degraded (default 3); one accepted notice makes it ok again.
	DegradedAfter int
	Client        *http.Client     // default: a client of its own
	Now           func() time.Time // default time.Now
}

// Notifier posts notices (verification codes, receipts, renewal
// reminders) to the platform's SMS/email service as signed JSON; README
// "Notifications" is the contract. A Notify of a receipt or reminder is one
// request, which the runtime's outbox retries until accepted; a code gets a
// few quick tries (NotifierConfig.CodeAttempts) and, if none is accepted,
// the member is told at once. Every try of one notice carries the same ID.
// It is safe for concurrent use.
type Notifier struct {
	cfg NotifierConfig

	mu     sync.Mutex
	failed int // notices in a row not accepted
}

var _ bot.Notifier = (*Notifier)(nil)

// NewNotifier checks cfg and returns the notifier.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify URL %q: use an http(s) URL", notifyRedacted(cfg.URL))
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("notify secret: give at least 16 characters, so receivers can check signatures")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.CodeAttempts <= 0 {
		cfg.CodeAttempts = 3
	}
	if cfg.CodeBackoff <= 0 {
		cfg.CodeBackoff = 200 * time.Millisecond
	}
	if cfg.DegradedAfter <= 0 {
		cfg.DegradedAfter = 3
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Notifier{cfg: cfg}, nil
}

// NoticeJSON is a notice as posted.
type NoticeJSON struct {
	ID      string       `json:"id"` // the same for every try of one notice to one destination
	Kind    string       `json:"kind"`
	Method  string       `json:"method"`
	To      string       `json:"to"`
	Lang    string       `json:"lang"`
	Code    string       `json:"code,omitempty"`
	Receipt *ReceiptJSON `json:"receipt,omitempty"`
	Renewal *RenewalJSON `json:"renewal,omitempty"`
	SentAt  time.Time    `json:"sent_at"`
}

// ReceiptJSON is a receipt in a notice.
type ReceiptJSON struct {
	Number      string    `json:"number"`
	Kind        string    `json:"kind"`
	Action      string    `json:"action,omitempty"`
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	RefundCents int64     `json:"refund_cents"`
	AutoRenew   bool      `json:"auto_renew"`
	CreatedAt   time.Time `json:"created_at"`
	Sig         string    `json:"sig,omitempty"`
	VerifyURL   string    `json:"verify_url,omitempty"`
}

// RenewalJSON is an upcoming renewal in a reminder.
type RenewalJSON struct {
	Plan       string    `json:"plan"`
	PriceCents int64     `json:"price_cents"`
	RenewsAt   time.Time `json:"renews_at"`
}

// Notify posts n once.
func (nt *Notifier) Notify(ctx context.Context, n bot.Notice) error {
	body := NoticeJSON{
		Kind: n.Kind, Method: string(n.Method), To: n.To, Lang: string(n.Lang), SentAt: nt.cfg.Now().UTC(),
	}
	switch {
	case n.Kind == bot.NoticeCode:
		body.ID, body.Code = "code/"+randomID(), n.Code
	case n.Kind == bot.NoticeReceipt && n.Order != nil:
		o := n.Order
		body.ID = "receipt/" + o.Number + "/" + string(n.Method)
		body.Receipt = &ReceiptJSON{
			Number: o.Number, Kind: string(o.Kind), Action: string(o.Action), EffectiveAt: o.EffectiveAt,
			RefundCents: o.RefundCents, AutoRenew: o.AutoRenew, CreatedAt: o.CreatedAt, Sig: o.Sig,
		}
		if nt.cfg.PublicURL != "" && o.Sig != "" {
			body.Receipt.VerifyURL = nt.cfg.PublicURL + "/api/receipts/" + o.Number + "?sig=" + url.QueryEscape(o.Sig)
		}
	case n.Kind == bot.NoticeReminder && n.Renewal != nil:
		m := n.Renewal
		body.ID = fmt.Sprintf("reminder/%s/%d/%s", m.ID, m.PeriodEnd.Unix(), n.Method)
		body.Renewal = &RenewalJSON{Plan: m.Plan.Code, PriceCents: m.Plan.PriceCents, RenewsAt: m.PeriodEnd}
	default:
		return fmt.Errorf("notify: notice %q without its content", n.Kind)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, nt.cfg.Timeout)
	defer cancel()
	attempts := uint(1)
	if n.Kind == bot.NoticeCode {
		attempts = uint(nt.cfg.CodeAttempts)
	}
	// No jitter: these are one member's few tries, not a crowd's.
	pause := &backoff.ExponentialBackOff{InitialInterval: nt.cfg.CodeBackoff, Multiplier: 2, MaxInterval: nt.cfg.Timeout}
	var last error
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		last = nt.post(ctx, body.ID, b)
		if errors.Is(last, errNotifyRetry) {
			return struct{}{}, last
		}
		return struct{}{}, backoff.Permanent(last)
	}, backoff.WithBackOff(pause), backoff.WithMaxTries(attempts), backoff.WithMaxElapsedTime(0))
	if err != nil {
		err = last // the service's answer, not the deadline that cut the wait after it
	}
	nt.count(err, parent)
	if err != nil {
		return fmt.Errorf("%w: notify %s to %s: %w", dialog.ErrUnavailable, n.Kind, dialog.MaskAccount(n.To), err)
	}
	return nil
}

// count records a notice's outcome for Health; a notice the caller gave
// up on says nothing about the service.
func (nt *Notifier) count(err error, caller context.Context) {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	switch {
	case err == nil:
		nt.failed = 0
	case caller.Err() == nil:
		nt.failed++
	}
}

// Health is degraded after DegradedAfter notices in a row were not
// accepted, until one is.
func (nt *Notifier) Health() bot.PartHealth {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	if nt.failed >= nt.cfg.DegradedAfter {
		return bot.Degraded(fmt.Sprintf("SMS/email service: the last %d notices were not accepted", nt.failed))
	}
	return bot.OK
}

// errNotifyRetry marks a failure that another try may not meet: no answer,
// 5xx, 408 or 429.
var errNotifyRetry = errors.New("temporary")

// post makes one request, signed now, and reports whether it was accepted.
func (nt *Notifier) post(ctx context.Context, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, nt.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	req.Header.Set("X-Kefu-Signature", Signature(nt.cfg.Secret, nt.cfg.Now(), body))
	resp, err := nt.cfg.Client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, which may hold a token of the
		// receiver's: keep only its cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: %w", errNotifyRetry, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code/100 == 2:
		return nil
	case code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
		return fmt.Errorf("%w: HTTP %d", errNotifyRetry, code)
	default:
		return fmt.Errorf("HTTP %d", code)
	}
}

// Signature is the X-Kefu-Signature header of body sent at t:
// "t=<Unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>".
func Signature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks an X-Kefu-Signature header against body, and
// that it was made within tolerance of now (replays are refused). It is
// what a receiver does; kefu's tests use it.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || v1 == "" {
		return errors.New("signature header malformed")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("signature too old or from the future")
	}
	want := Signature(secret, time.Unix(sec, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+v1)) {
		return errors.New("signature does not match")
	}
	return nil
}

// notifyRedacted is a URL as errors may quote it: no password, query or
// fragment, which may hold credentials.
func notifyRedacted(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(not a URL)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
