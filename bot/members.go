package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
)

// MemberStore is the platform's member system as the runtime uses it.
type MemberStore interface {
	dialog.Members
	// Get finds a member by ID; found is false when there is none.
	Get(ctx context.Context, id string) (m dialog.Member, found bool, err error)
	// Apply executes cancel_now or no_renew on the member. Idempotent per
	// key: a repeated key returns the first outcome and changes nothing.
	// A membership that is not active yields an error matching ErrNotActive;
	// an unknown member one matching ErrNoMember.
	Apply(ctx context.Context, memberID string, kind dialog.OrderKind, key string, now time.Time) (dialog.Outcome, error)
}

// Errors from MemberStore.Apply.
var (
	ErrNotActive = errors.New("membership not active")
	ErrNoMember  = errors.New("no such member")
)

// DemoMembers is the embedded demo member system (DESIGN §3), kept in the
// synced Ledger database so a cancellation survives whatever its work order
// survives. It is safe for concurrent use.
type DemoMembers struct {
	db store.DB // the Ledger

	// decoded keeps the records last decoded, by member ID: every turn of
	// a verified flow looks its member up, and decoding the JSON was most
	// of a lookup's cost. An entry is used only while the stored bytes
	// are the same, so it never answers with an old record.
	mu      sync.Mutex
	decoded map[string]decodedMember
}

type decodedMember struct {
	raw []byte
	m   dialog.Member
}

// maxDecoded bounds DemoMembers.decoded; beyond it an arbitrary entry
// leaves.
const maxDecoded = 4096

var _ MemberStore = (*DemoMembers)(nil)

// NewDemoMembers returns the member store kept in db (the Ledger).
func NewDemoMembers(db store.DB) *DemoMembers {
	return &DemoMembers{db: db, decoded: map[string]decodedMember{}}
}

// member reads the member with id in txn.
func (d *DemoMembers) member(txn store.Txn, id string) (m dialog.Member, found bool, err error) {
	raw, err := txn.Get([]byte(memberPrefix + id))
	if errors.Is(err, store.ErrNotFound) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	d.mu.Lock()
	c, ok := d.decoded[id]
	d.mu.Unlock()
	if ok && bytes.Equal(c.raw, raw) {
		return c.m, true, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.decoded) >= maxDecoded {
		for k := range d.decoded {
			delete(d.decoded, k)
			break
		}
	}
	d.decoded[id] = decodedMember{raw: raw, m: m}
	return m, true, nil
}

// Lookup finds a member by normalised 11-digit phone or lower-case email.
func (d *DemoMembers) Lookup(ctx context.Context, account string) (m dialog.Member, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return m, false, err
	}
	idx := memberPhonePref + account
	if strings.Contains(account, "@") {
		idx = memberEmailPref + strings.ToLower(account)
	}
	err = d.db.View(ctx, func(txn store.Txn) error {
		id, err := txn.Get([]byte(idx))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m, found, err = d.member(txn, string(id))
		return err
	})
	if err != nil {
		return dialog.Member{}, false, fmt.Errorf("look up member: %w", err)
	}
	return m, found, nil
}

// Get finds a member by ID.
func (d *DemoMembers) Get(ctx context.Context, id string) (m dialog.Member, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return m, false, err
	}
	err = d.db.View(ctx, func(txn store.Txn) error {
		m, found, err = d.member(txn, id)
		return err
	})
	if err != nil {
		return dialog.Member{}, false, fmt.Errorf("get member %s: %w", id, err)
	}
	return m, found, nil
}

// Apply executes kind (dialog.KindCancelNow or dialog.KindNoRenew) on the
// member at now: cancel now ends the membership at now with the refund of
// dialog.Consequences; don't renew keeps it to its period end. Both turn
// auto-renew off. The outcome is stored under key in the same synced
// transaction, so a repeated key returns it and changes nothing.
func (d *DemoMembers) Apply(ctx context.Context, memberID string, kind dialog.OrderKind, key string, now time.Time) (dialog.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return dialog.Outcome{}, err
	}
	if kind != dialog.KindCancelNow && kind != dialog.KindNoRenew {
		return dialog.Outcome{}, fmt.Errorf("apply %q to member %s: not a member action", kind, memberID)
	}
	var out dialog.Outcome
	err := d.db.Update(ctx, func(txn store.Txn) (err error) {
		out, _, err = d.applyTxn(txn, memberID, kind, key, now)
		return err
	})
	if err != nil {
		return dialog.Outcome{}, fmt.Errorf("apply %s to member %s: %w", kind, memberID, err)
	}
	return out, nil
}

// applyTxn is Apply inside the caller's transaction on the store's
// database: the work-order book uses it to commit the member's change and
// the order together. changed is the member after the change, nil when key
// was applied before.
func (d *DemoMembers) applyTxn(txn store.Txn, memberID string, kind dialog.OrderKind, key string, now time.Time) (out dialog.Outcome, changed *dialog.Member, err error) {
	appliedKey := []byte(memberAppliedPre + memberID + "/" + key)
	done, err := getJSON(txn, appliedKey, &out)
	if err != nil || done {
		return out, nil, err
	}
	m, found, err := d.member(txn, memberID)
	if err != nil {
		return out, nil, err
	}
	if !found {
		return out, nil, ErrNoMember
	}
	if m.Status != dialog.StatusActive || !now.Before(m.PeriodEnd) {
		return out, nil, ErrNotActive
	}
	cancelNow, noRenew := dialog.Consequences(m, now)
	switch kind {
	case dialog.KindCancelNow:
		out = cancelNow
		m.Status = dialog.StatusCancelled
		m.PeriodEnd = now
	case dialog.KindNoRenew:
		out = noRenew
	}
	out.AutoRenew = false
	m.AutoRenew = false
	if err := setJSON(txn, []byte(memberPrefix+memberID), m); err != nil {
		return out, nil, err
	}
	return out, &m, setJSON(txn, appliedKey, out)
}

// sameDB reports whether the store lives in db, so its changes can join a
// transaction there.
func (d *DemoMembers) sameDB(db store.DB) bool { return d.db == db }

// Demo plans.
// DemoCoolingOffDays is how long after paying the demo's monthly plan
// refunds in full.
const DemoCoolingOffDays = 7

// DemoArticleFacts fill the demo help articles' placeholders: the rules
// this runtime applies by default and the demo platform's contact, so an
// article never states a rule of its own.
func DemoArticleFacts() map[string]string {
	rules := DefaultVerificationRules()
	return map[string]string{
		"code_ttl_minutes":    strconv.Itoa(int(rules.CodeTTL.Minutes())),
		"resend_wait_seconds": strconv.Itoa(int(rules.ResendAfter.Seconds())),
		"cooling_off_days":    strconv.Itoa(DemoCoolingOffDays),
		"hotline":             "400-820-1234",
		"hotline_hours":       "09:00–21:00",
	}
}

var (
	demoMonthly = dialog.Plan{Code: "monthly_vip", PriceCents: 3000, Policy: dialog.RefundProrated, CoolingOffDays: DemoCoolingOffDays}
	demoAnnual  = dialog.Plan{Code: "annual_vip", PriceCents: 29800, Policy: dialog.RefundNone}
)

// DemoProfiles returns the four demo members of DESIGN §3 as Seed writes them
// at now; registration dates are dates in loc at 10:00. README and tests
// take the security answers from here.
func DemoProfiles(now time.Time, loc *time.Location) []dialog.Member {
	now = now.Round(0)
	day := 24 * time.Hour
	reg := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, loc) }

	annualEnd := now.Add(200 * day)
	annualStart := annualEnd.Add(-365 * day)
	return []dialog.Member{
		{
			ID: "m-demo", Phone: "13800138000", Email: "demo@example.com",
			RegisteredAt: reg(2024, time.March, 15),
			Plan:         demoMonthly, Status: dialog.StatusActive,
			PeriodStart: now.Add(-10 * day), PeriodEnd: now.Add(20 * day), AutoRenew: true,
			LastOrder: dialog.Order{AmountCents: 5000, At: now.Add(-3 * day)},
		},
		{
			ID: "m-annual", Phone: "13900139000", Email: "annual@example.com",
			RegisteredAt: reg(2023, time.July, 8),
			Plan:         demoAnnual, Status: dialog.StatusActive,
			PeriodStart: annualStart, PeriodEnd: annualEnd, AutoRenew: true,
			LastOrder: dialog.Order{AmountCents: 29800, At: annualStart},
		},
		{
			ID: "m-renewoff", Phone: "13700137000", Email: "renewoff@example.com",
			RegisteredAt: reg(2025, time.November, 2),
			Plan:         demoMonthly, Status: dialog.StatusActive,
			PeriodStart: now.Add(-20 * day), PeriodEnd: now.Add(10 * day), AutoRenew: false,
			LastOrder: dialog.Order{AmountCents: 10000, At: now.Add(-6 * day)},
		},
		{
			ID: "m-expired", Phone: "13600136000", Email: "expired@example.com",
			RegisteredAt: reg(2022, time.January, 20),
			Plan:         demoMonthly, Status: dialog.StatusExpired,
			PeriodStart: now.Add(-35 * day), PeriodEnd: now.Add(-5 * day), AutoRenew: false,
			LastOrder: dialog.Order{AmountCents: 3000, At: now.Add(-35 * day)},
		},
	}
}

// DemoExtra returns the i-th synthetic member of --demo-extra: phone
// 15000000000+i, email m<i>@example.com, monthly VIP with 20 days left,
// auto-renew on.
func DemoExtra(i int, now time.Time, loc *time.Location) dialog.Member {
	now = now.Round(0)
	day := 24 * time.Hour
	start := now.Add(-10 * day)
	return dialog.Member{
		ID: "m-x" + strconv.Itoa(i), Phone: strconv.Itoa(15000000000 + i), Email: "m" + strconv.Itoa(i) + "@example.com",
		RegisteredAt: time.Date(2024, time.January, 10, 10, 0, 0, 0, loc),
		Plan:         demoMonthly, Status: dialog.StatusActive,
		PeriodStart: start, PeriodEnd: now.Add(20 * day), AutoRenew: true,
		LastOrder: dialog.Order{AmountCents: 3000, At: start},
	}
}

// Seed writes the demo members and extra synthetic ones (DemoExtra) into an
// empty member store; seeded reports whether it wrote. A store that already
// has members is left as it is, unless an earlier Seed was interrupted before
// it finished, in which case it is completed.
func (d *DemoMembers) Seed(ctx context.Context, now time.Time, loc *time.Location, extra int) (seeded bool, err error) {
	done, err := d.seeded(ctx)
	if err != nil || done {
		return false, err
	}
	members := DemoProfiles(now, loc)
	for i := range extra {
		members = append(members, DemoExtra(i, now, loc))
	}
	const perTxn = 500 // members per transaction
	for len(members) > 0 {
		chunk := members[:min(perTxn, len(members))]
		members = members[len(chunk):]
		err := d.db.Update(ctx, func(txn store.Txn) error {
			for _, m := range chunk {
				b, err := json.Marshal(m)
				if err != nil {
					return err
				}
				if err := errors.Join(
					txn.Set([]byte(memberPrefix+m.ID), b),
					txn.Set([]byte(memberPhonePref+m.Phone), []byte(m.ID)),
					txn.Set([]byte(memberEmailPref+m.Email), []byte(m.ID)),
				); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("seed members: %w", err)
		}
	}
	// The marker goes last: a crash before it leaves a store that the next
	// Seed completes rather than one that lacks members for ever.
	err = d.db.Update(ctx, func(txn store.Txn) error {
		return txn.Set([]byte(memberSeededKey), []byte(now.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return false, fmt.Errorf("seed members: %w", err)
	}
	return true, nil
}

// seeded reports whether an earlier Seed finished.
func (d *DemoMembers) seeded(ctx context.Context) (done bool, err error) {
	err = d.db.View(ctx, func(txn store.Txn) error {
		_, err := txn.Get([]byte(memberSeededKey))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		done = err == nil
		return err
	})
	return done, err
}
