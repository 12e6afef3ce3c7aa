package dialog_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// Fakes for the ports: the member system and code delivery live outside the
// engine, so the engine's tests use these in-memory stand-ins. The real
// implementations are tested in package bot.

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

const testCode = "246810"

func fakeMembers(now time.Time) *members {
	day := 24 * time.Hour
	monthly := dialog.Plan{Code: "monthly_vip", PriceCents: 3000, Policy: dialog.RefundProrated, CoolingOffDays: 7}
	annual := dialog.Plan{Code: "annual_vip", PriceCents: 29800, Policy: dialog.RefundNone}
	ms := []dialog.Member{
		{ID: "m-demo", Phone: "13800138000", Email: "demo@example.com", Plan: monthly, Status: dialog.StatusActive,
			PeriodStart: now.Add(-10 * day), PeriodEnd: now.Add(20 * day), AutoRenew: true,
			RegisteredAt: time.Date(2024, 3, 15, 10, 0, 0, 0, t0.Location()), LastOrder: dialog.Order{AmountCents: 5000}},
		{ID: "m-annual", Phone: "13900139000", Email: "annual@example.com", Plan: annual, Status: dialog.StatusActive,
			PeriodStart: now.Add(-165 * day), PeriodEnd: now.Add(200 * day), AutoRenew: true,
			RegisteredAt: time.Date(2023, 7, 8, 10, 0, 0, 0, t0.Location()), LastOrder: dialog.Order{AmountCents: 29800}},
		{ID: "m-renewoff", Phone: "13700137000", Email: "renewoff@example.com", Plan: monthly, Status: dialog.StatusActive,
			PeriodStart: now.Add(-20 * day), PeriodEnd: now.Add(10 * day), AutoRenew: false,
			RegisteredAt: time.Date(2025, 11, 2, 10, 0, 0, 0, t0.Location()), LastOrder: dialog.Order{AmountCents: 10000}},
		{ID: "m-expired", Phone: "13600136000", Email: "expired@example.com", Plan: monthly, Status: dialog.StatusExpired,
			PeriodStart: now.Add(-35 * day), PeriodEnd: now.Add(-5 * day), AutoRenew: false,
			RegisteredAt: time.Date(2022, 1, 20, 10, 0, 0, 0, t0.Location()), LastOrder: dialog.Order{AmountCents: 3000}},
	}
	m := &members{byAccount: map[string]*dialog.Member{}}
	for i := range ms {
		m.byAccount[ms[i].Phone] = &ms[i]
		m.byAccount[ms[i].Email] = &ms[i]
	}
	return m
}

type members struct {
	mu        sync.Mutex
	byAccount map[string]*dialog.Member
	down      bool
}

func (f *members) Lookup(ctx context.Context, account string) (dialog.Member, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return dialog.Member{}, false, dialog.ErrUnavailable
	}
	m, ok := f.byAccount[account]
	if !ok {
		return dialog.Member{}, false, nil
	}
	return *m, true, nil
}

func (f *members) byID(id string) *dialog.Member {
	for _, m := range f.byAccount {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// verifier accepts testCode for registered accounts, counts wrong tries per
// account and locks after five.
type verifier struct {
	members *members
	tries   map[string]int
	sent    []dialog.CodeRequest
}

func (v *verifier) SendCode(ctx context.Context, req dialog.CodeRequest) (dialog.SendResult, error) {
	if v.tries[req.Account] >= 5 {
		return dialog.SendResult{Status: dialog.SendLocked, Wait: 15 * time.Minute}, nil
	}
	v.sent = append(v.sent, req)
	return dialog.SendResult{Status: dialog.SendSent}, nil
}

func (v *verifier) check(account string, ok bool) (dialog.CheckResult, error) {
	if v.tries[account] >= 5 {
		return dialog.CheckResult{Status: dialog.CheckLocked, Wait: 15 * time.Minute}, nil
	}
	m, found, err := v.members.Lookup(context.Background(), account)
	if err != nil {
		return dialog.CheckResult{}, err
	}
	if ok && found {
		v.tries[account] = 0
		return dialog.CheckResult{Status: dialog.CheckOK, MemberID: m.ID}, nil
	}
	v.tries[account]++
	if v.tries[account] >= 5 {
		return dialog.CheckResult{Status: dialog.CheckLocked, Wait: 15 * time.Minute}, nil
	}
	return dialog.CheckResult{Status: dialog.CheckWrong, Remaining: 5 - v.tries[account]}, nil
}

func (v *verifier) CheckCode(ctx context.Context, account, code string) (dialog.CheckResult, error) {
	return v.check(account, code == testCode)
}

func (v *verifier) CheckAnswers(ctx context.Context, account string, amount int64, month int) (dialog.CheckResult, error) {
	m, found, _ := v.members.Lookup(ctx, account)
	return v.check(account, found && m.LastOrder.AmountCents == amount && int(m.RegisteredAt.Month()) == month)
}

// orders numbers orders from 1 per test and applies them to the members.
type orders struct {
	members *members
	byKey   map[string]dialog.WorkOrder
	byNum   map[string]dialog.WorkOrder
	seq     int
}

func (o *orders) Execute(ctx context.Context, req dialog.OrderRequest) (dialog.WorkOrder, error) {
	if w, ok := o.byKey[req.Key]; ok {
		return w, nil
	}
	o.members.mu.Lock()
	down := o.members.down
	o.members.mu.Unlock()
	if down && req.Kind != dialog.KindCallback {
		return dialog.WorkOrder{}, fmt.Errorf("apply %s: %w", req.Kind, dialog.ErrUnavailable)
	}
	o.seq++
	w := dialog.WorkOrder{Number: dialog.FormatNumber(req.At, o.seq), Kind: req.Kind, MemberID: req.MemberID, Conv: req.Conv,
		Channel: req.Channel, Reason: req.Reason, Executor: req.Executor, CreatedAt: req.At, Status: "done", Key: req.Key}
	if cb, ok := o.byNum[req.Closes]; ok && cb.Status == "open" && req.Kind != dialog.KindCallback {
		cb.Status, w.Closes = "done", cb.Number
		o.byNum[cb.Number], o.byKey[cb.Key] = cb, cb
	}
	if req.Kind == dialog.KindCallback {
		w.Status = "open"
		o.byKey[req.Key], o.byNum[w.Number] = w, w
		return w, nil
	}
	m := o.members.byID(req.MemberID)
	if m == nil {
		return dialog.WorkOrder{}, fmt.Errorf("no member %q", req.MemberID)
	}
	now, renew := dialog.Consequences(*m, req.At)
	switch req.Kind {
	case dialog.KindCancelNow:
		w.EffectiveAt, w.RefundCents = now.EffectiveAt, now.RefundCents
		m.Status, m.PeriodEnd, m.AutoRenew = dialog.StatusCancelled, req.At, false
	case dialog.KindNoRenew:
		w.EffectiveAt = renew.EffectiveAt
		m.AutoRenew = false
	}
	o.byKey[req.Key], o.byNum[w.Number] = w, w
	return w, nil
}

func (o *orders) SetReason(ctx context.Context, number, reason string) error {
	w, ok := o.byNum[number]
	if !ok {
		return fmt.Errorf("no order %s", number)
	}
	w.Reason = reason
	o.byNum[number], o.byKey[w.Key] = w, w
	return nil
}

func (o *orders) Get(ctx context.Context, number string) (dialog.WorkOrder, bool, error) {
	w, ok := o.byNum[number]
	return w, ok, nil
}

// answers is a help center with two articles, found by a word they hold.
type answers struct{}

func (answers) Answer(ctx context.Context, q string, lang dialog.Lang) (dialog.Article, bool) {
	for _, a := range []struct{ word, id, title, summary string }{
		{"验证码", "code-not-received", "收不到验证码怎么办", "先核对手机号，看看垃圾短信；60 秒后可以重新发送，也可以改用邮箱或安全问题验证。"},
		{"APP", "cancel-self-service", "自己在哪里取消会员", "APP：我的 → 设置 → 会员服务 → 取消会员；在这里也可以直接办理。"},
		{"工单号", "work-order-number", "工单号是什么", "工单号是办理凭证，请保存 1–2 个月；在这里发送工单号即可查询。"},
		{"work order", "work-order-number", "What a work-order number is", "It is your proof of a request: keep it 1–2 months and send it here to check it."},
		{"code", "code-not-received", "Didn't get the code", "Check the number and your spam folder; resend after 60 s, or use email or the security questions."},
	} {
		if strings.Contains(q, a.word) {
			return dialog.Article{ID: a.id, Title: a.title, Summary: a.summary, URL: "https://help.example.com/help/" + a.id + "?lang=" + string(lang)}, true
		}
	}
	return dialog.Article{}, false
}
