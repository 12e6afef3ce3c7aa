package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/store"
)

func TestSeedOnlyIntoEmpty(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	members := seededMembers(t, s, 0)

	for _, want := range DemoProfiles(testNow, shanghai) {
		for _, acct := range []string{want.Phone, want.Email} {
			got, found, err := members.Lookup(ctx, acct)
			if err != nil || !found {
				t.Fatalf("Lookup(%s) = %v, %v", acct, found, err)
			}
			if got.ID != want.ID || got.Status != want.Status || got.AutoRenew != want.AutoRenew ||
				got.Plan != want.Plan || !got.PeriodEnd.Equal(want.PeriodEnd) ||
				!got.RegisteredAt.Equal(want.RegisteredAt) || got.LastOrder.AmountCents != want.LastOrder.AmountCents {
				t.Errorf("Lookup(%s) = %+v\nwant %+v", acct, got, want)
			}
		}
	}

	if _, err := members.Apply(ctx, "m-demo", dialog.KindCancelNow, "k1", testNow); err != nil {
		t.Fatal(err)
	}
	later := testNow.Add(48 * time.Hour)
	again, err := members.Seed(context.Background(), later, shanghai, 10)
	if err != nil || again {
		t.Fatalf("second Seed = %v, %v; want false, nil", again, err)
	}
	m, _, _ := members.Get(ctx, "m-demo")
	if m.Status != dialog.StatusCancelled {
		t.Errorf("second Seed overwrote m-demo: status %s", m.Status)
	}
	if _, found, _ := members.Lookup(ctx, "15000000000"); found {
		t.Error("second Seed added extra members")
	}
}

func TestSeedExtra(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	const n = 20_000 // 100 000 take about 1.3 s (13 s under -race)
	start := time.Now()
	members := seededMembers(t, s, n)
	t.Logf("seeded %d extra members in %v", n, time.Since(start))

	for _, i := range []int{0, 1, n / 2, n - 1} {
		want := DemoExtra(i, testNow, shanghai)
		byPhone, found, err := members.Lookup(ctx, want.Phone)
		if err != nil || !found || byPhone.ID != want.ID {
			t.Fatalf("Lookup(%s) = %v, %v, %v; want %s", want.Phone, byPhone.ID, found, err, want.ID)
		}
		byEmail, found, err := members.Lookup(ctx, want.Email)
		if err != nil || !found || byEmail.ID != want.ID {
			t.Fatalf("Lookup(%s) = %v, %v, %v; want %s", want.Email, byEmail.ID, found, err, want.ID)
		}
		if byPhone.Status != dialog.StatusActive || !byPhone.AutoRenew || byPhone.Plan.Policy != dialog.RefundProrated ||
			!byPhone.PeriodEnd.Equal(testNow.Add(20*24*time.Hour)) {
			t.Errorf("extra member %d = %+v", i, byPhone)
		}
	}
	if _, found, _ := members.Lookup(ctx, "15000020000"); found {
		t.Error("member beyond the extras found")
	}
	if want := DemoExtra(7, testNow, shanghai); want.Phone != "15000000007" || want.Email != "m7@example.com" || want.ID != "m-x7" {
		t.Errorf("DemoExtra(7) = %s %s %s", want.ID, want.Phone, want.Email)
	}

	// Skipping a seeded store costs the same whatever its size: one read.
	counted := &countingDB{DB: s.Ledger()}
	if again, err := NewDemoMembers(counted).Seed(context.Background(), testNow, shanghai, n); err != nil || again {
		t.Fatalf("second Seed = %v, %v; want false, nil", again, err)
	}
	if u, r := counted.updates.Load(), counted.reads.Load(); u != 0 || r > 1 {
		t.Errorf("second Seed of a seeded store: %d write transactions, %d keys read; want none and one", u, r)
	}
}

// countingDB counts the write transactions run through it and the keys
// read (each Get, each key a Scan visits).
type countingDB struct {
	store.DB
	updates, reads atomic.Int64
}

func (c *countingDB) Update(ctx context.Context, fn func(store.Txn) error) error {
	c.updates.Add(1)
	return c.DB.Update(ctx, func(txn store.Txn) error { return fn(countingTxn{txn, c}) })
}

func (c *countingDB) View(ctx context.Context, fn func(store.Txn) error) error {
	return c.DB.View(ctx, func(txn store.Txn) error { return fn(countingTxn{txn, c}) })
}

type countingTxn struct {
	store.Txn
	c *countingDB
}

func (t countingTxn) Get(key []byte) ([]byte, error) {
	t.c.reads.Add(1)
	return t.Txn.Get(key)
}

func (t countingTxn) Scan(prefix []byte, opt store.ScanOptions, fn func(key, value []byte) error) error {
	return t.Txn.Scan(prefix, opt, func(key, value []byte) error {
		t.c.reads.Add(1)
		return fn(key, value)
	})
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	members := seededMembers(t, openTestStore(t, t.TempDir()), 0)
	for _, c := range []struct {
		account string
		want    string
	}{
		{"13800138000", "m-demo"},
		{"DEMO@Example.com", "m-demo"},
		{"annual@example.com", "m-annual"},
		{"13000000000", ""},
		{"nobody@example.com", ""},
		{"", ""},
	} {
		m, found, err := members.Lookup(ctx, c.account)
		if err != nil || found != (c.want != "") || m.ID != c.want {
			t.Errorf("Lookup(%q) = %q, %v, %v; want %q", c.account, m.ID, found, err, c.want)
		}
	}
}

// TestLookupAfterChange: a member looked up before a change is seen changed
// afterwards (lookups keep decoded records).
func TestLookupAfterChange(t *testing.T) {
	ctx := context.Background()
	members := seededMembers(t, openTestStore(t, t.TempDir()), 0)
	before, found, err := members.Lookup(ctx, "13800138000")
	if err != nil || !found || before.Status != dialog.StatusActive || !before.AutoRenew {
		t.Fatalf("Lookup before = %+v, %v, %v", before, found, err)
	}
	if _, err := members.Apply(ctx, "m-demo", dialog.KindCancelNow, "key-1", testNow); err != nil {
		t.Fatal(err)
	}
	for _, account := range []string{"13800138000", "demo@example.com"} {
		after, _, err := members.Lookup(ctx, account)
		if err != nil || after.Status != dialog.StatusCancelled || after.AutoRenew || !after.PeriodEnd.Equal(testNow) {
			t.Errorf("Lookup(%s) after cancel = %+v, %v", account, after, err)
		}
	}
}

func TestApplyCancelNow(t *testing.T) {
	ctx := context.Background()
	members := seededMembers(t, openTestStore(t, t.TempDir()), 0)

	out, err := members.Apply(ctx, "m-demo", dialog.KindCancelNow, "key-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	// 20 of 30 days unused of ¥30.00.
	if out.Kind != dialog.KindCancelNow || out.RefundCents != 2000 || !out.EffectiveAt.Equal(testNow) || out.AutoRenew {
		t.Errorf("outcome = %+v", out)
	}
	m, _, _ := members.Get(ctx, "m-demo")
	if m.Status != dialog.StatusCancelled || m.AutoRenew || !m.PeriodEnd.Equal(testNow) {
		t.Errorf("member after cancel = %+v", m)
	}

	// The same key later: the first outcome, nothing changed.
	again, err := members.Apply(ctx, "m-demo", dialog.KindCancelNow, "key-1", testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.RefundCents != out.RefundCents || !again.EffectiveAt.Equal(out.EffectiveAt) {
		t.Errorf("repeated Apply = %+v; want %+v", again, out)
	}
	if m2, _, _ := members.Get(ctx, "m-demo"); !m2.PeriodEnd.Equal(m.PeriodEnd) {
		t.Errorf("repeated Apply changed the member: %v → %v", m.PeriodEnd, m2.PeriodEnd)
	}

	// Another key: the membership is over.
	_, err = members.Apply(ctx, "m-demo", dialog.KindNoRenew, "key-2", testNow.Add(time.Hour))
	if !errors.Is(err, ErrNotActive) {
		t.Errorf("Apply to a cancelled member: %v; want ErrNotActive", err)
	}
}

func TestApplyNoRenew(t *testing.T) {
	ctx := context.Background()
	members := seededMembers(t, openTestStore(t, t.TempDir()), 0)
	before, _, _ := members.Get(ctx, "m-demo")

	out, err := members.Apply(ctx, "m-demo", dialog.KindNoRenew, "key-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != dialog.KindNoRenew || out.RefundCents != 0 || !out.EffectiveAt.Equal(before.PeriodEnd) || out.AutoRenew {
		t.Errorf("outcome = %+v", out)
	}
	m, _, _ := members.Get(ctx, "m-demo")
	if m.Status != dialog.StatusActive || m.AutoRenew || !m.PeriodEnd.Equal(before.PeriodEnd) {
		t.Errorf("member after no_renew = %+v", m)
	}
	// Then cancelling now is still possible, under its own key.
	if out, err := members.Apply(ctx, "m-demo", dialog.KindCancelNow, "key-2", testNow); err != nil || out.RefundCents != 2000 {
		t.Errorf("cancel after no_renew = %+v, %v", out, err)
	}
}

func TestApplyRefusals(t *testing.T) {
	ctx := context.Background()
	members := seededMembers(t, openTestStore(t, t.TempDir()), 0)
	if _, err := members.Apply(ctx, "m-expired", dialog.KindCancelNow, "k", testNow); !errors.Is(err, ErrNotActive) {
		t.Errorf("Apply to expired member: %v; want ErrNotActive", err)
	}
	if _, err := members.Apply(ctx, "m-nobody", dialog.KindNoRenew, "k", testNow); !errors.Is(err, ErrNoMember) {
		t.Errorf("Apply to unknown member: %v; want ErrNoMember", err)
	}
	if _, err := members.Apply(ctx, "m-demo", dialog.KindCallback, "k", testNow); err == nil {
		t.Error("Apply of a callback succeeded")
	}
	// A period that has run out is not active either.
	if _, err := members.Apply(ctx, "m-renewoff", dialog.KindCancelNow, "k", testNow.Add(11*24*time.Hour)); !errors.Is(err, ErrNotActive) {
		t.Errorf("Apply after the period end: %v; want ErrNotActive", err)
	}
}

func TestDemoProfilesRefunds(t *testing.T) {
	want := map[string]int64{"m-demo": 2000, "m-annual": 0, "m-renewoff": 1000, "m-expired": 0}
	for _, m := range DemoProfiles(testNow, shanghai) {
		if got := dialog.Refund(m, testNow); got != want[m.ID] {
			t.Errorf("refund of %s = %d; want %d", m.ID, got, want[m.ID])
		}
	}
}

func TestApplyConcurrent(t *testing.T) {
	ctx := context.Background()
	members := seededMembers(t, openTestStore(t, t.TempDir()), 0)

	// 64 different requests to cancel one membership: one wins, and the
	// others see it cancelled, though they may share its commit.
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = members.Apply(ctx, "m-demo", dialog.KindCancelNow, fmt.Sprint("k", i), testNow)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrNotActive):
			t.Errorf("Apply %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d Applies cancelled the membership; want 1", won)
	}

	// 64 repeats of one request on another member: one outcome for all.
	outs := make([]dialog.Outcome, n)
	for i := range n {
		wg.Go(func() {
			outs[i], errs[i] = members.Apply(ctx, "m-renewoff", dialog.KindCancelNow, "same", testNow.Add(time.Duration(i)*time.Second))
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !outs[i].EffectiveAt.Equal(outs[0].EffectiveAt) {
			t.Errorf("repeat %d = %+v, %v; want %+v", i, outs[i], errs[i], outs[0])
		}
	}
}

// BenchmarkMemberLookup looks up demo members by phone, as every turn of a
// verified flow does.
func BenchmarkMemberLookup(b *testing.B) {
	const members = 1000
	m := seededMembers(b, openTestStore(b, b.TempDir()), members)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, found, err := m.Lookup(ctx, strconv.Itoa(15000000000+i%members)); err != nil || !found {
			b.Fatalf("Lookup = %v, %v", found, err)
		}
	}
}
