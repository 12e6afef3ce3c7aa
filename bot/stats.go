package bot

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// What the reports count beyond work orders (GET /agent/api/reports):
// flows kept, finished (with the member's actions), handoffs, their
// waits, and satisfaction answers. Each is one Tally written in the same
// transaction as the conversation's change that caused it, keyed by the
// day, so reports read a range of days, survive restarts and agree across
// instances. Nothing in a tally names the member or the conversation.

// Tally kinds.
const (
	TallyKept      = "kept"      // told what cancelling does, the member kept the membership
	TallyCompleted = "completed" // a flow the member finished with a work order: Flow, Actions
	TallyHandoff   = "handoff"   // a member began waiting for a person
	TallyClaimed   = "claimed"   // an agent took a waiting member: Seconds waited
	TallyCSAT      = "csat"      // a satisfaction answer: Up
)

// Tally is one counted event.
type Tally struct {
	Kind    string  `json:"k"`
	Flow    string  `json:"f,omitempty"`
	Actions int     `json:"n,omitempty"`
	Seconds float64 `json:"s,omitempty"`
	Up      bool    `json:"u,omitempty"`
}

// tally adds t to the change e: it is stored with the conversation.
func (r *Runtime) tally(e *edit, t Tally) {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // a plain struct
	}
	key := tallyPrefix + e.now.In(r.loc).Format(tallyDay) + "/" + newID()
	e.extra = append(e.extra, write{[]byte(key), b})
}

// Tallies calls fn with every tally of the days from through to (in the
// runtime's time zone, both included), a day at a time, oldest first;
// day is the day's midnight.
func (r *Runtime) Tallies(ctx context.Context, from, to time.Time, fn func(day time.Time, t Tally)) error {
	return r.state.View(ctx, func(txn store.Txn) error {
		for d := midnight(from, r.loc); !d.After(to); d = d.AddDate(0, 0, 1) {
			err := txn.Scan([]byte(tallyPrefix+d.Format(tallyDay)+"/"), store.ScanOptions{}, func(_, v []byte) error {
				var t Tally
				if json.Unmarshal(v, &t) == nil { // an unreadable record is skipped, not fatal
					fn(d, t)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
