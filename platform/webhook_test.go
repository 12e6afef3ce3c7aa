package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/platform"
)

const notifySecret = "webhook-test-secret-0123456789"

// smsService is a fake SMS/email service with a script of answers: it
// records every request, keeps each notice ID once (as a receiver that
// deduplicates), and answers from its script, then 202.
type smsService struct {
	*httptest.Server
	t     *testing.T
	now   func() time.Time
	hang  chan struct{} // closed when the test ends: releases hanging requests
	mu    sync.Mutex
	tries []smsRequest
	kept  map[string]json.RawMessage // accepted notices by ID
	// script answers the next requests in turn: a status, or one of the
	// actions below.
	script []int
}

const (
	answerHang = -1 // no answer until the client gives up
	answerLost = -2 // the notice is kept, but the answer is a 502 (lost)
)

type smsRequest struct {
	key, sig, contentType string
	body                  []byte
	sigErr                error
}

func newSMSService(t *testing.T, now func() time.Time) *smsService {
	s := &smsService{t: t, now: now, hang: make(chan struct{}), kept: map[string]json.RawMessage{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.hang) }) // runs first
	return s
}

func (s *smsService) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := smsRequest{key: r.Header.Get("Idempotency-Key"), sig: r.Header.Get("X-Kefu-Signature"), contentType: r.Header.Get("Content-Type"), body: body}
	req.sigErr = platform.VerifySignature(notifySecret, req.sig, body, s.now(), 5*time.Minute)
	s.mu.Lock()
	s.tries = append(s.tries, req)
	answer := http.StatusAccepted
	if len(s.script) > 0 {
		answer, s.script = s.script[0], s.script[1:]
	}
	if req.sigErr == nil && (answer == answerLost || answer/100 == 2) {
		if _, dup := s.kept[req.key]; !dup {
			s.kept[req.key] = body
		}
	}
	s.mu.Unlock()
	switch {
	case req.sigErr != nil:
		http.Error(w, req.sigErr.Error(), http.StatusUnauthorized)
	case answer == answerHang:
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
	case answer == answerLost:
		w.WriteHeader(http.StatusBadGateway)
	default:
		w.WriteHeader(answer)
	}
}

func (s *smsService) answer(script ...int) { s.mu.Lock(); s.script = script; s.mu.Unlock() }

func (s *smsService) requests() []smsRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smsRequest(nil), s.tries...)
}

func (s *smsService) notices() map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]json.RawMessage{}
	for k, v := range s.kept {
		out[k] = v
	}
	return out
}

func newTestNotifier(t *testing.T, url string, clock *kefutest.Clock, mod func(*platform.NotifierConfig)) *platform.Notifier {
	t.Helper()
	cfg := platform.NotifierConfig{URL: url, Secret: notifySecret, PublicURL: "https://help.example.com/", Now: clock.Now, CodeBackoff: time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	n, err := platform.NewNotifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var sigHeaderRE = regexp.MustCompile(`^t=(\d+),v1=[0-9a-f]{64}$`)

// Each kind of notice as README "Notifications" shows it: signed, with an
// Idempotency-Key equal to its id.
func TestNotifierRequests(t *testing.T) {
	clock := kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	svc := newSMSService(t, clock.Now)
	nt := newTestNotifier(t, svc.URL, clock, nil)
	ctx := context.Background()
	order := &dialog.WorkOrder{
		Number: "WO202611240000125", Kind: dialog.KindCancelNow, MemberID: "m-secret", Conv: "conv-secret", Reason: "reason-secret",
		EffectiveAt: clock.Now(), RefundCents: 2000, CreatedAt: clock.Now(), Sig: "c2lnLXNpZy1zaWctc2ln",
	}
	renewal := &dialog.Member{ID: "m-demo", PeriodEnd: clock.Now().Add(5 * 24 * time.Hour), Plan: dialog.Plan{Code: "monthly_vip", PriceCents: 3000}}
	for _, n := range []bot.Notice{
		{Kind: bot.NoticeCode, Method: dialog.MethodSMS, To: "13800138000", Code: "123456", Lang: dialog.ZH},
		{Kind: bot.NoticeCode, Method: dialog.MethodSMS, To: "13800138000", Code: "654321", Lang: dialog.ZH},
		{Kind: bot.NoticeReceipt, Method: dialog.MethodEmail, To: "demo@example.com", Order: order, Lang: dialog.EN, Conv: "conv-secret"},
		{Kind: bot.NoticeReminder, Method: dialog.MethodSMS, To: "13800138000", Renewal: renewal, Lang: dialog.ZH},
	} {
		if err := nt.Notify(ctx, n); err != nil {
			t.Fatalf("Notify(%s): %v", n.Kind, err)
		}
	}
	reqs := svc.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	var ids []string
	for _, r := range reqs {
		var head struct{ ID string }
		if err := json.Unmarshal(r.body, &head); err != nil || head.ID == "" || head.ID != r.key {
			t.Fatalf("id %q, Idempotency-Key %q, body %s", head.ID, r.key, r.body)
		}
		m := sigHeaderRE.FindStringSubmatch(r.sig)
		if r.sigErr != nil || m == nil || m[1] != "1795485600" || r.contentType != "application/json" {
			t.Fatalf("X-Kefu-Signature %q (%v), Content-Type %q", r.sig, r.sigErr, r.contentType)
		}
		ids = append(ids, head.ID)
	}
	if !strings.HasPrefix(ids[0], "code/") || ids[0] == ids[1] {
		t.Errorf("code ids %q and %q: want distinct code/… ids", ids[0], ids[1])
	}
	if ids[2] != "receipt/WO202611240000125/email" || ids[3] != "reminder/m-demo/1795917600/sms" {
		t.Errorf("ids %q", ids[2:])
	}
	var code map[string]any
	_ = json.Unmarshal(reqs[0].body, &code)
	if code["kind"] != "code" || code["code"] != "123456" || code["method"] != "sms" || code["to"] != "13800138000" || code["lang"] != "zh-CN" || code["sent_at"] != "2026-11-24T02:00:00Z" {
		t.Errorf("code notice: %s", reqs[0].body)
	}
	wantReceipt := `"receipt":{"number":"WO202611240000125","kind":"cancel_now","effective_at":"2026-11-24T10:00:00+08:00","refund_cents":2000,"auto_renew":false,` +
		`"created_at":"2026-11-24T10:00:00+08:00","sig":"c2lnLXNpZy1zaWctc2ln","verify_url":"https://help.example.com/api/receipts/WO202611240000125?sig=c2lnLXNpZy1zaWctc2ln"}`
	if body := string(reqs[2].body); !strings.Contains(body, wantReceipt) || !strings.Contains(body, `"kind":"receipt","method":"email","to":"demo@example.com","lang":"en"`) {
		t.Errorf("receipt notice:\n%s\nwant it to hold\n%s", body, wantReceipt)
	}
	for _, private := range []string{"m-secret", "conv-secret", "reason-secret"} {
		if strings.Contains(string(reqs[2].body), private) {
			t.Errorf("receipt notice reveals %q: %s", private, reqs[2].body)
		}
	}
	if body := string(reqs[3].body); !strings.Contains(body, `"renewal":{"plan":"monthly_vip","price_cents":3000,"renews_at":"2026-11-29T10:00:00+08:00"}`) {
		t.Errorf("reminder notice: %s", body)
	}
	if err := nt.Notify(ctx, bot.Notice{Kind: bot.NoticeReceipt, Method: dialog.MethodSMS, To: "13800138000"}); err == nil {
		t.Error("a receipt notice without its order was sent")
	}
	if len(svc.requests()) != 4 {
		t.Error("a notice without its content reached the service")
	}
}

// What a receiver checks: a changed body, another secret, an old or future
// timestamp and a malformed header are refused.
func TestVerifySignature(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai)
	body := []byte(`{"id":"receipt/WO202611240000125/sms","kind":"receipt"}`)
	header := platform.Signature(notifySecret, now, body)
	if err := platform.VerifySignature(notifySecret, header, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("genuine: %v", err)
	}
	tampered := []byte(strings.Replace(string(body), "sms", "email", 1))
	for name, err := range map[string]error{
		"changed body":  platform.VerifySignature(notifySecret, header, tampered, now, 5*time.Minute),
		"other secret":  platform.VerifySignature("another-secret-0123456789", header, body, now, 5*time.Minute),
		"old":           platform.VerifySignature(notifySecret, header, body, now.Add(6*time.Minute), 5*time.Minute),
		"future":        platform.VerifySignature(notifySecret, header, body, now.Add(-6*time.Minute), 5*time.Minute),
		"no v1":         platform.VerifySignature(notifySecret, "t=1795485600", body, now, 5*time.Minute),
		"garbage":       platform.VerifySignature(notifySecret, "v1=zz,t=x", body, now, 5*time.Minute),
		"empty":         platform.VerifySignature(notifySecret, "", body, now, 5*time.Minute),
		"other t, same": platform.VerifySignature(notifySecret, strings.Replace(header, "t=1795485600", "t=1795485601", 1), body, now, 5*time.Minute),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A code is retried at once on 5xx, 429 and no answer (with the same ID, a
// fresh signature each try), never on another 4xx, and gives up within
// the notifier's timeout; a receipt is tried once per Notify.
func TestNotifierFailures(t *testing.T) {
	clock := kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	ctx := context.Background()
	code := bot.Notice{Kind: bot.NoticeCode, Method: dialog.MethodSMS, To: "13800138000", Code: "123456", Lang: dialog.ZH}
	receipt := bot.Notice{Kind: bot.NoticeReceipt, Method: dialog.MethodSMS, To: "13800138000", Lang: dialog.ZH,
		Order: &dialog.WorkOrder{Number: "WO202611240000125", Kind: dialog.KindNoRenew, CreatedAt: clock.Now()}}
	for _, tc := range []struct {
		name   string
		n      bot.Notice
		script []int
		ok     bool
		tries  int
	}{
		{"code, 503 then 429 then accepted", code, []int{503, 429, 200}, true, 3},
		{"code, answer lost then accepted", code, []int{answerLost, 202}, true, 2},
		{"code, always 500", code, []int{500, 500, 500, 500}, false, 3},
		{"code, 400", code, []int{400, 200}, false, 1},
		{"code, 401", code, []int{401, 200}, false, 1},
		{"receipt, 503", receipt, []int{503, 200}, false, 1},
		{"receipt, 204", receipt, []int{204}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newSMSService(t, clock.Now)
			svc.answer(tc.script...)
			err := newTestNotifier(t, svc.URL, clock, nil).Notify(ctx, tc.n)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, dialog.ErrUnavailable)) {
				t.Fatalf("Notify = %v, want ok=%v (or ErrUnavailable)", err, tc.ok)
			}
			reqs := svc.requests()
			if len(reqs) != tc.tries {
				t.Fatalf("%d tries, want %d", len(reqs), tc.tries)
			}
			for _, r := range reqs {
				if r.key != reqs[0].key || r.sigErr != nil {
					t.Fatalf("try with key %q (first %q), signature %v", r.key, reqs[0].key, r.sigErr)
				}
			}
			if kept := svc.notices(); tc.ok && len(kept) != 1 {
				t.Fatalf("the service kept %d notices, want 1", len(kept))
			}
		})
	}
}

// A service that does not answer: Notify gives up at its timeout with an
// error that names neither the phone nor the URL's token.
func TestNotifierTimeout(t *testing.T) {
	clock := kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	svc := newSMSService(t, clock.Now)
	svc.answer(answerHang, answerHang, answerHang, answerHang)
	nt := newTestNotifier(t, svc.URL+"/notices?token=url-token-secret", clock, func(c *platform.NotifierConfig) { c.Timeout = 100 * time.Millisecond })
	err := nt.Notify(context.Background(), bot.Notice{Kind: bot.NoticeCode, Method: dialog.MethodSMS, To: "13800138000", Code: "123456"})
	if !errors.Is(err, dialog.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Notify to a silent service = %v, want ErrUnavailable and a deadline", err)
	}
	if msg := err.Error(); strings.Contains(msg, "url-token-secret") || strings.Contains(msg, "13800138000") {
		t.Fatalf("error reveals the token or the phone: %s", msg)
	}
	svc.Close()
	err = nt.Notify(context.Background(), bot.Notice{Kind: bot.NoticeCode, Method: dialog.MethodSMS, To: "13800138000", Code: "123456"})
	if !errors.Is(err, dialog.ErrUnavailable) || strings.Contains(err.Error(), "url-token-secret") {
		t.Fatalf("Notify to a closed service = %v", err)
	}
}

func TestNewNotifierRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  platform.NotifierConfig
		want string
	}{
		{platform.NotifierConfig{URL: "", Secret: notifySecret}, "http(s) URL"},
		{platform.NotifierConfig{URL: "ftp://sms.example.com", Secret: notifySecret}, "http(s) URL"},
		{platform.NotifierConfig{URL: "https://", Secret: notifySecret}, "http(s) URL"},
		{platform.NotifierConfig{URL: "https://sms.example.com", Secret: "short"}, "at least 16"},
		{platform.NotifierConfig{URL: "htps://user:pw-secret@sms.example.com/?token=q-secret", Secret: notifySecret}, "http(s) URL"},
		{platform.NotifierConfig{URL: "https://sms.example.com/%zz?token=q-secret", Secret: notifySecret}, "http(s) URL"},
	} {
		_, err := platform.NewNotifier(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "-secret") {
			t.Errorf("NewNotifier(%+v) = %v, want an error about %s", tc.cfg, err, tc.want)
		}
	}
}

// A receipt whose first try is lost (the service kept it but its answer
// was a 502), then answered by a silent service, is retried by the outbox
// with the same ID until accepted, and the service keeps it once.
func TestReceiptDuplicateDeliveries(t *testing.T) {
	clock := kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	svc := newSMSService(t, clock.Now)
	rt, err := bot.Open(bot.Config{
		DataDir: t.TempDir(), Location: shanghai, Now: clock.Now, Demo: true,
		Notifier: newTestNotifier(t, svc.URL, clock, func(c *platform.NotifierConfig) { c.Timeout = 100 * time.Millisecond }),
		Log:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	svc.answer(answerLost, 202) // SMS: kept, answer lost; email accepted
	o, err := rt.WorkOrders().Execute(ctx, dialog.OrderRequest{Key: "k1", Kind: dialog.KindNoRenew, MemberID: "m-demo", Executor: "bot", Channel: "test", Conv: "c1", Lang: dialog.ZH, At: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rt.WorkOrders().WaitReceipts()
	sms, email := "receipt/"+o.Number+"/sms", "receipt/"+o.Number+"/email"
	tries := func(id string) (n int) {
		for _, r := range svc.requests() {
			if r.key == id {
				n++
			}
		}
		return n
	}
	if tries(sms) != 1 || tries(email) != 1 {
		t.Fatalf("first try: sms %d, email %d requests", tries(sms), tries(email))
	}
	svc.answer(answerHang) // the retry meets a silent service
	clock.Advance(time.Minute)
	if err := rt.Outbox().DeliverNotices(ctx); err != nil {
		t.Fatal(err)
	}
	if tries(sms) != 2 || tries(email) != 1 {
		t.Fatalf("second try: sms %d, email %d requests; want the SMS only", tries(sms), tries(email))
	}
	clock.Advance(time.Minute)
	if err := rt.Outbox().DeliverNotices(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := rt.Outbox().DeliverNotices(ctx); err != nil {
		t.Fatal(err)
	}
	if tries(sms) != 3 || tries(email) != 1 {
		t.Fatalf("after acceptance: sms %d, email %d requests; want 3 and 1", tries(sms), tries(email))
	}
	kept := svc.notices()
	if len(kept) != 2 || kept[sms] == nil || kept[email] == nil {
		t.Fatalf("the service kept %d notices: %v", len(kept), kept)
	}
	var got struct {
		Receipt struct{ Sig, Number string }
	}
	if err := json.Unmarshal(kept[sms], &got); err != nil || got.Receipt.Number != o.Number || got.Receipt.Sig != o.Sig || o.Sig == "" {
		t.Fatalf("kept receipt %s, order sig %q", kept[sms], o.Sig)
	}
}
