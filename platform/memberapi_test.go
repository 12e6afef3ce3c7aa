package platform_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/platform"
	"github.com/kefu-dev/kefu/platform/platformtest"
)

var shanghai = time.FixedZone("CST", 8*3600)

func newAPI(t *testing.T, mod func(*platform.MemberAPIConfig)) (*platform.MemberAPI, *platformtest.MemberAPI, *kefutest.Clock) {
	t.Helper()
	clock := kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	fake := platformtest.NewMemberAPI(bot.DemoProfiles(clock.Now(), shanghai), clock.Now)
	t.Cleanup(fake.Close)
	cfg := platform.MemberAPIConfig{URL: fake.URL, Token: platformtest.Token, Backoff: time.Millisecond, Timeout: 2 * time.Second, Now: clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	api, err := platform.NewMemberAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return api, fake, clock
}

func TestMemberAPILookupAndGet(t *testing.T) {
	api, _, _ := newAPI(t, nil)
	ctx := context.Background()
	for _, account := range []string{"13800138000", "demo@example.com"} {
		m, found, err := api.Lookup(ctx, account)
		if err != nil || !found || m.ID != "m-demo" || m.Plan.Code != "monthly_vip" || !m.AutoRenew || m.LastOrder.AmountCents != 5000 {
			t.Fatalf("Lookup(%s) = %+v %v %v", account, m, found, err)
		}
	}
	if _, found, err := api.Lookup(ctx, "13000000000"); found || err != nil {
		t.Fatalf("unknown phone: found=%v err=%v", found, err)
	}
	if m, found, err := api.Get(ctx, "m-annual"); !found || err != nil || m.Phone != "13900139000" {
		t.Fatalf("Get: %+v %v %v", m, found, err)
	}
	if _, found, err := api.Get(ctx, "nobody"); found || err != nil {
		t.Fatalf("unknown ID: found=%v err=%v", found, err)
	}
}

// A retried action never acts twice: the same idempotency key, whether the
// member confirmed twice or an answer was lost and kefu retried.
func TestMemberAPIApplyIsIdempotent(t *testing.T) {
	api, fake, clock := newAPI(t, nil)
	ctx := context.Background()
	fake.LoseAnswers(1) // carried out, but the answer is lost: kefu retries
	out, err := api.Apply(ctx, "m-demo", dialog.KindCancelNow, "conv/flow/1/cancel_now", clock.Now())
	if err != nil || out.RefundCents != 2000 || out.AutoRenew {
		t.Fatalf("Apply = %+v %v", out, err)
	}
	again, err := api.Apply(ctx, "m-demo", dialog.KindCancelNow, "conv/flow/1/cancel_now", clock.Now())
	if err != nil || again != out {
		t.Fatalf("repeated Apply = %+v %v, want %+v", again, err, out)
	}
	if n := fake.Actions("m-demo"); n != 1 {
		t.Fatalf("%d cancellations carried out, want 1", n)
	}
	if n := fake.KeyRequests("conv/flow/1/cancel_now"); n != 3 {
		t.Fatalf("%d requests with the key, want 3 (a lost answer, its retry, the repeat)", n)
	}
	if _, err := api.Apply(ctx, "m-annual", dialog.KindCancelNow, "conv/flow/1/cancel_now", clock.Now()); !errors.Is(err, dialog.ErrUnavailable) || fake.Actions("m-annual") != 0 {
		t.Fatalf("a key reused for another member: %v, %d actions", err, fake.Actions("m-annual"))
	}
	if n := fake.KeyRequests("conv/flow/1/cancel_now"); n != 4 {
		t.Fatalf("%d requests with the key, want 4: a refused key (422) is not retried", n)
	}
	if _, err := api.Apply(ctx, "m-demo", dialog.KindNoRenew, "conv/flow/2/no_renew", clock.Now()); !errors.Is(err, bot.ErrNotActive) {
		t.Fatalf("action on a cancelled member: %v, want ErrNotActive", err)
	}
	if _, err := api.Apply(ctx, "nobody", dialog.KindNoRenew, "k", clock.Now()); !errors.Is(err, bot.ErrNoMember) {
		t.Fatalf("action on an unknown member: %v, want ErrNoMember", err)
	}
}

func TestMemberAPIRetriesServerErrors(t *testing.T) {
	api, fake, _ := newAPI(t, nil)
	fake.Fail(2)
	if _, found, err := api.Get(context.Background(), "m-demo"); !found || err != nil {
		t.Fatalf("after two 503s: found=%v err=%v", found, err)
	}
	if n := fake.Requests(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	fake.Fail(3)
	if _, _, err := api.Get(context.Background(), "m-demo"); !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("three 503s: %v, want ErrUnavailable", err)
	}
}

func TestMemberAPITimeout(t *testing.T) {
	api, fake, _ := newAPI(t, func(c *platform.MemberAPIConfig) { c.Timeout, c.Attempts = 20*time.Millisecond, 2 })
	fake.Delay(time.Minute) // slower than any timeout: the request is given up
	_, _, err := api.Lookup(context.Background(), "13800138000")
	if !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("slow platform: %v, want ErrUnavailable", err)
	}
	if n := fake.Requests(); n != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", n)
	}
}

// The breaker opens after repeated failures: calls then fail at once
// without reaching the platform, until a probe after the cool-down finds
// it back.
func TestMemberAPICircuitBreaker(t *testing.T) {
	api, fake, clock := newAPI(t, func(c *platform.MemberAPIConfig) {
		c.Attempts, c.BreakerFailures, c.BreakerCooldown = 1, 3, time.Minute
	})
	ctx := context.Background()
	fake.Down(true)
	for range 3 {
		if _, _, err := api.Get(ctx, "m-demo"); !errors.Is(err, dialog.ErrUnavailable) {
			t.Fatalf("platform down: %v", err)
		}
	}
	before := fake.Requests()
	if _, _, err := api.Get(ctx, "m-demo"); !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("open breaker: %v", err)
	}
	if fake.Requests() != before {
		t.Fatal("an open breaker let a call through")
	}
	clock.Advance(time.Minute)
	if _, _, err := api.Get(ctx, "m-demo"); !errors.Is(err, dialog.ErrUnavailable) || fake.Requests() != before+1 {
		t.Fatalf("probe while still down: %v, %d requests", err, fake.Requests()-before)
	}
	fake.Down(false)
	if _, _, err := api.Get(ctx, "m-demo"); err == nil {
		t.Fatal("a failed probe closed the breaker")
	}
	clock.Advance(time.Minute)
	if _, found, err := api.Get(ctx, "m-demo"); !found || err != nil {
		t.Fatalf("after the platform came back: found=%v err=%v", found, err)
	}
	if _, found, err := api.Get(ctx, "m-demo"); !found || err != nil {
		t.Fatalf("closed breaker: found=%v err=%v", found, err)
	}
}

func TestMemberAPIRefusesBadAnswersAndConfig(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "not a url", "http://"} {
		if _, err := platform.NewMemberAPI(platform.MemberAPIConfig{URL: u}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	api, _, _ := newAPI(t, func(c *platform.MemberAPIConfig) { c.Token = "wrong" })
	if _, _, err := api.Get(context.Background(), "m-demo"); !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("refused token: %v, want ErrUnavailable", err)
	}
}

func TestMemberAPIDueForRenewal(t *testing.T) {
	api, _, clock := newAPI(t, nil)
	now := clock.Now()
	due, err := api.DueForRenewal(context.Background(), now, now.Add(30*24*time.Hour))
	if err != nil || len(due) != 1 || due[0].ID != "m-demo" {
		t.Fatalf("due in 30 days: %+v %v (m-demo renews in 20; m-renewoff has auto-renew off)", due, err)
	}
}

// Phones, emails and the token stay out of logs and errors, whatever
// fails: a timeout, a refused connection.
func TestMemberAPIKeepsAccountsOutOfLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	api, fake, _ := newAPI(t, func(c *platform.MemberAPIConfig) { c.Timeout, c.Attempts, c.Log = 20*time.Millisecond, 2, log })
	fake.Delay(time.Minute)
	_, _, err1 := api.Lookup(context.Background(), "13800138000")
	fake.Close() // nothing listens any more: connections are refused
	_, _, err2 := api.Lookup(context.Background(), "demo@example.com")
	for _, err := range []error{err1, err2} {
		if !errors.Is(err, dialog.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	}
	all := logs.String() + err1.Error() + err2.Error()
	if logs.Len() == 0 {
		t.Fatal("failed attempts were not logged")
	}
	for _, secret := range []string{"13800138000", "demo@example.com", "demo%40example.com", platformtest.Token} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked:\n%s", secret, all)
		}
	}
}

// A 4xx other than 404 and 409 is the platform refusing the request: a
// retry would be refused the same way, so there is none.
func TestMemberAPIDoesNotRetryRefusals(t *testing.T) {
	api, fake, clock := newAPI(t, func(c *platform.MemberAPIConfig) { c.Token = "wrong" })
	if _, err := api.Apply(context.Background(), "m-demo", dialog.KindCancelNow, "k1", clock.Now()); !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("refused token: %v, want ErrUnavailable", err)
	}
	if n := fake.Requests(); n != 1 {
		t.Fatalf("%d requests for a 401, want 1", n)
	}
}

// An action without an idempotency key is refused before it is sent: a
// retry of it could cancel twice.
func TestMemberAPIApplyNeedsAKey(t *testing.T) {
	api, fake, clock := newAPI(t, nil)
	if _, err := api.Apply(context.Background(), "m-demo", dialog.KindCancelNow, "", clock.Now()); err == nil {
		t.Fatal("an action without a key was accepted")
	}
	if fake.Requests() != 0 || fake.Actions("m-demo") != 0 {
		t.Fatalf("%d requests, %d actions", fake.Requests(), fake.Actions("m-demo"))
	}
}

// The same confirmation delivered several times at once (a double click, a
// repeated Telegram update on two instances) is one cancellation, and
// every copy gets the same outcome.
func TestMemberAPIDuplicateDeliveries(t *testing.T) {
	api, fake, clock := newAPI(t, nil)
	const n = 8
	outs := make([]dialog.Outcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			outs[i], errs[i] = api.Apply(context.Background(), "m-demo", dialog.KindNoRenew, "conv/flow/1/no_renew", clock.Now())
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || outs[i] != outs[0] || outs[i].AutoRenew {
			t.Fatalf("copy %d: %+v %v, want %+v", i, outs[i], errs[i], outs[0])
		}
	}
	if a := fake.Actions("m-demo"); a != 1 {
		t.Fatalf("%d actions, want 1", a)
	}
}

// A slow answer inside the timeout is an answer.
func TestMemberAPISlowButInTime(t *testing.T) {
	api, fake, _ := newAPI(t, nil)
	fake.Delay(50 * time.Millisecond) // the timeout is 2 s
	if _, found, err := api.Get(context.Background(), "m-demo"); !found || err != nil {
		t.Fatalf("slow answer: found=%v err=%v", found, err)
	}
	if n := fake.Requests(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// While the breaker is half open, one probe is in flight and every other
// call fails at once without reaching the platform.
func TestMemberAPIHalfOpenLetsOneProbeThrough(t *testing.T) {
	api, fake, clock := newAPI(t, func(c *platform.MemberAPIConfig) {
		c.Attempts, c.BreakerFailures, c.BreakerCooldown = 1, 2, time.Minute
	})
	ctx := context.Background()
	fake.Fail(2)
	for range 2 {
		api.Get(ctx, "m-demo")
	}
	clock.Advance(time.Minute)
	held, release := fake.Hold()
	defer release()
	probe := make(chan error, 1)
	go func() {
		_, _, err := api.Get(ctx, "m-demo")
		probe <- err
	}()
	<-held // the probe is at the platform
	before := fake.Requests()
	if _, _, err := api.Get(ctx, "m-demo"); !errors.Is(err, dialog.ErrUnavailable) {
		t.Fatalf("call during the probe: %v, want ErrUnavailable", err)
	}
	if fake.Requests() != before {
		t.Fatal("a second call reached the platform during the probe")
	}
	release()
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if _, found, err := api.Get(ctx, "m-demo"); !found || err != nil {
		t.Fatalf("after a good probe: found=%v err=%v", found, err)
	}
}

// An answer that is not the documented JSON, or too large, is the platform
// not answering usefully: unavailable, never a crash.
func TestMemberAPIBadAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":       "<html>maintenance</html>",
		"no id":          `{"status":"active","plan":{"refund_policy":"none"}}`,
		"unknown status": `{"id":"x","status":"frozen","plan":{"refund_policy":"none"}}`,
		"too large":      `{"id":"x","pad":"` + strings.Repeat("x", 2<<20) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, body)
			}))
			defer srv.Close()
			api, err := platform.NewMemberAPI(platform.MemberAPIConfig{URL: srv.URL, Attempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := api.Get(context.Background(), "x"); !errors.Is(err, dialog.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

// Calls the caller gave up on (the member left mid-turn) say nothing about
// the platform: they do not open the breaker.
func TestMemberAPICallerCancelDoesNotOpenTheBreaker(t *testing.T) {
	for _, attempts := range []int{1, 3} { // cancelled in the request, or before a retry
		t.Run(fmt.Sprint(attempts), func(t *testing.T) { cancelledCalls(t, attempts) })
	}
}

func cancelledCalls(t *testing.T, attempts int) {
	api, fake, _ := newAPI(t, func(c *platform.MemberAPIConfig) { c.BreakerFailures, c.Attempts = 2, attempts })
	held, release := fake.Hold()
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, _, err := api.Get(ctx, "m-demo")
			done <- err
		}()
		select {
		case <-held:
		case err := <-done:
			t.Fatalf("the call never reached the platform: %v", err)
		}
		cancel()
		if err := <-done; !errors.Is(err, dialog.ErrUnavailable) {
			t.Fatalf("cancelled call: %v", err)
		}
	}
	release()
	before := fake.Requests()
	if _, found, err := api.Get(context.Background(), "m-demo"); !found || err != nil || fake.Requests() != before+1 {
		t.Fatalf("after cancelled calls: found=%v err=%v, %d requests", found, err, fake.Requests()-before)
	}
}
