package dialog

import "time"

// Outcome is what one option does to a membership.
type Outcome struct {
	Kind        OrderKind // KindCancelNow or KindNoRenew
	EffectiveAt time.Time // when benefits end
	RefundCents int64
	AutoRenew   bool // auto-renew after the order: always false
}

// Consequences computes both options for m at now, side by side: cancel now
// (benefits end now, refund per policy) and don't renew (benefits kept to
// the period end, no refund, no further charge). It is the one place refunds
// are computed.
func Consequences(m Member, now time.Time) (cancelNow, noRenew Outcome) {
	cancelNow = Outcome{Kind: KindCancelNow, EffectiveAt: now, RefundCents: Refund(m, now)}
	noRenew = Outcome{Kind: KindNoRenew, EffectiveAt: m.PeriodEnd}
	return cancelNow, noRenew
}

// Refund is what cancelling m now returns: all of the price inside the
// cooling-off window, otherwise nothing or the unused days' share per the
// plan's policy (a day already begun counts as unused, in the member's
// favour).
func Refund(m Member, now time.Time) int64 {
	if m.Status != StatusActive || !now.Before(m.PeriodEnd) {
		return 0
	}
	p := m.Plan
	if p.CoolingOffDays > 0 && now.Before(m.PeriodStart.AddDate(0, 0, p.CoolingOffDays)) {
		return p.PriceCents
	}
	if p.Policy != RefundProrated {
		return 0
	}
	total := m.PeriodEnd.Sub(m.PeriodStart)
	if total <= 0 {
		return 0
	}
	day := 24 * time.Hour
	unusedDays := int64((m.PeriodEnd.Sub(now) + day - 1) / day) // a day begun counts as unused
	totalDays := int64((total + day/2) / day)
	if totalDays == 0 {
		return 0
	}
	unusedDays = min(unusedDays, totalDays)
	return p.PriceCents * unusedDays / totalDays
}
