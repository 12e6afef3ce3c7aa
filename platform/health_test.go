package platform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
	"github.com/kefu-dev/kefu/platform"
)

// The member API is degraded exactly while its breaker is open.
func TestMemberAPIHealthFollowsTheBreaker(t *testing.T) {
	api, fake, clock := newAPI(t, func(c *platform.MemberAPIConfig) {
		c.Attempts, c.BreakerFailures, c.BreakerCooldown = 1, 2, time.Minute
	})
	ctx := context.Background()
	if h := api.Health(); h != bot.OK {
		t.Fatalf("before any call: %+v", h)
	}
	fake.Down(true)
	api.Get(ctx, "m-demo")
	if h := api.Health(); h != bot.OK {
		t.Fatalf("one failure, breaker closed: %+v", h)
	}
	api.Get(ctx, "m-demo")
	if h := api.Health(); h.State != bot.PartDegraded || !strings.Contains(h.Reason, "circuit breaker open") {
		t.Fatalf("breaker open: %+v", h)
	}
	fake.Down(false)
	clock.Advance(time.Minute)
	if _, found, err := api.Get(ctx, "m-demo"); !found || err != nil {
		t.Fatalf("probe after the platform came back: %v %v", found, err)
	}
	if h := api.Health(); h != bot.OK {
		t.Fatalf("breaker closed again: %+v", h)
	}
}

// The notifier is degraded after three notices in a row were not
// accepted, and ok again after one is; a notice its caller gave up on
// does not count.
func TestNotifierHealthAfterConsecutiveFailures(t *testing.T) {
	clock := kefutest.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	svc := newSMSService(t, clock.Now)
	n := newTestNotifier(t, svc.URL, clock, nil)
	receipt := bot.Notice{Kind: bot.NoticeReceipt, Method: dialog.MethodSMS, To: "13800138000", Lang: dialog.ZH,
		Order: &dialog.WorkOrder{Number: "WO202611240000125", Kind: dialog.KindNoRenew, CreatedAt: clock.Now()}}
	ctx := context.Background()
	svc.answer(503, 500, 502, 200)
	for i := 1; i <= 3; i++ {
		if h := n.Health(); h != bot.OK {
			t.Fatalf("after %d failures: %+v", i-1, h)
		}
		if err := n.Notify(ctx, receipt); err == nil {
			t.Fatal("a 5xx accepted")
		}
	}
	if h := n.Health(); h.State != bot.PartDegraded || strings.Contains(h.Reason, "13800138000") {
		t.Fatalf("after 3 failures: %+v", h)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = n.Notify(cancelled, receipt)
	if err := n.Notify(ctx, receipt); err != nil {
		t.Fatal(err)
	}
	if h := n.Health(); h != bot.OK {
		t.Fatalf("after an accepted notice: %+v", h)
	}
}
