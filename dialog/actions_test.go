package dialog_test

import (
	"strings"
	"testing"

	"github.com/kefu-dev/kefu/dialog"
)

// TestMemberActionsPerFlow counts the member's actions, typed or tapped,
// from the opener to the work order (DESIGN §1): cancel now ≤ 5, don't
// renew ≤ 5, "turn off auto-renew" ≤ 4.
func TestMemberActionsPerFlow(t *testing.T) {
	for _, c := range []struct {
		name   string
		budget int
		inputs []string // [value] taps a button, anything else is typed
	}{
		{"cancel now, typed", 5, []string{"我要取消会员", "13800138000", testCode, "立即取消", "确认"}},
		{"cancel now, tapped", 5, []string{"[intent:cancel_membership]", "13800138000", testCode, "[opt:cancel_now]", "[confirm:1]"}},
		{"cancel now, account in the opener", 4, []string{"cancel my membership, my phone is 13800138000", testCode, "cancel now", "yes"}},
		{"don't renew, typed", 5, []string{"I want to cancel my membership", "demo@example.com", testCode, "don't renew", "yes"}},
		{"don't renew, tapped", 5, []string{"[intent:cancel_membership]", "13800138000", testCode, "[opt:no_renew]", "[confirm:1]"}},
		{"turn off auto-renew, typed", 4, []string{"关闭自动续费", "13800138000", testCode, "确认"}},
		{"turn off auto-renew, tapped", 4, []string{"[intent:turn_off_autorenew]", "13800138000", testCode, "[confirm:1]"}},
		{"stop auto-renew, English", 4, []string{"stop auto-renew", "13800138000", testCode, "yes"}},
		{"不续费了", 4, []string{"不续费了", "13800138000", testCode, "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			actions := 0
			var done *dialog.Completed
			for _, in := range c.inputs {
				actions++
				var r []dialog.Reply
				var effs []dialog.Effect
				if strings.HasPrefix(in, "[") {
					r, effs = h.turn(dialog.InputButton, strings.Trim(in, "[]"))
				} else {
					r, effs = h.say(in)
				}
				for _, e := range effs {
					if e, ok := e.(dialog.Completed); ok {
						done = &e
					}
				}
				if len(r) > 0 && strings.HasPrefix(r[0].ID, "receipt_") {
					break
				}
			}
			// The engine counts them as the reports do (median_member_actions).
			if done == nil || done.Actions != actions {
				t.Fatalf("the engine reports %+v, counted %d actions", done, actions)
			}
			if len(h.orders.byNum) != 1 {
				t.Fatalf("no work order after %d actions (%v)", actions, c.inputs)
			}
			t.Logf("%d actions", actions)
			if actions > c.budget {
				t.Fatalf("%d actions, budget %d", actions, c.budget)
			}
		})
	}
}
