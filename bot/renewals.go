package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
)

// Renewal reminders. DefaultReminderLead before an auto-renewal (the notice
// period Chinese online-trade rules ask for), the member gets a reminder
// with a one-tap "turn off auto-renew": in the conversation where they last
// verified (pushed on Telegram; on the web, in the history of their next
// visit) and through the notifier (SMS and email). A reminder is recorded
// in the synced Ledger together with its pending delivery before anything
// is sent, so a restart neither skips it (the delivery is retried) nor
// repeats it (the record is checked first).

// DefaultReminderLead is how long before a renewal the member is reminded.
const DefaultReminderLead = 5 * 24 * time.Hour

// RenewalLister is a member store that can list upcoming auto-renewals.
type RenewalLister interface {
	// DueForRenewal lists the active members with auto-renew on whose
	// period ends in [from, to).
	DueForRenewal(ctx context.Context, from, to time.Time) ([]dialog.Member, error)
}

// Reminders configures renewal reminders.
type Reminders struct {
	Lead  time.Duration // how long before a renewal; default DefaultReminderLead; < 0: no reminders
	Every time.Duration // how often to look for renewals; default 1 minute
}

// DueForRenewal lists the demo members due for renewal in [from, to).
func (d *DemoMembers) DueForRenewal(ctx context.Context, from, to time.Time) ([]dialog.Member, error) {
	var out []dialog.Member
	err := d.db.View(ctx, func(txn store.Txn) error {
		return txn.Scan([]byte(memberPrefix), store.ScanOptions{}, func(_, v []byte) error {
			var m dialog.Member
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.Status == dialog.StatusActive && m.AutoRenew && !m.PeriodEnd.Before(from) && m.PeriodEnd.Before(to) {
				out = append(out, m)
			}
			return ctx.Err()
		})
	})
	return out, err
}

// reminderSweep is how often RunReminders looks over the whole lead
// rather than only at the renewals that entered it since its last look:
// it catches a member who turned auto-renew back on, or whose period
// changed, inside the lead.
const reminderSweep = time.Hour

// reminderCursor is how far RunReminders has looked.
type reminderCursor struct {
	To      int64 `json:"to"`       // Unix ms: every renewal before this was seen
	SweptAt int64 `json:"swept_at"` // Unix ms: the last look over the whole lead
}

// RunReminders looks for renewals within the lead time and reminds each
// member once per renewal. The runtime runs it every Reminders.Every; tests
// call it with a controlled clock. Between sweeps of the whole lead it asks
// the member store only for the renewals that entered the lead since its
// last look, so a large platform is not asked for days of renewals every
// minute.
func (o *Outbox) RunReminders(ctx context.Context) error {
	lister, ok := o.members.(RenewalLister)
	if !ok || o.reminders.Lead < 0 {
		return nil
	}
	now := o.rt.now()
	to := now.Add(o.reminders.Lead)
	cur := o.reminderCursor(ctx)
	from := now
	if now.Sub(time.UnixMilli(cur.SweptAt)) < reminderSweep && cur.To > now.UnixMilli() {
		from = time.UnixMilli(cur.To)
	}
	if from.Equal(now) {
		cur.SweptAt = now.UnixMilli()
	}
	if !from.Before(to) {
		return nil
	}
	due, err := lister.DueForRenewal(ctx, from, to)
	if err != nil {
		return fmt.Errorf("renewals: %w", err)
	}
	due, err = o.notReminded(ctx, due, now)
	if err != nil {
		return fmt.Errorf("renewals: %w", err)
	}
	var errs []error
	for _, m := range due {
		// The first try is this one's: couriers (of other instances too)
		// leave the delivery alone for courierWait, then take it over if
		// this process stopped.
		d := delivery{Kind: deliverReminder, Member: m.ID, PeriodEnd: m.PeriodEnd.Unix(), NextAt: now.Add(courierWait).UnixMilli()}
		if conv, ok := o.memberConversation(ctx, m.ID); ok {
			d.Conv, d.Channel, d.Lang = conv.ID, conv.Channel, conv.Lang()
		}
		fresh := false
		err := o.rt.ledger.Update(ctx, func(txn store.Txn) error {
			fresh = false
			key := remindedKey(m.ID, d.PeriodEnd)
			if _, err := txn.Get(key); err == nil || !errors.Is(err, store.ErrNotFound) {
				return err // reminded already, by another instance (or a read error)
			}
			fresh = true
			if err := txn.Set(key, nil); err != nil {
				return err
			}
			return addDelivery(txn, d)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if fresh {
			o.rt.metrics.Reminders.Inc()
			o.deliverReminder(ctx, d, m)
		}
	}
	if len(errs) == 0 {
		// Only a look without errors moves on: a failed record is looked
		// for again.
		cur.To = to.UnixMilli()
		if err := o.rt.state.Update(ctx, func(txn store.Txn) error { return setJSON(txn, []byte(reminderCursorKey), cur) }); err != nil {
			errs = append(errs, fmt.Errorf("reminder cursor: %w", err))
		}
	}
	return errors.Join(errs...)
}

// reminderCursor reads how far RunReminders has looked; zero when unknown.
func (o *Outbox) reminderCursor(ctx context.Context) reminderCursor {
	var cur reminderCursor
	if err := o.rt.state.View(ctx, func(txn store.Txn) error {
		_, err := getJSON(txn, []byte(reminderCursorKey), &cur)
		return err
	}); err != nil {
		return reminderCursor{}
	}
	return cur
}

// notReminded keeps the members of due still to remind of their renewal
// at now, in one read of the Ledger: most of a sweep's members were
// reminded already.
func (o *Outbox) notReminded(ctx context.Context, due []dialog.Member, now time.Time) ([]dialog.Member, error) {
	out := due[:0:0]
	err := o.rt.ledger.View(ctx, func(txn store.Txn) error {
		out = out[:0]
		for _, m := range due {
			if m.StatusAt(now) != dialog.StatusActive || !m.AutoRenew {
				continue
			}
			_, err := txn.Get(remindedKey(m.ID, m.PeriodEnd.Unix()))
			switch {
			case errors.Is(err, store.ErrNotFound):
				out = append(out, m)
			case err != nil:
				return err
			}
		}
		return nil
	})
	return out, err
}

// memberConversation is the conversation where the member last verified.
func (o *Outbox) memberConversation(ctx context.Context, member string) (Conversation, bool) {
	var id string
	err := o.rt.state.View(ctx, func(txn store.Txn) error {
		b, err := txn.Get(memberConvKey(member))
		id = string(b)
		return err
	})
	if err != nil {
		return Conversation{}, false
	}
	c, err := o.rt.Conversation(context.Background(), id)
	return c, err == nil
}

// deliverReminder posts the reminder in the member's conversation and
// sends it to their phone and email, those not done yet, and records the
// try.
func (o *Outbox) deliverReminder(ctx context.Context, d delivery, m dialog.Member) {
	err := o.tryReminder(ctx, &d, m)
	if ferr := o.pending.finish(ctx, d, o.rt.now(), err); ferr != nil {
		o.rt.log.Error("record reminder delivery", "member", d.Member, "err", ferr)
	}
}

func (o *Outbox) tryReminder(ctx context.Context, d *delivery, m dialog.Member) error {
	if now := o.rt.now(); m.StatusAt(now) != dialog.StatusActive || !m.AutoRenew {
		// Auto-renew went off (perhaps from this very reminder), the
		// membership ended, or the renewal passed: nothing to remind of.
		return nil
	}
	var errs []error
	if d.Conv != "" && !slices.Contains(d.Done, "chat") {
		_, err := o.rt.change(ctx, d.Conv, func(e *edit) error {
			if e.c.Status == ConvActive {
				return errAgentHolds // the bot is silent while an agent talks: later
			}
			e.reply(o.rt, reminderReply(m))
			return nil
		})
		if err == nil {
			d.Done = append(d.Done, "chat")
			// Recorded before the notices go out, so a stop while they are
			// on their way does not post the reminder again. A stop between
			// the message and this record does: a reminder is never
			// skipped, and repeated only in that instant.
			err = o.rt.ledger.Update(ctx, func(txn store.Txn) error { return addDelivery(txn, *d) })
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("reminder in conversation %s: %w", d.Conv, err))
		}
	}
	n := Notice{Kind: NoticeReminder, Renewal: &m, Lang: d.Lang, Conv: d.Conv, Channel: d.Channel}
	errs = append(errs, notifyEach(ctx, o.notifier, m, n, d, o.rt.log))
	return errors.Join(errs...)
}

// errAgentHolds delays a bot message while an agent holds the
// conversation.
var errAgentHolds = errors.New("an agent holds the conversation")

// reminderReply is the reminder as a bot message.
func reminderReply(m dialog.Member) dialog.Reply {
	return dialog.Reply{
		ID: "reminder_renewal",
		Data: map[string]any{
			"Plan": dialog.Msg("plan_" + m.Plan.Code), "PeriodEnd": m.PeriodEnd, "Price": dialog.Money(m.Plan.PriceCents),
		},
		Buttons: []dialog.Button{
			{Label: "menu_autorenew", Value: dialog.IntentValue(dialog.IntentTurnOffAutoRenew)},
			{Label: "menu_agent", Value: dialog.IntentValue(dialog.IntentHumanAgent)},
		},
	}
}
