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
	"time"

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
	Timeout   time.Duration    // per request; default 5 s
	Client    *http.Client     // default: a client of its own
	Now       func() time.Time // default time.Now
}

// Notifier posts notices (verification codes, receipts, renewal
// reminders) to the platform's SMS/email service as signed JSON; README
// "Notifications" is the contract. One Notify is one request: the runtime
// retries receipts and reminders until accepted, and a code that cannot be
// delivered is reported to the member at once.
type Notifier struct {
	cfg NotifierConfig
}

var _ bot.Notifier = (*Notifier)(nil)

// NewNotifier checks cfg and returns the notifier.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify URL %q: use an http(s) URL", cfg.URL)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("notify secret: give at least 16 characters, so receivers can check signatures")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
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
	ctx, cancel := context.WithTimeout(ctx, nt.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, nt.cfg.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", body.ID)
	req.Header.Set("X-Kefu-Signature", Signature(nt.cfg.Secret, nt.cfg.Now(), b))
	resp, err := nt.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: notify %s to %s: %w", dialog.ErrUnavailable, n.Kind, dialog.MaskAccount(n.To), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: notify %s to %s: HTTP %d", dialog.ErrUnavailable, n.Kind, dialog.MaskAccount(n.To), resp.StatusCode)
	}
	return nil
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

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
