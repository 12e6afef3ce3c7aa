package faulttest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-dev/kefu/internal/kefutest"
)

// TestCrashSafety runs the real kefu serve with 48 synthetic members going
// through whole cancellations over the websocket, kills it with SIGKILL at
// random points (once during its own start-up, once while a third of the
// members confirm at the same moment) and restarts it, then checks DESIGN's
// promises: every number a member was shown is on record, no number is
// given twice, no confirmation has two orders, and every conversation
// resumes where it was and continues to its receipt.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary and kills it: not in -short")
	}
	const (
		members = 48
		cycles  = 4 // at random points, then one more amid a burst of confirmations
	)
	srv := newServer(t, "--demo", "--demo-extra", "60", "--msg-rate", "0")
	since := time.Now().Add(-time.Minute)
	srv.start()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (go build took %v, race detector %v)", seed, kefutest.BuildTime().Round(time.Millisecond), kefutest.RaceEnabled())
	rng := rand.New(rand.NewPCG(seed, 0))
	deadline := time.Now().Add(45 * time.Second)

	// All arrive within half a second and think a while before each step,
	// so that all are mid-flow through the kill cycles and the kills land
	// in every part of the flow. A third of them wait at the confirmation
	// for the burst.
	ms := make([]*member, members)
	gate := make(chan struct{})
	var atGate, started, finished atomic.Int32
	gated := 0
	var wg sync.WaitGroup
	for i := range ms {
		m := newMember(i, srv.addr, seed)
		if i%3 == 2 {
			m.gate, m.atGate = gate, &atGate
			gated++
		}
		ms[i] = m
		wg.Add(1)
		go func(arrival time.Duration) {
			defer wg.Done()
			time.Sleep(arrival)
			started.Add(1)
			m.run(deadline, 700*time.Millisecond)
			finished.Add(1)
		}(time.Duration(i) * 10 * time.Millisecond)
	}

	var restarts []time.Duration
	var midFlow []int
	for c := range cycles {
		time.Sleep(time.Duration(300+rng.IntN(600)) * time.Millisecond) // a random point in the members' flows
		midFlow = append(midFlow, int(started.Load()-finished.Load()-atGate.Load()))
		srv.kill()
		if c == 1 {
			// Once also during start-up: Badger recovering, binding.
			srv.launch()
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
			srv.kill()
		}
		restarts = append(restarts, srv.start())
	}
	kefutest.Eventually(t, time.Until(deadline), fmt.Sprintf("all %d gated members to reach the confirmation", gated), func() bool {
		return atGate.Load() >= int32(gated)
	})
	close(gate)
	released := time.Now()
	time.Sleep(time.Duration(rng.IntN(20000)) * time.Microsecond) // amid the orders' commits
	burstKill := time.Now()
	srv.kill()
	restarts = append(restarts, srv.start())
	wg.Wait()

	// The members' side: every one got a receipt, and every reconnect
	// found the conversation as it had left it.
	received := map[string]int{} // number → member
	var reconnects, resumed, byQuestions, beforeKill, afterKill int
	for _, m := range ms {
		for _, p := range m.problems {
			t.Error(p)
		}
		reconnects += m.reconnects
		resumed += m.resumed
		if m.questions {
			byQuestions++
		}
		if m.receipt == "" {
			continue
		}
		if m.gate != nil {
			if m.receiptAt.Before(burstKill) {
				beforeKill++
			} else {
				afterKill++
			}
		}
		if other, dup := received[m.receipt]; dup {
			t.Errorf("members %d and %d were both given %s", other, m.i, m.receipt)
		}
		received[m.receipt] = m.i
	}
	// The record's side, through the agent API.
	lost := 0
	for number, i := range received {
		var o workOrder
		status, err := srv.api("/api/workorders/"+number, &o)
		switch {
		case err != nil:
			t.Fatal(err)
		case status == http.StatusNotFound:
			lost++
			t.Errorf("member %d was given %s, which is not on record", i, number)
		case status != http.StatusOK:
			t.Errorf("GET /api/workorders/%s: HTTP %d", number, status)
		case o.Number != number || o.MemberID != "m-x"+strconv.Itoa(i) || "opt:"+o.Kind != ms[i].choice || o.Channel != "web":
			t.Errorf("order %s = %+v; want member m-x%d, %s, web", number, o, i, ms[i].choice)
		}
	}
	orders, err := srv.orders(since)
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	perMember := map[string][]string{}
	duplicates, committedBeforeKill := 0, 0
	for _, o := range orders {
		if i, ok := received[o.Number]; ok && ms[i].gate != nil && o.Created.Before(burstKill) && !ms[i].receiptAt.Before(burstKill) {
			committedBeforeKill++ // on record before the kill, shown only after the restart
		}
		if numbers[o.Number] {
			duplicates++
			t.Errorf("number %s is on record twice", o.Number)
		}
		numbers[o.Number] = true
		if o.Kind == "cancel_now" || o.Kind == "no_renew" {
			perMember[o.MemberID] = append(perMember[o.MemberID], o.Number)
		}
	}
	for _, m := range ms {
		id := "m-x" + strconv.Itoa(m.i)
		if got := perMember[id]; len(got) != 1 || (m.receipt != "" && got[0] != m.receipt) {
			t.Errorf("member %d (one confirmation, receipt %s) has orders %v; want exactly that one", m.i, m.receipt, got)
		}
		delete(perMember, id)
	}
	for id, got := range perMember {
		t.Errorf("orders %v for %s, who never confirmed", got, id)
	}

	// Graceful stop at the end: exit status 0.
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.wait(15 * time.Second)
	if code := srv.exitCode(); code != 0 {
		t.Errorf("SIGTERM after the kill cycles: exit status %d, want 0", code)
	}
	srv.checkOutput()

	sorted := slices.Clone(restarts)
	slices.Sort(sorted)
	t.Logf("%d members; %d kills at random points (+1 during start-up), members mid-flow at each: %v", members, cycles, midFlow)
	t.Logf("burst: %d members confirmed at once, killed %v later: %d had their receipt before the kill, %d after the restart (%d of these were on record before the kill)", gated, burstKill.Sub(released).Round(100*time.Microsecond), beforeKill, afterKill, committedBeforeKill)
	t.Logf("members who lost a code to a kill and verified by the security questions: %d", byQuestions)
	t.Logf("orders: %d issued (on record), %d shown to members and checked, %d lost, %d duplicate numbers", len(orders), len(received), lost, duplicates)
	t.Logf("reconnects: %d, of which resumed with the whole history: %d", reconnects, resumed)
	t.Logf("restart to healthy: %v (median %v, max %v)", roundAll(restarts), sorted[len(sorted)/2].Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond))
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// TestGracefulShutdown sends SIGTERM to the real kefu serve with members
// connected: each is told the service is restarting (error frame, then
// close code 1012), the process exits with status 0 in time, and the next
// start has every order and continues the day's sequence without a gap or
// a reuse (the leased numbers were released).
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary: not in -short")
	}
	srv := newServer(t, "--demo", "--demo-extra", "12", "--msg-rate", "0")
	since := time.Now().Add(-time.Minute)
	srv.start()
	deadline := time.Now().Add(30 * time.Second)

	var before []string
	for i := range 3 {
		m := newMember(i, srv.addr, 1)
		m.run(deadline, 0)
		for _, p := range m.problems {
			t.Fatal(p)
		}
		before = append(before, m.receipt)
	}

	// Members connected and mid-flow when the signal comes.
	var conns []*websocket.Conn
	var waiting []*member
	for i := 3; i < 8; i++ {
		m := newMember(i, srv.addr, 1)
		ws := m.connect(deadline)
		if ws == nil {
			t.Fatalf("member %d could not connect: %v", i, m.problems)
		}
		defer ws.Close()
		frames, err := m.exchange(ws, text("我要取消会员"), text(m.phone))
		if err != nil {
			t.Fatal(err)
		}
		m.add(frames)
		conns, waiting = append(conns, ws), append(waiting, m)
	}

	stopped := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, ws := range conns {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var told bool
		var closeCode int
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					closeCode = ce.Code
				}
				break
			}
			var f frame
			_ = json.Unmarshal(b, &f)
			if f.Type == "error" && f.Code == "restarting" && f.Message != "" {
				told = true
			}
		}
		if !told || closeCode != websocket.CloseServiceRestart {
			t.Errorf("connected member %d: restarting frame %v, close code %d; want the frame and %d", i, told, closeCode, websocket.CloseServiceRestart)
		}
	}
	srv.wait(10 * time.Second)
	took := time.Since(stopped)
	if code := srv.exitCode(); code != 0 {
		t.Fatalf("SIGTERM: exit status %d, want 0\n%s", code, tail(srv.out.String(), 3000))
	}
	if out := srv.out.String(); strings.Contains(out, "level=ERROR") {
		t.Errorf("errors logged while shutting down:\n%s", tail(out, 3000))
	}

	restart := srv.start()
	for _, n := range before {
		if status, err := srv.api("/api/workorders/"+n, nil); err != nil || status != http.StatusOK {
			t.Errorf("order %s after the restart: HTTP %d, %v", n, status, err)
		}
	}
	// The members who were mid-flow carry on where they were.
	var after []string
	for _, m := range waiting {
		m.run(deadline, 0)
		for _, p := range m.problems {
			t.Error(p)
		}
		if m.resumed != 1 {
			t.Errorf("member %d: resumed %d times, want once", m.i, m.resumed)
		}
		after = append(after, m.receipt)
	}
	all := append(slices.Clone(before), after...)
	orders, err := srv.orders(since)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, o := range orders {
		recorded = append(recorded, o.Number)
	}
	sort.Strings(all)
	if !slices.Equal(recorded, all) {
		t.Fatalf("orders on record %v; want exactly the receipts %v", recorded, all)
	}
	// One day's numbers run on without a gap: the lease was released.
	day := all[0][2:10]
	for i, n := range all {
		if n[2:10] != day {
			t.Logf("the day changed during the test: sequence not checked")
			break
		}
		if seq, _ := strconv.Atoi(n[10:16]); i > 0 && seq != mustSeq(all[i-1])+1 {
			t.Errorf("numbers %v: %s does not follow %s", all, n, all[i-1])
		}
	}

	_ = srv.cmd.Process.Signal(syscall.SIGINT)
	srv.wait(10 * time.Second)
	if code := srv.exitCode(); code != 0 {
		t.Errorf("SIGINT: exit status %d, want 0", code)
	}
	srv.checkOutput()
	t.Logf("SIGTERM to exit: %v; restart to healthy: %v; numbers %v", took.Round(time.Millisecond), restart.Round(time.Millisecond), all)
}

func mustSeq(n string) int {
	seq, err := strconv.Atoi(n[10:16])
	if err != nil {
		panic(fmt.Sprintf("number %q", n))
	}
	return seq
}
