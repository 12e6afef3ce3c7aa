package faulttest

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/internal/postgrestest"
)

// Two kefu serve processes on one PostgreSQL (--store): members start on
// the first; it is killed (SIGKILL) mid-flow; they reconnect to the second
// with their session tokens, find their conversations as they left them,
// and finish. Every receipt is on record once, with a number of its own.
func TestTwoInstancesSurviveAKill(t *testing.T) {
	const members = 16
	url := postgrestest.NewDatabase(t)
	args := []string{"--store", url, "--demo", "--demo-extra", "40", "--msg-rate", "0"}
	a, b := newServer(t, args...), newServer(t, args...)
	// Behind one load balancer the page has one origin; here each instance
	// has its own, and each accepts both.
	origins := "http://" + a.addr + ",http://" + b.addr
	a.args = append(a.args, "--allowed-origins", origins)
	b.args = append(b.args, "--allowed-origins", origins)
	a.start()
	b.start()
	since := time.Now().Add(-time.Minute)
	deadline := time.Now().Add(45 * time.Second)
	ms := make([]*member, members)
	var wg sync.WaitGroup
	for i := range ms {
		m := newMember(i, a.addr, uint64(i))
		m.others = []string{"ws://" + b.addr + "/ws"}
		ms[i] = m
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.run(deadline, 400*time.Millisecond)
		}()
	}
	// Kill the first instance mid-flow: once the members have answered two
	// turns each on average (the opener and the account, out of five),
	// each at its own random pace.
	for {
		turns, done := 0, 0
		for _, m := range ms {
			turns += int(m.turns.Load())
			if m.done.Load() {
				done++
			}
		}
		if turns >= 2*members {
			t.Logf("killing the first instance after %d turns, %d members done", turns, done)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d turns answered by the deadline", turns)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	a.kill()
	wg.Wait()

	received := map[string]int{}
	reconnects, resumed := 0, 0
	for _, m := range ms {
		for _, p := range m.problems {
			t.Error(p)
		}
		reconnects += m.reconnects
		resumed += m.resumed
		if m.receipt == "" {
			continue
		}
		if other, dup := received[m.receipt]; dup {
			t.Errorf("members %d and %d were both given %s", other, m.i, m.receipt)
		}
		received[m.receipt] = m.i
	}
	if len(received) != members {
		t.Fatalf("%d of %d members got a receipt", len(received), members)
	}
	if reconnects == 0 {
		t.Fatal("no member was mid-flow when the first instance died")
	}
	for number, i := range received {
		var o workOrder
		if status, err := b.api("/api/workorders/"+number, &o); err != nil || status != http.StatusOK || o.MemberID != "m-x"+strconv.Itoa(i) || "opt:"+o.Kind != ms[i].choice {
			t.Errorf("member %d's %s on the second instance: HTTP %d %+v %v", i, number, status, o, err)
		}
	}
	orders, err := b.orders(since)
	if err != nil {
		t.Fatal(err)
	}
	perMember := map[string]int{}
	for _, o := range orders {
		perMember[o.MemberID]++
	}
	for _, m := range ms {
		if n := perMember["m-x"+strconv.Itoa(m.i)]; n != 1 {
			t.Errorf("member %d has %d orders, want 1", m.i, n)
		}
	}
	t.Logf("%d members, first instance killed mid-flow: %d reconnects to the second, %d resumed with the whole history; %d orders", members, reconnects, resumed, len(orders))
}
