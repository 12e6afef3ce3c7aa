package bot

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/kefu-dev/kefu/dialog"
)

// Below the disk floor a member's turn is refused with the polite message
// in their language and nothing stored, no work order is numbered, the
// store part is degraded; above the resume mark again, turns and orders
// work and the day's numbering has no gap.
func TestStoreFullRefusesTurnsAndOrders(t *testing.T) {
	const floor = 256 << 20
	var free atomic.Uint64
	free.Store(8 << 30)
	now := time.Now()
	rt, err := Open(Config{
		DataDir: t.TempDir(), Demo: true, Location: shanghai, Log: quietLog,
		Disk: DiskFloor{Min: floor, Every: time.Hour, Statfs: func(string) (uint64, error) { return free.Load(), nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	id, _, err := rt.Resolve(ctx, "web", "member-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(ctx, id, dialog.EN, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := rt.History(ctx, id)
	if h := storePart(t, rt); h != OK {
		t.Fatalf("store with room: %+v", h)
	}

	free.Store(floor - 1)
	rt.health.disk.Check()
	err = rt.Handle(ctx, id, dialog.InputText, "I want a person", "")
	var refused *Refusal
	if !errors.As(err, &refused) || !errors.Is(err, ErrStoreFull) {
		t.Fatalf("turn below the floor: %v", err)
	}
	if want := rt.catalog.MustRender(dialog.EN, "store_full", nil); refused.Text != want {
		t.Fatalf("member told %q, want %q", refused.Text, want)
	}
	if after, _ := rt.History(ctx, id); len(after) != len(before) {
		t.Fatalf("a refused turn stored %d messages", len(after)-len(before))
	}
	callback := dialog.OrderRequest{Key: "k-1", Kind: dialog.KindCallback, MemberID: "m-demo", Channel: "web", Conv: id, At: now}
	if _, err := rt.orders.Execute(ctx, callback); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("work order below the floor: %v", err)
	}
	if h := storePart(t, rt); h.State != PartDegraded || h.Reason == "" {
		t.Fatalf("store below the floor: %+v", h)
	}
	if v := partGauge(t, rt, PartStore); v != 1 {
		t.Fatalf("kefu_part_degraded{part=store} = %v, want 1", v)
	}

	free.Store(floor + floor/8) // above the floor, below the resume mark
	rt.health.disk.Check()
	if err := rt.Handle(ctx, id, dialog.InputText, "I want a person", ""); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("turn just above the floor: %v", err)
	}

	free.Store(floor * 2)
	rt.health.disk.Check()
	if err := rt.Handle(ctx, id, dialog.InputText, "I want a person", ""); err != nil {
		t.Fatalf("turn after space returned: %v", err)
	}
	o, err := rt.orders.Execute(ctx, callback)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := rt.orders.Since(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, w := range orders {
		numbers = append(numbers, w.Number)
	}
	first := dialog.FormatNumber(now.In(shanghai), 1)
	if len(orders) == 0 || orders[0].Number != first || !strings.Contains(strings.Join(numbers, " "), o.Number) {
		t.Fatalf("orders after space returned: %v, want the first of the day %s first", numbers, first)
	}
	if h := storePart(t, rt); h != OK {
		t.Fatalf("store after space returned: %+v", h)
	}
	if v := partGauge(t, rt, PartStore); v != 0 {
		t.Fatalf("kefu_part_degraded{part=store} = %v, want 0", v)
	}
}

// Without a floor (a PostgreSQL store, or --min-free-disk 0) nothing is
// watched and the embedded parts are ok.
func TestHealthWithoutFloor(t *testing.T) {
	rt, err := Open(Config{DataDir: t.TempDir(), Location: shanghai, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	parts, err := rt.Health().Parts()
	if err != nil || rt.health.disk != nil {
		t.Fatalf("Health: %v; disk watched: %v", err, rt.health.disk != nil)
	}
	for _, p := range []string{PartStore, PartMembers, PartNotifier} {
		if parts[p] != OK {
			t.Errorf("%s: %+v, want ok", p, parts[p])
		}
	}
}

func storePart(t *testing.T, rt *Runtime) PartHealth {
	t.Helper()
	parts, err := rt.Health().Parts()
	if err != nil {
		t.Fatal(err)
	}
	return parts[PartStore]
}

func partGauge(t *testing.T, rt *Runtime, part string) float64 {
	t.Helper()
	families, err := rt.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "kefu_part_degraded" {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelIs(m, "part", part) {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no kefu_part_degraded{part=%q}", part)
	return 0
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
