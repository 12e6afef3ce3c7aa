// Package platform connects kefu to a platform's own systems over HTTP:
// the member API (MemberAPI, a bot.MemberStore) and the SMS/email service
// (Notifier). README "Platform member API" and "Notifications" are the
// contracts.
package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// MemberAPIConfig configures a MemberAPI.
type MemberAPIConfig struct {
	URL   string // base URL, e.g. https://platform.example.com/kefu/v1
	Token string // sent as "Authorization: Bearer <token>"

	Timeout  time.Duration // per request; default 3 s
	Attempts int           // tries per call, retries included; default 3
	Backoff  time.Duration // before the first retry, doubling, with jitter; default 100 ms

	// The circuit breaker opens after BreakerFailures calls in a row failed
	// (default 5) and lets one call through after BreakerCooldown (default
	// 30 s); while open, calls fail at once.
	BreakerFailures int
	BreakerCooldown time.Duration

	Client *http.Client     // default: a client of its own
	Log    *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now
}

// MemberAPI is the platform's member system over HTTP. A call that cannot
// get an answer (timeouts, connection errors, 5xx and 429 after the
// retries, an open breaker) returns an error matching dialog.ErrUnavailable,
// which the engine tells the member honestly, recording a callback order for
// a confirmed request. It is safe for concurrent use.
type MemberAPI struct {
	cfg     MemberAPIConfig
	base    *url.URL
	breaker breaker
}

var (
	_ bot.MemberStore   = (*MemberAPI)(nil)
	_ bot.RenewalLister = (*MemberAPI)(nil)
)

// NewMemberAPI checks cfg and returns the adapter.
func NewMemberAPI(cfg MemberAPIConfig) (*MemberAPI, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("members URL %q: use an http(s) URL such as https://platform.example.com/kefu/v1", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = 5
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = 30 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &MemberAPI{cfg: cfg, base: u}
	a.breaker = breaker{failures: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown, now: cfg.Now}
	return a, nil
}

// Health is degraded while the circuit breaker is open: the API failed
// BreakerFailures calls in a row and has not answered since.
func (a *MemberAPI) Health() bot.PartHealth {
	if a.breaker.isOpen() {
		return bot.Degraded("member API not answering: circuit breaker open")
	}
	return bot.OK
}

// memberJSON is a member as the API sends it.
type memberJSON struct {
	ID           string    `json:"id"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	RegisteredAt time.Time `json:"registered_at"`
	Plan         struct {
		Code           string `json:"code"`
		PriceCents     int64  `json:"price_cents"`
		RefundPolicy   string `json:"refund_policy"`
		CoolingOffDays int    `json:"cooling_off_days"`
	} `json:"plan"`
	Status      string    `json:"status"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	AutoRenew   bool      `json:"auto_renew"`
	LastOrder   *struct {
		AmountCents int64     `json:"amount_cents"`
		At          time.Time `json:"at"`
	} `json:"last_order"`
}

func (j memberJSON) member() (dialog.Member, error) {
	m := dialog.Member{
		ID: j.ID, Phone: j.Phone, Email: strings.ToLower(j.Email), RegisteredAt: j.RegisteredAt,
		Plan:   dialog.Plan{Code: j.Plan.Code, PriceCents: j.Plan.PriceCents, Policy: dialog.RefundPolicy(j.Plan.RefundPolicy), CoolingOffDays: j.Plan.CoolingOffDays},
		Status: dialog.MembershipStatus(j.Status), PeriodStart: j.PeriodStart, PeriodEnd: j.PeriodEnd, AutoRenew: j.AutoRenew,
	}
	if j.LastOrder != nil {
		m.LastOrder = dialog.Order{AmountCents: j.LastOrder.AmountCents, At: j.LastOrder.At}
	}
	switch {
	case m.ID == "":
		return m, errors.New("member without an id")
	case m.Status != dialog.StatusActive && m.Status != dialog.StatusExpired && m.Status != dialog.StatusCancelled:
		return m, fmt.Errorf("member %s: unknown status %q", m.ID, j.Status)
	case m.Plan.Policy != dialog.RefundNone && m.Plan.Policy != dialog.RefundProrated:
		return m, fmt.Errorf("member %s: unknown refund_policy %q", m.ID, j.Plan.RefundPolicy)
	}
	return m, nil
}

// outcomeJSON is the answer to an action.
type outcomeJSON struct {
	EffectiveAt time.Time `json:"effective_at"`
	RefundCents int64     `json:"refund_cents"`
	AutoRenew   bool      `json:"auto_renew"`
}

// Lookup finds a member by normalised phone (11 digits) or email.
func (a *MemberAPI) Lookup(ctx context.Context, account string) (dialog.Member, bool, error) {
	q := url.Values{}
	if strings.Contains(account, "@") {
		q.Set("email", account)
	} else {
		q.Set("phone", account)
	}
	return a.getMember(ctx, "/members?"+q.Encode())
}

// Get finds a member by ID.
func (a *MemberAPI) Get(ctx context.Context, id string) (dialog.Member, bool, error) {
	return a.getMember(ctx, "/members/"+url.PathEscape(id))
}

func (a *MemberAPI) getMember(ctx context.Context, path string) (dialog.Member, bool, error) {
	var j memberJSON
	status, err := a.call(ctx, http.MethodGet, path, "", membersMaxAnswer, &j)
	switch {
	case err != nil:
		return dialog.Member{}, false, err
	case status == http.StatusNotFound:
		return dialog.Member{}, false, nil
	}
	m, err := j.member()
	if err != nil {
		return m, false, fmt.Errorf("%w: member API: %w", dialog.ErrUnavailable, err)
	}
	return m, true, nil
}

// Apply cancels now or turns auto-renew off, with key as the request's
// Idempotency-Key: retries (ours, or the member's) never act twice.
func (a *MemberAPI) Apply(ctx context.Context, memberID string, kind dialog.OrderKind, key string, now time.Time) (dialog.Outcome, error) {
	if key == "" {
		// Without a key a retried request could act twice.
		return dialog.Outcome{}, errors.New("member API: an action needs an idempotency key")
	}
	var path string
	switch kind {
	case dialog.KindCancelNow:
		path = "/members/" + url.PathEscape(memberID) + "/cancel"
	case dialog.KindNoRenew:
		path = "/members/" + url.PathEscape(memberID) + "/auto-renew/off"
	default:
		return dialog.Outcome{}, fmt.Errorf("member API: no action for %q", kind)
	}
	var o outcomeJSON
	status, err := a.call(ctx, http.MethodPost, path, key, membersMaxAnswer, &o)
	switch {
	case err != nil:
		return dialog.Outcome{}, err
	case status == http.StatusNotFound:
		return dialog.Outcome{}, bot.ErrNoMember
	case status == http.StatusConflict:
		return dialog.Outcome{}, bot.ErrNotActive
	}
	return dialog.Outcome{Kind: kind, EffectiveAt: o.EffectiveAt, RefundCents: o.RefundCents, AutoRenew: o.AutoRenew}, nil
}

// DueForRenewal lists the members whose auto-renewal falls in [from, to).
func (a *MemberAPI) DueForRenewal(ctx context.Context, from, to time.Time) ([]dialog.Member, error) {
	q := url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
	var list struct {
		Members []memberJSON `json:"members"`
	}
	if _, err := a.call(ctx, http.MethodGet, "/renewals?"+q.Encode(), "", membersMaxRenewal, &list); err != nil {
		return nil, err
	}
	out := make([]dialog.Member, 0, len(list.Members))
	for _, j := range list.Members {
		m, err := j.member()
		if err != nil {
			return nil, fmt.Errorf("%w: member API: %w", dialog.ErrUnavailable, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// errRetry marks an answer worth another try.
var errRetry = errors.New("retry")

// Answers kefu reads at most: one member or outcome, and the renewals
// list, which holds every member due within the reminder lead.
const (
	membersMaxAnswer  = 1 << 20
	membersMaxRenewal = 64 << 20
)

// call makes one API call with retries; it returns the final status for
// the answers a caller handles (200, 404, 409), decoding a 200's body (at
// most limit bytes) into out. Anything else is an error matching
// dialog.ErrUnavailable.
func (a *MemberAPI) call(ctx context.Context, method, path, key string, limit int64, out any) (int, error) {
	if !a.breaker.allow() {
		return 0, fmt.Errorf("%w: member API: circuit open after repeated failures", dialog.ErrUnavailable)
	}
	b := &backoff.ExponentialBackOff{InitialInterval: a.cfg.Backoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: time.Hour}
	attempt := 0
	status, err := backoff.Retry(ctx, func() (int, error) {
		attempt++
		status, err := a.once(ctx, method, path, key, limit, out)
		if errors.Is(err, errRetry) {
			a.cfg.Log.Warn("member API", "method", method, "path", redact(path), "attempt", attempt, "err", err)
			return 0, err
		}
		return status, backoff.Permanent(err)
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(a.cfg.Attempts)), backoff.WithMaxElapsedTime(0))
	if err != nil && ctx.Err() != nil {
		// The caller gave up (the member left, kefu stops): that says
		// nothing about the platform.
		a.breaker.abandon()
	} else {
		a.breaker.done(err == nil)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: member API %s %s: %w", dialog.ErrUnavailable, method, redact(path), err)
	}
	return status, nil
}

// once makes one request.
func (a *MemberAPI) once(ctx context.Context, method, path, key string, limit int64, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if method == http.MethodPost {
		body = bytes.NewReader([]byte("{}"))
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base.String()+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, and a lookup's query holds the
		// phone or email: keep only its cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("%w: %w", errRetry, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, fmt.Errorf("%w: read answer: %w", errRetry, err)
	}
	if int64(len(b)) > limit {
		return 0, fmt.Errorf("answer larger than %d bytes", limit)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("answer is not the documented JSON: %w", err)
		}
		return resp.StatusCode, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusConflict:
		return resp.StatusCode, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return 0, fmt.Errorf("%w: HTTP %d", errRetry, resp.StatusCode)
	default:
		return 0, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
}

// redact keeps phones and emails out of logs: only the path before the
// query.
func redact(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// breaker is a consecutive-failure circuit breaker.
type breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu      sync.Mutex
	failed  int       // calls in a row that failed
	openAt  time.Time // zero: closed
	probing bool      // half open: one call is through
}

// allow reports whether a call may go ahead.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.openAt.IsZero():
		return true
	case b.probing || b.now().Before(b.openAt.Add(b.cooldown)):
		return false
	default:
		b.probing = true // half open: this call is the probe
		return true
	}
}

// isOpen reports whether the breaker is open or half open.
func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.openAt.IsZero()
}

// abandon records a call that ended without an answer for a reason of the
// caller's: a probe it was frees the way for the next.
func (b *breaker) abandon() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// done records a call's outcome.
func (b *breaker) done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.failed, b.openAt = 0, time.Time{}
		return
	}
	b.failed++
	if b.failed >= b.failures {
		b.openAt = b.now()
	}
}
